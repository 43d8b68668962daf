#!/bin/sh
# Two builds of bench_train side by side on the RBP-31 default model (conv stem 9, d 32, 4 heads,
# 1 layer, d_ff 64, mean pooling, dropout 0.3) at L = 101, 201, 375, 751 on one thread,
# alternating the builds `reps` times; prints a Markdown table of the medians (training and
# inference seq/s, peak RSS) and the new/old ratios. Used for the fused attention of issue 12:
#   sh bench/attn_compare.sh OLD_BUILD_DIR NEW_BUILD_DIR [reps=3] [lengths="101 201 375 751"]
# Environment: RBP_CMP_NICE (5) niceness, RBP_CMP_EPOCHS (2) timed epochs.
set -eu
old=$1 new=$2 reps=${3:-3} lengths=${4:-101 201 375 751}
niceness=${RBP_CMP_NICE:-5}
epochs=${RBP_CMP_EPOCHS:-2}
S="-d 32 --heads 4 --layers 1 --d-ff 64 --head-hidden 32 --conv-kernel 9 --pooling mean --dropout 0.3"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# field NAME FILE: the values of one JSON field, one per line
field() { sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p" "$2"; }
median() { sort -n | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "| L | sequences/epoch | old train seq/s | new train seq/s | train ratio | old infer seq/s | new infer seq/s | infer ratio | old / new peak RSS MiB, training | old / new peak RSS MiB, whole run |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for L in $lengths; do
    n=1024
    [ "$L" -lt 375 ] || n=640
    i=0
    while [ "$i" -lt "$reps" ]; do
        for b in old new; do
            dir=$old
            [ "$b" = new ] && dir=$new
            # shellcheck disable=SC2086
            OPENBLAS_NUM_THREADS=1 nice -n "$niceness" "$dir/bench/bench_train" -L "$L" $S --threads 1 \
                --n-train "$n" --n-test 512 --epochs "$epochs" --infer-reps 1 >> "$tmp/$b-$L.jsonl" 2>/dev/null
        done
        i=$((i + 1))
    done
    ot=$(field train_seq_per_s "$tmp/old-$L.jsonl" | median)
    nt=$(field train_seq_per_s "$tmp/new-$L.jsonl" | median)
    oi=$(field infer_seq_per_s "$tmp/old-$L.jsonl" | median)
    ni=$(field infer_seq_per_s "$tmp/new-$L.jsonl" | median)
    otr=$(field train_peak_rss_mib "$tmp/old-$L.jsonl" | median)
    ntr=$(field train_peak_rss_mib "$tmp/new-$L.jsonl" | median)
    orss=$(field peak_rss_mib "$tmp/old-$L.jsonl" | median)
    nrss=$(field peak_rss_mib "$tmp/new-$L.jsonl" | median)
    echo "| $L | $n | $ot | $nt | $(echo "$nt $ot" | awk '{printf "%.2fx", $1 / $2}') | $oi | $ni |" \
        "$(echo "$ni $oi" | awk '{printf "%.2fx", $1 / $2}') | $otr / $ntr | $orss / $nrss |"
done
