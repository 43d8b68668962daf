#!/usr/bin/python3
"""torch_stem.py - ../shared/peers/torch_ref.py plus rbpattn's convolutional stem and pooling,
so that the model of the RBP-31 benchmark (bench/rbp31.sh: --conv-kernel 9 --pooling mean
--d-model 32 --heads 4 --layers 1 --d-ff 64 --head-hidden 32) has a PyTorch peer with the same
layers and parameter count (bench/perf.sh checks both). Changes to the peer, nothing else:
  --conv-kernel K: x + ReLU(Conv1d_K(x)) ('same' zero padding, bias; pad positions zeroed
    first, as rbpattn's im2col does) between the input dropout and the encoder layers
  --pooling mean: masked mean over the real positions -> Dense(H, ReLU) -> Dense(1)
  --vocab V: rows of the token embedding (rbpattn has 6: A C G U N pad)
  FLOP and parameter counts include the stem and the pooled head.

The peer's own description follows.

torch_ref.py - PyTorch reference for rbpattn's transformer encoder (performance anchor).

Model (TensorFlow "Transformer" tutorial encoder, post-norm), for RBP-binding prediction:
  tokens (A,C,G,U,pad=4; N and anything else -> pad)
  -> Embedding(5, d) * sqrt(d) + sinusoidal PE -> Dropout
  -> layers x [ x = LN(x + Drop(MHA(x)));  x = LN(x + Drop(FFN(x))) ]   (FFN = Dense(d_ff, ReLU), Dense(d))
  -> flatten (L*d) -> Dense(64, ReLU) -> Dense(1)
  loss: BCE-with-logits (classification) or MSE (regression)
  Adam(0.9, 0.98, eps 1e-9), lr = d^-0.5 * min(step^-0.5, step * warmup^-1.5), warmup 4000, batch 64.
MHA: Q,K,V,O dense layers with bias; softmax(QK^T/sqrt(dh) + pad_mask) with dropout on the
attention weights (as Keras MultiHeadAttention(dropout=rate) in the tutorial); key positions that
are pad are masked (disable with --no-mask).

Without --data, synthetic data are generated: uniform random ACGU sequences; in half of them a
motif (default UGCAUG, RBFOX-like) is planted 1..3 times. Target = number of motif occurrences
(regression) or occurrences > 0 (classification).

--data FILE: text file, one example per line: "SEQUENCE<whitespace>TARGET" ('#' lines ignored);
sequences are truncated / right-padded with pad to --seq-len.

Each thread count is measured in a fresh child process (so peak RSS and thread settings are
clean); OPENBLAS_NUM_THREADS / OMP_NUM_THREADS are set to the thread count in the child, since
torch.set_num_threads() does not limit OpenBLAS's own pthread pool.

Run with Debian's interpreter: /usr/bin/python3 torch_ref.py --help
"""
import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time

# Peak cblas_sgemm GFLOP/s measured on this machine (sgemm_bench, square 2048, median) - see README.
DEFAULT_PEAK = {1: 187.2, 2: 356.7}

PAD = 4
BASES = {"A": 0, "C": 1, "G": 2, "U": 3, "T": 3}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", help="examples file (SEQUENCE TARGET per line); synthetic if absent")
    p.add_argument("--task", choices=["classification", "regression"], default="classification")
    p.add_argument("--seq-len", "-L", type=int, default=101)
    p.add_argument("--d-model", "-d", type=int, default=64)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--d-ff", type=int, default=256)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--head-hidden", type=int, default=64, help="hidden units of the dense head")
    p.add_argument("--conv-kernel", type=int, default=0, help="convolutional stem width (0 = none)")
    p.add_argument("--pooling", choices=["flatten", "mean"], default="flatten")
    p.add_argument("--vocab", type=int, default=5, help="token embedding rows")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--warmup", type=int, default=4000, help="LR warmup steps")
    p.add_argument("--ln-eps", type=float, default=1e-6)
    p.add_argument("--no-mask", action="store_true", help="do not mask pad keys in attention")
    p.add_argument("--motif", default="UGCAUG")
    p.add_argument("--n-train", type=int, default=4096, help="synthetic training sequences (one epoch)")
    p.add_argument("--n-test", type=int, default=4096, help="synthetic held-out sequences")
    p.add_argument("--warmup-epochs", type=int, default=1, help="untimed epochs before timing")
    p.add_argument("--epochs", type=int, default=5, help="timed training epochs (median reported)")
    p.add_argument("--infer-batch", type=int, default=256)
    p.add_argument("--infer-reps", type=int, default=5, help="timed inference passes over the test set")
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts, each in a child process")
    p.add_argument("--blas-threads", type=int, default=0,
                   help="OPENBLAS_NUM_THREADS in the child (0 = same as the torch thread count)")
    p.add_argument("--peak", default=None,
                   help="SGEMM peak GFLOP/s per thread count, e.g. '1:187,2:357' (default: measured values)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--check-flops", action="store_true",
                   help="also count matmul FLOPs of one batch with torch.profiler (cross-check)")
    p.add_argument("--profile", action="store_true",
                   help="print a torch.profiler op table of 10 training steps (per thread count) and exit")
    p.add_argument("--json", help="append one JSON line per thread count to this file")
    p.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


