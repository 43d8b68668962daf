#!/usr/bin/env python3
"""Train a small model on the bundled PUM2 sample, score the test set, plot one attention map.

    RBPATTN_LIBRARY=build/librbpattn.so PYTHONPATH=python python3 examples/python/train_predict.py
    (or, after `pip install ./python` and installing the library, just python3 train_predict.py)

Options: --epochs N (default 3), --out DIR (default the current directory; receives
pum2.rbp and, when matplotlib is installed, pum2_attention.png), --train-every K (use every
K-th training record, default 1 = all 6,000).
"""
import argparse
import os
import sys

import numpy as np

import rbpattn

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "data", "pum2")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--out", default=".")
    ap.add_argument("--train-every", type=int, default=1)
    a = ap.parse_args()

    data = rbpattn.Dataset.from_fasta(os.path.join(DATA, "train.fa.gz"), length=101)
    if a.train_every > 1:
        data = data.subset(range(0, len(data), a.train_every))
    train, val, _ = data.split(train=0.9, val=0.1, seed=1)
    test = rbpattn.Dataset.from_fasta(os.path.join(DATA, "test.fa.gz"), length=101)
    print(f"rbpattn {rbpattn.version()} ({rbpattn.library_path}): train {len(train)}, validation {len(val)}, "
          f"test {len(test)} sequences of {train.length} nt; one-hot shape {train.one_hot().shape}")

    model = rbpattn.Model("small", seq_len=101, pooling="max")
    model.fit(train, val=val, epochs=a.epochs, batch_size=64, schedule="constant", lr=1e-3, warmup_steps=100,
              progress=True)
    path = os.path.join(a.out, "pum2.rbp")
    model.save(path)

    scores = model.predict(test, threads=2)
    print(f"test ROC AUC {rbpattn.roc_auc(scores, test.targets):.3f}, "
          f"average precision {rbpattn.average_precision(scores, test.targets):.3f}; model saved to {path}")

    best = int(np.argmax(scores))  # the test window the model is surest binds PUM2
    seq = "".join("ACGUN"[t] for t in test.tokens[best] if t < 5)
    attn = model.attention(seq)                     # (layers, heads, 101, 101)
    _, importance = rbpattn.attention_rollout(attn)  # one value per position
    top = np.argsort(importance)[::-1][:8]
    print(f"{test.ids[best]} score {scores[best]:.3f}: attention shape {attn.shape}; "
          f"most attended positions {sorted(top.tolist())}")

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot")
        return 0
    fig, ax = plt.subplots(1, 2, figsize=(11, 4.5), gridspec_kw={"width_ratios": [1, 1.4]})
    ax[0].imshow(attn[-1].mean(axis=0), cmap="viridis")
    ax[0].set_title("last layer, mean over heads")
    ax[0].set_xlabel("key position")
    ax[0].set_ylabel("query position")
    ax[1].bar(range(len(importance)), importance)
    ax[1].set_title("attention rollout")
    ax[1].set_xlabel("position")
    fig.suptitle(f"{test.ids[best]} (score {scores[best]:.3f})")
    png = os.path.join(a.out, "pum2_attention.png")
    fig.savefig(png, dpi=100, bbox_inches="tight")
    print(f"attention plot: {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
