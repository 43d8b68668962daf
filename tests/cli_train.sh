#!/bin/sh
# rbpattn-train end to end on each input format of the reader (tiny models, few epochs):
# per-epoch lines, the test metrics of the task, the saved model, the JSON summary,
# validation / early stopping, and --quiet.
. "$(dirname "$0")/cli_common.inc"
rbp31=$data/rbp31/PUM2_training_sample_0_first200.fa.gz
gp=$data/graphprot

# RBP-31 FASTA (.gz), the study's 66/34 split, validation set, JSON summary, predictions.
run 0 "$train" --fasta "$rbp31" $TINY --epochs 3 --batch 16 --schedule constant --lr 3e-3 \
    --val-fraction 0.2 --split 0.66 --seed 7 --save "$tmp/m.rbp" --json "$tmp/run.json" \
    --predictions "$tmp/pred.tsv"
out=$tmp/out
has "$out" "classification"
has "$out" "epoch  1/3  loss "
has "$out" "epoch  3/3  loss "
has "$out" "val AUC "
has "$out" "test (n="
for m in AUC AUPRC accuracy "log loss"; do
    v=$(metric "$out" "$m")
    check "$v" ">=" 0
done
check "$(metric "$out" R-squared)" "<=" 1
check "$(metric "$out" AUC)" "<=" 1
check "$(metric "$out" accuracy)" "<=" 1
hasnt "$out" "Pearson"
has "$out" "saved model to $tmp/m.rbp"
[ -s "$tmp/m.rbp" ] || fail "no model file"
# 200 records: test = 34% of each class = 58 negatives + 10 positives (stratified, rounded).
has "$out" "test (n=68, 10 positive)"
# JSON summary: configuration, per-epoch metrics, test metrics, timings.
for key in '"program": "rbpattn-train"' '"task": "classification"' '"d_model": 8' '"epochs": [' \
    '"val_auc": ' '"test": {' '"auc": ' '"auprc": ' '"accuracy": ' '"log_loss": ' '"timings": {' \
    '"train_s": ' '"stopped": "completed"' '"test": 68'; do
    has "$tmp/run.json" "$key"
done
[ "$(grep -c '"train_loss"' "$tmp/run.json")" -eq 3 ] || fail "expected 3 epochs in the JSON"
# Predictions: header + one row per test record.
has "$tmp/pred.tsv" "id	target	score"
[ "$(wc -l <"$tmp/pred.tsv")" -eq 69 ] || fail "expected 68 prediction rows"
awk -F '\t' 'NR > 1 && !($3 >= 0 && $3 <= 1) { exit 1 }' "$tmp/pred.tsv" || fail "scores outside [0,1]"
if command -v python3 >/dev/null 2>&1; then
    python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$tmp/run.json" || fail "invalid JSON"
fi

# --quiet: only the metrics table.
run 0 "$train" --fasta "$rbp31" $TINY --epochs 1 --batch 32 --quiet
hasnt "$tmp/out" "epoch"
has "$tmp/out" "test (n="
[ ! -s "$tmp/err" ] || fail "--quiet wrote to stderr"

# Progress in a log (stderr not a terminal): exactly one plain line per epoch, no partial-epoch
# lines, no carriage returns or terminal escapes; with stderr where stdout goes (2>&1), none
# (stdout has each epoch's line).
run 0 "$train" --fasta "$rbp31" $TINY --epochs 3 --batch 8
[ "$(wc -l <"$tmp/err")" -eq 3 ] || { cat "$tmp/err" >&2; fail "expected 3 progress lines in the log"; }
for e in 1 2 3; do
    [ "$(grep -c "^epoch $e/3: 17/17 " "$tmp/err")" -eq 1 ] || { cat "$tmp/err" >&2; fail "no single line for epoch $e"; }
done
if tr -d '\n' <"$tmp/err" | grep -q "$(printf '[\r\033]')"; then fail "carriage return or escape in the log"; fi
"$train" --fasta "$rbp31" $TINY --epochs 2 --batch 8 >"$tmp/both" 2>&1 || fail "train 2>&1"
[ "$(grep -c '^epoch' "$tmp/both")" -eq 2 ] || { cat "$tmp/both" >&2; fail "expected one line per epoch with 2>&1"; }

# '-' reads the training data from standard input: the same model as from the file.
run 0 "$train" --fasta "$rbp31" $TINY --epochs 1 --batch 32 --quiet --save "$tmp/from_file.rbp"
"$train" --fasta - $TINY --epochs 1 --batch 32 --quiet --save "$tmp/from_stdin.rbp" <"$rbp31" >/dev/null ||
    fail "train from stdin"
