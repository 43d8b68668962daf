#!/bin/sh
# A catalogue of bad inputs and misuses across the programs: each case gives the exact first
# line of stderr and the exit code (2 = bad command line, 1 = runtime failure), and no input
# file may change (checksums of every input before and after). Messages name the file, the
# option and what to do; a case that changes wording must change here too.
. "$(dirname "$0")/cli_common.inc"
info=$bin/rbpattn-info
in=$tmp/in
mkdir -p "$in" "$tmp/ro"
rbp31=$data/rbp31/PUM2_training_sample_0_first200.fa.gz
cp "$rbp31" "$in/train.fa.gz"
gzip -dc "$rbp31" >"$in/train.fa"
cp "$data/csv/study_format.csv" "$in/study.csv"
cp "$data/lines/sample.txt" "$in/lines.txt"
cp "$data/graphprot/testclip.train.positives.fa" "$in/pos.fa"
cp "$data/graphprot/testclip.train.negatives.fa" "$in/neg.fa"
printf '>a class:1\nACGU\n>b class:0\nAC*U\n' >"$in/badchar.fa"
printf '>a class:1\nACGU\n>b\nACGU\n' >"$in/nolabel.fa"
printf 'sequence,RKA\nACGU,1\nACGU\n' >"$in/short.csv"
: >"$in/empty.fa"
head -c 300 "$in/train.fa.gz" >"$in/cut.fa.gz"
bzip2 -c "$in/train.fa" >"$in/train.fa.bz2" 2>/dev/null || printf 'BZh91AY&SY' >"$in/train.fa.bz2"
printf '\375\067\172\130\132\000\000\004' >"$in/train.fa.xz"
printf '\050\265\057\375\044\000' >"$in/train.fa.zst"
{ cat "$in/train.fa.gz"; echo junk; } >"$in/junk.fa.gz"
run 0 "$train" --fasta "$in/train.fa.gz" --epochs 1 $TINY --quiet --save "$in/m.rbp"
run 0 "$train" --fasta "$in/train.fa.gz" --epochs 1 $TINY --quiet --checkpoint "$in/ck.rbpt"
head -c 500 "$in/m.rbp" >"$in/trunc.rbp"
cp "$in/m.rbp" "$in/flip.rbp"
printf '\377' | dd of="$in/flip.rbp" bs=1 seek=400 conv=notrunc 2>/dev/null
printf 'not a model\n' >"$in/text.rbp"
ln -s "$in/train.fa" "$in/link.fa"
ln "$in/train.fa" "$in/hard.fa"
chmod a-w "$tmp/ro"
sums() { (cd "$in" && find . -type f | sort | xargs cksum); }
sums >"$tmp/sums.before"

n=0
# expect CODE 'MESSAGE' CMD...: exit code CODE, first stderr line exactly "PROG: error: MESSAGE".
expect() {
    code=$1
    msg=$2
    shift 2
    run "$code" "$@"
    prog=$(basename "$1")
    first=$(head -n 1 "$tmp/err")
    [ "$first" = "$prog: error: $msg" ] || {
        echo "--- stderr:" >&2; cat "$tmp/err" >&2
        fail "case $((n + 1)): expected '$prog: error: $msg'"
    }
    n=$((n + 1))
}
# expect_start CODE 'MESSAGE' CMD...: as expect, for messages whose tail varies (sizes of a
# metadata block that records the command line).
expect_start() {
    code=$1
    msg=$2
    shift 2
    run "$code" "$@"
    prog=$(basename "$1")
    case $(head -n 1 "$tmp/err") in
        "$prog: error: $msg"*) ;;
        *) echo "--- stderr:" >&2; cat "$tmp/err" >&2; fail "case $((n + 1)): expected '$prog: error: $msg...'" ;;
    esac
    n=$((n + 1))
}

# ---- outputs: aliasing an input or each other, missing directories, directories as files
expect 2 "-o $in/train.fa is the same file as the input $in/train.fa (it would be overwritten)" \
    "$predict" -m "$in/m.rbp" -o "$in/train.fa" "$in/train.fa"
