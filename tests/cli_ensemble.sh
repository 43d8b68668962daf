#!/bin/sh
# rbpattn-ensemble: two models trained with other seeds become one ensemble file; with test
# data its metrics go into the metadata; rbpattn-predict scores it as the logistic of the
# members' mean logit; the other programs take it; mismatched members and bad command lines
# are refused before anything is written.
. "$(dirname "$0")/cli_common.inc"
rbp31=$data/rbp31/PUM2_training_sample_0_first200.fa.gz
ens=$bin/rbpattn-ensemble
info=$bin/rbpattn-info
M="$TINY --length 30 --truncate center --epochs 2 --batch 32 --quiet"

run 0 "$train" --fasta "$rbp31" $M --seed 1 --save "$tmp/s1.rbp"
run 0 "$train" --fasta "$rbp31" $M --seed 2 --save "$tmp/s2.rbp"

run 0 "$ens" -o "$tmp/e.rbp" --fasta "$rbp31" --json "$tmp/e.json" "$tmp/s1.rbp" "$tmp/s2.rbp"
has "$tmp/out" "ensemble: 2 members of"
has "$tmp/out" "test (n=200"
has "$tmp/out" "saved ensemble to $tmp/e.rbp"
has "$tmp/e.json" '"members": 2'
has "$tmp/e.json" '"auc": '
run 0 "$info" "$tmp/e.rbp"
has "$tmp/out" "ensemble of 2 members x"
grep -q "^  ensemble.members  *2$" "$tmp/out" || fail "no ensemble.members in rbpattn-info"
has "$tmp/out" "ensemble.sources"
has "$tmp/out" "test.auc"
hasnt "$tmp/out" "train.seed"
run 0 "$info" --json "$tmp/e.rbp"
has "$tmp/out" '"members": 2'

# the ensemble's probability is the logistic of the members' mean logit
run 0 "$predict" -m "$tmp/s1.rbp" "$rbp31"
cp "$tmp/out" "$tmp/p1.tsv"
run 0 "$predict" -m "$tmp/s2.rbp" "$rbp31"
cp "$tmp/out" "$tmp/p2.tsv"
run 0 "$predict" -m "$tmp/e.rbp" "$rbp31"
cp "$tmp/out" "$tmp/pe.tsv"
paste "$tmp/p1.tsv" "$tmp/p2.tsv" "$tmp/pe.tsv" | awk -F '\t' '
    function logit(p) { return log(p / (1 - p)) }
    NR > 1 { want = 1 / (1 + exp(-(logit($2) + logit($4)) / 2)); d = want - $6; if (d < 0) d = -d
      if (d > 1e-5) { print "row " NR ": " $6 " vs " want; bad = 1 } n++ }
    END { if (bad || n != 200) exit 1 }' || fail "ensemble scores are not the mean logit of its members"
# the ensemble's recorded AUC is what rbpattn-eval measures
run 0 "$info" "$tmp/e.rbp"
auc_meta=$(awk '$1 == "test.auc" { print $2 }' "$tmp/out")
run 0 "$eval" -m "$tmp/e.rbp" --fasta "$rbp31" --json "$tmp/ev.json"
auc_eval=$(grep -o '"auc": [0-9.e-]*' "$tmp/ev.json" | head -1 | cut -d' ' -f2)
awk -v a="$auc_meta" -v b="$auc_eval" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a > 0 && d < 1e-6) }' ||
    fail "test.auc $auc_meta differs from rbpattn-eval's $auc_eval"
# other programs take an ensemble
run 0 "$attn" -m "$tmp/e.rbp" --sequence ACGUACGUACGUUGUAUAUAACGUACGUAC -o "$tmp/a" --quiet
# an ensemble of ensembles flattens
run 0 "$ens" -o "$tmp/e3.rbp" --quiet "$tmp/e.rbp" "$tmp/s1.rbp"
run 0 "$info" "$tmp/e3.rbp"
has "$tmp/out" "ensemble of 3 members x"

