#!/bin/sh
# Bounded kill test: SIGKILL a checkpointed training run at KILLS (default 20) random points,
# resuming from the checkpoint each time; after every kill the checkpoint left behind must
# load (rbpattn-info), and the final model of the interrupted run must score exactly like
# an uninterrupted run's (predictions compared bit for bit as %.9g text), and no temporary file
# a kill left may remain after the resumed run.
#   sh bench/kill_test.sh [BUILD] [KILLS]
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
kills=${2:-20}
bin=$build/examples
data=tests/data/rbp31/PUM2_training_sample_0_first200.fa.gz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
epochs=${EPOCHS:-40}
common="--fasta $data --epochs $epochs --seed 7 --threads 1 --quiet --d-model 16 --heads 2 --layers 1 --d-ff 32 --head-hidden 16"

# shellcheck disable=SC2086
"$bin/rbpattn-train" $common --checkpoint "$work/full.rbpt" --save "$work/full.rbp" >/dev/null
"$bin/rbpattn-predict" -m "$work/full.rbp" "$data" >"$work/full.tsv" 2>/dev/null

ck=$work/ck.rbpt
k=0
loads=0
finished=0
seed=${KILL_SEED:-$$}
while [ $k -lt "$kills" ]; do
    resume=""
    [ -f "$ck" ] && resume="--resume $ck"
    # shellcheck disable=SC2086
    "$bin/rbpattn-train" $common $resume --checkpoint "$ck" --save "$work/run.rbp" >/dev/null 2>&1 &
    pid=$!
    # a random delay in [0.02, 1.5) s from a seeded LCG (reproducible with KILL_SEED)
    seed=$(( (seed * 1103515245 + 12345) % 2147483648 ))
    delay=$(awk -v r="$seed" 'BEGIN { printf "%.3f", 0.02 + (r % 1480) / 1000 }')
    sleep "$delay"
    if kill -9 "$pid" 2>/dev/null; then
        wait "$pid" 2>/dev/null || true
        k=$((k + 1))
        if [ -f "$ck" ]; then
            "$bin/rbpattn-info" "$ck" >/dev/null 2>"$work/info.err" ||
                { cat "$work/info.err" >&2; echo "kill_test: checkpoint after kill $k does not load" >&2; exit 1; }
            loads=$((loads + 1))
        fi
    else
        wait "$pid" || { echo "kill_test: the training run failed on its own" >&2; exit 1; }
        finished=1
        rm -f "$ck" # it completed before the kill: start over for the remaining kills
    fi
done
# The kills leave temporary files (a kill between creating one and its rename). The next write
# of the same path removes those of dead writers older than a minute: age them by two minutes
# (instead of waiting) and let the resumed run clean them up.
# One more, named as the library names them, by the last killed run (a dead pid), so that the
# check has something to remove even when no kill hit a write.
echo partial >"$ck.tmp.$(uname -n | cut -d. -f1 | cut -c1-32).$pid.999"
left=$(find "$work" -name '*.tmp.*' | wc -l)
find "$work" -name '*.tmp.*' -exec touch -d '2 minutes ago' {} +
# finish the interrupted run
resume=""
[ -f "$ck" ] && resume="--resume $ck"
# shellcheck disable=SC2086
"$bin/rbpattn-train" $common $resume --checkpoint "$ck" --save "$work/run.rbp" >/dev/null
"$bin/rbpattn-predict" -m "$work/run.rbp" "$data" >"$work/run.tsv" 2>/dev/null
temps=$(find "$work" -name '*.tmp.*' | wc -l)
if [ "$temps" -ne 0 ]; then
    echo "kill_test: FAILED: $temps stale temporary files remain after the resumed run:" >&2
    find "$work" -name '*.tmp.*' >&2
    exit 1
fi
if cmp -s "$work/full.tsv" "$work/run.tsv"; then
    echo "kill_test: $k kills ($loads checkpoints checked, all load; a run finished between kills: $finished;" \
        "$left temporary files left by the kills, 0 after the resumed run); resumed predictions equal the" \
        "uninterrupted run's"
else
    echo "kill_test: FAILED: the resumed run's predictions differ from the uninterrupted run's" >&2
    diff "$work/full.tsv" "$work/run.tsv" | head >&2
    exit 1
fi