# ----------------------------------------------------------------------------- FLOP model
def flops_per_seq(a):
    """Analytic matmul FLOPs (2 per multiply-add) for one sequence.
    Dense parts: 2 * tokens * weights; attention: QK^T and PV = 4 * L^2 * d per layer.
    Embedding lookup, softmax, LayerNorm, bias, ReLU, dropout, Adam are not counted (O(L*d))."""
    L, d, f, H = a.seq_len, a.d_model, a.d_ff, a.head_hidden
    dense_layer = 2 * L * (4 * d * d + 2 * d * f)   # Q,K,V,O projections + FFN
    attn_layer = 4 * L * L * d                     # QK^T (2*L*L*d) + PV (2*L*L*d)
    P = L * d if a.pooling == "flatten" else d
    head = 2 * (P * H + H)                         # flatten/pool -> H -> 1
    stem = 2 * L * a.conv_kernel * d * d           # Conv1d d -> d, kernel K
    fwd = a.layers * (dense_layer + attn_layer) + head + stem
    return {"fwd": fwd, "train": 3 * fwd, "dense_layer": dense_layer, "attn_layer": attn_layer, "head": head}


def n_params(a):
    L, d, f, H = a.seq_len, a.d_model, a.d_ff, a.head_hidden
    layer = 4 * (d * d + d) + (d * f + f) + (f * d + d) + 2 * 2 * d
    P = L * d if a.pooling == "flatten" else d
    stem = a.conv_kernel * d * d + d if a.conv_kernel else 0
    return a.vocab * d + stem + a.layers * layer + (P * H + H) + (H + 1)


# ----------------------------------------------------------------------------- data
def encode(seq, L):
    ids = [BASES.get(ch, PAD) for ch in seq.upper()[:L]]
    return ids + [PAD] * (L - len(ids))


def count_motif(ids, motif_ids):
    m = len(motif_ids)
    return sum(1 for i in range(len(ids) - m + 1) if ids[i:i + m] == motif_ids)


def synthetic(n, a, rng):
    motif = [BASES[c] for c in a.motif]
    X, y = [], []
    for _ in range(n):
        ids = [rng.randrange(4) for _ in range(a.seq_len)]
        if rng.random() < 0.5:
            for _ in range(rng.randint(1, 3)):
                pos = rng.randrange(a.seq_len - len(motif) + 1)
                ids[pos:pos + len(motif)] = motif
        c = count_motif(ids, motif)
        X.append(ids)
        y.append(float(c) if a.task == "regression" else float(c > 0))
    return X, y


def load_file(path, a):
    X, y = [], []
    with open(path) as fh:
        for line in fh:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            X.append(encode(parts[0], a.seq_len))
            y.append(float(parts[1]))
    return X, y