# rbpattn-train --members 2 is the ensemble of the separate runs --seed 1 and --seed 2 (each
# with its own validation draw and early stopping), bit for bit, whether the members train at
# once (--threads 2: one step thread each) or in turn (--threads 1). A test file: without one,
# the test split is drawn with --seed, which the members share and separate runs do not.
V="--test $rbp31 --val-fraction 0.25 --patience 1 --monitor auc --epochs 4"
run 0 "$train" --fasta "$rbp31" $M $V --seed 1 --save "$tmp/v1.rbp"
run 0 "$train" --fasta "$rbp31" $M $V --seed 2 --save "$tmp/v2.rbp"
run 0 "$ens" -o "$tmp/ve.rbp" --quiet "$tmp/v1.rbp" "$tmp/v2.rbp"
run 0 "$predict" -m "$tmp/ve.rbp" "$rbp31"
cp "$tmp/out" "$tmp/pve.tsv"
for t in 2 1; do
    run 0 "$train" --fasta "$rbp31" $M $V --members 2 --threads $t --save "$tmp/m$t.rbp" --json "$tmp/m$t.json" \
        --predictions "$tmp/m$t.tsv"
    run 0 "$predict" -m "$tmp/m$t.rbp" "$rbp31"
    cmp -s "$tmp/out" "$tmp/pve.tsv" || fail "--members 2 --threads $t differs from the ensemble of --seed 1 and --seed 2"
done
cmp -s "$tmp/m1.tsv" "$tmp/m2.tsv" || fail "--members 2: test predictions differ between --threads 1 and 2"
has "$tmp/m2.json" '"members": 2'
has "$tmp/m2.json" '"member_runs": ['
has "$tmp/m2.json" '"member_threads": 1'
[ "$(grep -c '"seed": ' "$tmp/m2.json")" = 3 ] || fail "member_runs lacks a member's seed"
run 0 "$info" "$tmp/m2.rbp"
has "$tmp/out" "ensemble of 2 members x"
grep -q "^  train.member_epochs  *[1-4],[1-4]$" "$tmp/out" || fail "no train.member_epochs in rbpattn-info"
grep -q "^  test.member_auc  *0\.[0-9]*,0\.[0-9]*$" "$tmp/out" || fail "no test.member_auc in rbpattn-info"
# printed: each member alone, then the ensemble
run 0 "$train" --fasta "$rbp31" $TINY --length 30 --truncate center --epochs 1 --batch 32 --members 3 --threads 2 \
    --save "$tmp/m3.rbp"
has "$tmp/out" "seeds 1-3, 3 members a few at once, 1 thread each"
has "$tmp/out" "member 3 (seed 3): AUC "
has "$tmp/out" "test (ensemble)"
has "$tmp/out" "saved ensemble to $tmp/m3.rbp"
run 2 "$train" --fasta "$rbp31" $M --members 65 --save "$tmp/m65.rbp"
error_is rbpattn-train "members"
[ ! -e "$tmp/m65.rbp" ] || fail "a refused run wrote its model"

# refused: no output, no model, an output that is an input, another architecture, other
# input encodings; nothing is written
run 2 "$ens" "$tmp/s1.rbp" "$tmp/s2.rbp"
error_is rbpattn-ensemble "missing -o/--out FILE"
run 2 "$ens" -o "$tmp/x.rbp"
error_is rbpattn-ensemble "give at least one MODEL"
run 2 "$ens" -o "$tmp/s1.rbp" "$tmp/s1.rbp" "$tmp/s2.rbp"
error_is rbpattn-ensemble "s1.rbp"
run 0 "$train" --fasta "$rbp31" $M --d-ff 12 --save "$tmp/ff.rbp"
run 1 "$ens" -o "$tmp/x.rbp" "$tmp/s1.rbp" "$tmp/ff.rbp"
error_is rbpattn-ensemble "d_ff"
run 0 "$train" --fasta "$rbp31" $TINY --length 30 --truncate right --epochs 1 --batch 32 --quiet --save "$tmp/r.rbp"
run 2 "$ens" -o "$tmp/x.rbp" "$tmp/s1.rbp" "$tmp/r.rbp"
error_is rbpattn-ensemble "must be trained with the same input options"
[ ! -e "$tmp/x.rbp" ] || fail "a refused ensemble was written"
echo "cli_ensemble: ok"
