#!/bin/sh
# rbpattn-motifs: on a planted-motif FASTA (UGCAUG in the positives) a small model's top motif
# is the planted one (--compare against its consensus); every output file is there and well
# formed (MEME read back by --compare itself, TSV headers, PNG signature, SVG root); stdin
# input; the logo switches; clear errors for bad arguments and bad MEME files.
. "$(dirname "$0")/cli_common.inc"
motifs=$bin/rbpattn-motifs

# 3,000 random 30-mers, half with UGCAUG at a random place (awk's own generator, seeded).
awk 'BEGIN { srand(7); split("A C G U", b, " ")
    for (i = 1; i <= 3000; i++) {
        s = ""; for (j = 0; j < 30; j++) s = s b[int(rand() * 4) + 1]
        pos = i % 2; if (pos) { k = int(rand() * 25); s = substr(s, 1, k) "UGCAUG" substr(s, k + 7) }
        printf "> s%d; class:%d\n%s\n", i, pos, s } }' >"$tmp/planted.fa"
printf 'MEME version 4\n\nALPHABET= ACGU\n\nMOTIF planted UGCAUG\nletter-probability matrix: alength= 4 w= 6\n' >"$tmp/known.meme"
printf '0 0 0 1\n0 0 1 0\n0 1 0 0\n1 0 0 0\n0 0 0 1\n0 0 1 0\n' >>"$tmp/known.meme"

run 0 "$train" --fasta "$tmp/planted.fa" --preset study --d-model 16 --heads 2 --layers 1 --d-ff 32 --head-hidden 16 \
    --conv-kernel 5 --pooling max --schedule constant --epochs 8 --batch 32 --lr 3e-3 --seed 1 --threads 1 --quiet \
    --save "$tmp/m.rbp"

run 0 "$motifs" -m "$tmp/m.rbp" --top 300 --compare "$tmp/known.meme" -o "$tmp/o" "$tmp/planted.fa"
for f in motifs.meme sites.tsv kmers.tsv compare.tsv logo_1.png logo_1.svg; do
    [ -s "$tmp/o/$f" ] || fail "no $f"
done
[ "$(head -n 1 "$tmp/out")" = "motif	consensus	sites	bits	best_match	offset	overlap	correlation" ] ||
    fail "stdout header"
cmp "$tmp/out" "$tmp/o/compare.tsv" || fail "stdout and compare.tsv differ"
r=$(awk -F '\t' '$1 == "motif_1" { print $8 }' "$tmp/out")
check "$r" ">=" 0.9
has "$tmp/err" "3000 sequences; searching the 300 highest-scoring (saliency)"
has "$tmp/o/motifs.meme" "MEME version 4"
has "$tmp/o/motifs.meme" "MOTIF motif_1 "
[ "$(head -n 1 "$tmp/o/sites.tsv")" = "motif	id	record	start	end	site	score" ] || fail "sites.tsv header"
[ "$(head -n 1 "$tmp/o/kmers.tsv")" = "kmer	count	background	enrichment	z" ] || fail "kmers.tsv header"
[ "$(sed -n 2p "$tmp/o/kmers.tsv" | cut -f 1)" = UGCAUG ] || fail "UGCAUG does not top kmers.tsv"
# a site's letters are those of its record at start..end (1-based)
awk -F '\t' 'NR == FNR { if (/^>/) { id = $0; sub(/^> */, "", id); sub(/;.*/, "", id) } else seq[id] = $0; next }
    FNR > 1 && substr(seq[$2], $4, $5 - $4 + 1) != $6 { bad++ } END { exit bad > 0 }' \
    "$tmp/planted.fa" "$tmp/o/sites.tsv" || fail "a site's letters differ from its record"
[ "$(head -c 8 "$tmp/o/logo_1.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "not a PNG"
has "$tmp/o/logo_1.svg" "<svg"
has "$tmp/o/logo_1.svg" "</svg>"

# Our MEME output read back by --compare: every motif is its own best match, r = 1.
run 0 "$motifs" -m "$tmp/m.rbp" --top 300 --quiet --no-png --no-svg --compare "$tmp/o/motifs.meme" \
    -o "$tmp/o2" - <"$tmp/planted.fa"
awk -F '\t' 'NR > 1 && ($1 != $5 || $8 != "1.000") { exit 1 }' "$tmp/out" || fail "motifs do not match themselves"
[ ! -e "$tmp/o2/logo_1.png" ] && [ ! -e "$tmp/o2/logo_1.svg" ] || fail "--no-png/--no-svg wrote logos"
cmp "$tmp/o/motifs.meme" "$tmp/o2/motifs.meme" || fail "stdin gives other motifs than the file"
[ ! -s "$tmp/err" ] || fail "--quiet printed: $(cat "$tmp/err")"

# help, version, errors
run 0 "$motifs" --help
has "$tmp/out" "Usage: rbpattn-motifs"
has "$tmp/out" "--compare"
run 0 "$motifs" --version
has "$tmp/out" "rbpattn-motifs (rbpattn) "
run 2 "$motifs" -o "$tmp/x" "$tmp/planted.fa"
error_is rbpattn-motifs "missing --model FILE"
run 2 "$motifs" -m "$tmp/m.rbp" "$tmp/planted.fa"
error_is rbpattn-motifs "missing -o DIR"
run 2 "$motifs" -m "$tmp/m.rbp" -o "$tmp/x"
error_is rbpattn-motifs "missing INPUT"
run 2 "$motifs" -m "$tmp/m.rbp" -o "$tmp/x" --width 3 "$tmp/planted.fa"
error_is rbpattn-motifs "option '--width': 3 is out of range"
run 2 "$motifs" -m "$tmp/m.rbp" -o "$tmp/x" --width 5 --kmer 6 "$tmp/planted.fa"
error_is rbpattn-motifs "--kmer 6 is longer than --width 5"
run 2 "$motifs" -m "$tmp/m.rbp" -o "$tmp/x" --importance gradient "$tmp/planted.fa"
error_is rbpattn-motifs "expected one of saliency|rollout"
# the input encoding comes from the model, as for predict
run 2 "$motifs" -m "$tmp/m.rbp" -o "$tmp/x" --truncate center "$tmp/planted.fa"
error_is rbpattn-motifs "--truncate center contradicts"
run 1 "$motifs" -m "$tmp/m.rbp" -o "$tmp/x" --compare "$tmp/none.meme" "$tmp/planted.fa"
error_is rbpattn-motifs "none.meme"
printf 'MEME version 4\nMOTIF a\nletter-probability matrix: alength= 4 w= 2\n1 0 0 0\n' >"$tmp/short.meme"
run 1 "$motifs" -m "$tmp/m.rbp" -o "$tmp/x" --compare "$tmp/short.meme" "$tmp/planted.fa"
error_is rbpattn-motifs "short.meme:3: motif 'a' has 1 of 2 matrix rows"
run 1 "$motifs" -m "$tmp/missing.rbp" -o "$tmp/x" "$tmp/planted.fa"
error_is rbpattn-motifs "missing.rbp"
[ ! -e "$tmp/x" ] || fail "a failed run created its output directory"
echo "ok"
