#!/usr/bin/env python3
"""Helpers of the rbpattn Snakemake workflow (standard library only).

  wf.py tiny OUTDIR TRAIN.fa.gz TEST.fa.gz   three tiny sets + a scan input from the bundled data
  wf.py extract PREDICTIONS.tsv FASTA OUT    the FASTA records whose ids are in a predictions TSV
  wf.py top PREDICTIONS.tsv N [positives]    ids of the N highest scores (of positives only), blank-separated
  wf.py shard FASTA N OUT...                 split FASTA into N shards of whole records
  wf.py report OUT.md OUT.html RESULTS NOTE NAME...
                                             the report page over the models NAME... (NOTE: a line under the title)
"""
import gzip
import html
import json
import os
import re
import sys


def read_fasta(path):
    """(header line without '>', sequence) of every record; plain or gzip."""
    opener = gzip.open if path.endswith(".gz") else open
    header, seq = None, []
    with opener(path, "rt") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if line.startswith(">"):
                if header is not None:
                    yield header, "".join(seq)
                header, seq = line[1:], []
            elif header is not None:
                seq.append(line.strip())
    if header is not None:
        yield header, "".join(seq)


def record_id(header):
    # As the programs name a record: the header's first word, without the ';' of RBP-31 headers.
    words = re.split(r"[\s;]+", header.strip())
    return words[0] if words else ""


def write_fasta(path, records):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        for header, seq in records:
            f.write(">" + header + "\n")
            for i in range(0, len(seq), 60):
                f.write(seq[i:i + 60] + "\n")
    os.replace(tmp, path)


def every_kth(records, k, offset):
    return [r for i, r in enumerate(records) if i % k == offset]


def cmd_tiny(outdir, train_path, test_path):
    """Systematic samples (every k-th record, no random numbers) of the bundled PUM2 data."""
    os.makedirs(outdir, exist_ok=True)
    train, test = list(read_fasta(train_path)), list(read_fasta(test_path))
    # Two sets with a test file (different records), one trained on a split of its input.
    write_fasta(os.path.join(outdir, "pum2_a.train.fa"), every_kth(train, 20, 0))
    write_fasta(os.path.join(outdir, "pum2_a.test.fa"), every_kth(test, 20, 0))
    write_fasta(os.path.join(outdir, "pum2_b.train.fa"), every_kth(train, 20, 7))
    write_fasta(os.path.join(outdir, "pum2_b.test.fa"), every_kth(test, 20, 7))
    write_fasta(os.path.join(outdir, "pum2_split.fa"), every_kth(train, 15, 3))
    # Scan input: 8 "transcripts" of 12 consecutive test windows each, named out of order
    # (tx01 tx06 tx03 ...) so that merging the shards' tracks has to sort them.
    windows = every_kth(test, 10, 5)
    tx = [("tx%02d" % (i * 5 % 8 + 1), "".join(s for _, s in windows[i * 12:(i + 1) * 12])) for i in range(8)]
    write_fasta(os.path.join(outdir, "scan.fa"), tx)


def read_predictions(path, positives_only=False):
    """(id, score) of a predictions TSV (id, target, score) with a header."""
    rows = []
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        col = header.index("score") if "score" in header else len(header) - 1
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) > col and (not positives_only or float(fields[1]) > 0.5):
                rows.append((fields[0], float(fields[col])))
    return rows


def cmd_extract(pred_path, fasta_path, out):
    ids = {i for i, _ in read_predictions(pred_path)}
    records = [r for r in read_fasta(fasta_path) if record_id(r[0]) in ids]
    if len(records) != len(ids):
        sys.exit("wf.py extract: %d of the %d predicted ids found in %s" % (len(records), len(ids), fasta_path))
    write_fasta(out, records)


def cmd_top(pred_path, n, which="all"):
    # positives: a GraphProt test set is two files, and rbpattn-attn reads the positives' one.
    rows = read_predictions(pred_path, which == "positives")
    # Highest score first; ties keep file order (sorted is stable).
    top = sorted(range(len(rows)), key=lambda i: -rows[i][1])[:int(n)]
    print(" ".join(rows[i][0] for i in top))


