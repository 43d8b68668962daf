#!/bin/bash
# Seed ensembles on RBP-31: for every set with models of two or more seeds in the given log
# directories (bench/rbp31.sh --save-models --seeds ...), combine them with rbpattn-ensemble,
# score the ensemble on the set's test_sample_0 and write a table of single-model AUCs (each
# seed, their mean and sd) against the ensemble's.
#
#   bench/rbp31_ensemble.sh [--build DIR] [--out FILE] [--sets N,N,...] LOGDIR [LOGDIR...]
#
# The ensembles and their JSON go to <out>.d/ (<set>.ens.rbp, <set>.ens.json); the single runs'
# AUCs come from the JSON beside each model (<set>.s<seed>.json). Default --out:
# bench/results/rbp31-<date>-ensemble.md (never overwritten: -2, -3 ... is appended).
set -euo pipefail
build=build out="" sets=""
while [ $# -gt 0 ]; do
    case $1 in
        --build) build=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --sets) sets=$2; shift 2 ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "rbp31_ensemble.sh: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
[ $# -ge 1 ] || { echo "rbp31_ensemble.sh: give the log directories" >&2; exit 2; }
dirs=("$@")
ens=$build/examples/rbpattn-ensemble
[ -x "$ens" ] || { echo "rbp31_ensemble.sh: no $ens (build first)" >&2; exit 2; }
data=${RBP31_DATA:-}
for d in ../shared/data/rbp31/datasets/clip ../../shared/data/rbp31/datasets/clip; do
    [ -n "$data" ] || { [ -d "$d" ] && data=$d; }
done
[ -d "$data" ] || { echo "rbp31_ensemble.sh: no RBP-31 data (set RBP31_DATA)" >&2; exit 2; }
if [ -z "$out" ]; then
    out=bench/results/rbp31-$(date -u +%F)-ensemble.md
    k=2
    while [ -e "$out" ]; do out=bench/results/rbp31-$(date -u +%F)-ensemble-$k.md; k=$((k + 1)); done
fi
[ ! -e "$out" ] || { echo "rbp31_ensemble.sh: $out exists" >&2; exit 2; }
work=${out%.md}.d
mkdir -p "$work"

# set name -> its models, over all the log directories
declare -A members
for dir in "${dirs[@]}"; do
    for m in "$dir"/*.s[0-9]*.rbp; do
        [ -e "$m" ] || continue
        s=$(basename "$m"); s=${s%.s[0-9]*.rbp}
        if [ -n "$sets" ] && ! [[ ",$sets," == *",${s%%_*},"* ]]; then continue; fi
        members[$s]="${members[$s]:-} $m"
    done
done
t0=$(date +%s)
for s in $(printf '%s\n' "${!members[@]}" | sort -n); do
    read -r -a ms <<< "${members[$s]}"
    [ ${#ms[@]} -ge 2 ] || continue
    [ -e "$work/$s.ens.json" ] && continue
    nice -n 5 "$ens" -o "$work/$s.ens.rbp" --fasta "$data/$s/30000/test_sample_0/sequences.fa.gz" --quiet \
        --json "$work/$s.ens.json" "${ms[@]}" > /dev/null
    echo "  $s: ${#ms[@]} members, $(grep -o '"auc": [0-9.]*' "$work/$s.ens.json" | head -1)"
done
{
    echo "# RBP-31 seed ensembles ($(date -u '+%F %H:%M') UTC)"
    echo
    echo "- Command: \`bench/rbp31_ensemble.sh --build $build${sets:+ --sets $sets} ${dirs[*]}\` ($(($(date +%s) - t0)) s)"
    echo "- Members: the models of each set in those log directories (one per seed); the ensemble"
    echo "  predicts the mean of their logits (\`rbpattn-ensemble\`), scored on test_sample_0."
    echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    echo
    /usr/bin/python3 "$(dirname "$0")/rbp31_report.py" ensembles --published "$data/../../published_auc.tsv" \
        --work "$work" "${dirs[@]}"
} > "$out"
echo "wrote $out"