expect 2 "-o $in/link.fa is the same file as the input $in/train.fa (it would be overwritten)" \
    "$predict" -m "$in/m.rbp" -o "$in/link.fa" "$in/train.fa"
expect 2 "-o $in/hard.fa is the same file as the input $in/train.fa (it would be overwritten)" \
    "$predict" -m "$in/m.rbp" -o "$in/hard.fa" "$in/train.fa"
expect 2 "-o $in/m.rbp is the same file as the input --model $in/m.rbp (it would be overwritten)" \
    "$predict" -m "$in/m.rbp" -o "$in/m.rbp" "$in/train.fa"
expect 2 "-o $in/../in/train.fa is the same file as the input $in/train.fa (it would be overwritten)" \
    "$predict" -m "$in/m.rbp" -o "$in/../in/train.fa" "$in/train.fa"
expect 1 "-o: cannot write '$tmp/nodir/out.tsv': directory $tmp/nodir does not exist" \
    "$predict" -m "$in/m.rbp" -o "$tmp/nodir/out.tsv" "$in/train.fa"
expect 1 "-o: cannot write '$tmp': it is a directory (give a file name)" \
    "$predict" -m "$in/m.rbp" -o "$tmp" "$in/train.fa"
expect 1 "--save: cannot write '$tmp/nodir/m.rbp': directory $tmp/nodir does not exist" \
    "$train" --fasta "$in/train.fa" --epochs 1 --save "$tmp/nodir/m.rbp"
expect 2 "--save $in/train.fa is the same file as the input --fasta $in/train.fa (it would be overwritten)" \
    "$train" --fasta "$in/train.fa" --epochs 1 --save "$in/train.fa"
expect 2 "--save $tmp/a.rbp and --json $tmp/a.rbp are the same file (give each output its own name)" \
    "$train" --fasta "$in/train.fa" --epochs 1 --save "$tmp/a.rbp" --json "$tmp/a.rbp"
expect 2 "--predictions $in/link.fa is the same file as the input --fasta $in/train.fa (it would be overwritten)" \
    "$train" --fasta "$in/train.fa" --epochs 1 --predictions "$in/link.fa"
expect 1 "--checkpoint: cannot write '$tmp': it is a directory (give a file name)" \
    "$train" --fasta "$in/train.fa" --epochs 1 --checkpoint "$tmp"
expect 1 "--json: cannot write '$tmp/nodir/x.json': directory $tmp/nodir does not exist" \
    "$train" --fasta "$in/train.fa" --epochs 1 --json "$tmp/nodir/x.json"
expect 2 "--predictions $in/hard.fa is the same file as the input --test $in/hard.fa (it would be overwritten)" \
    "$train" --fasta "$in/pos.fa" --test "$in/hard.fa" --epochs 1 --predictions "$in/hard.fa"
expect 2 "--save $in/m.rbp is the same file as the input --resume $in/m.rbp (it would be overwritten)" \
    "$train" --fasta "$in/train.fa" --epochs 1 --resume "$in/m.rbp" --save "$in/m.rbp"
expect 2 "--predictions $in/train.fa is the same file as the input --fasta $in/train.fa (it would be overwritten)" \
    "$eval" -m "$in/m.rbp" --fasta "$in/train.fa" --predictions "$in/train.fa"
expect 2 "--json $in/m.rbp is the same file as the input --model $in/m.rbp (it would be overwritten)" \
    "$eval" -m "$in/m.rbp" --fasta "$in/train.fa" --json "$in/m.rbp"
expect 1 "--plots: cannot write '$in/train.fa': it exists and is not a directory" \
    "$eval" -m "$in/m.rbp" --fasta "$in/train.fa" --plots "$in/train.fa"
expect 2 "--predictions $tmp/p.tsv and --json $tmp/p.tsv are the same file (give each output its own name)" \
    "$eval" -m "$in/m.rbp" --fasta "$in/train.fa" --predictions "$tmp/p.tsv" --json "$tmp/p.tsv"
expect 1 "-o: cannot write '$in/train.fa': it exists and is not a directory" \
    "$attn" -m "$in/m.rbp" -s ACGU -o "$in/train.fa"
