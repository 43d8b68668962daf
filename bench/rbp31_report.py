#!/usr/bin/env python3
"""Reports for bench/rbp31.sh (standard library only).

report mode (called by rbp31.sh): read every <set>.s<seed>.json that rbpattn-train --json wrote
into --logs, write the Markdown report --out and a TSV of every run beside it (same name, .tsv).

ensembles mode (called by rbp31_ensemble.sh): seed ensembles against their members.

levers mode: compare runs config by config on the sets they share:
    rbp31_report.py levers [--out FILE] baseline=A.tsv name2=B.tsv ...
prints (or appends to FILE) a table: config, per-set AUC (mean over seeds), mean, delta to the first.

choose mode: a per-set choice between two ensemble configurations on validation AUC alone:
    rbp31_report.py choose --a-name none --a-ens DIR --a-logs D1,D2 --b-name pool2 --b-logs D3
A's ensembles are rbp31_ensemble.sh's (<DIR>/<set>.ens.json, members' runs in D1, D2 ...); B's
are rbpattn-train --members runs (their JSON has the member runs). For each set the
configuration whose members have the higher mean best validation AUC is chosen; the table shows
both test AUCs, the choice and its test AUC (the test set decides nothing).
"""
import argparse
import glob
import json
import math
import os
import re
import statistics
import sys

SHOW = ["DeepBind", "iDeepS", "DeepRKE"]  # the published columns shown (--show)


def set_key(s):
    """RBP-31 sets sort by their number, GraphProt sets by name."""
    head = s.split("_")[0]
    return (0, int(head), s) if head.isdigit() else (1, 0, s)


def short(name):
    """'23_PARCLIP_PUM2_hg19' -> '23 PUM2'-like label: number plus the protein-ish components."""
    parts = name.split("_")
    num = parts[0]
    rest = [p for p in parts[1:] if p not in ("hg19", "PARCLIP", "ICLIP", "CLIPSEQ", "HITSCLIP")]
    label = "_".join(rest)
    label = re.sub(r"_group_.*", "", label)
    return f"{num} {label[:28]}"


def read_published(path):
    pub = {}
    cols = None
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            fields = line.rstrip("\n").split("\t")
            if cols is None:
                cols = fields[1:]
                continue
            pub[fields[0]] = {c: float(v) for c, v in zip(cols, fields[1:])}
    return cols or [], pub


def read_runs(logs):
    runs = []
    for path in sorted(glob.glob(os.path.join(logs, "*.json"))):
        m = re.match(r"(.*)\.s(\d+)\.json$", os.path.basename(path))
        if not m:
            continue
        with open(path) as f:
            try:
                j = json.load(f)
            except json.JSONDecodeError:
                continue
        best_epoch = None
        best = -math.inf
        for e in j.get("epochs", []):
            v = e.get("val_auc")
            if v is not None and v > best:
                best, best_epoch = v, e["epoch"]
        runs.append({
            "set": m.group(1), "seed": int(m.group(2)),
            "auc": j["test"]["auc"], "auprc": j["test"]["auprc"],
            "epochs": j["training"]["epochs_run"], "best_epoch": best_epoch,
            "val_auc": best if best_epoch else None,
            "train_s": j["timings"]["train_s"], "json": j,
        })
    return runs


def fmt(x, d=4):
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{d}f}"


def signed(x):
    return "n/a" if x is None else f"{x:+.4f}"


def mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


def per_set(runs):
    by = {}
    for r in runs:
        by.setdefault(r["set"], []).append(r)
    for v in by.values():
        v.sort(key=lambda r: r["seed"])
    return by


