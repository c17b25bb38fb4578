#!/usr/bin/env bash
# Submit a trainbench study to Slurm: an array job with one task per slice
# (scripts/slurm/array.sbatch) and a merge + report job that starts only after every task has
# succeeded (scripts/slurm/merge.sbatch, --dependency=afterok:<array job>).
#
#   scripts/slurm/submit.sh STUDY.toml [--slices N] [--out DIR] [--tasks LIST]
#                           [--sbatch ARG]... [-- trainbench run flags...]
#
#   --slices N     array tasks = slices of the plan (default 8)
#   --out DIR      output directory (default runs/NAME, NAME the study file's `name`, as for
#                  `trainbench run`); slice I is DIR/shard-I-of-N/,
#                  the merged log and report.md are in DIR, Slurm's logs in DIR/slurm/
#   --tasks LIST   resubmit only these tasks (sbatch --array syntax over 0..N-1, e.g. 3 or 0,5-7)
#   --sbatch ARG   passed to both sbatch calls (repeatable), e.g. --sbatch=--partition=short
#   -- FLAGS       passed to every `trainbench run` (e.g. --quick, --seeds 5, --sweep NAME);
#                  --out, --shard, --shard-count, --jobs and --threads are set here
#   -h, --help     this text
#
# Resubmitting the same command resumes: finished tasks skip their trials, unfinished ones run
# what is missing, and a new merge job follows. Pass the same --slices and run flags every time.
# The binary: TRAINBENCH=path, else this checkout's `cargo build --release` (it honours
# CARGO_TARGET_DIR). The study, binary and DIR must be on a filesystem every node sees.
# Prints both job ids and where the report will be. Slurm's commands must work from here
# (on the local cluster: eval "$(scripts/slurm/local-cluster.sh env)").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

die() { printf 'submit: error: %s\n' "$*" >&2; exit 2; }
# The comment block at the top of this file (up to its first line that is not a comment).
help_text() { sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; }
usage() { help_text >&2; exit 2; }

# The top-level `name = "…"` (or '…') of study file $1: the key before the first [table]. Empty
# if there is none or it is not a plain string (trainbench then reports the study file).
study_name() {
  awk '
    /^[[:space:]]*\[/ { exit }
    /^[[:space:]]*name[[:space:]]*=/ {
      v = $0
      sub(/^[^=]*=[[:space:]]*/, "", v)
      q = substr(v, 1, 1)
      if (q != "\"" && q != "\047") exit
      v = substr(v, 2)
      end = index(v, q)
      if (end == 0) exit
      v = substr(v, 1, end - 1)
      if (q == "\"" && index(v, "\\") > 0) exit
      print v
      exit
    }' "$1"
}

study='' slices=8 out='' tasks='' sbatch_args=() run_flags=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --slices) slices=${2:?--slices needs N}; shift 2 ;;
    --slices=*) slices=${1#*=}; shift ;;
    --out) out=${2:?--out needs DIR}; shift 2 ;;
    --out=*) out=${1#*=}; shift ;;
    --tasks) tasks=${2:?--tasks needs LIST}; shift 2 ;;
    --tasks=*) tasks=${1#*=}; shift ;;
    --sbatch) sbatch_args+=("${2:?--sbatch needs ARG}"); shift 2 ;;
    --sbatch=*) sbatch_args+=("${1#*=}"); shift ;;
    -h | --help) help_text; exit 0 ;;
    --) shift; run_flags=("$@"); break ;;
    -*) die "unknown option $1 (trainbench run flags go after --)" ;;
    *) [[ -z $study ]] || die "one study only (got $study and $1)"; study=$1; shift ;;
  esac
done
[[ -n $study ]] || usage
[[ -f $study ]] || die "no study file $study"
[[ $slices =~ ^[1-9][0-9]*$ ]] || die "--slices must be a positive number, not '$slices'"
for f in "${run_flags[@]+"${run_flags[@]}"}"; do
  case $f in
    --out | --out=* | --shard | --shard=* | --shard-count | --shard-count=* | --jobs | --jobs=* | \
      --threads | --threads=*)
      die "$f is set by the array job (one slice per task, threads = the task's CPUs)" ;;
  esac