if [ "$(id -u)" -ne 0 ]; then # root may write anywhere
    expect 1 "-o: cannot write '$tmp/ro/out.tsv': directory $tmp/ro is not writable" \
        "$predict" -m "$in/m.rbp" -o "$tmp/ro/out.tsv" "$in/train.fa"
    expect 1 "--save: cannot write '$tmp/ro/m.rbp': directory $tmp/ro is not writable" \
        "$train" --fasta "$in/train.fa" --epochs 1 --save "$tmp/ro/m.rbp"
    expect 1 "-o: cannot write '$tmp/ro/attn': directory $tmp/ro is not writable" \
        "$attn" -m "$in/m.rbp" -s ACGU -o "$tmp/ro/attn"
fi

# ---- compressed and damaged inputs
expect 1 "$in/train.fa.bz2: bzip2-compressed data are not supported (only gzip): decompress first (bunzip2)" \
    "$predict" -m "$in/m.rbp" "$in/train.fa.bz2"
expect 1 "$in/train.fa.xz: xz-compressed data are not supported (only gzip): decompress first (xz -d)" \
    "$predict" -m "$in/m.rbp" "$in/train.fa.xz"
expect 1 "$in/train.fa.zst: zstd-compressed data are not supported (only gzip): decompress first (zstd -d)" \
    "$predict" -m "$in/m.rbp" "$in/train.fa.zst"
expect 1 "$in/train.fa.xz: xz-compressed data are not supported (only gzip): decompress first (xz -d)" \
    "$train" --fasta "$in/train.fa.xz" --epochs 1 $TINY
expect 1 "$in/train.fa.bz2: bzip2-compressed data are not supported (only gzip): decompress first (bunzip2)" \
    "$eval" -m "$in/m.rbp" --fasta "$in/train.fa.bz2"
expect 1 "$in/train.fa.zst: zstd-compressed data are not supported (only gzip): decompress first (zstd -d)" \
    "$attn" -m "$in/m.rbp" --fasta "$in/train.fa.zst" -o "$tmp/attn"
expect 1 "$in/junk.fa.gz: data after the end of the gzip stream (not gzip)" \
    "$predict" -m "$in/m.rbp" "$in/junk.fa.gz"
expect 1 "$in/cut.fa.gz:12: truncated gzip data (unexpected end of file)" "$predict" -m "$in/m.rbp" "$in/cut.fa.gz"
expect 1 "$in/badchar.fa:4: unknown character '*' at position 3 of the sequence of record 'b'" \
    "$predict" -m "$in/m.rbp" "$in/badchar.fa"
expect 1 "$in/badchar.fa:4: unknown character '*' at position 3 of the sequence of record 'b'" \
    "$eval" -m "$in/ck.rbpt" --fasta "$in/badchar.fa"
expect 1 "$in/missing.fa: cannot open: No such file or directory" "$predict" -m "$in/m.rbp" "$in/missing.fa"
expect 1 "$in/nolabel.fa:3: no label in the header of record 'b' (expected 'class:<number>' or a number as the last word)" \
    "$train" --fasta "$in/nolabel.fa" --epochs 1 $TINY
expect 1 "$in/empty.fa:1: no FASTA records (empty file?)" "$train" --fasta "$in/empty.fa" --epochs 1 $TINY
expect 1 "$in/short.csv:3: 1 fields, but the header has 2" "$train" --csv "$in/short.csv" --epochs 1 $TINY

# ---- model files
expect_start 1 "checkpoint '$in/trunc.rbp' is truncated or has trailing data: 500 bytes, header announces" \
    "$predict" -m "$in/trunc.rbp" "$in/train.fa"
expect_start 1 "checkpoint '$in/flip.rbp' is corrupted (CRC32 " "$predict" -m "$in/flip.rbp" "$in/train.fa"
expect 1 "checkpoint '$in/text.rbp' is truncated (12 bytes)" "$predict" -m "$in/text.rbp" "$in/train.fa"
expect 1 "cannot open checkpoint '$in/missing.rbp': No such file or directory" \
    "$predict" -m "$in/missing.rbp" "$in/train.fa"
