#!/bin/sh
# Simulated --cluster submit command: submit.sh RULE THREADS MEM_MB JOBSCRIPT.
# "Submits" by running the job script in the background (stdout/stderr in
# logs/cluster/JOBID.out), records the submission and prints the job id, as sbatch --parsable does.
# Snakemake learns that a job ended from the marker files its job script writes.
set -eu
rule=$1 threads=$2 mem=$3 jobscript=$4
mkdir -p logs/cluster
id=sim$$
printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$id" "$rule" "$threads" "$mem" \
    >>logs/cluster/submissions.tsv
nohup sh "$jobscript" </dev/null >"logs/cluster/$id.out" 2>&1 &
echo "$id"
