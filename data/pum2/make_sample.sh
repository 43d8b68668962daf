#!/bin/sh
# Draw the bundled PUM2 sample from RBP-31 set 23 (23_PARCLIP_PUM2_hg19, iONMF data as
# distributed with iDeepS). Records are copied unchanged (header and 60-column sequence lines);
# the selection is systematic - every k-th record of each class in file (genomic) order - so it
# is spread over all chromosomes, needs no random number generator and is reproducible with
# any awk.
#
# Usage: sh data/pum2/make_sample.sh [RBP31_SET_DIR] [OUT_DIR]
#   RBP31_SET_DIR  .../datasets/clip/23_PARCLIP_PUM2_hg19/30000 (holding training_sample_0/ and
#                  test_sample_0/ with sequences.fa.gz)
#   OUT_DIR        where train.fa.gz and test.fa.gz go (default: this script's directory)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=${1:-/work/shared/data/rbp31/datasets/clip/23_PARCLIP_PUM2_hg19/30000}
out=${2:-$here}

# sample IN POS_EVERY NEG_EVERY: keep every POS_EVERY-th positive and every NEG_EVERY-th negative.
sample() {
    gzip -dc "$1" | awk -v pe="$2" -v ne="$3" '
        /^>/ {
            if ($0 ~ /class:1/) { np++; keep = (np % pe == 0) }
            else                { nn++; keep = (nn % ne == 0) }
        }
        keep { print }'
}

# Training: every 2nd of the 6,000 positives and every 8th of the 24,000 negatives -> 3,000 +
# 3,000, balanced on purpose (a small model learns the motif in fewer epochs from balanced
# batches). Test: every 5th record of each class -> 400 positives + 1,600 negatives, the
# benchmark's own 1:4 ratio, so the test AUC/AUPRC are those of the RBP-31 test distribution.
sample "$src/training_sample_0/sequences.fa.gz" 2 8 | gzip -9n > "$out/train.fa.gz"
sample "$src/test_sample_0/sequences.fa.gz" 5 5 | gzip -9n > "$out/test.fa.gz"

for f in train test; do
    n=$(gzip -dc "$out/$f.fa.gz" | grep -c '^>')
    p=$(gzip -dc "$out/$f.fa.gz" | grep -c 'class:1')
    echo "$f.fa.gz: $n records, $p positive, $(($n - $p)) negative"
done
