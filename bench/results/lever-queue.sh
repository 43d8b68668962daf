#!/bin/bash
# Runs the lever configurations queued in bench/results/lever-queue.txt one after another
# ("tag<TAB>rbpattn-train options" per line; the first line is taken and removed; "END" stops).
# Each runs on the same subset of hard + motif sets with bench/rbp31.sh, 2 trainings at once.
cd "$(dirname "$0")/../.."
q=bench/results/lever-queue.txt
sets=${LEVER_SETS:-Ago2-MNase,ELAVL1-MNase,18,IGF2BP,PUM2,QKI}
note="machine shared with 4 other helpers (2 cores, load up to 9): training seconds are upper bounds"
while :; do
    line=$(head -n 1 "$q" 2>/dev/null || true)
    if [ -z "$line" ]; then sleep 20; continue; fi
    sed -i 1d "$q"
    [ "$line" = END ] && break
    tag=${line%%	*}
    opts=${line#*	}
    echo "$(date -u +%H:%M:%S) start $tag: $opts"
    # shellcheck disable=SC2086
    bench/rbp31.sh --sets "$sets" --jobs 2 --threads 1 --tag "lever-$tag" --note "$note" -- $opts
    echo "$(date -u +%H:%M:%S) end $tag"
done