# ----------------------------------------------------------------------------- model
def build(a):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    def dense(i, o):
        lin = nn.Linear(i, o)
        nn.init.xavier_uniform_(lin.weight)  # Keras glorot_uniform, zero bias
        nn.init.zeros_(lin.bias)
        return lin

    class MHA(nn.Module):
        def __init__(self, d, h, p):
            super().__init__()
            self.h, self.dh = h, d // h
            self.q, self.k, self.v, self.o = dense(d, d), dense(d, d), dense(d, d), dense(d, d)
            self.drop = nn.Dropout(p)

        def forward(self, x, mask):  # x [B,L,d]; mask [B,1,1,L] additive or None
            B, L, d = x.shape
            sh = lambda t: t.view(B, L, self.h, self.dh).transpose(1, 2)  # [B,h,L,dh]
            q, k, v = sh(self.q(x)), sh(self.k(x)), sh(self.v(x))
            s = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(self.dh))
            if mask is not None:
                s = s + mask
            p = self.drop(F.softmax(s, dim=-1))
            o = torch.matmul(p, v).transpose(1, 2).reshape(B, L, d)
            return self.o(o)

    class EncoderLayer(nn.Module):
        def __init__(self, d, h, f, p, eps):
            super().__init__()
            self.mha = MHA(d, h, p)
            self.ff1, self.ff2 = dense(d, f), dense(f, d)
            self.ln1, self.ln2 = nn.LayerNorm(d, eps=eps), nn.LayerNorm(d, eps=eps)
            self.drop1, self.drop2 = nn.Dropout(p), nn.Dropout(p)

        def forward(self, x, mask):  # post-norm
            x = self.ln1(x + self.drop1(self.mha(x, mask)))
            return self.ln2(x + self.drop2(self.ff2(F.relu(self.ff1(x)))))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            d, L = a.d_model, a.seq_len
            self.emb = nn.Embedding(a.vocab, d)
            nn.init.uniform_(self.emb.weight, -0.05, 0.05)  # Keras Embedding default
            pos = torch.arange(L, dtype=torch.float32)[:, None]
            i = torch.arange(d, dtype=torch.float32)[None, :]
            ang = pos / torch.pow(10000.0, (2 * torch.div(i, 2, rounding_mode="floor")) / d)
            pe = torch.where(i.long() % 2 == 0, torch.sin(ang), torch.cos(ang))  # tutorial layout
            self.register_buffer("pe", pe[None])
            self.drop = nn.Dropout(a.dropout)
            self.layers = nn.ModuleList(
                [EncoderLayer(d, a.heads, a.d_ff, a.dropout, a.ln_eps) for _ in range(a.layers)])
            P = L * d if a.pooling == "flatten" else d
            self.fc1, self.fc2 = dense(P, a.head_hidden), dense(a.head_hidden, 1)
            self.scale = math.sqrt(d)
            self.stem = None
            if a.conv_kernel:
                self.stem = nn.Conv1d(d, d, a.conv_kernel, padding="same")
                nn.init.xavier_uniform_(self.stem.weight)
                nn.init.zeros_(self.stem.bias)

        def forward(self, tok):  # tok [B,L] int64
            mask = None
            if not a.no_mask:
                mask = (tok == PAD).to(torch.float32)[:, None, None, :] * -1e9
            x = self.drop(self.emb(tok) * self.scale + self.pe)
            real = (tok != PAD).to(torch.float32)[:, :, None]  # [B,L,1]
            if self.stem is not None:  # residual conv stem over the real positions
                x = x + F.relu(self.stem((x * real).transpose(1, 2)).transpose(1, 2))
            for layer in self.layers:
                x = layer(x, mask)
            if a.pooling == "mean":
                pooled = (x * real).sum(1) / real.sum(1).clamp(min=1.0)
            else:
                pooled = x.flatten(1)
            return self.fc2(F.relu(self.fc1(pooled))).squeeze(-1)

    return Net()


