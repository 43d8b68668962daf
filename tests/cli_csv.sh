#!/bin/sh
# The seed study's workflow: a CSV with the study's columns (sequence, structure, MFE, K, KA,
# RKA, Qc, sevenMer), regression on RKA with a 66/34 split, R-squared, AUC and accuracy
# printed. The CSV is written here: 300 random 24-nt sequences whose RKA grows with their G
# content (plus noise), a signal a tiny model learns in a few epochs.
. "$(dirname "$0")/cli_common.inc"

awk 'BEGIN {
    x = 12345
    print "sequence,structure,MFE,K,KA,RKA,Qc,sevenMer"
    for (r = 0; r < 300; r++) {
        s = ""; g = 0
        for (i = 0; i < 24; i++) {
            x = (x * 16807) % 2147483647      # Park-Miller: exact in doubles, same in every awk
            c = substr("ACGU", x % 4 + 1, 1)
            if (c == "G") g++
            s = s c
        }
        x = (x * 16807) % 2147483647
        noise = (x % 1000) / 1000.0 - 0.5
        rka = (g - 6) / 2.0 + 0.3 * noise
        printf "%s,........((((....))))....,%.2f,%.4f,%.3f,%.4f,%.3f,%s\n", s, -g / 2.0, 0.5, 1.0, rka, 0.4, substr(s, 1, 7)
    }
}' >"$tmp/study.csv"

# The command of the issue, with a tiny model and few epochs.
run 0 "$train" --csv "$tmp/study.csv" --sequence-column sequence --target-column RKA --split 0.66 \
    --epochs 12 --batch 16 $TINY --schedule constant --lr 5e-3 --dropout 0 --binarize-threshold 0 \
    --save "$tmp/rka.rbp" --json "$tmp/rka.json"
out=$tmp/out
has "$out" "regression"
has "$out" "test (n=102"
r2=$(metric "$out" R-squared)
auc=$(metric "$out" AUC)
acc=$(metric "$out" accuracy)
pearson=$(metric "$out" Pearson)
echo "seed workflow: R-squared $r2, AUC $auc, accuracy $acc, Pearson $pearson"
check "$r2" ">" 0.3
check "$auc" ">" 0.8
check "$acc" ">" 0.6
check "$pearson" ">" 0.6
has "$tmp/rka.json" '"r2": '
has "$tmp/rka.json" '"threshold": 0'

# The same with the structure column as a second input channel.
run 0 "$train" --csv "$tmp/study.csv" --target-column RKA --structure-column structure $TINY \
    --epochs 2 --batch 32 --save "$tmp/struct.rbp"
has "$tmp/out" "structure"

# The model predicts on new CSV rows (streamed), ids from a column; with structure too, also in
# small chunks and from standard input (the same scores).
printf 'name,sequence\nrich,GGGGGGGGGGGGGGGGGGGGGGGG\npoor,AAAAUUUUCCCCAAAAUUUUCCCC\n' >"$tmp/new.csv"
run 0 "$predict" --model "$tmp/rka.rbp" --id-column name "$tmp/new.csv"
has "$tmp/out" "id	score"
rich=$(awk -F '\t' '$1 == "rich" { print $2 }' "$tmp/out")
poor=$(awk -F '\t' '$1 == "poor" { print $2 }' "$tmp/out")
check "$rich" ">" "$poor"
# The model recorded its structure column: a file without it is a clear error, a file with it
# needs no option.
run 1 "$predict" --model "$tmp/struct.rbp" "$tmp/new.csv"
error_is rbpattn-predict "no column 'structure'"
run 0 "$predict" --model "$tmp/struct.rbp" "$tmp/study.csv"
cp "$tmp/out" "$tmp/struct_scores.tsv"
run 0 "$predict" --model "$tmp/struct.rbp" --structure-column structure "$tmp/study.csv"
[ "$(wc -l <"$tmp/out")" -eq 301 ] || fail "expected 300 predictions"
has "$tmp/out" "line2	"
cp "$tmp/out" "$tmp/struct_all.tsv"
"$predict" --model "$tmp/struct.rbp" --structure-column structure --chunk 7 --quiet - <"$tmp/study.csv" \
    >"$tmp/struct_stdin.tsv" || fail "structure model from stdin"
same_scores "$tmp/struct_all.tsv" "$tmp/struct_stdin.tsv"
cmp "$tmp/out" "$tmp/struct_scores.tsv" || fail "scores differ with the recorded structure column"
echo "cli_csv: ok"
