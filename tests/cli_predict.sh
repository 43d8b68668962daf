#!/bin/sh
# rbpattn-predict: FASTA (wrapped, .gz), stdin, CSV with quotes, plain lines; ids; streaming in
# chunks gives the same scores as one chunk; bad input is one error line with file and line.
. "$(dirname "$0")/cli_common.inc"
rbp31=$data/rbp31/PUM2_training_sample_0_first200.fa.gz

run 0 "$train" --fasta "$rbp31" $TINY --epochs 1 --batch 32 --quiet --save "$tmp/m.rbp"

# gzip FASTA with 60-column lines: one row per record, ids = first header word without ';'.
run 0 "$predict" --model "$tmp/m.rbp" "$rbp31"
cp "$tmp/out" "$tmp/all.tsv"
[ "$(head -n 1 "$tmp/all.tsv")" = "id	score" ] || fail "no TSV header"
[ "$(wc -l <"$tmp/all.tsv")" -eq 201 ] || fail "expected 200 rows"
first_id=$(gzip -dc "$rbp31" | head -n 1 | sed 's/^> *//; s/[ ;].*//')
[ "$(sed -n 2p "$tmp/all.tsv" | cut -f 1)" = "$first_id" ] || fail "id of the first record"
awk -F '\t' 'NR > 1 && !($2 >= 0 && $2 <= 1) { exit 1 }' "$tmp/all.tsv" || fail "scores outside [0,1]"
has "$tmp/err" "scored 200 sequences"

# Chunks of 7 records, --out, stdin (gzip and plain): the same rows.
run 0 "$predict" -m "$tmp/m.rbp" --chunk 7 --batch 5 -o "$tmp/chunked.tsv" "$rbp31"
same_scores "$tmp/all.tsv" "$tmp/chunked.tsv"
"$predict" -m "$tmp/m.rbp" --quiet - <"$rbp31" >"$tmp/stdin_gz.tsv" || fail "stdin (gzip)"
cmp "$tmp/all.tsv" "$tmp/stdin_gz.tsv" || fail "stdin gzip output differs"
gzip -dc "$rbp31" | "$predict" -m "$tmp/m.rbp" --quiet --chunk 64 - >"$tmp/stdin.tsv" || fail "stdin (plain)"
same_scores "$tmp/all.tsv" "$tmp/stdin.tsv"
"$predict" -m "$tmp/m.rbp" --quiet --no-header "$rbp31" >"$tmp/nohdr.tsv"
[ "$(wc -l <"$tmp/nohdr.tsv")" -eq 200 ] || fail "--no-header"

# The same sequences as CSV (quoted fields, CRLF, an id column), as plain lines and unwrapped
# FASTA give the same scores.
gzip -dc "$rbp31" | awk '/^>/ { if (s != "") print id "\t" s; id = $2; sub(/;$/, "", id); s = ""; next }
    { s = s $0 } END { print id "\t" s }' >"$tmp/pairs.txt"
awk -F '\t' 'BEGIN { printf "name,\"sequence\"\r\n" } { printf "\"%s\",\"%s\"\r\n", $1, $2 }' "$tmp/pairs.txt" >"$tmp/seqs.csv"
run 0 "$predict" -m "$tmp/m.rbp" --id-column name "$tmp/seqs.csv"
cmp "$tmp/all.tsv" "$tmp/out" || fail "CSV scores differ"
awk -F '\t' '{ print ">" $1 " some description"; print $2 }' "$tmp/pairs.txt" >"$tmp/flat.fasta"
run 0 "$predict" -m "$tmp/m.rbp" "$tmp/flat.fasta"
cmp "$tmp/all.tsv" "$tmp/out" || fail "unwrapped FASTA scores differ"
run 0 "$predict" -m "$tmp/m.rbp" --full-header "$tmp/flat.fasta"
has "$tmp/out" "some description	"
cut -f 2 "$tmp/pairs.txt" >"$tmp/plain.txt"
run 0 "$predict" -m "$tmp/m.rbp" --format lines "$tmp/plain.txt"
cut -f 2 "$tmp/all.tsv" >"$tmp/a"; cut -f 2 "$tmp/out" >"$tmp/b"
cmp "$tmp/a" "$tmp/b" || fail "plain-line scores differ"
has "$tmp/out" "line1	"

# The reader's test files: comments, blank lines, trailing targets; ids "line<N>" as the library's.
run 0 "$predict" -m "$tmp/m.rbp" "$data/lines/sample.txt"
[ "$(cut -f 1 "$tmp/out" | tr '\n' ' ')" = "id line3 line4 line7 line8 " ] || fail "ids of sample.txt"
run 0 "$predict" -m "$tmp/m.rbp" "$data/csv/study_format.csv"
[ "$(wc -l <"$tmp/out")" -eq 13 ] || fail "study_format.csv rows"
has "$tmp/out" "line2	"
has "$tmp/out" "line13	"
run 0 "$predict" -m "$tmp/m.rbp" "$data/csv/study_format.tsv"
[ "$(wc -l <"$tmp/out")" -eq 13 ] || fail "study_format.tsv rows"

