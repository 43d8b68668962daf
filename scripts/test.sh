#!/bin/sh
# One command: install what is missing, build with warnings as errors, run every test.
#   sh scripts/test.sh            (build dir: build/)
#   BUILD=build-asan CMAKE_ARGS=-DRBP_SANITIZE=ON sh scripts/test.sh
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
build=${BUILD:-build}
jobs=$(nproc 2>/dev/null || echo 2)
# shellcheck disable=SC2086
cmake -S . -B "$build" -DRBP_WERROR=ON ${CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "$jobs"
cd "$build"
ctest --output-on-failure -j "$jobs" ${CTEST_ARGS:-}
