#!/bin/sh
# rbpattn-attn: pictures (PNG signature and size from the IHDR chunk, SVG root) and tables for
# records of a FASTA file and for a --sequence; attention rows of the TSV sum to 1 over the
# real positions; layer/head/mean selection; clear errors for bad arguments.
. "$(dirname "$0")/cli_common.inc"
rbp31=$data/rbp31/PUM2_training_sample_0_first200.fa.gz

run 0 "$train" --fasta "$rbp31" $TINY --layers 2 --length 30 --truncate center --epochs 1 --batch 32 --quiet \
    --save "$tmp/m.rbp"

# Two records by id from the FASTA (ids as the reader gives them: the header's first word).
id1=$(gzip -dc "$rbp31" | sed -n 's/^>[[:space:]]*\([^[:space:];]*\).*/\1/p' | sed -n 1p)
id2=$(gzip -dc "$rbp31" | sed -n 's/^>[[:space:]]*\([^[:space:];]*\).*/\1/p' | sed -n 5p)
run 0 "$attn" -m "$tmp/m.rbp" --fasta "$rbp31" --ids "$id1 $id2" --truncate center -o "$tmp/a" --quiet
[ "$(wc -l <"$tmp/out")" -eq 3 ] || fail "expected a header and 2 summary lines"
has "$tmp/out" "$id1	"
n1=$(echo "$id1" | sed 's/[^A-Za-z0-9.+-]/_/g')
for f in attn.png attn.svg importance.png importance.svg attention.tsv importance.tsv; do
    [ -s "$tmp/a/$n1.$f" ] || fail "no $n1.$f"
done
png=$tmp/a/$n1.attn.png
[ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "not a PNG"
# IHDR width and height (big-endian u32 at bytes 16 and 20): a 2x2 grid of 30x30 panels is large.
w=$(od -An -tu1 -j16 -N4 "$png" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
h=$(od -An -tu1 -j20 -N4 "$png" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
check "$w" ">=" 400
check "$h" ">=" 400
has "$tmp/a/$n1.attn.svg" "<svg"
has "$tmp/a/$n1.attn.svg" "</svg>"
# 2 layers x 2 heads x 30 x 30 weights; every (layer, head, query) row sums to 1.
[ "$(head -n 1 "$tmp/a/$n1.attention.tsv")" = "layer	head	query	key	query_nt	key_nt	weight" ] || fail "TSV header"
[ "$(tail -n +2 "$tmp/a/$n1.attention.tsv" | wc -l)" -eq 3600 ] || fail "expected 3600 attention rows"
bad=$(awk -F '\t' 'NR > 1 { s[$1 " " $2 " " $3] += $7 } END { for (k in s) if (s[k] < 0.999 || s[k] > 1.001) n++; print n + 0 }' \
    "$tmp/a/$n1.attention.tsv")
[ "$bad" -eq 0 ] || fail "$bad attention rows do not sum to 1"
[ "$(tail -n +2 "$tmp/a/$n1.importance.tsv" | wc -l)" -eq 30 ] || fail "expected 30 importance rows"
roll=$(awk -F '\t' 'NR > 1 { s += $3 } END { printf "%.4f", s }' "$tmp/a/$n1.importance.tsv")
check "$roll" ">=" 0.999
check "$roll" "<=" 1.001

# A short sequence (padding cropped), one head of layer 1, PNG only.
run 0 "$attn" -m "$tmp/m.rbp" -s ACGUUGCAUGACGU --id probe --layer 1 --head 2 --no-svg --no-tsv -o "$tmp/b" --quiet
[ -s "$tmp/b/probe.attn.png" ] || fail "no probe.attn.png"
[ ! -e "$tmp/b/probe.attn.svg" ] || fail "--no-svg wrote an SVG"
has "$tmp/out" "probe	"
awk -F '\t' 'NR == 2 && $3 != 14 { exit 1 }' "$tmp/out" || fail "expected 14 real positions for the probe"
run 0 "$attn" -m "$tmp/m.rbp" -s ACGUUGCAUGACGU --mean --no-png --no-svg -o "$tmp/c" --quiet
[ "$(tail -n +2 "$tmp/c/sequence.importance.tsv" | wc -l)" -eq 14 ] || fail "expected 14 positions"

# Errors: one line, the right exit code.
run 2 "$attn" -m "$tmp/m.rbp"
error_is rbpattn-attn "exactly one of --sequence"
run 2 "$attn" -m "$tmp/m.rbp" -s ACGU --layer 3
error_is rbpattn-attn "--layer 3"
run 2 "$attn" -m "$tmp/m.rbp" -s ACGU --head 2 --mean
error_is rbpattn-attn "exclude each other"
run 1 "$attn" -m "$tmp/m.rbp" --fasta "$rbp31" --ids nosuchid -o "$tmp/d"
error_is rbpattn-attn "nosuchid"
run 1 "$attn" -m "$tmp/m.rbp" -s ACGXU -o "$tmp/d"
error_is rbpattn-attn "X"
run 1 "$attn" -m "$tmp/nonexistent.rbp" -s ACGU
error_is rbpattn-attn "nonexistent.rbp"
run 0 "$attn" --help
has "$tmp/out" "rbpattn-attn --model FILE"
echo "cli_attn: ok"
