#!/bin/sh
# Snakemake --cluster submit command for Slurm: submit.sh RULE THREADS MEM_MB RUNTIME JOBSCRIPT.
# Prints the Slurm job id (sbatch --parsable) for status.sh and scancel.
set -eu
rule=$1 threads=$2 mem=$3 runtime=$4 jobscript=$5
mkdir -p logs/slurm
exec sbatch --parsable --job-name="rbp-$rule" --cpus-per-task="$threads" --mem="$mem" --time="$runtime" \
    --output="logs/slurm/$rule-%j.out" "$jobscript"