def report(a):
    cols, pub = read_published(a.published)
    runs = read_runs(a.logs)
    if not runs:
        sys.exit(f"rbp31_report: no run JSON in {a.logs}")
    by = per_set(runs)
    order = [s for s in a.sets.split(",") if s in by] + sorted((s for s in by if s not in a.sets.split(",")),
                                                                key=set_key)
    nseeds = max(len(v) for v in by.values())
    L = []
    best_of = ", ".join(SHOW[:-1]) + " and " + SHOW[-1] if len(SHOW) > 1 else SHOW[0]
    if a.kind == "graphprot":
        L.append(f"# GraphProt RBP-24 sets: {os.path.basename(a.out)[:-3]}")
        L.append("")
        L.append("Trained with `rbpattn-train` on `<set>.train.{positives,negatives}.fa` (validation carved from it, "
                 "`--val-fraction`), tested on `<set>.ls.{positives,negatives}.fa` of `../shared/data/rbp24-dev`. "
                 f"Published values: `{a.published}`. Delta = our AUC minus the best of {best_of}.")
    else:
        L.append(f"# RBP-31 benchmark: {os.path.basename(a.out)[:-3]}")
        L.append("")
        L.append("Trained with `rbpattn-train` on `training_sample_0` (validation carved from it, `--val-fraction`), "
                 "tested on `test_sample_0` of `datasets/clip/<set>/30000`. Published values: "
                 "`../shared/data/rbp31/published_auc.tsv` (DeepRKE supplementary). "
                 f"Delta = our AUC minus the best of {best_of}.")
    L.append("")
    L.append(f"- Command: `{a.command}`")
    L.append(f"- rbpattn-train options: `{a.defaults}" + (f" {a.pass_}" if a.pass_ else "") +
             f" --threads {a.threads}` (plus `--seed S --fasta ... --test ... --json ...`)")
    j0 = runs[0]["json"]
    mdl = j0["model"]
    tr = j0["training"]
    L.append("- Model: " + ", ".join(f"{k} {mdl[k]}" for k in mdl))
    skip = {"epochs_run", "steps", "stopped", "seed", "resumed_from"}
    if tr.get("optimizer") != "adamw":
        skip.add("weight_decay")  # the trainer applies it with AdamW only
    L.append("- Training: " + ", ".join(f"{k} {tr[k]}" for k in tr if k not in skip))
    L.append(f"- Seeds: {a.seeds}; {a.jobs} training(s) at once, {a.threads} thread(s) each, nice {a.nice}; "
             f"wall time {a.wall} s")
    L.append(f"- Version: {a.version} (library {j0.get('version')}); CPU: {a.cpu}")
    if a.note:
        L.append(f"- Note: {a.note}")
    L.append("")
    seedcol = f" (mean of {nseeds} seeds)" if nseeds > 1 else ""
    L.append(f"| set | AUC{seedcol} | sd | AUPRC | epochs (best) | train s | " + " | ".join(SHOW)
             + " | delta | best published (any) |")
    L.append("|---" * (8 + len(SHOW)) + "|")
    ours, bests, bestany, secs = [], [], [], []
    pubmeans = {c: [] for c in SHOW}
    at_or_above3 = at_or_above_any = 0
    for s in order:
        rs = by[s]
        auc = mean([r["auc"] for r in rs])
        sd = statistics.stdev([r["auc"] for r in rs]) if len(rs) > 1 else None
        auprc = mean([r["auprc"] for r in rs])
        ep = "/".join(f"{r['epochs']} ({r['best_epoch']})" for r in rs)
        ts = mean([r["train_s"] for r in rs])
        secs += [r["train_s"] for r in rs]
        p = pub.get(s, {})
        b3 = max((p[c] for c in SHOW if c in p), default=None)
        ba = max(p.values(), default=None)
        bac = max(p, key=p.get) if p else ""
        ours.append(auc)
        if b3 is not None:
            bests.append(b3)
            at_or_above3 += auc >= b3
        if ba is not None:
            bestany.append(ba)
            at_or_above_any += auc >= ba
        for c in SHOW:
            if c in p:
                pubmeans[c].append(p[c])
        L.append(f"| {short(s)} | {fmt(auc)} | {fmt(sd)} | {fmt(auprc)} | {ep} | {ts:.0f} | "
                 + " | ".join(fmt(p.get(c)) for c in SHOW)
                 + f" | {signed(auc - b3 if b3 is not None else None)} | {fmt(ba)} {bac} |")
    m = mean(ours)
    mb = mean(bests)
    L.append(f"| **mean ({len(order)} sets)** | **{fmt(m)}** | | {fmt(mean([mean([r['auprc'] for r in by[s]]) for s in order]))} | | "
             f"{mean(secs):.0f} | " + " | ".join(fmt(mean(pubmeans[c])) for c in SHOW)
             + f" | {signed(m - mb if mb is not None else None)} | {fmt(mean(bestany))} |")
    L.append("")
    L.append(f"- Sets at or above the best of {'/'.join(SHOW)}: {at_or_above3} of {len(order)}; "
             f"at or above the best of every published column: {at_or_above_any} of {len(order)}.")
    if len(order) < len(pub) - ("mean" in pub) and "mean" in pub:
        L.append(f"- Subset of {len(order)} sets: published means above are over the same sets "
                 "(full-table means: " + ", ".join(f"{c} {pub['mean'][c]:.4f}" for c in cols if 'mean' in pub) + ").")
    ss = sorted(secs)
    L.append(f"- Training seconds per run: min {ss[0]:.0f}, median {statistics.median(ss):.0f}, "
             f"max {ss[-1]:.0f}, over {len(ss)} runs (upper bounds if the machine was shared).")
    if nseeds > 1:
        sds = [statistics.stdev([r["auc"] for r in by[s]]) for s in order if len(by[s]) > 1]
        if sds:
            L.append(f"- Seed spread: mean per-set sd of the test AUC {mean(sds):.4f} (max {max(sds):.4f}).")
    L.append("")
    L.append("Per run:")
    L.append("")
    L.append("| set | seed | AUC | AUPRC | best val AUC | epochs | best epoch | train s | stopped |")
    L.append("|---|---|---|---|---|---|---|---|---|")
    for s in order:
        for r in by[s]:
            L.append(f"| {short(s)} | {r['seed']} | {fmt(r['auc'])} | {fmt(r['auprc'])} | {fmt(r['val_auc'])} | "
                     f"{r['epochs']} | {r['best_epoch']} | {r['train_s']:.0f} | {r['json']['training'].get('stopped')} |")
    L.append("")
    with open(a.out, "w") as f:
        f.write("\n".join(L))
    with open(a.out[:-3] + ".tsv", "w") as f:
        f.write("set\tseed\tauc\tauprc\tval_auc\tepochs\tbest_epoch\ttrain_s\n")
        for s in order:
            for r in by[s]:
                f.write(f"{s}\t{r['seed']}\t{r['auc']:.6f}\t{r['auprc']:.6f}\t{fmt(r['val_auc'], 6)}\t"
                        f"{r['epochs']}\t{r['best_epoch']}\t{r['train_s']:.1f}\n")
    print("\n".join(L[L.index("") + 1:]) if a.verbose else f"wrote {a.out}")


