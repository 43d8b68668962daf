#!/bin/sh
# Checkpoints: train 2 epochs with --checkpoint, resume to 4; the result equals an
# uninterrupted 4-epoch run (same seed, same thread count) score for score. (A constant rate:
# a cosine or transformer schedule over 2 epochs is not the first half of one over 4.)
. "$(dirname "$0")/cli_common.inc"
rbp31=$data/rbp31/PUM2_training_sample_0_first200.fa.gz
common="--fasta $rbp31 $TINY --batch 16 --seed 3 --val-fraction 0.2 --schedule constant --lr 3e-3 --warmup 5"

run 0 "$train" $common --epochs 4 --predictions "$tmp/full.tsv" --save "$tmp/full.rbp"
cp "$tmp/out" "$tmp/full.out"
run 0 "$train" $common --epochs 2 --checkpoint "$tmp/ck.rbpt"
[ -s "$tmp/ck.rbpt" ] || fail "no checkpoint"
run 0 "$train" $common --epochs 4 --resume "$tmp/ck.rbpt" --predictions "$tmp/resumed.tsv" \
    --save "$tmp/resumed.rbp" --json "$tmp/resumed.json"
has "$tmp/out" "resumed from $tmp/ck.rbpt after epoch 2"
hasnt "$tmp/out" "epoch  2/4"
has "$tmp/out" "epoch  3/4"
has "$tmp/out" "epoch  4/4"
cmp "$tmp/full.tsv" "$tmp/resumed.tsv" || fail "resumed training differs from the uninterrupted run"
# Epoch lines 3 and 4 match too (time and speed columns aside).
grep '^epoch  [34]/4' "$tmp/full.out" | sed 's/  lr .*//' >"$tmp/a"
grep '^epoch  [34]/4' "$tmp/out" | sed 's/  lr .*//' >"$tmp/b"
cmp "$tmp/a" "$tmp/b" || fail "epoch metrics differ after resume"
has "$tmp/resumed.json" '"resumed_from": '
# A trainer checkpoint is also a model for rbpattn-predict.
run 0 "$predict" -m "$tmp/ck.rbpt" --quiet "$rbp31"
[ "$(wc -l <"$tmp/out")" -eq 201 ] || fail "predict from a checkpoint"
# A finished checkpoint: nothing left to train, still evaluated.
run 0 "$train" $common --epochs 2 --resume "$tmp/ck.rbpt"
has "$tmp/out" "nothing to train"
has "$tmp/out" "test (n="
# Resuming with different data length or a model option is refused.
run 2 "$train" $common --epochs 4 --resume "$tmp/ck.rbpt" --length 50
error_is rbpattn-train "--length differs from the model in the --resume checkpoint (which has length 101)"
run 2 "$train" $common --epochs 4 --resume "$tmp/ck.rbpt" --d-model 16
error_is rbpattn-train "--d-model differs"
run 2 "$train" $common --epochs 4 --resume "$tmp/ck.rbpt" --conv-kernel 5
error_is rbpattn-train "--conv-kernel differs from the model in the --resume checkpoint (which has conv-kernel 0)"
# The convolutional stem: its weights and Adam state travel through the checkpoint, so the
# resumed run again equals the uninterrupted one.
run 0 "$train" $common --conv-kernel 5 --epochs 3 --predictions "$tmp/cfull.tsv"
has "$tmp/out" "model: conv stem 5, d_model"
run 0 "$train" $common --conv-kernel 5 --epochs 1 --checkpoint "$tmp/cck.rbpt"
run 0 "$train" $common --conv-kernel 5 --epochs 3 --resume "$tmp/cck.rbpt" --predictions "$tmp/cresumed.tsv"
cmp "$tmp/cfull.tsv" "$tmp/cresumed.tsv" || fail "resumed conv-stem training differs from the uninterrupted run"
run 2 "$train" $common --epochs 3 --resume "$tmp/cck.rbpt" --conv-kernel 3
error_is rbpattn-train "--conv-kernel differs from the model in the --resume checkpoint (which has conv-kernel 5)"
run 2 "$train" $common --epochs 1 --conv-kernel 4
error_is rbpattn-train "rbp_model_config.conv_kernel (--conv-kernel) must be 0 or odd in 3..31"
# An ensemble (--members 2): one checkpoint per member (PATH.m1, PATH.m2); resumed, it equals
# the uninterrupted run, also when a member has already stopped early (patience 1).
M2="--members 2 --threads 2 --patience 1 --monitor auc"
run 0 "$train" $common $M2 --epochs 5 --predictions "$tmp/efull.tsv"
run 0 "$train" $common $M2 --epochs 3 --checkpoint "$tmp/eck"
[ -s "$tmp/eck.m1" ] && [ -s "$tmp/eck.m2" ] || fail "no per-member checkpoints"
[ ! -e "$tmp/eck" ] || fail "an ensemble wrote a single checkpoint"
run 0 "$train" $common $M2 --epochs 5 --resume "$tmp/eck" --checkpoint "$tmp/eck" --predictions "$tmp/eresumed.tsv"
cmp "$tmp/efull.tsv" "$tmp/eresumed.tsv" || fail "a resumed ensemble differs from the uninterrupted run"
# without --members, --resume continues as many members as it finds (PATH.m1, PATH.m2)
run 0 "$train" $common --threads 2 --patience 1 --monitor auc --epochs 5 --resume "$tmp/eck" --predictions "$tmp/einf.tsv"
has "$tmp/out" "2 members at once"
cmp -s "$tmp/efull.tsv" "$tmp/einf.tsv" || fail "--resume without --members: not the 2-member ensemble"
rm "$tmp/eck.m2"
run 1 "$train" $common $M2 --epochs 5 --resume "$tmp/eck"
error_is rbpattn-train "eck.m2"
# A missing checkpoint is named.
run 1 "$train" $common --epochs 4 --resume "$tmp/none.rbpt"
error_is rbpattn-train "none.rbpt"
echo "cli_resume: ok"