# Standard input sniffed as CSV (and CRLF); a tab inside a quoted id becomes a blank in the TSV.
"$predict" -m "$tmp/m.rbp" --quiet --id-column name - <"$tmp/seqs.csv" >"$tmp/stdin_csv.tsv" || fail "stdin (CSV)"
cmp "$tmp/all.tsv" "$tmp/stdin_csv.tsv" || fail "stdin CSV scores differ"
printf 'name,sequence\n"a\tb",ACGU\n' >"$tmp/tab.csv"
run 0 "$predict" -m "$tmp/m.rbp" --id-column name "$tmp/tab.csv"
[ "$(sed -n 2p "$tmp/out" | cut -f 1)" = "a b" ] || fail "tab inside an id"

# Sequences longer or shorter than the model, lowercase, U, N: all scored.
printf '>long\n%s\n>short\nacgu\n>n\nNNNNRYACGT\n' "$(awk 'BEGIN { for (i = 0; i < 50; i++) printf "ACGUACGU" }')" >"$tmp/odd.fa"
run 0 "$predict" -m "$tmp/m.rbp" "$tmp/odd.fa"
[ "$(wc -l <"$tmp/out")" -eq 4 ] || fail "odd lengths"
hasnt "$tmp/err" "longer than the model" # the model records its truncation
# The model was trained with --truncate right (the default): another truncation contradicts
# it, unless forced.
run 2 "$predict" -m "$tmp/m.rbp" --truncate center "$tmp/odd.fa"
error_is rbpattn-predict "--truncate center contradicts"
has "$tmp/err" "trained with --truncate right"
run 0 "$predict" -m "$tmp/m.rbp" --truncate center --force "$tmp/odd.fa"
[ "$(wc -l <"$tmp/out")" -eq 4 ] || fail "odd lengths (forced)"
has "$tmp/err" "warning: --truncate center overrides the model's encoding"

# Errors: file:line of a bad character, a missing file, a record without sequence, a
# missing column, a sequence over --max-length, an empty input.
printf '>a\nACGU\n>b\nACGU\nAC*U\n' >"$tmp/bad.fa"
run 1 "$predict" -m "$tmp/m.rbp" "$tmp/bad.fa"
error_is rbpattn-predict "bad.fa:5: unknown character '*' at position 7 of the sequence of record 'b'"
run 1 "$predict" -m "$tmp/m.rbp" "$tmp/none.fa"
error_is rbpattn-predict "none.fa: cannot open"
printf '>a\n>b\nACGU\n' >"$tmp/empty_rec.fa"
run 1 "$predict" -m "$tmp/m.rbp" "$tmp/empty_rec.fa"
error_is rbpattn-predict "empty_rec.fa:1: record 'a' has no sequence"
printf 'seq,x\nACGU,1\n' >"$tmp/nocol.csv"
run 1 "$predict" -m "$tmp/m.rbp" "$tmp/nocol.csv"
error_is rbpattn-predict "no column 'sequence'"
run 0 "$predict" -m "$tmp/m.rbp" --sequence-column seq "$tmp/nocol.csv"
run 1 "$predict" -m "$tmp/m.rbp" --max-length 50 "$tmp/odd.fa"
error_is rbpattn-predict "odd.fa:2: sequence of record 'long' is longer than the maximum record length 50 (rbp_dataset_options.max_record_length, --max-length)"
printf 'ACGU\nAC\n' | gzip -c | head -c 20 >"$tmp/trunc.txt.gz"
run 1 "$predict" -m "$tmp/m.rbp" "$tmp/trunc.txt.gz"
error_is rbpattn-predict "trunc.txt.gz"
: >"$tmp/empty.fa"
run 0 "$predict" -m "$tmp/m.rbp" "$tmp/empty.fa"
has "$tmp/err" "warning: no sequences"
run 1 "$predict" -m "$tmp/m.rbp" -o "$tmp/no/such/dir/out.tsv" "$rbp31"
error_is rbpattn-predict "cannot write '$tmp/no/such/dir/out.tsv'"
head -c 300 "$tmp/m.rbp" >"$tmp/trunc.rbp"
run 1 "$predict" -m "$tmp/trunc.rbp" "$rbp31"
error_is rbpattn-predict "trunc.rbp"
run 1 "$predict" -m "$tmp" "$rbp31"
error_is rbpattn-predict "$tmp"
echo "cli_predict: ok"
