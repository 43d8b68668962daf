#!/bin/sh
# Re-score every bundled model (models/rbp31/*.rbp) on its RBP-31 test_sample_0 with
# rbpattn-eval and check the AUC against the test.auc its metadata records (|diff| <= 0.005).
# Writes one line per model and exits 1 if any differs.
#   sh bench/rescore_bundled.sh [build] [clip-dir]
set -eu
build=${1:-build}
cd "$(dirname "$0")/.."
data=${2:-${RBP31_DATA:-}}
if [ -z "$data" ]; then
    for d in ../shared ../../shared; do
        [ -d $d/data/rbp31/datasets/clip ] && { data=$d/data/rbp31/datasets/clip; break; }
    done
fi
[ -n "$data" ] && [ -d "$data" ] || { echo "rescore_bundled: no RBP-31 data (give the clip/ dir)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad=0 n=0
printf 'model\trecorded_auc\trescored_auc\tdiff\n'
for m in models/rbp31/*.rbp; do
    "$build/examples/rbpattn-info" --json "$m" >"$tmp/info.json"
    set_name=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["metadata"]["dataset"].split(" ", 1)[1])' "$tmp/info.json")
    "$build/examples/rbpattn-eval" --model "$m" --fasta "$data/$set_name/30000/test_sample_0/sequences.fa.gz" \
        --threads 1 --json "$tmp/eval.json" >/dev/null
    line=$(/usr/bin/python3 - "$tmp/info.json" "$tmp/eval.json" "$m" <<'PY'
import json, sys
rec = json.load(open(sys.argv[1]))["metadata"]["test.auc"]
ev = json.load(open(sys.argv[2]))
auc = ev["metrics"]["auc"] if "metrics" in ev else ev["auc"]
print("%s\t%.4f\t%.4f\t%+.4f" % (sys.argv[3], rec, auc, auc - rec))
PY
)
    printf '%s\n' "$line"
    n=$((n + 1))
    awk -F'\t' '{ d = $4 < 0 ? -$4 : $4; exit !(d <= 0.005) }' <<EOT || bad=$((bad + 1))
$line
EOT
done
echo "rescore_bundled: $n models, $bad outside 0.005" >&2
[ "$bad" = 0 ]
