#!/bin/sh
# rbpattn-scan: planted motifs found at their genomic coordinates on both strands (FASTA
# headers, BED regions with and without a .fai, gzip genome); bedGraph and BED checked field
# by field (and by bedtools when installed); gzip outputs; windows TSV; steps; a window at
# the end of a sequence; N runs; stdin; errors (region past the end with its BED line, an
# output that is the input, an unwritable directory) and warnings (an empty region).
. "$(dirname "$0")/cli_common.inc"
scan=$bin/rbpattn-scan
d=$data/scan
m=$d/motif.rbp   # 24-nt model of UGCAUG (tests/data/scan/make_fixtures.py)

# peak_over FILE CHROM FROM TO STRAND: a peak of FILE covers [FROM, TO) on CHROM with STRAND,
# and its summit is within 12 nt (half a window) of it.
peak_over() {
    awk -F '\t' -v c="$2" -v a="$3" -v b="$4" -v s="$5" '
        $1 == c && $2 <= a && $3 >= b && $6 == s {
            split($4, f, ";"); sub(/summit=/, "", f[2]); x = f[2] + 0; if (x >= a - 12 && x < b + 12) ok = 1 }
        END { exit !ok }' "$1" || { cat "$1" >&2; fail "no peak over $2:$3-$4($5) in $1"; }
}

# valid_bedgraph FILE: 4 tab-separated fields, integers, start < end, a finite value, and within
# a chromosome sorted and non-overlapping (bedtools' bedGraph: no header line).
valid_bedgraph() {
    awk -F '\t' 'NF != 4 || $2 !~ /^[0-9]+$/ || $3 !~ /^[0-9]+$/ || $2 + 0 >= $3 + 0 ||
            $4 !~ /^-?[0-9.]+(e[-+][0-9]+)?$/ { print "bad line " NR ": " $0 > "/dev/stderr"; exit 1 }
        $1 == c && $2 + 0 < e + 0 { print "unsorted or overlapping at line " NR > "/dev/stderr"; exit 1 }
        { c = $1; e = $3 }' "$1" || fail "$1 is not a valid bedGraph"
}

# valid_bed6 FILE: 6 fields, integer coordinates, score 0..1000, strand + - or .
valid_bed6() {
    awk -F '\t' 'NF != 6 || $2 !~ /^[0-9]+$/ || $3 !~ /^[0-9]+$/ || $2 + 0 >= $3 + 0 || $5 !~ /^[0-9]+$/ ||
            $5 > 1000 || $6 !~ /^[-+.]$/ || $4 !~ /^peak[0-9]+;summit=[0-9]+;max=/ {
            print "bad line " NR ": " $0 > "/dev/stderr"; exit 1 }' "$1" || fail "$1 is not BED6"
}

# covered FILE CHROM FROM TO: the bedGraph rows of CHROM tile [FROM, TO) exactly.
covered() {
    awk -F '\t' -v c="$2" -v a="$3" -v b="$4" '$1 == c && $2 >= a && $3 <= b {
            if (n == 0 && $2 != a) bad = 1; if (n > 0 && $2 != e) bad = 1; e = $3; n++ }
        END { exit bad || e != b }' "$1" || fail "$1 does not tile $2:$3-$4"
}

# FASTA with region headers: + strand, - strand (reverse-complemented record) and a plain id.
run 0 "$scan" -m "$m" -o "$tmp/tx.bedGraph" --peaks "$tmp/tx.bed" --threshold 0.9 "$d/tx.fa"
has "$tmp/err" "scanned 700 nt"
valid_bedgraph "$tmp/tx.bedGraph"
valid_bed6 "$tmp/tx.bed"
peak_over "$tmp/tx.bed" chr1 500 506 +
peak_over "$tmp/tx.bed" chr2 1200 1206 -
peak_over "$tmp/tx.bed" plain_id 100 106 .
[ "$(wc -l <"$tmp/tx.bed")" -eq 3 ] || fail "expected 3 peaks"
covered "$tmp/tx.bedGraph" chr1 400 700
covered "$tmp/tx.bedGraph" chr2 1100 1300
covered "$tmp/tx.bedGraph" plain_id 0 200
awk -F '\t' '$4 < 0 || $4 > 1 { exit 1 }' "$tmp/tx.bedGraph" || fail "probabilities outside [0, 1]"

