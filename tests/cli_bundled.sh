#!/bin/sh
# The bundled models (models/rbp31/): each loads, carries the metadata the bundle promises and
# is named in bench/rbp31_names.tsv; rbpattn-info --list lists exactly them; --model NAME
# finds one from the build tree (any case) and scores like its path; a wrong name is a usage
# error saying where it looked; RBPATTN_MODEL_PATH adds directories first.
. "$(dirname "$0")/cli_common.inc"
info=$bin/rbpattn-info
src=$(cd "$data/../.." && pwd)
models=$src/models/rbp31
n=0
model1=""
for m in "$models"/*.rbp; do
    [ -e "$m" ] || fail "no bundled models in $models"
    name=$(basename "$m" .rbp)
    [ -n "$model1" ] || model1=$name
    awk -F'\t' -v n="$name" '$2 == n { found = 1 } END { exit !found }' "$src/bench/rbp31_names.tsv" ||
        fail "$name is not in bench/rbp31_names.tsv"
    size=$(wc -c <"$m")
    [ "$size" -le 204800 ] || fail "$m is $size bytes (> 200 KB)"
    run 0 "$info" --json "$m"
    for key in '"name": "'"$name"'"' '"protein": ' '"protocol": ' '"dataset": "RBP-31 ' '"split": ' \
        '"test.auc": ' '"test.auprc": ' '"test.records": 10000' '"encoding.length": 101' '"rbpattn.version": '; do
        has "$tmp/out" "$key"
    done
    n=$((n + 1))
done
# --list: one row per file, and nothing else from this tree
run 0 "$info" --list
listed=$(grep -c "$models/" "$tmp/out" || true)
[ "$listed" = "$n" ] || fail "rbpattn-info --list shows $listed of the $n models"
has "$tmp/out" "$model1	"
run 0 "$info" --list --json
has "$tmp/out" '"search_path": ['
# --model NAME, in another case, scores exactly like the path
lower=$(printf '%s' "$model1" | tr 'A-Z' 'a-z')
run 0 "$predict" --model "$lower" "$data/rbp31/PUM2_training_sample_0_first200.fa.gz"
cp "$tmp/out" "$tmp/by_name.tsv"
run 0 "$predict" --model "$models/$model1.rbp" "$data/rbp31/PUM2_training_sample_0_first200.fa.gz"
cmp "$tmp/out" "$tmp/by_name.tsv" || fail "--model $lower and its path score differently"
run 0 "$info" "$model1"
has "$tmp/out" "model: $models/$model1.rbp"
# a wrong name: usage error naming the search path
run 2 "$predict" --model NoSuchProtein "$data/rbp31/PUM2_training_sample_0_first200.fa.gz"
error_is rbpattn-predict "--model NoSuchProtein: no such file, and no bundled model named 'NoSuchProtein' (searched"
has "$tmp/err" "/models"
# RBPATTN_MODEL_PATH comes first
mkdir -p "$tmp/mine"
cp "$models/$model1.rbp" "$tmp/mine/MyModel.rbp"
run 0 env RBPATTN_MODEL_PATH="$tmp/mine" "$info" MyModel
has "$tmp/out" "model: $tmp/mine/MyModel.rbp"
run 0 env RBPATTN_MODEL_PATH="$tmp/mine" "$info" --list
has "$tmp/out" "MyModel	"
echo "cli_bundled: ok ($n models)"
