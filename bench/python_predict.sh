#!/bin/sh
# Python vs C prediction throughput on the same model and the same data: rbpattn-predict against
# a Python program doing the same job through the package (rbpattn.Model.load, predict_file,
# write the "id<TAB>score" TSV), each as a whole process (start-up, model load, streaming read,
# inference, output), RUNS times alternately; the medians are compared (target: Python within
# 10% of C). The two TSV files must be byte-identical. The model is the study's architecture
# (L 101, d 64, 4 heads, 2 layers; untrained weights cost the same to run), the data a FASTA of
# 101-nt windows from bench_reader --generate. Writes $OUT (default
# bench/results/python-<UTC date>.md).
#   sh bench/python_predict.sh          (BUILD=build MB=2 RUNS=5 THREADS=1 PYTHON=python3 with numpy)
set -eu
cd "$(dirname "$0")/.."
build=${BUILD:-build}
mb=${MB:-2}
runs=${RUNS:-5}
threads=${THREADS:-1}
out=${OUT:-bench/results/python-$(date -u +%Y-%m-%d).md}
py=${PYTHON:-}
if [ -z "$py" ]; then
    for p in python3 /usr/bin/python3; do
        if "$p" -c "import numpy" 2>/dev/null; then py=$p; break; fi
    done
fi
[ -n "$py" ] || { echo "python_predict.sh: no python3 with numpy (set PYTHON)" >&2; exit 2; }
predict=$build/examples/rbpattn-predict
for p in "$predict" "$build/bench/bench_reader" "$build/librbpattn.so"; do
    [ -e "$p" ] || { echo "python_predict.sh: $p missing (build the project first)" >&2; exit 2; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rbp_py_bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
export RBPATTN_LIBRARY="$PWD/$build/librbpattn.so" PYTHONPATH="$PWD/python" OPENBLAS_NUM_THREADS=1

"$build/bench/bench_reader" --generate "$tmp/windows.fa" "$mb" >&2
"$py" -c "import rbpattn; rbpattn.Model(seq_len=101).save('$tmp/model.rbp')"
cat >"$tmp/predict.py" <<'EOF'
import sys
import rbpattn
model_path, threads, fasta, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ids, scores = rbpattn.Model.load(model_path).predict_file(fasta, threads=threads)
with open(out, "w") as f:
    f.write("id\tscore\n")
    f.writelines(f"{i}\t{s:.9g}\n" for i, s in zip(ids, scores.tolist()))
EOF

"$py" - "$predict" "$py" "$tmp" "$threads" "$runs" "$mb" "$out" <<'EOF'
import os, platform, resource, statistics, subprocess, sys, time
import rbpattn
predict, py, tmp, threads, runs, mb, out = sys.argv[1:8]
fa, model = f"{tmp}/windows.fa", f"{tmp}/model.rbp"
c_cmd = [predict, "-m", model, "--threads", threads, "--quiet", "-o", f"{tmp}/c.tsv", fa]
py_cmd = [py, f"{tmp}/predict.py", model, threads, fa, f"{tmp}/py.tsv"]
times, cpu = {"c": [], "py": []}, {"c": [], "py": []}


def child_cpu():
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


for r in range(int(runs)):
    for k, cmd in (("c", c_cmd), ("py", py_cmd)) if r % 2 == 0 else (("py", py_cmd), ("c", c_cmd)):
        t0, c0 = time.perf_counter(), child_cpu()
        subprocess.run(cmd, check=True)
        times[k].append(time.perf_counter() - t0)
        cpu[k].append(child_cpu() - c0)
c_tsv, py_tsv = open(f"{tmp}/c.tsv", "rb").read(), open(f"{tmp}/py.tsv", "rb").read()
if c_tsv != py_tsv:
    sys.exit("python_predict.sh: the Python and C score files differ")
n = c_tsv.count(b"\n") - 1
med = {k: statistics.median(v) for k, v in times.items()}
mcpu = {k: statistics.median(v) for k, v in cpu.items()}
ratio = med["c"] / med["py"]  # Python throughput as a fraction of C's
cpu_ratio = mcpu["c"] / mcpu["py"]
best = {k: min(v) for k, v in times.items()}
best_ratio = best["c"] / best["py"]
load = os.getloadavg()
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
lines = [
    f"# Python vs C predict throughput ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})", "",
    f"Command: `MB={mb} RUNS={runs} THREADS={threads} sh bench/python_predict.sh`", "",
    f"- Data: {n} FASTA windows of 101 nt ({mb} MiB, bench_reader --generate); model: the study's architecture "
    f"(L 101, d 64, 4 heads, 2 layers, flatten pooling; {rbpattn.Model.load(model).num_params} parameters).",
    f"- Machine: {cpu}, {os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
    f"(shared); GEMM {rbpattn.gemm_backend()}; librbpattn {rbpattn.version()}; Python {platform.python_version()}, "
    f"numpy {__import__('numpy').__version__}.",
    f"- Each run is a whole process: start-up, model load, streamed read (chunks of 4096), inference "
    f"(batches of 256, {threads} thread(s)), TSV output. Runs alternate C / Python; medians of {runs}.",
    f"- The two TSV outputs are byte-identical.",
    f"- CPU = user + system time of the process: on a shared machine it varies much less than wall time,"
    f" and the fastest wall run is the one least disturbed by other load.", "",
    "| program | median wall (s) | fastest wall (s) | wall runs (s) | seq/s (median wall) | median CPU (s) | seq/s (CPU) |",
    "|---|---|---|---|---|---|---|",
]
for k, name in (("c", "rbpattn-predict (C)"), ("py", "Python: Model.load + predict_file + TSV")):
    lines.append(f"| {name} | {med[k]:.3f} | {best[k]:.3f} | {' '.join(f'{t:.2f}' for t in times[k])} | "
                 f"{n / med[k]:.0f} | {mcpu[k]:.3f} | {n / mcpu[k]:.0f} |")
lines += ["", f"Python throughput as a share of C's: **{100 * cpu_ratio:.1f}%** by CPU time, {100 * best_ratio:.1f}% "
          f"by fastest wall time, {100 * ratio:.1f}% by median wall time (target: at least 90%)."]
text = "\n".join(lines) + "\n"
os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
with open(out, "w") as f:
    f.write(text)
sys.stdout.write(text)
EOF