# ----------------------------------------------------------------------------- child: measure
def child(a, nthreads):
    import random
    import numpy as np
    import torch
    torch.set_num_threads(nthreads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)
    if a.data:
        X, y = load_file(a.data, a)
        n_test = max(1, len(X) // 5)
        Xtr, ytr, Xte, yte = X[n_test:], y[n_test:], X[:n_test], y[:n_test]
    else:
        Xtr, ytr = synthetic(a.n_train, a, rng)
        Xte, yte = synthetic(a.n_test, a, rng)
    Xtr, ytr = torch.tensor(Xtr, dtype=torch.long), torch.tensor(ytr)
    Xte, yte = torch.tensor(Xte, dtype=torch.long), torch.tensor(yte)
    rss_data_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    model = build(a)
    n_p = sum(p.numel() for p in model.parameters())
    assert n_p == n_params(a), (n_p, n_params(a))
    opt = torch.optim.Adam(model.parameters(), lr=1.0, betas=(0.9, 0.98), eps=1e-9)
    loss_fn = torch.nn.BCEWithLogitsLoss() if a.task == "classification" else torch.nn.MSELoss()
    step = 0

    def lr_at(s):
        return a.d_model ** -0.5 * min(s ** -0.5, s * a.warmup ** -1.5)

    def epoch():
        nonlocal step
        model.train()
        perm = torch.randperm(len(Xtr))
        n_seen, tot = 0, 0.0
        for b0 in range(0, len(Xtr) - a.batch + 1, a.batch):  # full batches only
            idx = perm[b0:b0 + a.batch]
            step += 1
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(Xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            n_seen += len(idx)
            tot += loss.item() * len(idx)
        return n_seen, tot / max(1, n_seen)

    if a.check_flops:  # cross-check the analytic count with torch.profiler (counts mm/addmm/bmm)
        from torch.profiler import profile, ProfilerActivity
        xb, yb = Xtr[:a.batch], ytr[:a.batch]
        with profile(activities=[ProfilerActivity.CPU], with_flops=True) as prof:
            out = model(xb)
        fwd = sum(e.flops for e in prof.key_averages() if e.flops)
        with profile(activities=[ProfilerActivity.CPU], with_flops=True) as prof:
            loss_fn(model(xb), yb).backward()
        trn = sum(e.flops for e in prof.key_averages() if e.flops)
        return {"threads": nthreads, "profiler_flops": {"fwd_per_seq": fwd / a.batch, "train_per_seq": trn / a.batch}}

    if a.profile:  # op-level breakdown of a few training steps (after 1 warm-up epoch)
        from torch.profiler import profile, ProfilerActivity
        epoch()
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for b0 in range(0, 10 * a.batch, a.batch):
                opt.zero_grad(set_to_none=True)
                loss_fn(model(Xtr[b0:b0 + a.batch]), ytr[b0:b0 + a.batch]).backward()
                opt.step()
        print("TRAINING (10 steps)", file=sys.stderr)
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25), file=sys.stderr)
        model.eval()
        with torch.no_grad(), profile(activities=[ProfilerActivity.CPU]) as prof:
            for i in range(0, min(len(Xte), 4 * a.infer_batch), a.infer_batch):
                model(Xte[i:i + a.infer_batch])
        print(f"INFERENCE (batch {a.infer_batch})", file=sys.stderr)
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15), file=sys.stderr)
        return {"threads": nthreads, "profiled": True}

    train_sps, losses = [], []
    c0 = time.process_time()
    w0 = time.perf_counter()
    for e in range(a.warmup_epochs + a.epochs):
        t0 = time.perf_counter()
        n, l = epoch()
        dt = time.perf_counter() - t0
        losses.append(l)
        if e >= a.warmup_epochs:
            train_sps.append(n / dt)
    cpu_util_train = (time.process_time() - c0) / (time.perf_counter() - w0)
    rss_train_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    # inference: batch a.infer_batch, no grad, eval mode (dropout off)
    model.eval()
    infer_sps, preds = [], None
    with torch.no_grad():
        for r in range(a.infer_reps + 1):
            t0 = time.perf_counter()
            out = [model(Xte[i:i + a.infer_batch]) for i in range(0, len(Xte), a.infer_batch)]
            dt = time.perf_counter() - t0
            if r > 0:  # first pass is warm-up
                infer_sps.append(len(Xte) / dt)
            preds = torch.cat(out)
    rss_end_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    quality = {}
    yt, pr = yte.numpy(), preds.numpy()
    if a.task == "classification":
        try:
            from sklearn.metrics import roc_auc_score
            quality["test_auc"] = float(roc_auc_score(yt, pr)) if len(set(yt.tolist())) > 1 else float("nan")
        except ImportError:
            pass
        quality["test_acc"] = float(((pr > 0) == (yt > 0.5)).mean())
    else:
        quality["test_mse"] = float(((pr - yt) ** 2).mean())
        quality["test_pearson"] = float(np.corrcoef(pr, yt)[0, 1])

    return {
        "threads": nthreads,
        "torch": torch.__version__,
        "train_seq_per_s": statistics.median(train_sps),
        "train_seq_per_s_all": [round(v, 1) for v in train_sps],
        "infer_seq_per_s": statistics.median(infer_sps),
        "cpu_util_train": cpu_util_train,
        "steps": step,
        "n_params": n_p,
        "loss_first_last": [losses[0], losses[-1]],
        "peak_rss_mib_after_data": rss_data_kb / 1024,
        "peak_rss_mib_train": rss_train_kb / 1024,
        "peak_rss_mib_end": rss_end_kb / 1024,
        **quality,
    }


