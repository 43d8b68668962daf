#!/bin/sh
# Side-by-side throughput of rbpattn and the PyTorch peer on the same model, data protocol and
# core count, run alternately `reps` times so both see the same machine noise; prints medians
# and the ratio. Needs a Release build (build/) and Debian's python3-torch.
#   sh bench/run_vs_torch.sh [reps=3] [threads=1] [extra args for both, e.g. "-L 41 -d 128"]
set -eu
cd "$(dirname "$0")/.."
reps=${1:-3}
threads=${2:-1}
extra=${3:-}
peer=${RBP_TORCH_REF:-../shared/peers/torch_ref.py}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
[ -x build/bench/bench_train ] || { echo "build first: cmake -S . -B build && cmake --build build" >&2; exit 1; }
[ -f "$peer" ] || { echo "PyTorch peer not found at $peer (set RBP_TORCH_REF)" >&2; exit 1; }
i=0
while [ "$i" -lt "$reps" ]; do
    # shellcheck disable=SC2086
    OPENBLAS_NUM_THREADS=$threads ./build/bench/bench_train --threads "$threads" $extra >> "$out/rbp.jsonl"
    # shellcheck disable=SC2086
    /usr/bin/python3 "$peer" --threads "$threads" $extra --json "$out/torch.jsonl" > /dev/null
    i=$((i + 1))
done
/usr/bin/python3 - "$out/rbp.jsonl" "$out/torch.jsonl" <<'PY'
import json, statistics, sys
rbp = [json.loads(l) for l in open(sys.argv[1])]
tor = [json.loads(l) for l in open(sys.argv[2])]
def med(rows, k): return statistics.median(r[k] for r in rows)
print("config:", rbp[0]["config"], "threads:", rbp[0]["threads"], "runs:", len(rbp), "each")
print(f"{'':10} {'train seq/s':>12} {'infer seq/s':>12} {'test AUC':>9}")
for name, rows in (("rbpattn", rbp), ("pytorch", tor)):
    print(f"{name:10} {med(rows, 'train_seq_per_s'):12.1f} {med(rows, 'infer_seq_per_s'):12.1f} "
          f"{statistics.median(r.get('test_auc', float('nan')) for r in rows):9.3f}")
print(f"{'ratio':10} {med(rbp, 'train_seq_per_s') / med(tor, 'train_seq_per_s'):11.2f}x "
      f"{med(rbp, 'infer_seq_per_s') / med(tor, 'infer_seq_per_s'):11.2f}x")
PY
