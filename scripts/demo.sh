#!/bin/sh
# One command: install what is missing, build, and run the main job on bundled data.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
cmake -S . -B build >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
./build/examples/consumer
