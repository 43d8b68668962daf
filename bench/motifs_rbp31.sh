#!/bin/sh
# Motifs out of models trained on RBP-31 sets, matched against the proteins' known motifs.
#
# For PUM2 (the bundled sample data/pum2, the demo's model), QKI (set 24) and ELAVL1 (set 8,
# PAR-CLIP): sample the set as data/pum2/make_sample.sh does (3,000 + 3,000 training windows,
# 400 + 1,600 test windows), train with the demo's options (scripts/demo.sh), run
# rbpattn-motifs on the test windows with --compare tests/data/known_rbp.meme (consensus-
# derived matrices of PUM2 UGUAnAUA, QKI ACUAAY, ELAVL1 UUUUUUU and AUUUA) and print the best
# match of each protein's top motif. Logos go to docs/img/motifs_<protein>.png/.svg.
# About 3 minutes a protein on one core; run niced (the machine may be shared).
#
# Usage: sh bench/motifs_rbp31.sh [PROTEIN...]   (default: PUM2 QKI ELAVL1)
# Environment: BUILD_DIR (default build), OUT_DIR (default out/motifs), RBP31 (the RBP-31
# datasets/clip directory, default /work/shared/data/rbp31/datasets/clip), THREADS (1).
set -eu
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
out=${OUT_DIR:-out/motifs}
rbp31=${RBP31:-/work/shared/data/rbp31/datasets/clip}
threads=${THREADS:-1}
bin=$build/examples
mkdir -p "$out" docs/img

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >"$out/build.log" 2>&1
nice -n 5 cmake --build "$build" -j 1 --target rbpattn-train rbpattn-motifs >>"$out/build.log" 2>&1 ||
    { tail -n 30 "$out/build.log" >&2; exit 1; }

set_of() {
    case $1 in
        QKI) echo "$rbp31/24_PARCLIP_QKI_hg19/30000" ;;
        ELAVL1) echo "$rbp31/8_PARCLIP_ELAVL1_hg19/30000" ;;
        *) echo "motifs_rbp31.sh: unknown protein $1 (PUM2, QKI, ELAVL1)" >&2; exit 2 ;;
    esac
}

summary=$out/summary.tsv
printf 'protein\tmotif\tconsensus\tsites\tbits\tbest_match\toffset\toverlap\tcorrelation\n' >"$summary"
for p in ${*:-PUM2 QKI ELAVL1}; do
    d=$out/$p
    mkdir -p "$d"
    if [ "$p" = PUM2 ]; then
        cp data/pum2/train.fa.gz data/pum2/test.fa.gz "$d/"
    else
        sh data/pum2/make_sample.sh "$(set_of "$p")" "$d" >/dev/null
    fi
    if [ ! -s "$d/model.rbp" ]; then
        echo "== $p: training (demo options)"
        nice -n 5 "$bin/rbpattn-train" --fasta "$d/train.fa.gz" --test "$d/test.fa.gz" \
            --length 101 --truncate center --conv-kernel 9 --pooling mean \
            --d-model 32 --heads 4 --layers 1 --d-ff 64 --head-hidden 32 --dropout 0.3 \
            --epochs 30 --batch 64 --schedule constant --lr 1e-3 \
            --val-fraction 0.1 --monitor auc --patience 5 \
            --seed 1 --threads "$threads" --quiet \
            --save "$d/model.rbp" --json "$d/train.json" >"$d/train.log" 2>&1
    fi
    echo "== $p: motifs"
    nice -n 5 "$bin/rbpattn-motifs" --model "$d/model.rbp" --truncate center --quiet \
        --compare tests/data/known_rbp.meme -o "$d/motifs" "$d/test.fa.gz" | tee "$d/motifs.tsv"
    tail -n +2 "$d/motifs.tsv" | sed "s/^/$p	/" >>"$summary"
    cp "$d/motifs/logo_1.png" "docs/img/motifs_$(echo "$p" | tr 'A-Z' 'a-z').png"
    cp "$d/motifs/logo_1.svg" "docs/img/motifs_$(echo "$p" | tr 'A-Z' 'a-z').svg"
done
echo "== top motif per protein (correlation with the best known motif)"
awk -F '\t' 'NR > 1 && $2 == "motif_1" { printf "%-7s %s  %s sites  %s bits  best match %s (r = %s, offset %s)\n",
    $1, $3, $4, $5, $6, $9, $7 }' "$summary"
