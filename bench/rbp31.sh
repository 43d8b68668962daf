#!/bin/bash
# RBP-31 benchmark: train and evaluate one model per RBP-31 set with rbpattn-train, on the
# published split (training_sample_0 -> test_sample_0; validation is carved from the training
# sample only, --val-fraction), and write a Markdown table beside the published AUCs of DeepBind,
# iDeepS and DeepRKE (bench/results/rbp31-<date>[-tag].md, plus a .tsv of every run).
#
#   bench/rbp31.sh --sets PUM2,Ago2-MNase,18 [--seeds 1,2,3] [--jobs 2] [--threads 1] [--tag T]
#   bench/rbp31.sh --all --tag full -- --d-model 64        (after "--": rbpattn-train options)
#   bench/rbp31.sh --graphprot --all -- --length 0          (the GraphProt RBP-24 sets, 2nd table)
#
# Options:
#   --sets LIST     comma-separated sets: a number (23 = 23_PARCLIP_PUM2_hg19) or a name matched
#                   loosely (case and punctuation ignored; a whole name component such as "PUM2"
#                   or "hnRNPL" wins over a substring; every set at the best level is taken)
#   --all           all 31 sets
#   --graphprot     the GraphProt-format RBP-24 sets of ../shared/data/rbp24-dev instead
#                   (<set>.train.{positives,negatives}.fa, test <set>.ls.*; ~375 nt, UPPERCASE
#                   viewpoint): --pos/--neg input, rbpattn-train's default for such records
#                   (the whole record, pooling stem 8; `-- --length 150 --stem-pool 0` gives
#                   the 150-nt window of the earlier tables); report rbp24-<date>[-tag].md
#                   beside DeepBind and DeepRKE+ (bench/rbp24_published.tsv)
#   --seeds LIST    seeds (default 1); one training per set and seed
#   --threads N     rbpattn-train --threads (default 1)
#   --jobs N        trainings run at once (default 1)
#   --nice N        niceness of the trainings (default 5)
#   --out FILE      the Markdown report (default bench/results/rbp31-<date>[-tag].md; an existing
#                   file is never overwritten: -2, -3 ... is appended)
#   --tag TAG       name suffix of the report and the log dir
#   --logs DIR      per-run logs and JSON (default bench/results/logs/rbp31-<date>[-tag])
#   --build DIR     build tree holding examples/rbpattn-train (default build)
#   --data DIR      the clip/ directory (default ../shared/data/rbp31/datasets/clip, or
#                   ../../shared/... from a worktree; env RBP31_DATA); with --graphprot the
#                   rbp24-dev directory
#   --note TEXT     a line for the report (e.g. "machine shared with other jobs")
#   --dry-run       print the commands only
#   --report-only   no training: rewrite the report from the JSON in the log dir (give --out
#                   and the same options as the run)
#   --save-models   save each run's model beside its log (<logs>/<set>.s<seed>.rbp) with the
#                   set's name, protein and protocol (bench/rbp31_names.tsv) in its metadata;
#                   scripts/bundle_models.sh copies them into models/rbp31/
#   --skip-done     keep the runs whose JSON is already in the log dir (to resume a run, or add
#                   seeds to one)
#   -- OPTS...      everything after "--" goes to rbpattn-train after the defaults (later wins);
#                   an unknown --option (with its value unless the next word starts with -) too.
#
# The model is rbpattn-train's default preset (the demo's, scripts/demo.sh): conv stem 9,
# d_model 32, 1 layer, mean pooling, constant lr 1e-3, weight average 0.999, early stopping on
# validation AUC (patience 5, 10% held out), length 101 centred; an ensemble of 2 seeds
# (--members 2: with --threads 2 both train at once, with --threads 1 in turn; the same models
# either way). A run's seed S is the first member's (members S and S+1). `-- --members 1` runs
# single models (as the runs before 2026-12-01's ensemble table).
set -eu
# One brace group: bash parses it whole before running it, so editing this file while a long
# run is going cannot change what that run does next.
{
cmdline="bench/rbp31.sh"
for a in "$@"; do   # quoted only where a shell needs it
    case $a in *[!A-Za-z0-9_.,/:=+@%-]*|"") a="'$(printf '%s' "$a" | sed "s/'/'\\\\''/g")'" ;; esac
    cmdline="$cmdline $a"
