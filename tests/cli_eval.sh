#!/bin/sh
# rbpattn-eval: metrics table (text, TSV, JSON), ROC/PR curves as PNG and SVG, per-record
# predictions equal to rbpattn-predict's scores, regression metrics.
. "$(dirname "$0")/cli_common.inc"
rbp31=$data/rbp31/PUM2_training_sample_0_first200.fa.gz
gp=$data/graphprot

run 0 "$train" --fasta "$rbp31" $TINY --epochs 2 --batch 32 --quiet --save "$tmp/m.rbp"

run 0 "$eval" --model "$tmp/m.rbp" --fasta "$rbp31" --plots "$tmp/plots/sub" --predictions "$tmp/pred.tsv" \
    --json "$tmp/eval.json"
out=$tmp/out
has "$out" "metrics (n=200, 28 positive)"
for m in AUC AUPRC accuracy "log loss"; do
    check "$(metric "$out" "$m")" ">=" 0
done
check "$(metric "$out" R-squared)" "<=" 1
for f in roc.png pr.png roc.svg pr.svg; do
    [ -s "$tmp/plots/sub/$f" ] || fail "no $f"
done
# PNG signature and SVG root element.
[ "$(head -c 8 "$tmp/plots/sub/roc.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "roc.png is not a PNG"
has "$tmp/plots/sub/pr.svg" "<svg"
has "$out" "wrote $tmp/plots/sub/roc.png"
has "$tmp/eval.json" '"auc": '
has "$tmp/eval.json" '"task": "classification"'

# '-' reads the data from standard input (gzip or plain): the same metrics.
run 0 "$eval" -m "$tmp/m.rbp" --fasta "$rbp31" --table tsv
cp "$tmp/out" "$tmp/file_metrics.tsv"
"$eval" -m "$tmp/m.rbp" --fasta - --table tsv <"$rbp31" >"$tmp/stdin_metrics.tsv" || fail "eval from stdin"
cmp "$tmp/file_metrics.tsv" "$tmp/stdin_metrics.tsv" || fail "eval from stdin differs"
gzip -dc "$rbp31" | "$eval" -m "$tmp/m.rbp" --data - --table tsv >"$tmp/stdin_metrics.tsv" || fail "eval --data -"
cmp "$tmp/file_metrics.tsv" "$tmp/stdin_metrics.tsv" || fail "eval --data - differs"

# TSV: header and one metric per line, values as numbers.
run 0 "$eval" -m "$tmp/m.rbp" --fasta "$rbp31" --table tsv
[ "$(head -n 1 "$tmp/out")" = "metric	value" ] || fail "TSV header"
has "$tmp/out" "n	200"
has "$tmp/out" "positives	28"
auc_tsv=$(awk -F '\t' '$1 == "auc" { print $2 }' "$tmp/out")
check "$auc_tsv" ">=" 0

# The scores of eval --predictions are those of rbpattn-predict.
run 0 "$predict" -m "$tmp/m.rbp" "$rbp31"
cut -f 1,3 "$tmp/pred.tsv" >"$tmp/a"
same_scores "$tmp/a" "$tmp/out"

# Regression (RNAcompete): R-squared etc.; curves need a binarising threshold.
run 0 "$train" --fasta "$gp/test_data_full_A.train.fa" --affys "$gp/test_data_full_A.train.affys" \
    $TINY --epochs 1 --batch 10 --quiet --save "$tmp/rc.rbp"
run 0 "$eval" -m "$tmp/rc.rbp" --fasta "$gp/test_data_full_A.test.fa" --affys "$gp/test_data_full_A.test.affys"
has "$tmp/out" "regression"
has "$tmp/out" "Spearman"
hasnt "$tmp/out" "AUC"
run 2 "$eval" -m "$tmp/rc.rbp" --fasta "$gp/test_data_full_A.test.fa" --affys "$gp/test_data_full_A.test.affys" \
    --plots "$tmp/rp"
error_is rbpattn-eval "--binarize-threshold"
run 0 "$eval" -m "$tmp/rc.rbp" --fasta "$gp/test_data_full_A.test.fa" --affys "$gp/test_data_full_A.test.affys" \
    --binarize-threshold 0.5 --plots "$tmp/rp"
has "$tmp/out" "AUC"
[ -s "$tmp/rp/roc.png" ] || fail "regression ROC"

# A classifier on data whose targets are not labels, and a file with one class only.
run 1 "$eval" -m "$tmp/m.rbp" --fasta "$gp/test_data_full_A.test.fa" --affys "$gp/test_data_full_A.test.affys"
error_is rbpattn-eval "classifier"
gzip -dc "$rbp31" | awk '/^>/ { keep = /class:0/ } keep' >"$tmp/neg.fa"
run 0 "$eval" -m "$tmp/m.rbp" --fasta "$tmp/neg.fa"
[ "$(metric "$tmp/out" AUC)" = "n/a" ] || fail "AUC of one class should be n/a"
run 1 "$eval" -m "$tmp/m.rbp" --fasta "$tmp/neg.fa" --plots "$tmp/np"
error_is rbpattn-eval "only negatives"
echo "cli_eval: ok"
