#!/bin/sh
# Streaming input at scale: a 1 GiB FASTA of 101-nt windows, generated in a scratch directory
# (deleted at the end), streamed from disk
#   1. through rbp_reader alone (bench_reader: MB/s of uncompressed text, median of RUNS), plain
#      and, with GZ=1, gzip -1 compressed;
#   2. through rbpattn-predict with a small trained model (peak RSS from /usr/bin/time -v),
#      against two baselines: an empty input (the program and the loaded model) and one chunk
#      of the same file (plus the inference workspace and one chunk's buffers).
# Writes a Markdown report to $OUT (default bench/results/reader-<UTC date>.md).
#   sh bench/run_reader.sh                 (BUILD=build SIZE_MB=1024 RUNS=3 THREADS=1 GZ=0)
set -eu
cd "$(dirname "$0")/.."
build=${BUILD:-build}
size_mb=${SIZE_MB:-1024}
runs=${RUNS:-3}
threads=${THREADS:-1}
gz=${GZ:-0}
out=${OUT:-bench/results/reader-$(date -u +%Y-%m-%d).md}
bench=$build/bench/bench_reader
predict=$build/examples/rbpattn-predict
train=$build/examples/rbpattn-train
for p in "$bench" "$predict" "$train" /usr/bin/time; do
    [ -x "$p" ] || { echo "run_reader.sh: $p missing (build the project first)" >&2; exit 2; }
done
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (+ local changes)')"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rbp_reader_bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
fa=$tmp/windows.fa

"$bench" --generate "$fa" "$size_mb" >&2
records=$(grep -c '^>' "$fa")
head -n $((3 * 4096)) "$fa" >"$tmp/one_chunk.fa"

# 1. the reader alone
reader_plain=$("$bench" "$fa" 4096 101 "$runs")
echo "$reader_plain" >&2
reader_gz=""
if [ "$gz" = 1 ]; then
    gzip -1 -c "$fa" >"$fa.gz"
    reader_gz=$("$bench" "$fa.gz" 4096 101 "$runs")
    echo "$reader_gz" >&2
    rm -f "$fa.gz"
fi

# 2. rbpattn-predict: a small model (d 16, 1 layer) trained on the bundled RBP-31 sample, so
#    that 1 GiB of windows is scored in minutes on a shared VM.
"$train" --fasta tests/data/rbp31/PUM2_training_sample_0_first200.fa.gz --d-model 16 --heads 2 --layers 1 \
    --d-ff 32 --head-hidden 16 --epochs 1 --quiet --save "$tmp/model.rbp" >/dev/null
rss() { sed -n 's/.*Maximum resident set size (kbytes): *//p' "$1"; }
wall() { sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): *//p' "$1"; }
: >"$tmp/empty.fa"
/usr/bin/time -v "$predict" -m "$tmp/model.rbp" --threads "$threads" --quiet -o "$tmp/empty.tsv" \
    "$tmp/empty.fa" 2>"$tmp/empty.time"
/usr/bin/time -v "$predict" -m "$tmp/model.rbp" --threads "$threads" --quiet -o "$tmp/base.tsv" \
    "$tmp/one_chunk.fa" 2>"$tmp/base.time"
pred_cmd="rbpattn-predict -m model.rbp --threads $threads --quiet -o scores.tsv windows.fa"
/usr/bin/time -v "$predict" -m "$tmp/model.rbp" --threads "$threads" --quiet -o "$tmp/scores.tsv" "$fa" \
    2>"$tmp/big.time"
rows=$(($(wc -l <"$tmp/scores.tsv") - 1))
[ "$rows" -eq "$records" ] || { echo "run_reader.sh: $rows scores for $records records" >&2; exit 1; }
empty_kb=$(rss "$tmp/empty.time")
base_kb=$(rss "$tmp/base.time")
big_kb=$(rss "$tmp/big.time")
model_bytes=$(wc -c <"$tmp/model.rbp")
fa_bytes=$(wc -c <"$fa")

cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)
mkdir -p "$(dirname "$out")"
{
    echo "# Streaming reader: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- commit: $commit (at the start)"
    echo "- CPU: ${cpu:-unknown}, $(nproc) cores (shared VM; load average at the start: $load_start, at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
    echo "- input: $fa_bytes bytes of FASTA ($records windows of 101 nt, 60-column lines), on disk in \$TMPDIR"
    echo "- command: \`SIZE_MB=$size_mb RUNS=$runs THREADS=$threads GZ=$gz sh bench/run_reader.sh\`"
    echo
    echo "## rbp_reader (chunks of 4096 records, length 101)"
    echo
    echo "    bench_reader windows.fa 4096 101 $runs"
    echo "    $reader_plain" | sed "s|$tmp/||g"
    if [ -n "$reader_gz" ]; then
        echo
        echo "    gzip -1 windows.fa; bench_reader windows.fa.gz 4096 101 $runs"
        echo "    $reader_gz" | sed "s|$tmp/||g"
    fi
    echo
    echo "## rbpattn-predict (model d 16, 1 layer, $model_bytes bytes; chunk 4096, batch 256)"
    echo
    echo "    /usr/bin/time -v $pred_cmd"
    echo
    echo "| input | records | wall | peak RSS |"
    echo "| --- | ---: | ---: | ---: |"
    echo "| empty file (the program and the loaded model) | 0 | $(wall "$tmp/empty.time") | $((empty_kb / 1024)) MiB |"
    echo "| one chunk (the head of the file) | 4096 | $(wall "$tmp/base.time") | $((base_kb / 1024)) MiB |"
    echo "| the whole file | $records | $(wall "$tmp/big.time") | $((big_kb / 1024)) MiB |"
    echo
    echo "Peak RSS beyond the model: $(((big_kb - empty_kb) / 1024)) MiB for the whole file (target: under 64 MiB),"
    echo "$(((base_kb - empty_kb) / 1024)) MiB for one chunk: the inference workspace (batch 256) and one chunk, which is all"
    echo "that streaming holds; the whole file adds $(((big_kb - base_kb) / 1024)) MiB to that."
} >"$out"
cat "$out"
