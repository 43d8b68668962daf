#!/bin/sh
# The Snakemake workflow (workflows/) end to end on the three tiny bundled sets, -j 2:
# every output, a report of three models, the sharded scan equal to the unsharded one (when
# rbpattn-scan exists), a second run doing nothing, a training resumed from its checkpoint,
# a dry run of the RBP-31 sheet (31 training jobs; when ../shared/data/rbp31 exists), the
# simulated cluster executor and the Slurm profile against stand-in sbatch/sacct commands.
# Skipped (exit 77) without snakemake.
#   sh tests/workflow_test.sh BUILD/examples
set -eu
[ $# -ge 1 ] || { echo "usage: sh $0 BUILD/examples" >&2; exit 2; }
bin=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
wf=$src/workflows
if ! command -v snakemake >/dev/null 2>&1; then
    echo "SKIP: snakemake is not installed (Debian: apt-get install snakemake)"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
export OPENBLAS_NUM_THREADS=1

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# smk LOG DIR ARGS...: snakemake on the workflow in working directory DIR, output in LOG.
smk() {
    log=$1 dir=$2
    shift 2
    if ! snakemake -s "$wf/Snakefile" -d "$dir" "$@" >"$log" 2>&1; then
        tail -n 60 "$log" >&2
        fail "snakemake $*"
    fi
}

# Programs as the Snakefile finds them: the bin directory, then PATH.
find_prog() {
    if [ -x "$bin/$1" ]; then echo "$bin/$1"; else command -v "$1" || true; fi
}
scan=$(find_prog rbpattn-scan)
motifs=$(find_prog rbpattn-motifs)

echo "== the workflow on the tiny sets (snakemake $(snakemake --version), -j 2)"
run=$tmp/run
start=$(date +%s)
smk "$tmp/run.log" "$run" --profile "$wf/profiles/local" -j 2 --config bin="$bin"
echo "first run: $(( $(date +%s) - start )) s"
r=$run/results
names="pum2_a pum2_b pum2_split"
for n in $names; do
    m=$r/models/$n
    for f in model.rbp train.json eval.json eval.txt predictions.tsv plots/roc.png plots/pr.png plots/roc.svg plots/pr.svg; do
        [ -s "$m/$f" ] || fail "no $m/$f"
    done
    [ "$(ls "$m"/attn/*.attn.png | wc -l)" -eq 3 ] || fail "$n: not 3 attention maps"
    [ "$(ls "$m"/attn/*.importance.svg | wc -l)" -eq 3 ] || fail "$n: not 3 importance pictures"
    [ ! -e "$m/train.ckpt" ] || fail "$n: checkpoint left behind"
    grep -q "^| $n | " "$r/report.md" || fail "$n not in report.md"
    grep -q "<td>$n</td>" "$r/report.html" || fail "$n not in report.html"
    if [ -n "$motifs" ]; then
        [ -s "$m/motifs/motifs.meme" ] || fail "no $m/motifs/motifs.meme"
    fi
done
[ "$(grep -c '^| pum2' "$r/report.md")" -eq 3 ] || fail "report.md does not list three models"
grep -q "^3 models; mean AUC 0\.[0-9]*\.$" "$r/report.md" || fail "report.md summary"
grep -q 'href="models/pum2_a/plots/roc.png"' "$r/report.html" || fail "report.html links the ROC curve"
# The split set is evaluated on the test part of its split: the records the training run tested.
[ "$(grep -c '>' "$r/models/pum2_split/split_test.fa")" -eq "$(( $(wc -l <"$r/models/pum2_split/train_predictions.tsv") - 1 ))" ] ||
    fail "split_test.fa is not the split's test part"
cut -f 1 "$r/models/pum2_split/train_predictions.tsv" >"$tmp/a"
cut -f 1 "$r/models/pum2_split/predictions.tsv" >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || fail "pum2_split evaluated on other records than its split's test part"

if [ -n "$scan" ]; then
    echo "== the sharded scan equals the unsharded one"
    for n in $names; do
        "$scan" --model "$r/models/$n/model.rbp" --threshold 0.5 -o "$tmp/whole.bedGraph" --peaks "$tmp/whole.bed" \
            --quiet "$r/data/tiny/scan.fa" || fail "unsharded scan"
        LC_ALL=C sort -k1,1 -k2,2n "$tmp/whole.bedGraph" | cmp - "$r/scan/$n.bedGraph" ||
            fail "$n: merged scan bedGraph differs from the unsharded scan"
        # Peaks: the same intervals, scores and strands (the names are renumbered after the merge).
        LC_ALL=C sort -k1,1 -k2,2n "$tmp/whole.bed" | cut -f 1-3,5,6 >"$tmp/a"
        cut -f 1-3,5,6 "$r/scan/$n.peaks.bed" >"$tmp/b"
        cmp "$tmp/a" "$tmp/b" || fail "$n: merged peaks differ from the unsharded scan's"
        awk -F '\t' '{ split($4, a, ";"); if (a[1] != "peak" NR) exit 1 }' "$r/scan/$n.peaks.bed" ||
            fail "$n: peaks not numbered in order"
    done
    [ "$(wc -l <"$r/scan/pum2_a.bedGraph")" -gt 100 ] || fail "the scan track is (nearly) constant"
else
    echo "rbpattn-scan not found: the scan rules are skipped (checking that they were)"
    [ ! -e "$r/scan" ] || fail "scan outputs without rbpattn-scan"
fi

echo "== a second run does nothing"
smk "$tmp/again.log" "$run" --profile "$wf/profiles/local" -j 2 --config bin="$bin"
grep -q "Nothing to be done" "$tmp/again.log" || { cat "$tmp/again.log" >&2; fail "second run was not up to date"; }

echo "== a killed training resumes from its checkpoint"
# The state a job killed after epoch 1 leaves: the checkpoint (the workflow's own command, 1 epoch).
m=$r/models/pum2_a
# one_epoch D_MODEL [DIR]: that command, with this --d-model (the workflow's is 8), run in DIR
# (default: the first run's).
one_epoch() {
    python3 - "$m/train.json" "$m/train.ckpt" "$tmp/ck" "$1" >"$tmp/cmd" <<'EOF'
import json, shlex, sys
cmd = json.load(open(sys.argv[1]))["command"]
if "--resume" in cmd:  # the last run's command may be a resumed one
    i = cmd.index("--resume")
    del cmd[i:i + 2]
out = {"--epochs": "1", "--checkpoint": sys.argv[2], "--save": sys.argv[3] + ".rbp",
       "--json": sys.argv[3] + ".json", "--predictions": sys.argv[3] + ".tsv", "--d-model": sys.argv[4]}
print(" ".join(shlex.quote(out.get(cmd[i - 1], a) if i else a) for i, a in enumerate(cmd)))
EOF
    (cd "${2:-$run}" && eval "$(cat "$tmp/cmd")" >/dev/null) || fail "1-epoch training"
}
one_epoch 8
[ -s "$m/train.ckpt" ] || fail "no checkpoint"
smk "$tmp/resume.log" "$run" --profile "$wf/profiles/local" -j 2 --config bin="$bin" \
    --forcerun "results/models/pum2_a/model.rbp"
grep -q "resumed from results/models/pum2_a/train.ckpt after epoch 1" "$m/train.log" ||
    { cat "$m/train.log" >&2; fail "training did not resume from the checkpoint"; }
grep -q "epoch  2/2" "$m/train.log" || fail "resumed training did not run epoch 2"
cp "$m/train_predictions.tsv" "$tmp/resumed_predictions.tsv"
[ ! -e "$m/train.ckpt" ] || fail "checkpoint left behind after the resumed run"
# A checkpoint of other model options (changed since) is set aside: training starts afresh.
one_epoch 16
smk "$tmp/resume2.log" "$run" --profile "$wf/profiles/local" -j 2 --config bin="$bin" \
    --forcerun "results/models/pum2_a/model.rbp"
grep -q "training from the start" "$m/train.log" || { cat "$m/train.log" >&2; fail "mismatched checkpoint not set aside"; }
grep -q "epoch  1/2" "$m/train.log" || fail "no fresh training after a mismatched checkpoint"
cmp -s "$m/train_predictions.tsv" "$tmp/resumed_predictions.tsv" || fail "fresh training differs from the resumed one"

echo "== an ensemble per sample (members=2), resumed from its members' checkpoints"
ens=$tmp/ens
smk "$tmp/ens.log" "$ens" -j 2 --config bin="$bin" sets=pum2_a scan=false motifs=false members=2
m=$ens/results/models/pum2_a
"$bin/rbpattn-info" "$m/model.rbp" >"$tmp/info" || fail "rbpattn-info on the ensemble"
grep -q "ensemble of 2 members" "$tmp/info" || fail "members=2: the model is not an ensemble of 2"
[ -z "$(ls "$m"/train.ckpt* 2>/dev/null)" ] || fail "members=2: checkpoints left behind"
cp "$m/train_predictions.tsv" "$tmp/ens_full.tsv"
one_epoch 8 "$ens"
[ -s "$m/train.ckpt.m1" ] && [ -s "$m/train.ckpt.m2" ] || fail "members=2: no checkpoint per member"
smk "$tmp/ens2.log" "$ens" -j 2 --config bin="$bin" sets=pum2_a scan=false motifs=false members=2 \
    --forcerun "results/models/pum2_a/model.rbp"
grep -q "resumed from results/models/pum2_a/train.ckpt after epoch 1" "$m/train.log" ||
    { cat "$m/train.log" >&2; fail "the ensemble did not resume from its checkpoints"; }
cmp -s "$m/train_predictions.tsv" "$tmp/ens_full.tsv" || fail "the resumed ensemble differs from the uninterrupted one"
[ -z "$(ls "$m"/train.ckpt* 2>/dev/null)" ] || fail "members=2: checkpoints left behind after the resumed run"

echo "== RBP-31 sample sheet: dry run"
rbp31=""
for d in "${RBP31_DIR:-}" "$src/../shared/data/rbp31" "$src/../../shared/data/rbp31"; do
    if [ -n "$d" ] && [ -d "$d/datasets/clip" ]; then rbp31=$(cd "$d" && pwd); break; fi
done
if [ -n "$rbp31" ]; then
    smk "$tmp/rbp31.log" "$tmp/rbp31" -n -j 2 --configfile "$wf/rbp31.yaml" --config bin="$bin" rbp31="$rbp31"
    jobs=$(awk '$1 == "train" && $2 ~ /^[0-9]+$/ { print $2; exit }' "$tmp/rbp31.log")
    [ "$jobs" = 31 ] || { tail -n 30 "$tmp/rbp31.log" >&2; fail "RBP-31 dry run: '$jobs' training jobs, expected 31"; }
    smk "$tmp/subset.log" "$tmp/rbp31" -n -j 2 --configfile "$wf/rbp31.yaml" --config bin="$bin" rbp31="$rbp31" \
        sets=23_PARCLIP_PUM2,13_PARCLIP_FUS
    jobs=$(awk '$1 == "train" && $2 ~ /^[0-9]+$/ { print $2; exit }' "$tmp/subset.log")
    [ "$jobs" = 2 ] || fail "RBP-31 subset dry run: '$jobs' training jobs, expected 2"
    echo "31 training jobs; a subset of 2"
else
    echo "SKIP (this part): no RBP-31 data (../shared/data/rbp31 or RBP31_DIR)"
fi
# A name not in the sheet is refused.
if snakemake -s "$wf/Snakefile" -d "$tmp/bad" -n --config bin="$bin" sets=nosuchset >"$tmp/bad.log" 2>&1; then
    fail "an unknown set was accepted"
fi
grep -q "nosuchset is not in" "$tmp/bad.log" || { cat "$tmp/bad.log" >&2; fail "unknown set message"; }

echo "== simulated cluster executor (--cluster)"
sim=$tmp/sim
start=$(date +%s)
# Training, evaluation and explanation of one set are enough to see the scheduler path.
# CI=true: Snakemake 7 then polls the jobs every second instead of every 10 s.
(export CI=true; smk "$tmp/sim.log" "$sim" --profile "$wf/profiles/simulated" --config bin="$bin" sets=pum2_a scan=false motifs=false)
echo "simulated cluster run: $(( $(date +%s) - start )) s"
subs=$sim/logs/cluster/submissions.tsv
[ -s "$subs" ] || fail "no submissions recorded"
for rule in train evaluate explain; do
    [ "$(awk -F '\t' -v r="$rule" '$3 == r' "$subs" | wc -l)" -eq 1 ] || { cat "$subs" >&2; fail "$rule not submitted once"; }
done
# Local rules (all, tiny_data, report) are not submitted.
if awk -F '\t' '$3 == "report" || $3 == "all" || $3 == "tiny_data"' "$subs" | grep -q .; then
    fail "a local rule was submitted"
fi
grep -q "Submitted job" "$tmp/sim.log" || fail "snakemake did not report cluster submissions"
[ "$(grep -c '^| pum2' "$sim/results/report.md")" -eq 1 ] || fail "simulated run: report does not list one model"
echo "$(wc -l <"$subs") jobs submitted"

echo "== the Slurm profile, with stand-in sbatch and sacct"
fake=$tmp/fakeslurm
mkdir -p "$fake/bin"
# sbatch runs the job script in the background (its exit code in $fake/rc.ID); sacct reports
# that code as the job state.
cat >"$fake/bin/sbatch" <<EOF
#!/bin/sh
out=slurm-%j.out
for a; do case \$a in --output=*) out=\${a#--output=} ;; esac; js=\$a; done
id=\$(( \$(cat $fake/next 2>/dev/null || echo 100) + 1 ))
echo \$id >$fake/next
echo "\$*" >>$fake/calls
( sh "\$js" >"\$(echo "\$out" | sed "s/%j/\$id/")" 2>&1; echo \$? >$fake/rc.\$id ) </dev/null >/dev/null 2>&1 &
echo \$id
EOF
cat >"$fake/bin/sacct" <<EOF
#!/bin/sh
if [ ! -f $fake/rc.\$2 ]; then echo RUNNING; elif [ "\$(cat $fake/rc.\$2)" = 0 ]; then echo COMPLETED; else echo FAILED; fi
EOF
chmod +x "$fake/bin/sbatch" "$fake/bin/sacct"
(export CI=true PATH="$fake/bin:$PATH"
 smk "$tmp/slurm.log" "$tmp/slurm" --profile "$wf/profiles/slurm" --config bin="$bin" sets=pum2_a scan=false motifs=false)
grep -q -- "--job-name=rbp-train --cpus-per-task=1 --mem=1000 --time=60 --output=logs/slurm/train-%j.out" "$fake/calls" ||
    { cat "$fake/calls" >&2; fail "sbatch call of the train job"; }
[ "$(wc -l <"$fake/calls")" -eq 3 ] || { cat "$fake/calls" >&2; fail "not 3 sbatch calls"; }
[ -s "$tmp/slurm/logs/slurm/train-101.out" ] || fail "no Slurm log of the train job"
[ "$(grep -c '^| pum2' "$tmp/slurm/results/report.md")" -eq 1 ] || fail "Slurm run: report does not list one model"
echo "3 jobs through sbatch"
echo "workflow test passed"