def cmd_shard(fasta_path, n, outs):
    """Whole records into len(outs) shards of about equal length, in input order."""
    n = int(n)
    if n != len(outs):
        sys.exit("wf.py shard: %d shards but %d outputs" % (n, len(outs)))
    records = list(read_fasta(fasta_path))
    total = sum(len(s) for _, s in records)
    shards = [[] for _ in outs]
    done = 0
    for r in records:
        # The shard the middle of this record falls in: contiguous, balanced by length.
        k = min(n - 1, (2 * done + len(r[1])) * n // max(1, 2 * total))
        shards[k].append(r)
        done += len(r[1])
    for path, recs in zip(outs, shards):
        write_fasta(path, recs)


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def fmt(x, digits=4):
    return "-" if x is None else "%.*f" % (digits, x)


def cmd_report(out_md, out_html, results, note, names):
    rows = []
    for name in names:
        d = os.path.join(results, "models", name)
        train = load_json(os.path.join(d, "train.json")) or {}
        ev = (load_json(os.path.join(d, "eval.json")) or {}).get("metrics", {})
        tr = train.get("training", {})
        links = [("ROC", "models/%s/plots/roc.png" % name), ("PR", "models/%s/plots/pr.png" % name)]
        # The top window's attention map, then the folder with the others.
        maps = sorted(f for f in os.listdir(os.path.join(d, "attn")) if f.endswith(".attn.png")) \
            if os.path.isdir(os.path.join(d, "attn")) else []
        if maps:
            links.append(("attention", "models/%s/attn/%s" % (name, maps[0])))
        links.append(("all maps", "models/%s/attn/" % name))
        if os.path.isdir(os.path.join(d, "motifs")):
            links.append(("motifs", "models/%s/motifs/motifs.meme" % name))
            if os.path.exists(os.path.join(d, "motifs", "logo_1.png")):
                links.append(("logo", "models/%s/motifs/logo_1.png" % name))
        if os.path.exists(os.path.join(results, "scan", name + ".bedGraph")):
            links.append(("scan", "scan/%s.bedGraph" % name))
            links.append(("peaks", "scan/%s.peaks.bed" % name))
        rows.append({
            "name": name, "n": ev.get("n"), "pos": ev.get("positives"), "auc": ev.get("auc"),
            "auprc": ev.get("auprc"), "epochs": tr.get("epochs_run"),
            "time": (train.get("timings") or {}).get("train_s"), "links": links,
        })
    head = ["model", "test n (positive)", "AUC", "AUPRC", "epochs", "training time (s)", "pictures and files"]
    html_head = head[:-1] + ["ROC", "PR", head[-1]]

    def cells(r):
        n = "-" if r["n"] is None else "%d (%d)" % (r["n"], r["pos"] or 0)
        return [r["name"], n, fmt(r["auc"]), fmt(r["auprc"]), "-" if r["epochs"] is None else str(r["epochs"]),
                fmt(r["time"], 1)]

    aucs = [r["auc"] for r in rows if r["auc"] is not None]
    summary = "%d model%s" % (len(rows), "" if len(rows) == 1 else "s") + ("; mean AUC %.4f" % (sum(aucs) / len(aucs)) if aucs else "")
    md = ["# rbpattn workflow report", "", summary + ".", "", note, "", "| " + " | ".join(head) + " |",
          "|" + "---|" * len(head)]
    for r in rows:
        md.append("| " + " | ".join(cells(r) + [", ".join("[%s](%s)" % l for l in r["links"])]) + " |")
    write_text(out_md, "\n".join(md) + "\n")
    h = ["<!DOCTYPE html>", "<html><head><meta charset=\"utf-8\"><title>rbpattn workflow report</title>",
         "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
         "td,th{border:1px solid #999;padding:2px 8px}td.n{text-align:right}</style></head><body>",
         "<h1>rbpattn workflow report</h1>", "<p>%s.</p>" % html.escape(summary), "<p>%s</p>" % html.escape(note),
         "<table>",
         "<tr>" + "".join("<th>%s</th>" % html.escape(c) for c in html_head) + "</tr>"]
    for r in rows:
        c = cells(r)
        tds = "<td>%s</td>" % html.escape(c[0]) + "".join("<td class=\"n\">%s</td>" % html.escape(x) for x in c[1:])
        # The curves themselves, small (SVG scales; the PNG is the link target).
        for kind in ("roc", "pr"):
            u = html.escape("models/%s/plots/%s" % (r["name"], kind))
            tds += "<td><a href=\"%s.png\"><img src=\"%s.svg\" width=\"160\" alt=\"%s\"></a></td>" % (u, u, kind)
        tds += "<td>%s</td>" % ", ".join("<a href=\"%s\">%s</a>" % (html.escape(u), html.escape(t))
                                        for t, u in r["links"])
        h.append("<tr>%s</tr>" % tds)
    h += ["</table>", "</body></html>"]
    write_text(out_html, "\n".join(h) + "\n")


def write_text(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv):
    cmds = {"tiny": (cmd_tiny, 3), "extract": (cmd_extract, 3), "top": (cmd_top, 2)}
    if len(argv) >= 2 and argv[1] in cmds and len(argv) == 2 + cmds[argv[1]][1]:
        cmds[argv[1]][0](*argv[2:])
    elif len(argv) == 5 and argv[1] == "top" and argv[4] in ("all", "positives"):
        cmd_top(*argv[2:])
    elif len(argv) >= 4 and argv[1] == "shard":
        cmd_shard(argv[2], argv[3], argv[4:])
    elif len(argv) >= 6 and argv[1] == "report":
        cmd_report(argv[2], argv[3], argv[4], argv[5], argv[6:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
