#!/usr/bin/env bash
# Calibrates the `trainbench baseline ab` gate on this machine (docs/baselines.md):
#   A/A runs (base = head = HEAD: one build on both sides) → false-fail rate;
#   runs with the head side slowed down by the bench's knob (--inject-slowdown PCT) →
#   detection rate. Every run is the CI gate's configuration (default filter and rounds).
#
# usage: scripts/calibrate-ab.sh OUT_DIR REPS [SLOWDOWN_PCT ...] [-- extra ab flags]
#   e.g. scripts/calibrate-ab.sh cal 20 0 10 25
# A slowdown of 0 is the A/A run. With LOAD_EVERY=K in the environment, repetitions 1, K+1,
# 2K+1, … run while a busy loop (another CPU-heavy process) competes for the CPU.
# Writes OUT_DIR/<pct>-<rep>.json (the ab result) and .log, and prints the summary
# (scripts/calibrate-ab-summary.py OUT_DIR) at the end. Needs a clean work tree.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: calibrate-ab.sh OUT_DIR REPS [PCT ...] [-- ab flags]}
reps=${2:?REPS}
shift 2
pcts=()
while [[ $# -gt 0 && $1 != -- ]]; do pcts+=("$1"); shift; done
[[ ${1:-} == -- ]] && shift
[[ ${#pcts[@]} -gt 0 ]] || pcts=(0 10 25)
if [[ -n $(git status --porcelain --untracked-files=no) ]]; then
  echo "calibrate-ab.sh: commit or stash your changes first (A/A needs base = head)" >&2
  exit 2
fi
mkdir -p "$out"
cargo build --release --quiet
hogs=()
stop_hogs() { for p in "${hogs[@]}"; do kill "$p" 2>/dev/null || true; done; hogs=(); }
trap stop_hogs EXIT
for rep in $(seq 1 "$reps"); do
  for pct in "${pcts[@]}"; do
    name="$out/$pct-$rep"
    [[ -s $name.json ]] && continue # resumable
    loaded=0
    every=${LOAD_EVERY:-0}
    if [[ $every -gt 0 && $(((rep - 1) % every)) == 0 ]]; then
      loaded=1
      (while :; do :; done) &
      hogs+=($!)
    fi
    flags=(--base HEAD --format json "$@")
    [[ $pct != 0 ]] && flags+=(--inject-slowdown "$pct")
    start=$(date +%s)
    set +e
    "${CARGO_TARGET_DIR:-target}/release/trainbench" baseline ab "${flags[@]}" >"$name.tmp" 2>"$name.log"
    rc=$?
    set -e
    stop_hogs
    if [[ $rc != 0 && $rc != 1 ]]; then
      echo "rep $rep pct $pct: exit $rc (invalid or crashed), see $name.log" >&2
      exit 2
    fi
    # The 1-minute load average at the end: other work on the machine during the run.
    load1=$(cut -d' ' -f1 /proc/loadavg)
    jq --argjson rc "$rc" --argjson loaded "$loaded" --argjson secs "$(($(date +%s) - start))" \
      --argjson load1 "$load1" \
      '. + {exit: $rc, loaded: $loaded, seconds: $secs, load1: $load1}' "$name.tmp" >"$name.json"
    rm -f "$name.tmp"
    echo "rep $rep pct $pct loaded $loaded: exit $rc ($(($(date +%s) - start)) s)"
  done
done
python3 scripts/calibrate-ab-summary.py "$out"
