#!/usr/bin/env bash
# The one command to run on a lent GPU machine (docs/performance.md, "LibTorch CUDA"): times
# every training configuration of a study with benches/training.rs (the same study-driven
# benches as `cargo bench`) on LibTorch CUDA, with the binaries that
# scripts/device/build-gpu.sh built here (no Rust or network needed there).
#
#   scripts/device/cuda-check.sh [--out DIR] [--dist DIR] [--budget SECONDS] [--steps LIST]
#                                [--backend B] [--torch-lib DIR] [--testbed NAME]
#                                [--study PATH] [--dry-run]
#
#   --out DIR        where the results go [default: $OUT (the device tool's), else
#                    runs/cuda-check-<time>]: summary.md, steps.tsv, console.log, timing.json
#                    and cuda-check.tar.gz (criterion's JSON, the study's run directory, the
#                    per-step logs) — five files, as the device tool brings back at most eight
#   --dist DIR       the binaries and BUILD-INFO [default: dist/gpu]
#   --budget S       wall-clock seconds for everything [default: 450]; each step's timeout is
#                    the smaller of its own cap and what is left, so the script ends in time
#   --steps LIST     comma-separated subset of the steps below, for a rerun [default: all]
#   --backend B      [default: tch-cuda; tch with --dry-run]
#   --torch-lib DIR  the LibTorch lib folder to load [default: python3's torch/lib, else
#                    $LIBTORCH/lib]; the nvidia/*/lib folders beside torch/ are added too
#   --testbed NAME   the baseline's testbed name [default: h200-cuda; dry-run-B with --dry-run]
#   --study PATH     the study the benches time (TRAINBENCH_STUDY) [default:
#                    studies/bench-grid.toml: the 4 Lab 1 models x batch 32..512, 10 seeds]
#   --dry-run        every step, printed and run on the CPU instead: backend tch (LibTorch CPU)
#                    unless --backend says otherwise, narrower bench filters, the smoke study
#
# Steps, in order of priority (each bounded by `timeout`; a failing step is reported and the
# next one still runs; the exit status is 1 if any step failed):
#   env             machine, GPU, the machine's torch version and git sha vs BUILD-INFO's
#   ldd             every library of both binaries found (no "not found")
#   train           trainbench train on a small synthetic set
#   bench-epoch     criterion group train_epoch (every (model, batch size) of the study), --quick
#   bench-replicas  criterion group replicas for jsc-tiny (the study's seeds: sequential vs
#                   replicas)
#   study           trainbench run studies/lab1.toml --quick
#   cpu-ref         replicas for jsc-tiny on this machine's CPU: flex and tch, 1 thread
#   bench-replicas-10x  criterion group replicas for jsc-toy-10x
# then, always: timing.json (trainbench baseline save-timing), summary.md, the tarball.
# The steps are bash -c strings, single-quoted so that they print as they run:
# shellcheck disable=SC2016
set -uo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo" || exit 2

out="${OUT:-}"
dist=dist/gpu
budget=450
steps=all
backend=""
torch_lib=""
testbed=""
study_bench=studies/bench-grid.toml
dry=0
usage() { sed -n '2,38p' "$0"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift ;;
    --dist) dist=$2; shift ;;
    --budget) budget=$2; shift ;;
    --steps) steps=$2; shift ;;
    --backend) backend=$2; shift ;;
    --torch-lib) torch_lib=$2; shift ;;
    --testbed) testbed=$2; shift ;;
    --study) study_bench=$2; shift ;;
    --dry-run) dry=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "cuda-check: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$budget" in '' | *[!0-9]*) echo "cuda-check: --budget takes whole seconds" >&2; exit 2 ;; esac
all_steps="env ldd train bench-epoch bench-replicas study cpu-ref bench-replicas-10x"
if [ "$steps" != all ]; then
  for s in ${steps//,/ }; do
    case " $all_steps " in *" $s "*) ;; *) echo "cuda-check: unknown step '$s' ($all_steps)" >&2; exit 2 ;; esac
  done
