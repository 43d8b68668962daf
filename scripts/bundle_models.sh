#!/bin/sh
# Copy the models of an RBP-31 benchmark run into models/rbp31/ under their bundled names
# (bench/rbp31_names.tsv), refuse any that is larger than 200 KB or lacks a metadata key the
# bundle promises, and write models/rbp31/README.md (the table). LOGDIR holds either the
# ensembles of bench/rbp31_ensemble.sh (<set>.ens.rbp, taken when there are any) or the seed-1
# models of bench/rbp31.sh --save-models (<set>.s1.rbp). LABEL is how the README names the
# run's records (default LOGDIR; give a path relative to the repository).
#   sh scripts/bundle_models.sh bench/results/logs/rbp31-2026-12-01-full-baseline [BUILD [LABEL]]
set -eu
logs=${1:?usage: sh scripts/bundle_models.sh LOGDIR [BUILD [LABEL]]}
build=${2:-build}
label=${3:-$1}
cd "$(dirname "$0")/.."
info=$build/examples/rbpattn-info
[ -x "$info" ] || { echo "bundle_models: no $info (build first)" >&2; exit 1; }
out=models/rbp31
mkdir -p "$out"
n=0
suffix=.s1.rbp
for m in "$logs"/*.ens.rbp; do [ -e "$m" ] && suffix=.ens.rbp; break; done
for m in "$logs"/*$suffix; do
    [ -e "$m" ] || continue
    set_name=$(basename "$m" $suffix)
    name=$(awk -F'\t' -v s="$set_name" '$1 == s { print $2 }' bench/rbp31_names.tsv)
    [ -n "$name" ] || { echo "bundle_models: $set_name is not in bench/rbp31_names.tsv" >&2; exit 1; }
    size=$(wc -c <"$m")
    [ "$size" -le 204800 ] || { echo "bundle_models: $m is $size bytes (> 200 KB)" >&2; exit 1; }
    "$info" --json "$m" >"$out/.info.json"
    /usr/bin/python3 - "$out/.info.json" "$name" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["metadata"]
need = ["name", "protein", "protocol", "dataset", "split", "test.auc", "test.auprc", "test.records",
        "rbpattn.version", "encoding.length", "train.records", "created"]
missing = [k for k in need if k not in d]
if missing or d["name"] != sys.argv[2]:
    sys.exit("bundle_models: %s lacks %s" % (sys.argv[2], ", ".join(missing) or "its name"))
PY
    cp "$m" "$out/$name.rbp.tmp" && mv "$out/$name.rbp.tmp" "$out/$name.rbp"
    n=$((n + 1))
done
rm -f "$out/.info.json"
echo "bundle_models: $n models in $out/"
# the table, from the models themselves
RBPATTN_MODEL_PATH=$out "$info" --list --json >"$out/.list.json"
/usr/bin/python3 - "$out/.list.json" "$label" "$suffix" >"$out/README.md.tmp" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ens = sys.argv[3] == ".ens.rbp"
rows = [m for m in d["models"] if m["path"].startswith("models/rbp31/")]
def num(m):
    s = m.get("dataset", "").split(" ", 1)[-1]
    return int(s.split("_")[0]) if s.split("_")[0].isdigit() else 99
rows.sort(key=num)
print("# Bundled RBP-31 models\n")
if ens:
    print("One model per RBP-31 set: the default preset's ensemble of 2 seeds. Each member was trained")
    print("by `bench/rbp31.sh --all --save-models` (seeds 1 and 2) with rbpattn-train's default preset")
    print("(conv stem 9, d_model 32, 1 layer, mean pooling, weight average 0.999; see `rbpattn-train")
    print("--help`) on `training_sample_0` of the 30000 split (10% held out for early stopping, a")
    print("different 10% per seed); `bench/rbp31_ensemble.sh` combined them and scored the ensemble on")
    print("`test_sample_0`; records: `%s/`." % sys.argv[2])
else:
    print("One model per RBP-31 set, trained by `bench/rbp31.sh --all --save-models` with")
    print("rbpattn-train's default preset (conv stem 9, d_model 32, 1 layer, mean pooling; see")
    print("`rbpattn-train --help`) on `training_sample_0` of the 30000 split (10% held out for early")
    print("stopping) and tested on `test_sample_0`; run logs: `%s/`." % sys.argv[2])
print("Use them by name: `rbpattn-predict --model PUM2 seqs.fa`, `rbpattn-info --list`.\n")
if len(rows) < 31:
    print("This bundle holds %d of the 31 sets; the others are still to be trained (the same run," % len(rows))
    print("resumed with `bench/rbp31.sh --all --save-models --skip-done --logs %s`).\n" % sys.argv[2])
print("| name | protein | protocol | RBP-31 set | test AUC |")
print("|---|---|---|---|---|")
for m in rows:
    print("| %s | %s | %s | %s | %.4f |" % (m["name"], m.get("protein", "-"), m.get("protocol", "-"),
                                          m.get("dataset", "-").replace("RBP-31 ", ""), m.get("test.auc", float("nan"))))
print("\n## Provenance and license\n")
print("The training and test sequences are the RBP-31 CLIP benchmark of iONMF (Stražar et al.,")
print("Bioinformatics 2016, from the CLIP studies it cites), as distributed with iDeepS")
print("(xypan1232/iDeepS). The files hold only weights fitted to those data by rbpattn (no")
print("sequences) and the metadata of the run; the weights are released under the project's MIT")
print("license (LICENSE). Cite the data's source and rbpattn (CITATION.cff) when you use them.")
PY
mv "$out/README.md.tmp" "$out/README.md"
rm -f "$out/.list.json"
echo "bundle_models: wrote $out/README.md"
