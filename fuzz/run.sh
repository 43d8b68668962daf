#!/bin/sh
# Build the libFuzzer targets (clang, ASan + UBSan) and run each for SECONDS (default 60).
#   sh fuzz/run.sh [SECONDS] [TARGET...]      e.g. sh fuzz/run.sh 20      (CI)
#   JOBS=2 sh fuzz/run.sh 600                 two targets at a time, niced (NICE=5)
# Environment: BUILD (default build-fuzz), OUT (default $BUILD/fuzz-out: seeds, corpora,
# crash files, logs). Prints one line per target: runs, seconds, crashes; exits 1 if any
# target crashed (the crash inputs are in $OUT/crashes/).
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
[ $# -gt 0 ] && shift
build=${BUILD:-build-fuzz}
out=${OUT:-$build/fuzz-out}
jobs=${JOBS:-1}
nice_n=${NICE:-5}
CC=${CC:-clang}
export CC
cmake -S . -B "$build" -DRBP_FUZZ=ON -DRBP_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRBP_WERROR=ON \
    -DRBP_BUILD_TESTS=OFF -DRBP_BUILD_EXAMPLES=OFF -DRBP_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j 2 >/dev/null
bin=$build/fuzz
targets=${*:-"fasta csv tsv lines graphprot affys stream model"}

# ---- seed corpora from tests/data (small pieces: the fuzzer grows them) and model files
d=tests/data
mkdir -p "$out/crashes" "$out/logs"
seed() { mkdir -p "$out/seeds/$1"; }
sep='
=====
'
seed fasta; seed csv; seed tsv; seed lines; seed graphprot; seed affys; seed stream; seed model
for f in $d/rbp31/*.fa.gz; do
    gzip -dc "$f" | head -c 3000 >"$out/seeds/fasta/$(basename "$f" .gz)"
    gzip -dc "$f" | head -n 8 | gzip -c >"$out/seeds/fasta/$(basename "$f")"
done
for f in $d/graphprot/*.fa; do head -c 3000 "$f" >"$out/seeds/fasta/$(basename "$f")"; done
head -c 4000 $d/csv/study_format.csv >"$out/seeds/csv/study_format.csv"
head -c 4000 $d/csv/study_format.tsv >"$out/seeds/tsv/study_format.tsv"
head -c 3000 $d/lines/sample.txt >"$out/seeds/lines/sample.txt"
{ head -n 8 $d/graphprot/testclip.train.positives.fa; printf '%s' "$sep"; head -n 8 $d/graphprot/testclip.train.negatives.fa; } \
    >"$out/seeds/graphprot/testclip"
{ head -n 8 $d/graphprot/test_data_full_A.train.fa; printf '%s' "$sep"; head -n 4 $d/graphprot/test_data_full_A.train.affys; } \
    >"$out/seeds/affys/full_A"
for t in fasta csv tsv lines; do cp "$out/seeds/$t"/* "$out/seeds/stream/"; done
"$bin/fuzz_make_seeds" "$out/seeds/model"

# ---- run
run_one() {
    t=$1
    max_len=8192
    [ "$t" = model ] && max_len=32768
    mkdir -p "$out/corpus/$t"
    set +e
    nice -n "$nice_n" "$bin/fuzz_$t" -max_total_time="$secs" -max_len="$max_len" -timeout=20 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$out/crashes/$t-" "$out/corpus/$t" "$out/seeds/$t" \
        >"$out/logs/$t.log" 2>&1
    rc=$?
    set -e
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/logs/$t.log" | tail -n 1)
    crashes=$(ls "$out/crashes" | grep -c "^$t-" || true)
    printf '%-10s runs %10s  seconds %5s  exit %d  crash files %d  corpus %d\n' "$t" "${runs:-?}" "$secs" "$rc" \
        "$crashes" "$(ls "$out/corpus/$t" | wc -l)"
}
status=0
if [ "$jobs" -le 1 ]; then
    for t in $targets; do run_one "$t" | tee -a "$out/summary.txt"; done
else
    # $jobs at a time
    set -- $targets
    while [ $# -gt 0 ]; do
        pids=""
        i=0
        while [ $i -lt "$jobs" ] && [ $# -gt 0 ]; do
            run_one "$1" >"$out/logs/$1.summary" &
            pids="$pids $!"
            shift
            i=$((i + 1))
        done
        for p in $pids; do wait "$p"; done
    done
    for t in $targets; do cat "$out/logs/$t.summary" | tee -a "$out/summary.txt"; done
fi
for t in $targets; do
    if ls "$out/crashes" | grep -q "^$t-"; then
        echo "CRASH in $t: see $out/crashes/ and $out/logs/$t.log" >&2
        status=1
    fi
done
exit $status