done
cd "$(dirname "$0")/.."

# rbpattn-train's default preset is the benchmark's model (src/train/preset.c); naming it
# keeps the reports explicit and a run reproducible after the default changes.
DEFAULT_OPTS=(--preset default)

sets_arg="" all=0 seeds="1" threads=1 jobs=1 niceness=5 out="" tag="" logs="" build=build
# ../shared beside a main checkout, ../../shared beside a worktree in wt/<name>
data=${RBP31_DATA:-} note="" dry=0 report_only=0 skip_done=0 gp=0 save_models=0
pass=()
usage() { sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
die() { echo "rbp31.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
    --sets) sets_arg=$2; shift 2 ;;
    --sets=*) sets_arg=${1#*=}; shift ;;
    --all) all=1; shift ;;
    --graphprot) gp=1; shift ;;
    --seeds) seeds=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --nice) niceness=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    --logs) logs=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --note) note=$2; shift 2 ;;
    --dry-run) dry=1; shift ;;
    --report-only) report_only=1; shift ;;
    --skip-done) skip_done=1; shift ;;
    --save-models) save_models=1; shift ;;
    -h|--help) usage 0 ;;
    --) shift; pass+=("$@"); break ;;
    --*)
        pass+=("$1"); shift
        if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then pass+=("$1"); shift; fi ;;
    *) die "unexpected argument '$1' (see --help)" ;;
    esac
done
if [ -z "$data" ]; then
    [ $gp = 1 ] && sub=rbp24-dev || sub=rbp31/datasets/clip
    for d in ../shared ../../shared; do
        [ -d $d/data/$sub ] && { data=$d/data/$sub; break; }
    done
fi
if [ $gp = 1 ]; then
    # rbpattn-train's own default for viewpoint records: the whole record, pooling stem 4
    published=bench/rbp24_published.tsv show=DeepBind,DeepRKE+ prefix=rbp24
else
    published=$data/../../published_auc.tsv show=DeepBind,iDeepS,DeepRKE prefix=rbp31
fi
[ -n "$data" ] && [ -d "$data" ] || die "no data directory $data"
train_bin=$build/examples/rbpattn-train
[ -x "$train_bin" ] || [ $dry = 1 ] || die "no $train_bin (cmake -S . -B $build -DCMAKE_BUILD_TYPE=Release && cmake --build $build -j2)"
case $jobs$threads in *[!0-9]*) die "--jobs and --threads take numbers" ;; esac

# ---- resolve the sets
norm() { printf '%s' "$1" | tr 'A-Z' 'a-z' | tr -cd 'a-z0-9'; }
if [ $gp = 1 ]; then
    all_sets=$(cd "$data" && ls -- *.train.positives.fa | sed 's/\.train\.positives\.fa$//' | sort)
else
    all_sets=$(ls "$data" | sort -t_ -k1,1n)
fi
selected=()
if [ $all = 1 ]; then
    for s in $all_sets; do selected+=("$s"); done
else
    [ -n "$sets_arg" ] || die "give --sets LIST or --all"
    IFS=, read -r -a toks <<<"$sets_arg"
    for t in "${toks[@]}"; do
        [ -n "$t" ] || continue
        hits=""
        case $t in
        *[!0-9]*)
            nt=$(norm "$t")
            for s in $all_sets; do   # level 1: a whole name component
                for c in $(printf '%s' "$s" | tr '_' ' '); do
                    [ "$(norm "$c")" = "$nt" ] && { hits="$hits $s"; break; }
                done
            done
            if [ -z "$hits" ]; then
                for s in $all_sets; do   # level 2: a substring
                    case $(norm "$s") in *"$nt"*) hits="$hits $s" ;; esac
                done
            fi ;;
        *) for s in $all_sets; do [ "${s%%_*}" = "$t" ] && hits="$hits $s"; done ;;
        esac
        [ -n "$hits" ] || die "no set matches '$t'"
        for h in $hits; do
            dup=0
            for x in "${selected[@]+"${selected[@]}"}"; do [ "$x" = "$h" ] && dup=1; done
            [ $dup = 1 ] || selected+=("$h")
        done
    done
fi

day=$(date -u +%Y-%m-%d)
base=$prefix-$day${tag:+-$tag}
if [ -z "$out" ]; then
    out=bench/results/$base.md
    n=2
    while [ -e "$out" ]; do out=bench/results/$base-$n.md; n=$((n + 1)); done
