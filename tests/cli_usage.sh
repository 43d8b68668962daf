#!/bin/sh
# The programs' command lines: --help, --version, and one clear error line with the right exit
# code (2 = usage, 1 = runtime) for bad options, bad values, missing and malformed files.
. "$(dirname "$0")/cli_common.inc"

for p in train predict eval; do
    prog=rbpattn-$p
    run 0 "$bin/$prog" --help
    has "$tmp/out" "Usage: $prog"
    has "$tmp/out" "Examples:"
    has "$tmp/out" "Exit status"
    run 0 "$bin/$prog" -h
    has "$tmp/out" "Usage: $prog"
    run 0 "$bin/$prog" --version
    has "$tmp/out" "$prog (rbpattn) "

    run 2 "$bin/$prog" --no-such-option
    error_is "$prog" "unknown option '--no-such-option'"
    run 2 "$bin/$prog" --no-such-option=3
    error_is "$prog" "unknown option '--no-such-option'"
    run 2 "$bin/$prog" -Z
    error_is "$prog" "unknown option '-Z'"
    run 2 "$bin/$prog" --threads
    error_is "$prog" "option '--threads' needs a value"
    run 2 "$bin/$prog" --threads abc
    error_is "$prog" "option '--threads': expected an integer, got 'abc'"
    run 2 "$bin/$prog" --threads 0
    error_is "$prog" "option '--threads': 0 is out of range"
    run 2 "$bin/$prog" --threads --quiet
    error_is "$prog" "option '--threads' needs a value"
    run 2 "$bin/$prog" --quiet=1
    error_is "$prog" "option '--quiet' takes no value"
done

# train: inputs and values
run 2 "$train"
error_is rbpattn-train "no input"
run 2 "$train" --fasta a.fa --csv b.csv
error_is rbpattn-train "give only one input"
run 2 "$train" --pos a.fa
error_is rbpattn-train "needs both --pos and --neg"
run 2 "$train" --fasta a.fa --optimizer sgd
error_is rbpattn-train "option '--optimizer': expected one of adam|adamw, got 'sgd'"
run 2 "$train" --fasta a.fa --split 1.5
error_is rbpattn-train "option '--split': 1.5 is out of range"
run 2 "$train" --fasta a.fa --pos-weight -1
error_is rbpattn-train "option '--pos-weight': expected a positive number or 'auto', got '-1'"
run 2 "$train" --fasta a.fa --val-fraction 0 --patience 3
error_is rbpattn-train "--patience needs a validation set"
run 2 "$train" --fasta a.fa --test b.fa --split 0.5
error_is rbpattn-train "--split and --test exclude each other"
run 2 "$train" --fasta a.fa extra
error_is rbpattn-train "unexpected argument 'extra'"

# train: runtime failures name the file (and line)
run 1 "$train" --fasta "$tmp/missing.fa"
error_is rbpattn-train "missing.fa"
printf '>s1 class:1\nACGU\n>s2 class:0\nACXU\n' >"$tmp/bad.fa"
run 1 "$train" --fasta "$tmp/bad.fa"
error_is rbpattn-train "bad.fa:4"
printf 'sequence,RKA\nACGU,1\nACGU\n' >"$tmp/bad.csv"
run 1 "$train" --csv "$tmp/bad.csv"
error_is rbpattn-train "bad.csv:3"
printf 'sequence,RKA\nACGU,1\n' >"$tmp/nocol.csv"
run 1 "$train" --csv "$tmp/nocol.csv" --target-column KA
error_is rbpattn-train "KA"
run 2 "$train" --lines "$data/lines/sample.txt" --preset study --d-model 10 --heads 4
error_is rbpattn-train "invalid model configuration"

# predict
run 2 "$predict" x.fa
error_is rbpattn-predict "missing --model FILE"
run 2 "$predict" --model m.rbp
error_is rbpattn-predict "missing INPUT"
run 2 "$predict" --model m.rbp a.fa b.fa
error_is rbpattn-predict "unexpected extra argument 'b.fa'"
run 2 "$predict" --model m.rbp --format genbank a.fa
error_is rbpattn-predict "expected one of auto|fasta|csv|tsv|lines"
run 1 "$predict" --model "$tmp/missing.rbp" "$data/lines/sample.txt"
error_is rbpattn-predict "missing.rbp"
printf 'this is not a model\n' >"$tmp/garbage.rbp"
run 1 "$predict" --model "$tmp/garbage.rbp" "$data/lines/sample.txt"
error_is rbpattn-predict "garbage.rbp"

# eval
run 2 "$eval" --fasta x.fa
error_is rbpattn-eval "missing --model FILE"
run 2 "$eval" --model m.rbp
error_is rbpattn-eval "no input"
run 1 "$eval" --model "$tmp/garbage.rbp" --lines "$data/lines/sample.txt"
error_is rbpattn-eval "garbage.rbp"
echo "cli_usage: ok"
