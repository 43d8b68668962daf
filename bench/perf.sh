#!/bin/sh
# rbpattn against PyTorch, side by side in one run: config A (L=101, d=64, 4 heads, 2 layers,
# d_ff=256), config B (L=41, d=128, 8 heads, 4 layers, d_ff=512) and the conv-stem model of
# the RBP-31 benchmark (bench/rbp31.sh defaults), each at 1 and 2 threads, with
# OPENBLAS_CORETYPE=SkylakeX and with OpenBLAS as Debian ships it. rbpattn (bench/bench_train)
# and the peer (../shared/peers/torch_ref.py; bench/torch_stem.py for the stem model) run
# alternately, `reps` times each, so both see the same machine noise. Also: the cblas_sgemm
# peak of the same run (../shared/peers/sgemm_bench.c) and the stem model's seq/s at
# L = 101, 201, 375, 751, without and with a pooling stem of 8 (--stem-pool 8, rbpattn-train's
# default for whole viewpoint records). Writes a Markdown table (default
# bench/results/perf-<date>.md).
# Not run in CI; installs Debian's python3-torch when missing (needs root).
#   sh bench/perf.sh [reps=3] [output.md]
# Environment: RBP_PERF_NTRAIN (1024) sequences per epoch, RBP_PERF_EPOCHS (2) timed epochs,
# RBP_PERF_NICE (0) niceness, RBP_PERF_ENVS ("skx debian") BLAS settings to run.
set -eu
cd "$(dirname "$0")/.."
reps=${1:-3}
out_md=${2:-bench/results/perf-$(date -u +%Y-%m-%d).md}
ntrain=${RBP_PERF_NTRAIN:-1024}
epochs=${RBP_PERF_EPOCHS:-2}
niceness=${RBP_PERF_NICE:-0}
envs=${RBP_PERF_ENVS:-skx debian}
cmdline="sh bench/perf.sh $*"
shared=""
for s in ../shared ../../shared; do [ -f "$s/peers/torch_ref.py" ] && shared=$s && break; done
[ -n "$shared" ] || { echo "perf.sh: ../shared/peers (torch_ref.py, sgemm_bench.c) not found" >&2; exit 1; }
peer=$shared/peers/torch_ref.py

if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
    echo "perf.sh: installing python3-torch (Debian)" >&2
    apt-get install -y python3-torch >&2
fi
if [ ! -x build/bench/bench_train ]; then
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >&2
    cmake --build build -j2 --target bench_train >&2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -O2 -std=c11 -fopenmp "$shared/peers/sgemm_bench.c" -o "$tmp/sgemm_bench" -lopenblas

A="-L 101 -d 64 --heads 4 --layers 2 --d-ff 256"
B="-L 41 -d 128 --heads 8 --layers 4 --d-ff 512"
S="-d 32 --heads 4 --layers 1 --d-ff 64 --head-hidden 32 --conv-kernel 9 --pooling mean"
common="--n-train $ntrain --n-test $ntrain --epochs $epochs --infer-reps 2"

# blas_env NAME: the environment of one BLAS setting
blas_env() { if [ "$1" = skx ]; then echo "OPENBLAS_CORETYPE=SkylakeX"; else echo "RBP_PERF_DEBIAN=1"; fi; }

for e in $envs; do
    for t in 1 2; do
        # shellcheck disable=SC2046
        env $(blas_env "$e") nice -n "$niceness" "$tmp/sgemm_bench" "$t" 0.5 square > "$tmp/sgemm-$e-$t.txt"
    done
done

run_pair() { # env config-name threads "args" peer-script extra-peer-args
    e=$1 name=$2 t=$3 args=$4 script=$5 pextra=$6
    # shellcheck disable=SC2046,SC2086
    env $(blas_env "$e") OPENBLAS_NUM_THREADS=1 nice -n "$niceness" ./build/bench/bench_train --threads "$t" $args \
        $common >> "$tmp/rbp-$e-$name-$t.jsonl" 2>/dev/null
    # shellcheck disable=SC2046,SC2086
    env $(blas_env "$e") nice -n "$niceness" /usr/bin/python3 "$script" --threads "$t" $args $pextra $common \
        --json "$tmp/torch-$e-$name-$t.jsonl" > /dev/null
}