fi
[ -n "$logs" ] || logs=bench/results/logs/$(basename "${out%.md}")
[ $dry = 1 ] || mkdir -p "$(dirname "$out")" "$logs"

echo "rbp31.sh: ${#selected[@]} sets x seeds $seeds, $jobs at once, $threads thread(s); logs in $logs/, report $out"

# ---- run
IFS=, read -r -a seed_list <<<"$seeds"
t_start=$(date +%s)
running=0 failed=0
run_one() {   # set seed
    local s=$1 seed=$2 d=$data/$1/30000 stem=$logs/$1.s$2 input
    if [ $gp = 1 ]; then
        input=(--pos "$data/$s.train.positives.fa" --neg "$data/$s.train.negatives.fa"
            --test-pos "$data/$s.ls.positives.fa" --test-neg "$data/$s.ls.negatives.fa")
    else
        input=(--fasta "$d/training_sample_0/sequences.fa.gz" --test "$d/test_sample_0/sequences.fa.gz")
    fi
    local cmd=(nice -n "$niceness" "$train_bin" "${input[@]}" "${DEFAULT_OPTS[@]}" "${pass[@]+"${pass[@]}"}"
        --seed "$seed" --threads "$threads" --json "$stem.json")
    if [ $save_models = 1 ]; then
        local row
        row=$(awk -F'\t' -v s="$s" '$1 == s' bench/rbp31_names.tsv)
        [ -n "$row" ] || row="$s	$s	unknown	unknown"
        IFS=$'\t' read -r _ m_name m_protein m_protocol <<<"$row"
        cmd+=(--save "$stem.rbp" --meta "name=$m_name" --meta "protein=$m_protein"
            --meta "protocol=$m_protocol" --meta "dataset=RBP-31 $s"
            --meta "split=30000/training_sample_0 (test: 30000/test_sample_0)")
    fi
    if [ $skip_done = 1 ] && [ -s "$stem.json" ]; then echo "  kept $1 seed $seed (JSON exists)"; return 0; fi
    if [ $dry = 1 ]; then echo "${cmd[*]}"; return 0; fi
    printf '%s\n' "${cmd[*]}" >"$stem.cmd"
    # a JSON of an earlier run is set aside, not deleted (a second process re-running this
    # set without --skip-done must not lose a finished result); the report reads *.json only
    [ ! -e "$stem.json" ] || mv -f "$stem.json" "$stem.json.prev"
    if "${cmd[@]}" >"$stem.log" 2>&1; then
        echo "  done $1 seed $seed: $(grep -o '"auc": *[0-9.]*' "$stem.json" | tail -n 1)"
    else
        echo "  FAILED $1 seed $seed (log $stem.log)" >&2
        return 1
    fi
}
[ $report_only = 1 ] && jobs_list=() || jobs_list=("${selected[@]}")
for s in "${jobs_list[@]+"${jobs_list[@]}"}"; do
    for seed in "${seed_list[@]}"; do
        while [ "$running" -ge "$jobs" ]; do
            wait -n || failed=$((failed + 1))
            running=$((running - 1))
        done
        run_one "$s" "$seed" &
        running=$((running + 1))
    done
done
while [ "$running" -gt 0 ]; do
    wait -n || failed=$((failed + 1))
    running=$((running - 1))
done
[ $dry = 1 ] && exit 0
wall=$(( $(date +%s) - t_start ))
[ $report_only = 1 ] && wall=n/a

# ---- report
python3 bench/rbp31_report.py --logs "$logs" --out "$out" \
    --published "$published" --show "$show" --kind "$([ $gp = 1 ] && echo graphprot || echo rbp31)" \
    --command "$cmdline" --defaults "${DEFAULT_OPTS[*]}" --pass "${pass[*]+"${pass[*]}"}" \
    --seeds "$seeds" --threads "$threads" --jobs "$jobs" --nice "$niceness" --wall "$wall" \
    --version "$(git describe --always --dirty --tags 2>/dev/null || echo unknown)" \
    --cpu "$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores" \
    --note "$note" --sets "$(IFS=,; echo "${selected[*]}")"
echo "rbp31.sh: report $out ($failed failed runs, $wall s)"
[ $failed = 0 ]
exit
}
