#!/bin/sh
# Self-describing models: rbpattn-train records the input encoding, data, test metrics and
# --meta keys; rbpattn-info shows them (text and JSON); eval, predict and attn take the encoding
# from the model, refuse a contradicting flag unless --force, and soft-masked (lowercase)
# letters do not move the window of a model trained without case information.
. "$(dirname "$0")/cli_common.inc"
info=$bin/rbpattn-info
rbp31=$data/rbp31/PUM2_training_sample_0_first200.fa.gz

# 100-nt records, a 30-nt model centred on the middle.
run 0 "$train" --fasta "$rbp31" $TINY --length 30 --truncate center --epochs 1 --batch 32 --quiet \
    --meta protein=PUM2 --meta "cell_line=HEK 293" --meta source=tests --checkpoint "$tmp/ck.rbp" \
    --save "$tmp/m.rbp"

# ---- rbpattn-info, text
run 0 "$info" "$tmp/m.rbp"
has "$tmp/out" "format 6"
has "$tmp/out" "parameters)"
has "$tmp/out" "input encoding: length 30, truncate center, case ignored"
for key in protein cell_line source created rbpattn.version task encoding.truncate encoding.case_viewpoint \
    encoding.alphabet encoding.label_key train.command train.data train.records train.positives test.records \
    test.auc test.data; do
    grep -q "^  $key  *[^ ]" "$tmp/out" || fail "no metadata key $key in rbpattn-info output"
done
has "$tmp/out" "HEK 293"
has "$tmp/out" "PUM2_training_sample_0_first200.fa.gz (fasta)"
grep -q "^  train.command  *.*--meta 'cell_line=HEK 293'" "$tmp/out" || fail "train.command not shell-quoted"
# the per-epoch checkpoint carries the same metadata
run 0 "$info" "$tmp/ck.rbp"
has "$tmp/out" "PUM2"

# ---- rbpattn-info --json
run 0 "$info" --json "$tmp/m.rbp"
has "$tmp/out" '"format": 6'
has "$tmp/out" '"protein": "PUM2"'
has "$tmp/out" '"truncate": "center"'
has "$tmp/out" '"encoding.length": 30'
has "$tmp/out" '"train.records": 132'
if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["metadata"]["cell_line"] == "HEK 293"; assert d["parameters"] > 0; assert 0 <= d["metadata"]["test.auc"] <= 1' "$tmp/out" ||
        fail "rbpattn-info --json is not the expected JSON"
fi

# ---- rbpattn-info help and errors
run 0 "$info" --help
has "$tmp/out" "Usage: rbpattn-info"
run 0 "$info" --version
has "$tmp/out" "rbpattn-info (rbpattn) "
run 2 "$info"
error_is rbpattn-info "missing MODEL"
run 1 "$info" "$tmp/none.rbp"
error_is rbpattn-info "none.rbp"
printf 'not a model file, but long enough to have a header' >"$tmp/junk.rbp"
run 1 "$info" "$tmp/junk.rbp"
error_is rbpattn-info "not an rbpattn checkpoint"

# ---- --meta errors (before any training)
run 2 "$train" --fasta "$rbp31" $TINY --epochs 1 --meta protein
error_is rbpattn-train "expected KEY=VALUE, got 'protein'"
run 2 "$train" --fasta "$rbp31" $TINY --epochs 1 --meta task=other
error_is rbpattn-train "key 'task' is written by rbpattn-train"
run 2 "$train" --fasta "$rbp31" $TINY --epochs 1 --meta test.auc=1
error_is rbpattn-train "key 'test.auc' is written by rbpattn-train"
run 2 "$train" --fasta "$rbp31" $TINY --epochs 1 --quiet --meta "bad key=1"
error_is rbpattn-train "letters, digits"

# ---- eval takes the encoding from the model: no flag needed, the same metrics as the flags
# that match it; a contradicting flag is a usage error naming what the model expects
run 0 "$eval" -m "$tmp/m.rbp" --fasta "$rbp31" --table tsv
cp "$tmp/out" "$tmp/eval_plain.tsv"
run 0 "$eval" -m "$tmp/m.rbp" --fasta "$rbp31" --table tsv --truncate center --no-case-viewpoint
cmp "$tmp/out" "$tmp/eval_plain.tsv" || fail "eval with the model's own flags differs"
run 2 "$eval" -m "$tmp/m.rbp" --fasta "$rbp31" --truncate right
error_is rbpattn-eval "--truncate right contradicts"
has "$tmp/err" "which was trained with --truncate center"
run 2 "$eval" -m "$tmp/m.rbp" --fasta "$rbp31" --case-viewpoint
error_is rbpattn-eval "--case-viewpoint contradicts"
has "$tmp/err" "letter case ignored"
run 2 "$eval" -m "$tmp/m.rbp" --fasta "$rbp31" --case-viewpoint --no-case-viewpoint
error_is rbpattn-eval "exclude each other"
run 0 "$eval" -m "$tmp/m.rbp" --fasta "$rbp31" --table tsv --truncate right --force
has "$tmp/err" "warning: --truncate right overrides"
cmp -s "$tmp/out" "$tmp/eval_plain.tsv" && fail "--force --truncate right changed nothing"