fi
[ -n "$backend" ] || { [ "$dry" = 1 ] && backend=tch || backend=tch-cuda; }
[ -n "$testbed" ] || { [ "$dry" = 1 ] && testbed="dry-run-$backend" || testbed=h200-cuda; }
[ -n "$out" ] || out="runs/cuda-check-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out" || exit 2
out=$(cd "$out" && pwd)
dist=$(cd "$dist" 2>/dev/null && pwd) || { echo "cuda-check: no folder $dist (build it with scripts/device/build-gpu.sh)" >&2; exit 2; }
chmod +x "$dist/trainbench" "$dist/training" 2>/dev/null # in case a copy lost the mode
work=$(mktemp -d "${TMPDIR:-/tmp}/cuda-check.XXXXXX") || exit 2
# 15 s are kept for timing.json, the summary and the tarball.
reserve=15
deadline=$((SECONDS + budget))

# The LibTorch to load: the GPU machine's python3 torch (found without importing it), else
# $LIBTORCH/lib (here). Its nvidia-* siblings are found through torch's own rpath as well.
find_torch_lib() {
  if [ -n "$torch_lib" ]; then echo "$torch_lib"; return; fi
  local py t
  for py in python3 /opt/torch/.venv/bin/python3; do
    t=$("$py" -c 'import importlib.util as u, os; s = u.find_spec("torch"); print(os.path.join(os.path.dirname(s.origin), "lib") if s else "")' 2>/dev/null)
    if [ -n "$t" ] && [ -d "$t" ]; then echo "$t"; return; fi
  done
  for t in /opt/torch/.venv/lib/python3*/site-packages/torch/lib "${LIBTORCH:-/nonexistent}/lib"; do
    if [ -d "$t" ]; then echo "$t"; return; fi
  done
  echo ""
}
torch_lib=$(find_torch_lib)
libs="$torch_lib"
if [ -n "$torch_lib" ]; then
  for d in "$torch_lib"/../../nvidia/*/lib; do [ -d "$d" ] && libs="$libs:$(cd "$d" && pwd)"; done
fi
export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export CRITERION_HOME="$work/criterion"
export TRAINBENCH_THREADS="${TRAINBENCH_THREADS:-1}"
export TRAINBENCH_BACKEND="$backend"  # the benches read it; cpu-ref sets its own
[ -f "$study_bench" ] || { echo "cuda-check: no study file $study_bench (--study)" >&2; exit 2; }
export TRAINBENCH_STUDY="$study_bench"  # what the benches time
export DIST="$dist" WORK="$work" BACKEND="$backend" TORCH_LIB="$torch_lib" REPO="$repo"

: >"$out/steps.tsv"
printf 'step\tstatus\tseconds\ttimeout\tcommand\n' >"$work/steps.tsv"
failed=0

selected() { [ "$steps" = all ] || case ",$steps," in *",$1,"*) true ;; *) false ;; esac; }

# step NAME CAP COMMAND: runs COMMAND with bash -c under timeout, logs it to
# $WORK/logs/NAME.log as well, and records the outcome in steps.tsv.
step() {
  local name=$1 cap=$2 cmd=$3
  selected "$name" || return 0
  local left=$((deadline - SECONDS - reserve))
  local t=$((cap < left ? cap : left))
  printf '\n== %s  [timeout %ss, %ss of the budget left]  %s\n$ %s\n' \
    "$name" "$t" "$((deadline - SECONDS))" "$(date -u +%H:%M:%S)" "$cmd"
  local status seconds=0
  if [ "$t" -lt 5 ]; then
    status="SKIPPED (no time left in the --budget)"
    failed=1
  else
    mkdir -p "$WORK/logs"
    local t0=$SECONDS rc
    timeout -k 10 "$t" bash -c "set -o pipefail; $cmd" 2>&1 | tee "$WORK/logs/$name.log"
    rc=${PIPESTATUS[0]}
    seconds=$((SECONDS - t0))
    case "$rc" in
      0) status=ok ;;
      124 | 137) status="TIMEOUT after ${t}s"; failed=1 ;;
      *) status="FAIL (exit $rc)"; failed=1 ;;
    esac
  fi
  echo "-- $name: $status (${seconds}s)"
  local flat
  flat=$(printf '%s' "$cmd" | tr '\n\t' '  ' | tr -s ' ')
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$status" "$seconds" "$t" "${flat# }" >>"$WORK/steps.tsv"
}

main() {
  echo "cuda-check: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname), backend $backend, budget ${budget}s$([ "$dry" = 1 ] && echo ', DRY RUN')"
  echo "dist=$dist  out=$out  work=$work"
  echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  echo "CRITERION_HOME=$CRITERION_HOME  TRAINBENCH_BACKEND=$TRAINBENCH_BACKEND  TRAINBENCH_THREADS=$TRAINBENCH_THREADS  TRAINBENCH_STUDY=$TRAINBENCH_STUDY"
  [ -n "$torch_lib" ] || echo "cuda-check: no torch found (python3 torch, --torch-lib or \$LIBTORCH): the binaries will not load"

  local bench_epoch='^train_epoch/' bench_rep='^replicas/[^/]+/jsc-tiny/' \
    bench_rep10='^replicas/[^/]+/jsc-toy-10x/' study=studies/lab1.toml cpu_filter='jsc-tiny/'
  if [ "$dry" = 1 ]; then
    # The same commands, narrowed so that a dry run on a 2-core machine takes a few minutes.
    bench_epoch='^train_epoch/[^/]+/jsc-tiny/bs(256|512)$'
    bench_rep='^replicas/[^/]+/jsc-tiny/bs512/'
    bench_rep10='^replicas/[^/]+/jsc-toy-10x/bs512/'
    study=studies/smoke.toml
    cpu_filter='jsc-tiny/bs512/'
    echo "DRY RUN: backend $backend, benches narrowed to $bench_epoch | $bench_rep | $bench_rep10,"
    echo "the study is $study; on the GPU machine: tch-cuda, ^train_epoch/, every batch size, lab1"
  fi

  step env 60 '
    echo "kernel: $(uname -srm)"
    if command -v nvidia-smi >/dev/null; then
      nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
    else
      echo "nvidia-smi: not on this machine"
    fi
    echo "--- the binaries were built against:"; cat "$DIST/BUILD-INFO"
    want=$(sed -n "s/^torch_version=//p" "$DIST/BUILD-INFO"); want_git=$(sed -n "s/^git_version=//p" "$DIST/BUILD-INFO")
    echo "--- the torch loaded here: ${TORCH_LIB:-none}"
    [ -n "$TORCH_LIB" ] || exit 1
    vfile="$TORCH_LIB/../version.py"
    if [ -f "$vfile" ]; then
      have=$(sed -n "s/^__version__ = .\(.*\).$/\1/p" "$vfile"); have_git=$(sed -n "s/^git_version = .\(.*\).$/\1/p" "$vfile")
    else
      have=$(cat "$TORCH_LIB/../build-version" 2>/dev/null); have_git=""
    fi
    echo "torch_version=$have git_version=$have_git"
    if [ "$have" = "$want" ] && [ "$have_git" = "$want_git" ]; then
      echo "torch matches the build: $have ($have_git)"
    else
      echo "MISMATCH: built against $want ($want_git), this machine has ${have:-?} (${have_git:-?}); the C++ wrapper may not match"
      exit 1
    fi'

  step ldd 30 '
    found=$(ldd "$DIST/trainbench" "$DIST/training" 2>&1)
    grep -E "^/|torch|c10|cuda|cudnn|cublas|gomp|not found" <<<"$found"
    ! grep -q "not found" <<<"$found"'

  step train 120 '
    "$DIST/trainbench" train --backend "$BACKEND" --model jsc-tiny --batch-size 256 --lr 1e-3 \
      --epochs 3 --data synth:50000 --threads 1'

  step bench-epoch 200 "\"\$DIST/training\" --bench --quick '$bench_epoch'"

  step bench-replicas 150 "\"\$DIST/training\" --bench --quick '$bench_rep'"

  step study 150 "
    \"\$DIST/trainbench\" run $study --quick --backend \"\$BACKEND\" --threads 1 \\
      --out \"\$WORK/run-\$(basename $study .toml)-quick-\$BACKEND\""

  step cpu-ref 150 "
    rc=0
    for b in flex tch; do
      echo \"--- \$b (this machine's CPU, \$TRAINBENCH_THREADS thread)\"
      TRAINBENCH_BACKEND=\$b \"\$DIST/training\" --bench --quick \"^replicas/\$b/$cpu_filter\" || rc=\$?
    done
    exit \$rc"

  step bench-replicas-10x 150 "\"\$DIST/training\" --bench --quick '$bench_rep10'"

  finish
}

finish() {
  printf '\n== results (%ss of the budget left)\n' "$((deadline - SECONDS))"
  if [ -d "$CRITERION_HOME" ]; then
    timeout 20 "$DIST/trainbench" baseline save-timing --testbed "$testbed" \
      --criterion-dir "$CRITERION_HOME" --baselines-dir "$WORK/baselines" &&
      cp "$WORK/baselines/$testbed/timing.json" "$out/timing.json"
  else
    echo "no criterion results: no timing.json"
  fi
  {
    echo "# cuda-check $(date -u +%Y-%m-%dT%H:%M:%SZ)$([ "$dry" = 1 ] && echo ' (DRY RUN)')"
    echo
    echo "Host $(hostname), backend $backend, $TRAINBENCH_THREADS thread(s); budget ${budget}s, used $((SECONDS - deadline + budget))s."
    command -v nvidia-smi >/dev/null &&
      echo "GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -n 1)"
    echo "Binaries: $(grep -E '^(torch_version|git_version|trainbench_git)=' "$dist/BUILD-INFO" | tr '\n' ' ')"
    echo
    echo "| step | status | seconds | timeout |"
    echo "|---|---|---|---|"
    tail -n +2 "$WORK/steps.tsv" | awk -F'\t' '{ printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }'
    echo
    if [ -d "$CRITERION_HOME" ]; then
      timeout 20 python3 "$repo/scripts/device/summarize.py" "$CRITERION_HOME" || echo "(summarize.py failed)"
    fi
    for d in "$WORK"/run-*; do
      [ -d "$d" ] || continue
      echo "### $(basename "$d")"
      echo
      echo '```'
      timeout 20 "$DIST/trainbench" status "$d" 2>&1 | head -n 40
      echo '```'
    done
  } >"$out/summary.md" 2>&1
  cp "$WORK/steps.tsv" "$out/steps.tsv"
  cat "$out/summary.md"
  # One tarball of everything else; figures are dropped if it would not come back (16 MiB).
  tar -czf "$out/cuda-check.tar.gz" -C "$WORK" . 2>/dev/null
  if [ "$(stat -c %s "$out/cuda-check.tar.gz")" -gt $((15 * 1048576)) ]; then
    tar -czf "$out/cuda-check.tar.gz" -C "$WORK" --exclude='*.png' --exclude='*.svg' . 2>/dev/null
  fi
  ls -l "$out"
  echo "cuda-check: $([ "$failed" = 0 ] && echo 'every step ok' || echo 'some steps FAILED or were skipped (above)'); results in $out"
}

main 2>&1 | tee "$out/console.log"
# The pipeline's subshell cannot set `failed` here: read the outcome back from steps.tsv.
if awk -F'\t' 'NR > 1 && $2 != "ok" && $2 !~ /^dry-run/ { bad = 1 } END { exit !bad }' "$out/steps.tsv"; then
  exit 1
fi
exit 0