# The same regions from the genome: indexed, read once (no .fai), and gzip; BED3 has strand '.'.
run 0 "$scan" -m "$m" -o "$tmp/r.bedGraph" --peaks "$tmp/r.bed" --threshold 0.9 --bed "$d/regions.bed" --genome "$d/genome.fa"
valid_bedgraph "$tmp/r.bedGraph"
valid_bed6 "$tmp/r.bed"
peak_over "$tmp/r.bed" chr1 500 506 +
peak_over "$tmp/r.bed" chr1 1800 1806 .
peak_over "$tmp/r.bed" chr2 1200 1206 -
peak_over "$tmp/r.bed" chr1 2500 2506 +   # soft-masked (lowercase) motif
[ "$(wc -l <"$tmp/r.bed")" -eq 4 ] || fail "expected 4 peaks"
grep '^chr1	4[0-9][0-9]	' "$tmp/r.bedGraph" >"$tmp/a"
grep '^chr1	4[0-9][0-9]	' "$tmp/tx.bedGraph" >"$tmp/b"
cmp "$tmp/a" "$tmp/b" || fail "BED region and FASTA record differ"
grep '^chr2' "$tmp/r.bedGraph" >"$tmp/a"
grep '^chr2' "$tmp/tx.bedGraph" >"$tmp/b"
cmp "$tmp/a" "$tmp/b" || fail "minus-strand BED region and reverse-complemented record differ"
cp "$d/genome.fa" "$tmp/noindex.fa"
gzip -c "$d/genome.fa" >"$tmp/genome.fa.gz"
run 0 "$scan" -m "$m" -o "$tmp/r2.bedGraph.gz" --bed "$d/regions.bed" --genome "$tmp/noindex.fa"
gzip -dc "$tmp/r2.bedGraph.gz" | sort -k1,1 -k2,2n >"$tmp/a"
sort -k1,1 -k2,2n "$tmp/r.bedGraph" >"$tmp/b"
cmp "$tmp/a" "$tmp/b" || fail "genome without .fai gives another track"
run 0 "$scan" -m "$m" -q -o "$tmp/r3.bedGraph" --bed "$d/regions.bed" --genome "$tmp/genome.fa.gz"
sort -k1,1 -k2,2n "$tmp/r3.bedGraph" | cmp - "$tmp/b" || fail "gzip genome gives another track"

# Windows: one per start with step 1 (L = 24), and the last one ends at the end of the sequence
# also when the step does not land there; stdin; gzip output.
run 0 "$scan" -m "$m" --windows "$tmp/w.tsv" "$d/tx.fa"
[ "$(head -n 1 "$tmp/w.tsv")" = "chrom	start	end	strand	score" ] || fail "windows header"
[ "$(grep -c '^chr1	' "$tmp/w.tsv")" -eq 277 ] || fail "300 nt, 24-nt windows, step 1: 277 windows"
"$scan" -m "$m" -q --step 5 --windows - - <"$d/tx.fa" >"$tmp/w5.tsv" || fail "stdin"
[ "$(grep -c '^chr1	' "$tmp/w5.tsv")" -eq 57 ] || fail "step 5: 56 windows + the end window"
grep -q '^chr1	676	700	+	' "$tmp/w5.tsv" || fail "no window ending at the sequence end"
run 0 "$scan" -m "$m" --step 5 -o "$tmp/s5.bedGraph" "$d/tx.fa"
covered "$tmp/s5.bedGraph" chr1 400 700
run 0 "$scan" -m "$m" --reduce mean --logit -o "$tmp/mean.bedGraph.gz" "$d/tx.fa"
gzip -t "$tmp/mean.bedGraph.gz" || fail "not gzip"
gzip -dc "$tmp/mean.bedGraph.gz" >"$tmp/mean.bedGraph"
valid_bedgraph "$tmp/mean.bedGraph"
awk -F '\t' '$4 < 0 { neg = 1 } END { exit !neg }' "$tmp/mean.bedGraph" || fail "--logit: no negative logits"

# Short records (padded), a record exactly one window long, N runs, U/T and lowercase.
printf '>short\nACGUAC\n>one\nACGUACGUACGUACGUACGUACGU\n>ns\nNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNacgtTGCATGacgtNNNNN\n' >"$tmp/edge.fa"
run 0 "$scan" -m "$m" -o "$tmp/e.bedGraph" --windows "$tmp/e.tsv" "$tmp/edge.fa"
covered "$tmp/e.bedGraph" short 0 6
covered "$tmp/e.bedGraph" one 0 24
covered "$tmp/e.bedGraph" ns 0 49
grep -q '^short	0	6	.	' "$tmp/e.tsv" || fail "a short record is one padded window"
[ "$(grep -c '^one	' "$tmp/e.tsv")" -eq 1 ] || fail "a record of one window length has one window"

