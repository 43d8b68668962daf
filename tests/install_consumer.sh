#!/bin/sh
# Install the built library into a scratch prefix, then build and run examples/consumer.c
# twice: once with pkg-config only, once through find_package(rbpattn) in a fresh CMake project.
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

# 2. find_package
mkdir -p "$work/proj"
cat > "$work/proj/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.18)
project(consumer C)
find_package(rbpattn 0.1 REQUIRED)
add_executable(consumer $src/examples/consumer.c)
target_link_libraries(consumer PRIVATE rbpattn::rbpattn)
CM
cmake -S "$work/proj" -B "$work/proj/build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/proj/build" >/dev/null
"$work/proj/build/consumer"
echo "install_consumer: pkg-config and find_package consumers ran"
