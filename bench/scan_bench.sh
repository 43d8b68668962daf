#!/bin/sh
# Scanning throughput and memory of rbpattn-scan with the demo model (out/pum2.rbp from
# `sh scripts/demo.sh`; 101-nt windows), not a timed test:
#   1. nucleotides/s at 1 and 2 threads on a random chromosome of SMALL_KB kb, at step 1 (every
#      window: the cost of one window is the cost of one position) and step 10;
#   2. peak RSS (/usr/bin/time -v) on a BIG_MB Mb random one-record FASTA at step STEP_BIG
#      (default the model's length) with BIG_THREADS threads, against the same program on a 1-kb
#      input: memory must not grow with the chromosome.
# Inputs are generated in a scratch directory under $TMPDIR (deleted at the end). Writes a
# Markdown report to $OUT (default bench/results/scan-<UTC date>.md).
#   sh bench/scan_bench.sh   (BUILD=build MODEL=out/pum2.rbp SMALL_KB=100 BIG_MB=100 STEP_BIG=101 BIG_THREADS=2)
set -eu
cd "$(dirname "$0")/.."
build=${BUILD:-build}
model=${MODEL:-out/pum2.rbp}
small_kb=${SMALL_KB:-100}
big_mb=${BIG_MB:-100}
step_big=${STEP_BIG:-101}
big_threads=${BIG_THREADS:-2}
out=${OUT:-bench/results/scan-$(date -u +%Y-%m-%d).md}
scan=$build/examples/rbpattn-scan
for p in "$scan" "$model" /usr/bin/time; do
    [ -e "$p" ] || { echo "scan_bench.sh: $p missing (build the project and run sh scripts/demo.sh first)" >&2; exit 2; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rbp_scan_bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# random_fasta FILE NT: one record of NT uniform random A/C/G/T letters, 60 per line.
random_fasta() {
    acgt=$(awk 'BEGIN { for (i = 0; i < 64; i++) printf "ACGT" }')
    { echo ">chrR random"; head -c "$2" /dev/urandom | tr '\000-\377' "$acgt" | fold -w 60; } >"$1"
}

# measure NAME ARGS...: run rbpattn-scan under /usr/bin/time -v; sets secs, rss_kb, nt_s.
measure() {
    /usr/bin/time -v "$scan" -m "$model" "$@" 2>"$tmp/time.txt" >/dev/null
    secs=$(awk -F ': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$tmp/time.txt")
    rss_kb=$(awk -F ': ' '/Maximum resident set size/ { print $2 }' "$tmp/time.txt")
    nt_s=$(sed -n 's/.*(\([0-9]*\) nt\/s.*/\1/p' "$tmp/time.txt" | tail -n 1)
    echo "  $*: ${secs} s, ${nt_s} nt/s, peak RSS ${rss_kb} kB" >&2
}

random_fasta "$tmp/small.fa" $((small_kb * 1000))
random_fasta "$tmp/tiny.fa" 1000
cpu=$(awk -F ': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
ncpu=$(nproc)
load=$(cut -d ' ' -f 1-3 /proc/loadavg)

echo "throughput on $small_kb kb" >&2
rows=""
for step in 1 10; do
    for t in 1 2; do
        measure --step "$step" --threads "$t" -o /dev/null "$tmp/small.fa"
        rows="$rows| $step | $t | $nt_s | $secs | $((rss_kb / 1024)) |
"
    done
done

echo "memory on $big_mb Mb (step $step_big)" >&2
random_fasta "$tmp/big.fa" $((big_mb * 1000000))
mem=""
t=$big_threads
measure --step "$step_big" --threads "$t" -o /dev/null "$tmp/tiny.fa"
base=$rss_kb
measure --step "$step_big" --threads "$t" -o "$tmp/big.bg.gz" --peaks "$tmp/big.bed" "$tmp/big.fa"
mem="| $t | $((base / 1024)) | $((rss_kb / 1024)) | $nt_s | $secs |
"

mkdir -p "$(dirname "$out")"
cat >"$out" <<EOF
# rbpattn-scan benchmark, $(date -u +%Y-%m-%d)

- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)
- CPU: $cpu ($ncpu cores; load average at the start: $load)
- Model: $model (101-nt windows; the demo's conv-stem encoder, d_model 32, 1 layer)
- Command: \`sh bench/scan_bench.sh\` (SMALL_KB=$small_kb BIG_MB=$big_mb STEP_BIG=$step_big BIG_THREADS=$big_threads), which runs
  \`/usr/bin/time -v $scan -m $model --step S --threads T -o FILE input.fa\`
  on uniform random one-record FASTA generated in \$TMPDIR and deleted afterwards.

## Throughput ($small_kb kb chromosome, bedGraph to /dev/null)

| step | threads | nt/s | wall s | peak RSS MB |
|-----:|--------:|-----:|-------:|------------:|
$rows
At step 1 every position starts a window, so nt/s = windows/s; at step S the model runs
1/S as often and every position is still covered by ceil(101/S) windows.

## Memory ($big_mb Mb chromosome, one FASTA record, step $step_big; bedGraph.gz + BED written)

| threads | peak RSS on 1 kb, MB | peak RSS on $big_mb Mb, MB | nt/s | wall s |
|--------:|---------------------:|----------------------------:|-----:|-------:|
$mem
The scanner holds the letters and the track of about L + chunk x step positions (4096 windows
per round), never the chromosome; each session thread has its own inference workspace for
one batch of 64 windows.
EOF
echo "wrote $out" >&2