expect 1 "checkpoint '$in/m.rbp' has no optimizer state (saved by rbp_model_save); load it with rbp_model_load and start a new trainer" \
    "$train" --fasta "$in/train.fa" --epochs 1 --resume "$in/m.rbp"
expect_start 1 "checkpoint '$in/trunc.rbp' is truncated or has trailing data: 500 bytes" \
    "$attn" -m "$in/trunc.rbp" -s ACGU -o "$tmp/attn"
expect_start 1 "checkpoint '$in/trunc.rbp' is truncated or has trailing data: 500 bytes" "$info" "$in/trunc.rbp"
expect 1 "checkpoint '$in/text.rbp' is truncated (12 bytes)" "$info" "$in/text.rbp"
expect 1 "cannot open checkpoint '$in/missing.rbp': No such file or directory" "$info" "$in/missing.rbp"

# ---- command lines
expect 2 "missing --model FILE" "$predict" "$in/train.fa"
expect 2 "missing INPUT (a file, or '-' for stdin)" "$predict" -m "$in/m.rbp"
expect 2 "unknown option '--bogus'" "$predict" -m "$in/m.rbp" --bogus "$in/train.fa"
expect 2 "option '--threads': 0 is out of range [1, 1024]" "$predict" -m "$in/m.rbp" --threads 0 "$in/train.fa"
expect 2 "--id-column applies to CSV/TSV input" "$predict" -m "$in/m.rbp" --id-column id "$in/train.fa"
expect 2 "option '--epochs': 0 is out of range [1, 1000000]" "$train" --fasta "$in/train.fa" --epochs 0
expect 2 "give only one input (--fasta, --csv, --tsv, --lines, --pos/--neg or --train)" \
    "$train" --fasta "$in/train.fa" --csv "$in/study.csv"
expect 2 "no input: give one of --fasta, --csv, --tsv, --lines, --pos/--neg or --train FILE" "$train"
expect 2 "GraphProt input needs both --pos and --neg" "$train" --pos "$in/pos.fa" --epochs 1
expect 2 "invalid model configuration: rbp_model_config.d_model (--d-model) is not a multiple of n_heads (--heads)" \
    "$train" --fasta "$in/train.fa" --heads 3 --d-model 8 --epochs 1
expect 2 "option '--lr': expected a number, got 'nan'" "$train" --fasta "$in/train.fa" --lr nan --epochs 1
# library messages name the API field and the programs' option (here --max-length, in train too)
expect 1 "$in/train.fa:2: sequence of record 'chr1,+,69315,69415' is longer than the maximum record length 50 (rbp_dataset_options.max_record_length, --max-length)" \
    "$train" --fasta "$in/train.fa" --max-length 50 --epochs 1
expect 1 "$in/train.fa:2: sequence of record 'chr1,+,69315,69415' is longer than the maximum record length 50 (rbp_dataset_options.max_record_length, --max-length)" \
    "$eval" -m "$in/m.rbp" --fasta "$in/train.fa" --max-length 50
expect 2 "no input: give one of --fasta, --csv, --tsv, --lines, --pos/--neg or --data FILE" "$eval" -m "$in/m.rbp"
expect 2 "missing --model FILE" "$eval" --fasta "$in/train.fa"
expect 2 "give exactly one of --sequence SEQ and --fasta FILE" "$attn" -m "$in/m.rbp" -s ACGU --fasta "$in/train.fa"
expect 2 "--layer 9: $in/m.rbp has 1 layer(s)" "$attn" -m "$in/m.rbp" -s ACGU --layer 9 -o "$tmp/attn"
expect 2 "missing MODEL (a file saved by rbpattn-train --save)" "$info"

# ---- nothing above may have touched an input, and no temporary file may be left
sums >"$tmp/sums.after"
cmp "$tmp/sums.before" "$tmp/sums.after" || { diff "$tmp/sums.before" "$tmp/sums.after" >&2; fail "an input file changed"; }
left=$(find "$tmp" -name '*.tmp*' | head -n 1)
[ -z "$left" ] || fail "temporary file left behind: $left"
[ "$n" -ge 40 ] || fail "only $n cases"
echo "cli_catalogue: $n cases ok"