i=0
while [ "$i" -lt "$reps" ]; do
    for e in $envs; do
        for t in 1 2; do
            run_pair "$e" A "$t" "$A" "$peer" ""
            run_pair "$e" B "$t" "$B" "$peer" ""
            run_pair "$e" S "$t" "$S" bench/torch_stem.py "--vocab 6"
        done
    done
    i=$((i + 1))
done
# the stem model's cost against the input length (rbpattn only, SkylakeX, 1 and 2 threads)
for L in 101 201 375 751; do
    n=$((ntrain * 101 / L)); [ "$n" -ge 128 ] || n=128
    for t in 1 2; do
        # shellcheck disable=SC2086
        OPENBLAS_CORETYPE=SkylakeX nice -n "$niceness" ./build/bench/bench_train --threads "$t" $S -L "$L" \
            --n-train "$n" --n-test "$n" --epochs "$epochs" --infer-reps 2 >> "$tmp/len-$L-$t.jsonl" 2>/dev/null
        # the same with the pooling stem of whole viewpoint records (--stem-pool 8)
        # shellcheck disable=SC2086
        OPENBLAS_CORETYPE=SkylakeX nice -n "$niceness" ./build/bench/bench_train --threads "$t" $S -L "$L" \
            --stem-pool 8 --n-train "$n" --n-test "$n" --epochs "$epochs" --infer-reps 2 \
            >> "$tmp/len-$L-$t-p8.jsonl" 2>/dev/null
    done
done

mkdir -p "$(dirname "$out_md")"
/usr/bin/python3 - "$tmp" "$out_md" "$reps" "$cmdline" "$envs" "$ntrain" "$epochs" <<'PY'
import glob, json, os, re, statistics, subprocess, sys, time
tmp, out_md, reps, cmdline, envs, ntrain, epochs = sys.argv[1:8]
envs = envs.split()
def rows(p): return [json.loads(l) for l in open(p)] if os.path.exists(p) else []
def med(rs, k): return statistics.median(r[k] for r in rs) if rs else float("nan")
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
def peak(e, t):
    txt = open(f"{tmp}/sgemm-{e}-{t}.txt").read()
    m = re.findall(r"M=2048\s.*?median\s+([\d.]+)", txt)
    core = re.search(r"core=(\S+)", txt)
    return (float(m[0]) if m else float("nan")), (core.group(1) if core else "?")
names = {"A": "A (L=101, d=64, 4 heads, 2 layers, d_ff=256)", "B": "B (L=41, d=128, 8 heads, 4 layers, d_ff=512)",
         "S": "stem (L=101, conv 9, d=32, 4 heads, 1 layer, d_ff=64, head 32, mean)"}