# (the files differ only in their metadata: training file name, command line, time)
"$predict" -m "$tmp/from_file.rbp" --quiet "$rbp31" >"$tmp/from_file.tsv" || fail "predict (file model)"
"$predict" -m "$tmp/from_stdin.rbp" --quiet "$rbp31" >"$tmp/from_stdin.tsv" || fail "predict (stdin model)"
cmp "$tmp/from_file.tsv" "$tmp/from_stdin.tsv" || fail "model trained from stdin scores differently"

# GraphProt pairs with separate test files, viewpoint, centred truncation, auto pos-weight.
run 0 "$train" --pos "$gp/testclip.train.positives.fa" --neg "$gp/testclip.train.negatives.fa" \
    --test-pos "$gp/testclip.test.positives.fa" --test-neg "$gp/testclip.test.negatives.fa" \
    --length 60 --truncate center --viewpoint $TINY --epochs 2 --batch 16 --pos-weight auto \
    --save "$tmp/gp.rbp"
has "$tmp/out" "GraphProt"
has "$tmp/out" "viewpoint"
has "$tmp/out" "length 60"
has "$tmp/out" "test (n=100, 50 positive)"
hasnt "$tmp/out" "read whole"

# The default preset reads viewpoint records (lowercase context around an UPPERCASE site)
# whole, with a pooling stem of 8; --length or --stem-pool opt out.
gpargs="--pos $gp/testclip.train.positives.fa --neg $gp/testclip.train.negatives.fa
    --test-pos $gp/testclip.test.positives.fa --test-neg $gp/testclip.test.negatives.fa --epochs 1 --members 1"
run 0 "$train" $gpargs --save "$tmp/whole.rbp" --json "$tmp/whole.json"
has "$tmp/out" "records mark a viewpoint in a longer context: read whole (length 374) with a pooling stem of 8"
has "$tmp/out" "length 374"
has "$tmp/out" "conv stem 9 pool 8, "
has "$tmp/whole.json" '"stem_pool": 8'
has "$tmp/whole.json" '"length": 374'
run 0 "$bin/rbpattn-info" "$tmp/whole.rbp"
has "$tmp/out" "conv stem 9, max pooling over 8 positions"
has "$tmp/out" "length 374"
run 0 "$train" $gpargs --stem-pool 0
hasnt "$tmp/out" "read whole"
has "$tmp/out" "length 101"
hasnt "$tmp/out" " pool "
run 0 "$train" $gpargs --length 200
hasnt "$tmp/out" "read whole"
has "$tmp/out" "length 200"
hasnt "$tmp/out" " pool "
# A pooling stem needs a convolutional stem, and its size is bounded.
run 2 "$train" $gpargs --conv-kernel 0 --stem-pool 4
has "$tmp/err" "stem_pool (--stem-pool) needs a convolutional stem"
run 2 "$train" $gpargs --stem-pool 17
has "$tmp/err" "--stem-pool"

# RNAcompete (FASTA + .affys): regression, R-squared / Pearson / Spearman / MSE; with a
# binarising threshold also AUC and accuracy.
run 0 "$train" --fasta "$gp/test_data_full_A.train.fa" --affys "$gp/test_data_full_A.train.affys" \
    --test "$gp/test_data_full_A.test.fa" --test-affys "$gp/test_data_full_A.test.affys" \
    $TINY --epochs 2 --batch 10 --binarize-threshold 0.5 --save "$tmp/rc.rbp"
has "$tmp/out" "regression"
for m in R-squared Pearson Spearman MSE AUC accuracy; do
    v=$(metric "$tmp/out" "$m")
    [ -n "$v" ] || fail "no $m"
done
hasnt "$tmp/out" "log loss"
run 0 "$train" --fasta "$gp/test_data_full_A.train.fa" --affys "$gp/test_data_full_A.train.affys" \
    $TINY --epochs 1 --batch 10
hasnt "$tmp/out" "AUC"
has "$tmp/out" "R-squared"

# Plain lines, generic --train with --format.
run 0 "$train" --train "$data/lines/sample.txt" --format lines $TINY --epochs 1 --split 0.5 --no-stratify
has "$tmp/out" "regression"

# Early stopping: patience 1 with a learning rate of ~0 cannot improve after epoch 1.
run 0 "$train" --fasta "$rbp31" $TINY --epochs 6 --batch 32 --val-fraction 0.3 --patience 1 \
    --schedule constant --lr 1e-12 --json "$tmp/es.json"
has "$tmp/out" "early stopping after epoch"
has "$tmp/es.json" '"stopped": "early_stopping"'

