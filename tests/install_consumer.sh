#!/bin/sh
# Install the built libraries into a scratch prefix, then build and run examples/consumer.c
# (librbpattn) and examples/consumer_plot.c (librbpattn-plot) twice each: with pkg-config only
# (rbpattn, rbpattn-plot) and through find_package(rbpattn [COMPONENTS plot]) in a fresh CMake
# project. The installed librbpattn must not need libpng; librbpattn-plot must. The installed
# programs run from the (non-system) prefix without LD_LIBRARY_PATH and find the prefix's
# library, and their man pages are installed (and the API reference, when it was built).
set -eu
build=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() {
    echo "install_consumer: $*" >&2
    exit 1
}
cmake --install "$build" --prefix "$work/prefix" >/dev/null
libdir=$(ls -d "$work"/prefix/lib* | head -n 1)

# 0. the programs, their RUNPATH ($ORIGIN/../lib, no build-tree path) and man pages
n_programs=0
for prog in "$work"/prefix/bin/rbpattn-*; do
    [ -x "$prog" ] || continue
    name=$(basename "$prog")
    n_programs=$((n_programs + 1))
    rpath=$(readelf -d "$prog" | sed -n 's/.*(R\(UN\)\{0,1\}PATH).*\[\(.*\)\]/\2/p')
    case $rpath in
        *'$ORIGIN/../'*) ;;
        *) fail "$name: RUNPATH '$rpath' lacks \$ORIGIN/../lib" ;;
    esac
    case $rpath in *"$build"*) fail "$name: RUNPATH '$rpath' names the build tree" ;; esac
    # every librbpattn* it loads comes from the prefix, with LD_LIBRARY_PATH unset
    env -u LD_LIBRARY_PATH ldd "$prog" | awk '/librbpattn/ { print $1, $3 }' >"$work/ldd"
    [ -s "$work/ldd" ] || fail "$name: ldd shows no librbpattn"
    while read -r soname path; do
        case $path in
            "$libdir"/*|"$work/prefix/bin/../"*) ;;
            *) fail "$name: $soname resolves to '$path', not into the prefix" ;;
        esac
    done <"$work/ldd"
    env -u LD_LIBRARY_PATH "$prog" --version >/dev/null || fail "$name --version failed without LD_LIBRARY_PATH"
    [ -s "$work/prefix/share/man/man1/$name.1" ] || fail "no man page share/man/man1/$name.1"
done
[ "$n_programs" -eq 0 ] || [ "$(ls "$work"/prefix/share/man/man1/rbpattn-*.1 | wc -l)" -eq "$n_programs" ] ||
    fail "man pages and programs differ in number"
if [ -x "$work/prefix/bin/rbpattn-train" ]; then
    # real work, library and all: a tiny model trained and used for scoring
    fa=$src/tests/data/rbp31/PUM2_training_sample_0_first200.fa.gz
    env -u LD_LIBRARY_PATH "$work/prefix/bin/rbpattn-train" --fasta "$fa" --d-model 8 --heads 2 --layers 1 \
        --d-ff 16 --head-hidden 8 --epochs 1 --quiet --save "$work/m.rbp" >/dev/null || fail "installed rbpattn-train"
    env -u LD_LIBRARY_PATH "$work/prefix/bin/rbpattn-predict" -m "$work/m.rbp" --quiet "$fa" >"$work/scores.tsv" ||
        fail "installed rbpattn-predict"
    [ "$(wc -l <"$work/scores.tsv")" -eq 201 ] || fail "installed rbpattn-predict: expected 200 scores"
    if command -v man >/dev/null 2>&1; then
        man -M "$work/prefix/share/man" -P cat rbpattn-train 2>/dev/null | grep -q 'rbpattn-train' ||
            fail "man -M PREFIX/share/man rbpattn-train shows nothing"
    fi
fi
if [ -f "$build/docs/html/index.html" ]; then
    [ -f "$work/prefix/share/doc/rbpattn/html/index.html" ] || fail "the API reference was built but not installed"
fi
plot_rpath=$(readelf -d "$(ls "$libdir"/librbpattn-plot.so.* | head -n 1)" | sed -n 's/.*(R\(UN\)\{0,1\}PATH).*\[\(.*\)\]/\2/p')
[ "$plot_rpath" = '$ORIGIN' ] || fail "librbpattn-plot RUNPATH is '$plot_rpath', expected \$ORIGIN"

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
echo "install_consumer: $n_programs installed programs ran without LD_LIBRARY_PATH, man pages present;"
echo "install_consumer: pkg-config and find_package consumers ran (core and plot)"
