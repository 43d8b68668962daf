#!/bin/bash
# 1. Seed spread: the baseline (demo) model, seeds 1-3 on Ago2-MNase, ELAVL1-MNase and QKI (seed 1
#    reused from the baseline run, same options: --skip-done):
#      bench/rbp31.sh --sets Ago2-MNase,ELAVL1-MNase,QKI --seeds 1,2,3 --jobs 2 --threads 1 \
#          --tag seeds-baseline --skip-done --logs bench/results/logs/rbp31-2026-12-01-seeds-baseline
# 2. Then the full 31-set benchmark with the d_model 64 model, resumable (--skip-done; the
#    MNase sets' seed-1 runs are reused from the lever-d64 run, same options and seed), the rest
#    of the 6-set lever subset first so that its d64 mean is known early.
cd "$(dirname "$0")/../.."
N="machine shared with 4 other helpers (2 cores, load 6-14): training seconds are upper bounds"
while pgrep -f 'tag seeds-baseline' >/dev/null; do sleep 10; done
L=bench/results/logs/rbp31-2026-12-01-full-d64
D64="--d-model 64 --d-ff 128 --head-hidden 64"
mkdir -p $L
cp -n bench/results/logs/rbp31-2026-12-01-lever-d64/*.s1.json bench/results/logs/rbp31-2026-12-01-lever-d64/*.s1.cmd $L/
# shellcheck disable=SC2086
bench/rbp31.sh --sets Ago2-MNase,ELAVL1-MNase,18,IGF2BP,PUM2,QKI --seeds 1 --jobs 2 --threads 1 --tag subset-d64 \
    --skip-done --logs $L --note "$N; MNase sets from the lever-d64 run (--skip-done)" -- $D64
# shellcheck disable=SC2086
bench/rbp31.sh --all --seeds 1 --jobs 2 --threads 1 --tag full-d64 --skip-done --logs $L \
    --note "$N; seed-1 runs of Ago2-MNase and ELAVL1-MNase reused from the lever-d64 run (--skip-done)" -- $D64