# Presets. No model or training option: the "default" preset, the RBP-31 benchmark's model
# (conv stem 9, d_model 32, 1 layer, mean pooling, constant 1e-3, early stopping on the
# validation AUC of a 10% split, length 101 centred), an ensemble of 2 seeds trained at once
# on min(2, cores) threads - the same models on any machine: --threads 1 trains them in turn.
run 0 "$train" --fasta "$rbp31" --epochs 2 --json "$tmp/def.json" --save "$tmp/def.rbp" --predictions "$tmp/def.tsv"
has "$tmp/out" "model: conv stem 9, d_model 32, 4 heads, 1 layer, d_ff 64, head 32, mean pooling"
has "$tmp/out" "constant schedule (lr 0.001, warmup 0), weight average 0.999, seeds 1-2, 2 members"
has "$tmp/out" "1 thread each"
has "$tmp/out" "test (ensemble)"
run 0 "$train" --fasta "$rbp31" --epochs 2 --threads 1 --predictions "$tmp/def1.tsv"
has "$tmp/out" "seeds 1-2, 2 members in turn, 1 thread each"
cmp -s "$tmp/def.tsv" "$tmp/def1.tsv" || fail "the default ensemble depends on the thread count"
if command -v /usr/bin/python3 >/dev/null 2>&1; then
    /usr/bin/python3 - "$tmp/def.json" <<'PY' || fail "default preset JSON"
import json, sys
d = json.load(open(sys.argv[1]))
m, t = d["model"], d["training"]
assert d["preset"] == "default", d["preset"]
assert (m["conv_kernel"], m["d_model"], m["layers"], m["pooling"], m["dropout"]) == (9, 32, 1, "mean", 0.3), m
assert (t["schedule"], t["lr"], t["warmup"], t["patience"], t["monitor"], t["ema"]) == ("constant", 0.001, 0, 5, "auc", 0.999), t
assert (d["data"]["val_fraction"], d["data"]["length"]) == (0.1, 101), d["data"]
assert (t["members"], t["member_threads"], len(d["member_runs"])) == (2, 1, 2), t
PY
fi
run 0 "$bin/rbpattn-info" "$tmp/def.rbp"
grep -q "^  train.preset  *default$" "$tmp/out" || fail "no train.preset in rbpattn-info"
has "$tmp/out" "ensemble of 2 members x"
# --preset study: the study's transformer (flatten, 2 layers of d 64, warmup 4000, no split)
run 0 "$train" --fasta "$rbp31" --preset study --epochs 1 --threads 1 --json "$tmp/study.json"
has "$tmp/out" "model: d_model 64, 4 heads, 2 layers, d_ff 256, head 64, flatten pooling"
has "$tmp/study.json" '"warmup": 4000'
has "$tmp/study.json" '"val_fraction": 0,'
has "$tmp/study.json" '"members": 1,'
# later options change a preset; --preset=NAME works too
run 0 "$train" --fasta "$rbp31" --preset=tiny --conv-kernel 5 --stem-filters 24 --epochs 1 --threads 1 --quiet \
    --json "$tmp/tiny.json"
has "$tmp/tiny.json" '"stem_filters": 24'
has "$tmp/tiny.json" '"d_model": 16'
run 2 "$train" --fasta "$rbp31" --preset huge
error_is rbpattn-train "option '--preset': rbp_preset_apply: unknown preset 'huge', expected one of: default, study, small, tiny"
run 0 "$train" --help
has "$tmp/out" "Presets (--preset NAME; later options change them):"
has "$tmp/out" "  study    the COMSW 4762 study's transformer"
# a regression under the default preset monitors the validation loss; --monitor auc is refused
run 0 "$train" --fasta "$gp/test_data_full_A.train.fa" --affys "$gp/test_data_full_A.train.affys" --epochs 1 \
    --threads 1 --quiet --json "$tmp/reg.json"
has "$tmp/reg.json" '"monitor": "loss"'
run 2 "$train" --fasta "$gp/test_data_full_A.train.fa" --affys "$gp/test_data_full_A.train.affys" --monitor auc
error_is rbpattn-train "--monitor auc needs a classification task"
# Adam has no decoupled weight decay: asking for one is a usage error, not silently ignored
run 2 "$train" --fasta "$rbp31" --weight-decay 0.1
error_is rbpattn-train "--weight-decay applies to --optimizer adamw"
# --ema: validation and the saved model use the weight average (recorded in the JSON)
run 0 "$train" --fasta "$rbp31" $TINY --epochs 2 --batch 16 --val-fraction 0.2 --ema 0.99 --quiet \
    --json "$tmp/ema.json" --save "$tmp/ema.rbp"
has "$tmp/ema.json" '"ema": 0.99'
[ -s "$tmp/ema.rbp" ] || fail "no model file with --ema"
run 2 "$train" --fasta "$rbp31" --ema 1
error_is rbpattn-train "--ema"
# the wide stem needs a stem
run 2 "$train" --fasta "$rbp31" --conv-kernel 0 --stem-filters 64
error_is rbpattn-train "stem_filters (--stem-filters) needs a convolutional stem"
echo "cli_train: ok"