def read_tsv(path):
    by = {}
    with open(path) as f:
        next(f)
        for line in f:
            s, seed, auc = line.split("\t")[:3]
            by.setdefault(s, []).append(float(auc))
    return {s: sum(v) / len(v) for s, v in by.items()}


def levers(argv):
    ap = argparse.ArgumentParser(prog="rbp31_report.py levers")
    ap.add_argument("--out")
    ap.add_argument("configs", nargs="+", help="name=file.tsv; the first is the baseline")
    a = ap.parse_args(argv)
    cfgs = []
    for c in a.configs:
        name, _, path = c.partition("=")
        cfgs.append((name, read_tsv(path)))
    sets = [s for s in cfgs[0][1] if all(s in d for _, d in cfgs)]
    sets.sort(key=set_key)
    L = ["| config | " + " | ".join(short(s) for s in sets) + " | mean | delta |",
         "|---" * (len(sets) + 3) + "|"]
    base = None
    for name, d in cfgs:
        m = mean([d[s] for s in sets])
        if base is None:
            base = m
        L.append(f"| {name} | " + " | ".join(fmt(d[s]) for s in sets) + f" | {fmt(m)} | {signed(m - base)} |")
    text = "\n".join(L) + "\n"
    if a.out:
        with open(a.out, "a") as f:
            f.write(text + "\n")
    print(text, end="")