done
command -v sbatch >/dev/null || die "sbatch not found: run this where Slurm's commands work"

# The binary, as an absolute path the jobs can run.
if [[ -n ${TRAINBENCH:-} ]]; then
  tb=$(command -v "$TRAINBENCH") || die "TRAINBENCH=$TRAINBENCH is not an executable"
  tb=$(realpath "$tb")
else
  command -v cargo >/dev/null || die "set TRAINBENCH to a trainbench binary (no cargo to build one)"
  echo "submit: building trainbench (cargo build --release) ..." >&2
  tb=$(cd "$repo" && cargo build --release --message-format=json-render-diagnostics |
    sed -n 's/.*"executable":"\([^"]*\/trainbench\)".*/\1/p' | tail -n 1)
  [[ -x $tb ]] || die "cargo build --release did not produce a trainbench binary"
fi
study=$(realpath "$study")

# Check the plan here, before queueing N tasks that would all fail the same way.
plan=$("$tb" run "$study" --dry-run --shard "1/$slices" "${run_flags[@]+"${run_flags[@]}"}" 2>&1) ||
  die "trainbench run --dry-run failed: $plan"
# The study's name, from its file, as `trainbench run` names runs/NAME and its records; the
# plan's first line ("study NAME: …", or "study NAME (QUICK…): …" with --quick) confirms it.
name=$(study_name "$study")
[[ -n $name ]] || die "could not read the study's name from $study; pass --out DIR"
case $(head -n 1 <<<"$plan") in
  "study $name: "* | "study $name (QUICK"*) ;;
  *) die "could not read the study's name from $study (its plan says: $(head -n 1 <<<"$plan" | cut -c 1-80)); pass --out DIR" ;;
esac
total=$(sed -n "s/^total: \([^,;]*\).*/\1/p" <<<"$plan")
out=${out:-runs/$name}
mkdir -p "$out/slurm"
out=$(realpath "$out")
tasks=${tasks:-0-$((slices - 1))}

# A merge job left waiting for an array that failed can never start (DependencyNeverSatisfied,
# unless the cluster cancels such jobs itself); cancel those of this output directory.
comment="trainbench-merge:$out"
stale=$(squeue -h -u "$(id -un)" -t PENDING -o '%i|%r|%k' 2>/dev/null |
  awk -F'|' -v c="$comment" '$2 == "DependencyNeverSatisfied" && $3 == c { print $1 }' || true)
if [[ -n $stale ]]; then
  echo "submit: cancelling merge job(s) that can never start: $stale" >&2
  # shellcheck disable=SC2086
  scancel $stale
fi

export_env=ALL,TRAINBENCH=$tb
array_job=$(sbatch --parsable --array="$tasks" --job-name="tb-$name" \
  --output="$out/slurm/%x-%A_%a.out" --export="$export_env" \
  "${sbatch_args[@]+"${sbatch_args[@]}"}" \
  "$here/array.sbatch" "$study" "$slices" "$out" "${run_flags[@]+"${run_flags[@]}"}")
array_job=${array_job%%;*}
merge_job=$(sbatch --parsable --dependency="afterok:$array_job" --job-name="tb-$name-merge" \
  --comment="$comment" --output="$out/slurm/%x-%j.out" --export="$export_env" \
  "${sbatch_args[@]+"${sbatch_args[@]}"}" \
  "$here/merge.sbatch" "$slices" "$out")
merge_job=${merge_job%%;*}

cat <<EOF
study $name: $total, $slices slices
  array job $array_job: tasks $tasks of 0-$((slices - 1)), slice I into $out/shard-I-of-$slices/
  merge job $merge_job: after every task succeeds (afterok:$array_job), merges into $out
  report:   $out/report.md
  logs:     $out/slurm/tb-$name-${array_job}_T.out, $out/slurm/tb-$name-merge-$merge_job.out
  watch:    squeue -j $array_job,$merge_job; trainbench status $out/shard-1-of-$slices
EOF
