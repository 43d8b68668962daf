#!/bin/sh
# Install the built libraries into a scratch prefix, then build and run examples/consumer.c
# (librbpattn) and examples/consumer_plot.c (librbpattn-plot) twice each: with pkg-config only
# (rbpattn, rbpattn-plot) and through find_package(rbpattn [COMPONENTS plot]) in a fresh CMake
# project. The installed librbpattn must not need libpng; librbpattn-plot must.
set -eu
build=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
libdir=$(ls -d "$work"/prefix/lib* | head -n 1)
export PKG_CONFIG_PATH="$libdir/pkgconfig"
export LD_LIBRARY_PATH="$libdir"

# 1. pkg-config
cc -std=c11 -Wall -Wextra -Wpedantic -Werror "$src/examples/consumer.c" -o "$work/consumer_pc" \
   $(pkg-config --cflags --libs rbpattn)
"$work/consumer_pc"
cc -std=c11 -Wall -Wextra -Wpedantic -Werror "$src/examples/consumer_plot.c" -o "$work/consumer_plot_pc" \
   $(pkg-config --cflags --libs rbpattn-plot)
"$work/consumer_plot_pc" "$work/pc.svg"
# the core library alone: no libpng anywhere in what pkg-config hands out for it
if pkg-config --libs --static rbpattn | grep -q png; then
    echo "install_consumer: pkg-config rbpattn still pulls libpng" >&2; exit 1
fi
core=$(ls "$libdir"/librbpattn.so.* | head -n 1)
plot=$(ls "$libdir"/librbpattn-plot.so.* | head -n 1)
if readelf -d "$core" | grep NEEDED | grep -q libpng; then
    echo "install_consumer: $core needs libpng" >&2; exit 1
fi
readelf -d "$plot" | grep NEEDED | grep -q libpng || { echo "install_consumer: $plot lacks libpng" >&2; exit 1; }

# 2. find_package
mkdir -p "$work/proj"
cat > "$work/proj/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.18)
project(consumer C)
find_package(rbpattn 0.1 REQUIRED COMPONENTS plot)
add_executable(consumer $src/examples/consumer.c)
target_link_libraries(consumer PRIVATE rbpattn::rbpattn)
add_executable(consumer_plot $src/examples/consumer_plot.c)
target_link_libraries(consumer_plot PRIVATE rbpattn::plot)
CM
cmake -S "$work/proj" -B "$work/proj/build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/proj/build" >/dev/null
"$work/proj/build/consumer"
"$work/proj/build/consumer_plot" "$work/cmake.svg"
if readelf -d "$work/proj/build/consumer" | grep NEEDED | grep -q rbpattn-plot; then
    echo "install_consumer: the core consumer links librbpattn-plot" >&2; exit 1
fi
# an unknown component is refused with its name
mkdir -p "$work/bad"
cat > "$work/bad/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.18)
project(bad C)
find_package(rbpattn REQUIRED COMPONENTS nosuch)
CM
if cmake -S "$work/bad" -B "$work/bad/build" -DCMAKE_PREFIX_PATH="$work/prefix" >"$work/bad.log" 2>&1; then
    echo "install_consumer: find_package accepted component 'nosuch'" >&2; exit 1
fi
grep -q "nosuch" "$work/bad.log"
# the bundled models are installed under share/rbpattn/models and found by name from there
# (beside the installed library, whatever prefix it was installed to)
n_src=$(ls "$(dirname "$0")"/../models/rbp31/*.rbp | wc -l)
n_inst=$(ls "$work"/prefix/share/rbpattn/models/rbp31/*.rbp | wc -l)
[ "$n_inst" = "$n_src" ] || { echo "install_consumer: $n_inst of $n_src bundled models installed" >&2; exit 1; }
[ -f "$work/prefix/share/rbpattn/models/rbp31/README.md" ] || { echo "install_consumer: no models README" >&2; exit 1; }
if [ -x "$work/prefix/bin/rbpattn-info" ]; then
    "$work/prefix/bin/rbpattn-info" --list >"$work/list.txt"
    grep -q "$work/prefix/lib[^/]*/../share/rbpattn/models/rbp31/" "$work/list.txt" ||
        { echo "install_consumer: installed rbpattn-info --list does not see the installed models" >&2; cat "$work/list.txt" >&2; exit 1; }
fi
echo "install_consumer: pkg-config and find_package consumers ran (core and plot)"