# attn the same
run 2 "$attn" -m "$tmp/m.rbp" --fasta "$rbp31" --truncate left -o "$tmp/a" --quiet
error_is rbpattn-attn "--truncate left contradicts"
run 0 "$attn" -m "$tmp/m.rbp" --fasta "$rbp31" -o "$tmp/a" --quiet --no-png --no-svg

# ---- soft-masked input: the model saw one-case records only, so lowercase changes nothing
gzip -dc "$rbp31" | awk '/^>/ { if (s != "") print s; print; s = ""; next } { s = s $0 } END { print s }' \
    >"$tmp/upper_all.fa"
head -n 20 "$tmp/upper_all.fa" >"$tmp/upper.fa"
awk '/^>/ { print; next } { print tolower(substr($0, 1, 40)) substr($0, 41, 20) tolower(substr($0, 61)) }' \
    "$tmp/upper_all.fa" >"$tmp/masked.fa"
awk '/^>/ { print; next } { print tolower(substr($0, 1, 80)) substr($0, 81) }' "$tmp/upper.fa" >"$tmp/masked2.fa"
run 0 "$predict" -m "$tmp/m.rbp" "$tmp/upper.fa"
cp "$tmp/out" "$tmp/upper.tsv"
run 0 "$predict" -m "$tmp/m.rbp" "$tmp/masked2.fa"
cmp "$tmp/out" "$tmp/upper.tsv" || fail "lowercase letters moved the window of a model trained without case"
# forcing case on moves the window to the uppercase tail: other scores
run 0 "$predict" -m "$tmp/m.rbp" --case-viewpoint --force "$tmp/masked2.fa"
cmp -s "$tmp/out" "$tmp/upper.tsv" && fail "--case-viewpoint --force did not move the window"

# ---- a model trained on mixed-case records (GraphProt style) records case_viewpoint 1
run 0 "$train" --fasta "$tmp/masked.fa" $TINY --length 30 --truncate center --epochs 1 --batch 8 --quiet \
    --split 0.5 --save "$tmp/vp.rbp"
run 0 "$info" --json "$tmp/vp.rbp"
has "$tmp/out" '"encoding.case_viewpoint": 1'
run 2 "$predict" -m "$tmp/vp.rbp" --no-case-viewpoint "$tmp/masked.fa"
error_is rbpattn-predict "letter case marking the viewpoint"
# ---- a format-2 file (rbpattn 0.1: no metadata) still works; it records no encoding, so the
# old defaults apply and flags are taken as given (nothing to contradict)
if command -v python3 >/dev/null 2>&1; then
    python3 - "$tmp/m.rbp" "$tmp/v2.rbp" <<'PY'
import struct, sys, zlib
b = open(sys.argv[1], "rb").read()
version, H, flags = struct.unpack_from("<III", b, 4)
assert version == 6 and flags == 0 and H == 108
(n,) = struct.unpack_from("<Q", b, 84)
# format 2: no metadata size field (bytes 96..99), no stem_filters (100..103), no stem_pool
# (104..107), no metadata block, header size 96, configuration version 1
body = b[:8] + struct.pack("<I", 96) + b[12:16] + struct.pack("<I", 1) + b[20:96] + b[108:108 + 4 * n]
body = body[:4] + struct.pack("<I", 2) + body[8:]
open(sys.argv[2], "wb").write(body + struct.pack("<I", zlib.crc32(body)))
PY
    run 0 "$info" "$tmp/v2.rbp"
    has "$tmp/out" "format 2"
    has "$tmp/out" "input encoding (not recorded: defaults): length 30, truncate right, case marks the viewpoint"
    has "$tmp/out" "metadata: 0 keys"
    run 0 "$eval" -m "$tmp/v2.rbp" --fasta "$rbp31" --table tsv --truncate center --no-case-viewpoint
    cmp "$tmp/out" "$tmp/eval_plain.tsv" || fail "the format-2 copy with the same flags scores differently"
    run 0 "$predict" -m "$tmp/v2.rbp" --truncate center "$tmp/upper.fa"
fi
echo "cli_info: ok"
