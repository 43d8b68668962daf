#!/bin/sh
# Valgrind memcheck over the library's unit tests (0 errors, no definite leaks), on a plain
# build (default build/). The long training tests (and test_motif, test_scan, which train a
# model first), the finite-difference gradient checks and
# the 8-thread session test are left out (each takes many minutes under valgrind; the ASan and
# TSan builds cover them).
# RBP_GEMM=builtin: OpenBLAS's hand-written kernels and thread pool produce valgrind noise
# that says nothing about rbpattn.
#   sh scripts/valgrind.sh [BUILD]
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
skip=${VALGRIND_SKIP:-"test_train test_interpret test_layers test_model test_session test_motif test_scan"}
export OPENBLAS_NUM_THREADS=1 RBP_GEMM=builtin CMOCKA_MESSAGE_OUTPUT=STDOUT
status=0
for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    case " $skip " in *" $name "*) continue ;; esac
    start=$(date +%s)
    if valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
        --track-origins=yes "$t" >"$build/valgrind-$name.log" 2>&1; then
        echo "valgrind $name: ok ($(( $(date +%s) - start )) s)"
    else
        echo "valgrind $name: FAILED, see $build/valgrind-$name.log" >&2
        grep -E "==[0-9]+==" "$build/valgrind-$name.log" | head -n 30 >&2 || true
        status=1
    fi
done
exit $status
