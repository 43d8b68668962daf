#!/bin/sh
# Snakemake --cluster-status for Slurm: status.sh JOBID prints running, success or failed.
set -eu
state=$(sacct -j "$1" --format=State --noheader --parsable2 2>/dev/null | head -n 1 | cut -d' ' -f1)
case $state in
    COMPLETED) echo success ;;
    PENDING | RUNNING | REQUEUED | RESIZING | SUSPENDED | CONFIGURING | COMPLETING | "") echo running ;;
    *) echo failed ;;
esac