# ----------------------------------------------------------------------------- parent
def main():
    a = parse_args()
    if a.child is not None:
        print(json.dumps(child(a, a.child)))
        return
    assert a.d_model % a.heads == 0, "d_model must be divisible by heads"
    peak = dict(DEFAULT_PEAK)
    if a.peak:
        for kv in a.peak.split(","):
            k, v = kv.split(":")
            peak[int(k)] = float(v)
    fl = flops_per_seq(a)
    print(f"config: L={a.seq_len} d={a.d_model} heads={a.heads} layers={a.layers} d_ff={a.d_ff} "
          f"dropout={a.dropout} batch={a.batch} task={a.task} mask={'off' if a.no_mask else 'on'} "
          f"data={'synthetic' if not a.data else a.data}")
    print(f"params: {n_params(a):,}")
    print(f"FLOPs/seq (matmul only, analytic): forward {fl['fwd'] / 1e6:.2f} M "
          f"(per layer: dense {fl['dense_layer'] / 1e6:.2f} M + attention {fl['attn_layer'] / 1e6:.2f} M; "
          f"head {fl['head'] / 1e6:.2f} M), training (3x) {fl['train'] / 1e6:.2f} M")
    if a.check_flops:  # separate child process: the profiler inflates RSS
        cmd = [sys.executable, os.path.abspath(__file__)] + sys.argv[1:] + ["--child", "1"]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
        pf = json.loads(out.stdout.strip().splitlines()[-1])["profiler_flops"]
        print(f"torch.profiler check (one batch): fwd {pf['fwd_per_seq'] / 1e6:.2f} M/seq, "
              f"fwd+bwd {pf['train_per_seq'] / 1e6:.2f} M/seq")
        a.check_flops = False
    rows = []
    for t in [int(x) for x in a.threads.split(",")]:
        env = dict(os.environ)
        env["OPENBLAS_NUM_THREADS"] = str(a.blas_threads or t)
        env["OMP_NUM_THREADS"] = str(t)
        argv = [x for x in sys.argv[1:] if x != "--check-flops"]
        cmd = [sys.executable, os.path.abspath(__file__)] + argv + ["--child", str(t)]
        out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        if a.profile:
            print(f"--- profile, threads={t}, blas_threads={a.blas_threads or t}\n{out.stderr}")
            continue
        r["train_gflops"] = r["train_seq_per_s"] * fl["train"] / 1e9
        r["infer_gflops"] = r["infer_seq_per_s"] * fl["fwd"] / 1e9
        r["sgemm_peak_gflops"] = peak.get(t)
        r["blas_threads"] = a.blas_threads or t
        r["omp_wait_policy"] = env.get("OMP_WAIT_POLICY", "")
        r["config"] = dict(L=a.seq_len, d=a.d_model, h=a.heads, layers=a.layers, d_ff=a.d_ff, task=a.task)
        r["dropout"] = a.dropout
        r["flops_train_per_seq"] = fl["train"]
        r["flops_fwd_per_seq"] = fl["fwd"]
        rows.append(r)
        if a.json:
            with open(a.json, "a") as fh:
                fh.write(json.dumps(r) + "\n")
    if a.profile:
        return
    print(f"{'thr':>3} {'train seq/s':>11} {'GFLOP/s':>8} {'%peak':>6} {'infer seq/s':>11} {'GFLOP/s':>8} "
          f"{'%peak':>6} {'cpu':>4} {'RSS train MiB':>13} {'RSS end MiB':>11}  quality")
    for r in rows:
        pk = r["sgemm_peak_gflops"] or float("nan")
        q = {k: round(v, 3) for k, v in r.items() if k.startswith("test_")}
        print(f"{r['threads']:>3} {r['train_seq_per_s']:>11.1f} {r['train_gflops']:>8.1f} "
              f"{100 * r['train_gflops'] / pk:>5.1f}% {r['infer_seq_per_s']:>11.1f} {r['infer_gflops']:>8.1f} "
              f"{100 * r['infer_gflops'] / pk:>5.1f}% {r['cpu_util_train']:>4.2f} {r['peak_rss_mib_train']:>13.0f} "
              f"{r['peak_rss_mib_end']:>11.0f}  {q} loss {r['loss_first_last'][0]:.3f}->{r['loss_first_last'][1]:.3f}")
    print(f"RSS after import+data: {rows[0]['peak_rss_mib_after_data']:.0f} MiB")
    print(f"(%peak = vs cblas_sgemm square-2048 peak at the same thread count: {peak})")


if __name__ == "__main__":
    main()