# bedtools accepts the files (when installed).
if command -v bedtools >/dev/null 2>&1; then
    bedtools sort -i "$tmp/r.bedGraph" >"$tmp/sorted.bg" || fail "bedtools sort (bedGraph)"
    bedtools merge -i "$tmp/sorted.bg" >/dev/null || fail "bedtools merge (bedGraph)"
    bedtools sort -i "$tmp/r.bed" >"$tmp/sorted.bed" || fail "bedtools sort (BED6)"
    bedtools merge -s -i "$tmp/sorted.bed" >/dev/null || fail "bedtools merge (BED6)"
    grep -v "^track" "$d/regions.bed" | cut -f 1-3 >"$tmp/regions3.bed" # (bedtools wants one field count)
    bedtools intersect -a "$tmp/sorted.bed" -b "$tmp/regions3.bed" -u >"$tmp/isect.bed" || fail "bedtools intersect"
    [ "$(wc -l <"$tmp/isect.bed")" -eq 4 ] || fail "bedtools intersect: every peak is in a region"
fi

# Errors: a region past the chromosome end names its BED line (with and without .fai); an
# empty region is skipped with a warning; bad letters name the record.
printf 'chr1\t10\t20\nchr2\t1900\t2100\tlong\t0\t+\n' >"$tmp/past.bed"
run 1 "$scan" -m "$m" -o "$tmp/x.bg" --bed "$tmp/past.bed" --genome "$d/genome.fa"
error_is rbpattn-scan "past.bed:2: region chr2:1900-2100 ends past the end of chr2 (2000 nt)"
run 1 "$scan" -m "$m" -o "$tmp/x.bg" --bed "$tmp/past.bed" --genome "$tmp/noindex.fa"
error_is rbpattn-scan "past.bed:2: region chr2:1900-2100 ends past the end of chr2 (2000 nt)"
[ ! -e "$tmp/x.bg" ] || fail "a failed run left its output"
printf 'chr1\t10\t10\nchr1\t10\t40\n' >"$tmp/empty.bed"
run 0 "$scan" -m "$m" -o "$tmp/x.bg" --bed "$tmp/empty.bed" --genome "$d/genome.fa"
has "$tmp/err" "empty.bed:1: empty region chr1:10-10, skipped"
covered "$tmp/x.bg" chr1 10 40
printf 'chrX\t10\t40\n' >"$tmp/nochr.bed"
run 1 "$scan" -m "$m" -o "$tmp/x.bg" --bed "$tmp/nochr.bed" --genome "$d/genome.fa"
error_is rbpattn-scan "nochr.bed:1: chromosome chrX is not in"
printf '>bad\nACGUXACGU\n' >"$tmp/bad.fa"
run 1 "$scan" -m "$m" -o "$tmp/x.bg" "$tmp/bad.fa"
error_is rbpattn-scan "bad: rbp_scanner_feed: character 'X' at position 5"
cp "$d/tx.fa" "$tmp/in.fa"
run 2 "$scan" -m "$m" -o "$tmp/in.fa" "$tmp/in.fa"
error_is rbpattn-scan "-o $tmp/in.fa is the same file as the input $tmp/in.fa"
cmp "$tmp/in.fa" "$d/tx.fa" || fail "the input was touched"
run 2 "$scan" -m "$m" -o "$tmp/a.bg" --peaks "$tmp/a.bg" "$d/tx.fa"
error_is rbpattn-scan "-o $tmp/a.bg and --peaks $tmp/a.bg are the same file"
run 1 "$scan" -m "$m" -o "$tmp/no/such/dir/x.bg" "$d/tx.fa"
error_is rbpattn-scan "no/such/dir"
run 2 "$scan" -m "$m" --step 25 -o "$tmp/x.bg" "$d/tx.fa"
error_is rbpattn-scan "--step 25 is longer than the model's windows (24 nt)"
run 2 "$scan" -m "$m" "$d/tx.fa"
error_is rbpattn-scan "nothing to write"
run 2 "$scan" -m "$m" -o "$tmp/x.bg" --bed "$d/regions.bed"
error_is rbpattn-scan "--bed needs --genome"

# A whole genome: every record on +, step 10 by default.
run 0 "$scan" -m "$m" --peaks "$tmp/g.bed" --threshold 0.9 --genome "$d/genome.fa"
has "$tmp/err" "step 10"
peak_over "$tmp/g.bed" chr1 500 506 +
peak_over "$tmp/g.bed" chr1 1800 1806 +
echo "cli_scan: ok"
