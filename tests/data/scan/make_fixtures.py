#!/usr/bin/env python3
"""Fixtures of the scanning tests (tests/cli_scan.sh, tests/cli_mutate.sh), made once and
committed: a small genome with the motif UGCAUG planted at known places on both strands, its
.fai, BED regions, variants, and the training set of tests/data/scan/motif.rbp, a model of the
motif (train it with the command at the end; the .rbp is committed too).

    python3 tests/data/scan/make_fixtures.py tests/data/scan
"""
import os
import random
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "."
rnd = random.Random(13)
MOTIF = "TGCATG"  # UGCAUG as DNA; its reverse complement is CATGCA
BAD = ("TGCAT", "GCATG", "CATGC", "ATGCA")  # five of six letters, on either strand


def background(n):
    s = [rnd.choice("ACGT") for _ in range(n)]
    changed = True
    while changed:
        changed = False
        t = "".join(s)
        for b in BAD:
            i = t.find(b)
            while i >= 0:
                s[i + 2] = "A" if s[i + 2] != "A" else "C"
                changed = True
                t = "".join(s)
                i = t.find(b)
    return s


def revcomp(s):
    return s[::-1].translate(str.maketrans("ACGTacgt", "TGCAtgca"))


def wrap(s, w=60):
    return "\n".join(s[i:i + w] for i in range(0, len(s), w))


# chr1 (3000 nt): + strand motifs at 500 and 1800, a soft-masked (lowercase) one at 2500.
c1 = background(3000)
c1[500:506] = MOTIF
c1[1800:1806] = MOTIF
c1[2480:2540] = [c.lower() for c in c1[2480:2540]]
c1[2500:2506] = MOTIF.lower()
# chr2 (2000 nt): a minus-strand motif: UGCAUG read on - covers genomic 1200..1205.
c2 = background(2000)
c2[1200:1206] = revcomp(MOTIF)
chroms = [("chr1", "".join(c1)), ("chr2", "".join(c2))]
with open(os.path.join(out, "genome.fa"), "w") as f, open(os.path.join(out, "genome.fa.fai"), "w") as fai:
    off = 0
    for name, s in chroms:
        head = ">%s test chromosome\n" % name
        off += len(head)
        fai.write("%s\t%d\t%d\t60\t61\n" % (name, len(s), off))
        body = wrap(s) + "\n"
        f.write(head + body)
        off += len(body)

with open(os.path.join(out, "regions.bed"), "w") as f:
    f.write("track name=test\n")
    f.write("chr1\t400\t700\tr1\t0\t+\n")      # motif at 500
    f.write("chr1\t1700\t1900\n")              # BED3: motif at 1800
    f.write("chr2\t1100\t1300\tr3\t0\t-\n")    # minus-strand motif at 1200
    f.write("chr1\t2400\t2600\tr4\t0\t+\n")    # soft-masked motif at 2500

# A transcript: the + strand of chr1:400-700 and a record with a header region on the minus strand.
with open(os.path.join(out, "tx.fa"), "w") as f:
    f.write(">chr1:400-700(+)\n%s\n" % wrap("".join(c1[400:700])))
    f.write(">chr2:1100-1300(-)\n%s\n" % wrap(revcomp("".join(c2[1100:1300]))))
    f.write(">plain_id some description\n%s\n" % wrap("".join(c1[1700:1900]).replace("T", "U")))

# Variants (1-based POS): one breaking the motif core at chr1:503 (C of TGCATG = pos 502 0-based),
# one far from any motif, a deletion and an insertion, and one whose REF does not match.
ref = lambda c, p, n=1: dict(chroms)[c][p - 1:p - 1 + n].upper()
with open(os.path.join(out, "variants.vcf"), "w") as f:
    f.write("##fileformat=VCFv4.2\n##contig=<ID=chr1,length=3000>\n##contig=<ID=chr2,length=2000>\n")
    f.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
    f.write("chr1\t503\tcore\t%s\tA\t.\tPASS\t.\n" % ref("chr1", 503))
    f.write("chr1\t1000\tfar\t%s\t%s\t.\tPASS\t.\n" % (ref("chr1", 1000), "G" if ref("chr1", 1000) != "G" else "C"))
    f.write("chr1\t1802\tdel\t%s\t%s\t.\tPASS\t.\n" % (ref("chr1", 1802, 3), ref("chr1", 1802)))
    f.write("chr2\t1100\tins\t%s\t%sAAA\t.\tPASS\t.\n" % (ref("chr2", 1100), ref("chr2", 1100)))
    wrong = "A" if ref("chr1", 600) != "A" else "C"
    f.write("chr1\t600\tmismatch\t%s\tG\t.\tPASS\t.\n" % wrong)

# Training set of the motif model: 24 nt, half with the motif (as RNA), labels in the headers.
with open(os.path.join(out, "motif_train.fa"), "w") as f:
    for i in range(4000):
        s = [rnd.choice("ACGU") for _ in range(24)]
        if i % 2:
            p = rnd.randrange(0, 19)
            s[p:p + 6] = "UGCAUG"
        f.write(">s%d class:%d\n%s\n" % (i, i % 2, "".join(s)))
# rbpattn-train --fasta tests/data/scan/motif_train.fa --length 24 --d-model 16 --heads 2 --layers 1 \
#   --d-ff 32 --head-hidden 16 --dropout 0 --pooling max --conv-kernel 7 --epochs 20 --batch 32 \
#   --lr 3e-3 --seed 3 --threads 1 --save tests/data/scan/motif.rbp