def ensembles(argv):
    """The table of bench/rbp31_ensemble.sh: per set, each seed's test AUC (from the runs' JSON
    in the log dirs), their mean and sd, the ensemble's (<work>/<set>.ens.json) and the gain."""
    ap = argparse.ArgumentParser(prog="rbp31_report.py ensembles")
    ap.add_argument("--published", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("logs", nargs="+")
    a = ap.parse_args(argv)
    cols, pub = read_published(a.published)
    runs = [r for d in a.logs for r in read_runs(d)]
    by = per_set(runs)
    rows = []
    for s in sorted(by, key=set_key):
        path = os.path.join(a.work, s + ".ens.json")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            j = json.load(f)
        singles = [r["auc"] for r in by[s]]
        rows.append((s, [r["seed"] for r in by[s]], singles, j["test"]["auc"], j["members"],
                     max(r["train_s"] for r in by[s])))
    best = lambda s: max(pub[s][c] for c in SHOW) if s in pub else None  # noqa: E731
    L = ["| set | seeds | AUC of each seed | mean (sd) | ensemble | gain over the mean | over the best seed | "
         "best of " + "/".join(SHOW) + " | delta | train s (slowest member) |", "|---" * 10 + "|"]
    for s, seeds, singles, e, k, ts in rows:
        m = statistics.mean(singles)
        sd = statistics.stdev(singles) if len(singles) > 1 else 0.0
        b = best(s)
        L.append(f"| {short(s)} | {','.join(map(str, seeds))} | " + " ".join(fmt(x) for x in singles) +
                 f" | {fmt(m)} ({sd:.4f}) | **{fmt(e)}** | {signed(e - m)} | {signed(e - max(singles))} | "
                 f"{fmt(b)} | {signed(None if b is None else e - b)} | {ts:.0f} |")
    if rows:
        ms = [statistics.mean(r[2]) for r in rows]
        es = [r[3] for r in rows]
        bs = [best(r[0]) for r in rows if best(r[0]) is not None]
        L.append(f"| **mean** | | | {fmt(mean(ms))} | **{fmt(mean(es))}** | {signed(mean(es) - mean(ms))} | | "
                 f"{fmt(mean(bs)) if len(bs) == len(rows) else 'n/a'} | "
                 f"{signed(mean(es) - mean(bs)) if len(bs) == len(rows) else 'n/a'} | |")
        L.append("")
        L.append(f"The ensemble is above the mean of its seeds on {sum(e > m for e, m in zip(es, ms))} of "
                 f"{len(rows)} sets and above its best seed on "
                 f"{sum(r[3] > max(r[2]) for r in rows)}; it is at or above the best of "
                 f"{'/'.join(SHOW)} on {sum(1 for r in rows if best(r[0]) is not None and r[3] >= best(r[0]))} "
                 f"of {len(rows)}.")
        L.append("")
        have = [r[0] for r in rows if r[0] in pub]
        if len(have) == len(rows) and cols:
            L.append("Means over these sets: ensemble **" + fmt(mean(es)) + "**, its seeds " + fmt(mean(ms)) + "; " +
                     ", ".join(f"{c} {fmt(mean([pub[x][c] for x in have]))}" for c in cols
                               if all(pub[x].get(c) is not None for x in have)) + ".")
        secs = sorted(r[5] for r in rows)
        L.append(f"Training seconds of the slowest member per set: min {secs[0]:.0f}, median "
                 f"{statistics.median(secs):.0f}, max {secs[-1]:.0f} (the members of a set train at once on 2 "
                 "cores with --members 2; measured as separate runs, upper bounds on a shared machine).")
    print("\n".join(L))


def best_val(epochs):
    vals = [e["val_auc"] for e in epochs if e.get("val_auc") is not None]
    return max(vals) if vals else None


def choose(argv):
    ap = argparse.ArgumentParser(prog="rbp31_report.py choose")
    for k in ("a-name", "a-ens", "a-logs", "b-name", "b-logs"):
        ap.add_argument("--" + k, required=True)
    a = ap.parse_args(argv)
    a_runs = per_set([r for d in a.a_logs.split(",") for r in read_runs(d)])
    b_runs = per_set([r for d in a.b_logs.split(",") for r in read_runs(d)])
    rows = []
    for s in sorted(set(a_runs) & set(b_runs), key=set_key):
        path = os.path.join(a.a_ens, s + ".ens.json")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            a_auc = json.load(f)["test"]["auc"]
        a_val = mean([r["val_auc"] for r in a_runs[s]])
        bj = b_runs[s][0]["json"]
        b_val = mean([best_val(m["epochs"]) for m in bj.get("member_runs", [])]) or b_runs[s][0]["val_auc"]
        b_auc = bj["test"]["auc"]
        pick_b = b_val is not None and a_val is not None and b_val > a_val
        rows.append((s, a_val, b_val, a_auc, b_auc, pick_b))
    na, nb = a.a_name, a.b_name
    L = [f"| set | val AUC {na} / {nb} | test AUC {na} | test AUC {nb} | chosen | its test AUC | vs {na} |",
         "|---" * 7 + "|"]
    for s, av, bv, aa, ba, pb in rows:
        c = ba if pb else aa
        L.append(f"| {short(s)} | {fmt(av)} / {fmt(bv)} | {fmt(aa)} | {fmt(ba)} | {nb if pb else na} | {fmt(c)} | "
                 f"{signed(c - aa)} |")
    if rows:
        ma, mb = mean([r[3] for r in rows]), mean([r[4] for r in rows])
        mc = mean([r[4] if r[5] else r[3] for r in rows])
        L.append(f"| **mean ({len(rows)} sets)** | | {fmt(ma)} | {fmt(mb)} | {sum(r[5] for r in rows)} x {nb} | "
                 f"**{fmt(mc)}** | {signed(mc - ma)} |")
        oracle = mean([max(r[3], r[4]) for r in rows])
        L.append("")
        L.append(f"Choosing on validation AUC: {fmt(mc)} against {fmt(ma)} ({na} everywhere) and {fmt(mb)} "
                 f"({nb} everywhere); the better of the two on the test set, per set, would give {fmt(oracle)}.")
    print("\n".join(L))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "choose":
        return choose(sys.argv[2:])
    if len(sys.argv) > 1 and sys.argv[1] == "levers":
        return levers(sys.argv[2:])
    if len(sys.argv) > 1 and sys.argv[1] == "ensembles":
        return ensembles(sys.argv[2:])
    ap = argparse.ArgumentParser()
    for k in ("logs", "out", "published", "command", "defaults", "seeds", "threads", "jobs", "nice", "wall",
              "version", "cpu", "note", "sets"):
        ap.add_argument("--" + k, default="")
    ap.add_argument("--pass", dest="pass_", default="")
    ap.add_argument("--show", default=",".join(SHOW), help="published columns to show")
    ap.add_argument("--kind", default="rbp31", choices=["rbp31", "graphprot"])
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    SHOW[:] = a.show.split(",")
    report(a)


if __name__ == "__main__":
    main()