fl = {}
L = []
L.append(f"# rbpattn vs PyTorch: training and inference throughput ({time.strftime('%Y-%m-%d', time.gmtime())})\n")
L.append(f"- CPU: `{cpu}`, {os.cpu_count()} cores; date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
L.append(f"- Command: `{cmdline}` ({reps} alternating repetitions per cell; {ntrain} training sequences "
         f"per epoch, 1 untimed + {epochs} timed epochs, inference over {ntrain} sequences in batches of 256, "
         f"1 untimed + 2 timed passes; medians)")
L.append("- rbpattn: bench/bench_train, `--threads N` = N threads inside each training step and each "
         "inference batch (rows shared out), BLAS at 1 thread. PyTorch: torch.set_num_threads(N), "
         "OpenBLAS at N threads (the peer's child-process setup).")
L.append("- GFLOP/s: the peer's analytic matmul count (training = 3 x forward); % peak = against the "
         "same run's cblas_sgemm square-2048 median at the same thread count (sgemm_bench).")
L.append("")
for e in envs:
    lab = "OPENBLAS_CORETYPE=SkylakeX" if e == "skx" else "OpenBLAS as Debian ships it (no OPENBLAS_CORETYPE)"
    p1, core = peak(e, 1)
    p2, _ = peak(e, 2)
    L.append(f"## {lab}\n")
    L.append(f"sgemm peak (square 2048, OpenBLAS core {core}): 1 thread {p1:.1f} GFLOP/s, 2 threads {p2:.1f} GFLOP/s\n")
    L.append("| config | thr | rbp train seq/s | torch train | ratio | rbp infer seq/s | torch infer | ratio "
             "| rbp train GFLOP/s (% peak) | torch train GFLOP/s (% peak) | rbp RSS train / end MiB "
             "| torch RSS train / end MiB | params rbp / torch | loss rbp / torch (first -> last) |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in "ABS":
        for t in (1, 2):
            r = rows(f"{tmp}/rbp-{e}-{name}-{t}.jsonl")
            q = rows(f"{tmp}/torch-{e}-{name}-{t}.jsonl")
            if not r or not q:
                continue
            pk = p1 if t == 1 else p2
            ftr = q[0]["flops_train_per_seq"]
            rt, qt = med(r, "train_seq_per_s"), med(q, "train_seq_per_s")
            ri, qi = med(r, "infer_seq_per_s"), med(q, "infer_seq_per_s")
            rg, qg = rt * ftr / 1e9, qt * ftr / 1e9
            fl[(e, name, t)] = (rt, ri, qt, qi)
            rl, ql = r[-1]["loss_first_last"], q[-1]["loss_first_last"]
            c = q[-1]["config"]  # the peer's parameter count (its n_params; torch_stem.py reports it)
            d, f, H, Lq = c["d"], c["d_ff"], 64, c["L"]
            tp = q[-1].get("n_params") or (5 * d + c["layers"] * (4 * (d * d + d) + 2 * d * f + f + d + 4 * d)
                                           + Lq * d * H + H + H + 1)
            L.append(f"| {name} | {t} | {rt:.1f} | {qt:.1f} | {rt / qt:.2f}x | {ri:.1f} | {qi:.1f} | {ri / qi:.2f}x "
                     f"| {rg:.1f} ({100 * rg / pk:.1f}%) | {qg:.1f} ({100 * qg / pk:.1f}%) "
                     f"| {med(r, 'train_peak_rss_mib'):.0f} / {med(r, 'peak_rss_mib'):.0f} "
                     f"| {med(q, 'peak_rss_mib_train'):.0f} / {med(q, 'peak_rss_mib_end'):.0f} "
                     f"| {r[0]['params']} / {tp} | {rl[0]:.3f}->{rl[1]:.3f} / {ql[0]:.3f}->{ql[1]:.3f} |")
    L.append("")
    L.append("2-thread / 1-thread scaling (own throughput):\n")
    L.append("| config | rbp train | rbp infer | torch train | torch infer |")
    L.append("|---|---|---|---|---|")
    for name in "ABS":
        if (e, name, 1) in fl and (e, name, 2) in fl:
            a, b = fl[(e, name, 1)], fl[(e, name, 2)]
            L.append(f"| {name} | {b[0] / a[0]:.2f}x | {b[1] / a[1]:.2f}x | {b[2] / a[2]:.2f}x | {b[3] / a[3]:.2f}x |")
    L.append("")
L.append("## Stem model against the input length (rbpattn, OPENBLAS_CORETYPE=SkylakeX)\n")
L.append("| L | stem pool | train seq/s 1 thr | train seq/s 2 thr | infer seq/s 1 thr | infer seq/s 2 thr | RSS train MiB (1 thr) |")
L.append("|---|---|---|---|---|---|---|")
for Lx in (101, 201, 375, 751):
    for pool, sfx in (("none", ""), ("8", "-p8")):
        a, b = rows(f"{tmp}/len-{Lx}-1{sfx}.jsonl"), rows(f"{tmp}/len-{Lx}-2{sfx}.jsonl")
        if a and b:
            L.append(f"| {Lx} | {pool} | {med(a, 'train_seq_per_s'):.1f} | {med(b, 'train_seq_per_s'):.1f} | "
                     f"{med(a, 'infer_seq_per_s'):.1f} | {med(b, 'infer_seq_per_s'):.1f} | {med(a, 'train_peak_rss_mib'):.0f} |")
L.append("")
open(out_md, "w").write("\n".join(L) + "\n")
print("\n".join(L))
PY
echo "perf.sh: wrote $out_md" >&2
