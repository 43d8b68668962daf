#!/bin/sh
# rbpattn-mutate: mutation maps (TSV rows, the motif core is where substitutions hurt most,
# pictures) and variants (VCF plain and .gz, TSV, indexed or not, both strands; a REF that does
# not match is reported with its line and not scored; the score is the scan track's value).
. "$(dirname "$0")/cli_common.inc"
mutate=$bin/rbpattn-mutate
scan=$bin/rbpattn-scan
d=$data/scan
m=$d/motif.rbp   # 24-nt model of UGCAUG (tests/data/scan/make_fixtures.py)

# Mutation maps: 3 rows per position; the most damaging change is inside UGCAUG (10..15).
printf '>m1 motif at 10\nACGTACGTATGCATGACGTACGTA\n>short\nACGUUGCAUGAC\n' >"$tmp/mm.fa"
run 0 "$mutate" -m "$m" --plot "$tmp/maps" -o "$tmp/mm.tsv" "$tmp/mm.fa"
[ "$(head -n 1 "$tmp/mm.tsv")" = "id	position	ref	alt	ref_logit	alt_logit	delta_logit" ] || fail "header"
[ "$(grep -c '^m1	' "$tmp/mm.tsv")" -eq 72 ] || fail "24 positions x 3 substitutions"
[ "$(grep -c '^short	' "$tmp/mm.tsv")" -eq 36 ] || fail "a short sequence: 12 x 3"
worst=$(grep '^m1	' "$tmp/mm.tsv" | sort -t '	' -k7,7g | head -n 1 | cut -f 2)
[ "$worst" -ge 10 ] && [ "$worst" -le 16 ] || fail "most damaging substitution at $worst, outside the motif"
grep -q '^m1	10	U	' "$tmp/mm.tsv" || fail "T is written as U"
awk -F '\t' 'NR > 1 { d = $6 - $5 - $7; if (d > 1e-4 || d < -1e-4) exit 1 }' "$tmp/mm.tsv" || fail "delta != alt - ref"
for f in m1.png short.png; do
    [ "$(head -c 4 "$tmp/maps/$f" | od -An -c | tr -d ' ')" = "211PNG" ] || fail "$f is not a PNG"
done
has "$tmp/maps/m1.svg" "</svg>"
has "$tmp/maps/m1.svg" "change in logit"

# Variants: the core substitution and the deletion in motifs lower the logit a lot; the far one
# does not; the REF mismatch is reported with its line and gets no score.
run 0 "$mutate" -m "$m" --vcf "$d/variants.vcf" --genome "$d/genome.fa" -o "$tmp/v.tsv"
has "$tmp/err" "variants.vcf:9: REF A does not match the genome at chr1:600 (T); not scored"
has "$tmp/err" "4 of 5 variants scored"
col() { awk -F '\t' -v id="$2" -v c="$3" '$1 == id { print $c }' "$1"; }
check "$(col "$tmp/v.tsv" core 8)" "<" -5
check "$(col "$tmp/v.tsv" del 8)" "<" -5
check "$(col "$tmp/v.tsv" core 11)" "<" -0.5
d_far=$(col "$tmp/v.tsv" far 8)
awk -v x="$d_far" 'BEGIN { exit !(x < 1 && x > -1) }' || fail "far variant delta $d_far"
[ "$(col "$tmp/v.tsv" mismatch 12)" = ref_mismatch ] || fail "mismatch status"
[ "$(col "$tmp/v.tsv" mismatch 6)" = NA ] || fail "a mismatch must not be scored"
# the reference score is the scan track at the variant (max over the windows covering it)
printf 'chr1\t479\t526\n' >"$tmp/around.bed"
run 0 "$scan" -m "$m" --logit -o "$tmp/around.bg" --bed "$tmp/around.bed" --genome "$d/genome.fa"
at=$(awk -F '\t' '$2 <= 502 && $3 > 502 { print $4 }' "$tmp/around.bg")
[ "$at" = "$(col "$tmp/v.tsv" core 6)" ] || fail "ref_logit $(col "$tmp/v.tsv" core 6) != scan track $at"

# No .fai (the genome read once), a gzip VCF, stdin: the same table.
cp "$d/genome.fa" "$tmp/noindex.fa"
gzip -c "$d/variants.vcf" >"$tmp/v.vcf.gz"
run 0 "$mutate" -m "$m" -q --vcf "$tmp/v.vcf.gz" --genome "$tmp/noindex.fa" -o "$tmp/v2.tsv"
cmp "$tmp/v.tsv" "$tmp/v2.tsv" || fail "indexed and read-once genomes differ"

# The minus strand: breaking the reverse-complemented motif at chr2:1201-1206 matters on '-'.
printf '##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\nchr2\t1203\tminus\tT\tG\n' >"$tmp/minus.vcf"
run 0 "$mutate" -m "$m" --vcf "$tmp/minus.vcf" --genome "$d/genome.fa" --strand - -o "$tmp/vm.tsv"
check "$(col "$tmp/vm.tsv" minus 8)" "<" -5
run 0 "$mutate" -m "$m" --vcf "$tmp/minus.vcf" --genome "$d/genome.fa" -o "$tmp/vp.tsv"
check "$(col "$tmp/vp.tsv" minus 6)" "<" 0

# TSV variants against transcripts (ids as in the FASTA), an empty allele, multi-allelic VCF.
printf 'id\tposition\tref\talt\nplain_id\t102\tG\tA\nplain_id\t102\tG\t-\n' >"$tmp/v.tsv.in"
run 0 "$mutate" -m "$m" --variants "$tmp/v.tsv.in" --genome "$d/tx.fa" -o "$tmp/vt.tsv"
[ "$(grep -c '	ok$' "$tmp/vt.tsv")" -eq 2 ] || fail "TSV variants"
check "$(col "$tmp/vt.tsv" "plain_id:102:G>A" 8)" "<" -5
printf '#CHROM\tPOS\tID\tREF\tALT\nchr1\t503\tmulti\tC\tA,G,<DEL>\n' >"$tmp/multi.vcf"
run 0 "$mutate" -m "$m" --vcf "$tmp/multi.vcf" --genome "$d/genome.fa" -o "$tmp/vmu.tsv"
[ "$(grep -c '^multi	' "$tmp/vmu.tsv")" -eq 3 ] || fail "one row per ALT allele"
[ "$(grep -c '	unsupported$' "$tmp/vmu.tsv")" -eq 1 ] || fail "symbolic allele not reported"
has "$tmp/err" "multi.vcf:2: multi"

# Errors.
run 2 "$mutate" -m "$m" --vcf "$d/variants.vcf"
error_is rbpattn-mutate "--vcf needs --genome"
run 2 "$mutate" -m "$m" --vcf "$d/variants.vcf" --genome "$d/genome.fa" -o "$d/variants.vcf"
error_is rbpattn-mutate "is the same file as the input --vcf"
printf '#CHROM\tPOS\tID\tREF\tALT\nchr1\tx\t.\tA\tC\n' >"$tmp/bad.vcf"
run 1 "$mutate" -m "$m" --vcf "$tmp/bad.vcf" --genome "$d/genome.fa"
error_is rbpattn-mutate "bad.vcf:2: position 'x' is not a positive integer"
echo "cli_mutate: ok"
