#!/usr/bin/env bash
# End-to-end test of trainbench on a real Slurm: brings up a single-node cluster on localhost
# (scripts/slurm/local-cluster.sh, its own directory and ports), submits studies/smoke.toml as
# an array of 3 slices with the chained merge (scripts/slurm/submit.sh) and checks:
#
#   1. every task ran its own slice (the array environment is read right) and succeeded;
#   2. every (configuration, seed) of the plan is in the merged log exactly once, with the
#      test accuracies of a plain `trainbench run` of the same study;
#   3. `trainbench status` says complete; the report was written;
#   4. the merge job started only after every array task had finished (slurmctld's log);
#
# then a fault case, on slower trials (--data synth:300000 --replicas 1: one trial per group):
#
#   5. `scancel` of one array task mid-run leaves its log valid with the finished groups;
#      the chained merge never starts (its afterok dependency can no longer be met);
#   6. resubmitting that task (submit.sh --tasks 0) resumes: it skips the logged trials, runs
#      only the rest, and the new merge yields every trial of the plan exactly once.
#
# The cluster is brought down at the end, also on failure; no Slurm or munge process of it
# is left. Needs root the first time (apt-get install slurmctld slurmd slurm-client munge) and
# permission to start daemons; if the machine cannot run Slurm, this says so and exits 1.
# Binary: TRAINBENCH=path, else `cargo build --release` (honours CARGO_TARGET_DIR).
#
# Timing: every wait is for a condition, polled until a deadline, and every decision reads a
# job's state once. A Slurm command that does not answer (squeue times out while slurmctld is
# busy) is retried, never read as "no job" or "no state"; only a final state ends a wait.
# Run by .ci/run. Takes about a minute on 2 cores (plus the apt install on a fresh machine).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"

SLICES=3
TIMEOUT=${TRAINBENCH_SLURM_TEST_TIMEOUT:-180} # seconds per wait for a set of jobs
FAULT_FLAGS=(--data synth:300000 --replicas 1)

work=$(mktemp -d "${TMPDIR:-/tmp}/trainbench-slurm-test.XXXXXX")
chmod 755 "$work" # munged wants its socket's directories searchable by all
export TRAINBENCH_SLURM_DIR=$work/cluster
export TRAINBENCH_SLURMCTLD_PORT=${TRAINBENCH_SLURMCTLD_PORT:-16837}
export TRAINBENCH_SLURMD_PORT=${TRAINBENCH_SLURMD_PORT:-16838}
export SLURM_CONF=$TRAINBENCH_SLURM_DIR/slurm.conf
cluster=$here/local-cluster.sh

t0=$SECONDS
checks=0
say() { printf 'test-local: %s\n' "$*"; }
ok() { checks=$((checks + 1)); printf 'ok %2d: %s\n' "$checks" "$*"; }
fail() { printf 'test-local: FAILED: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

cluster_up=
on_exit() {
  local rc=$?
  if [[ $rc -ne 0 && -n $cluster_up ]]; then
    echo "---- diagnostics (work dir $work) ----" >&2
    squeue -t all 2>/dev/null | head -n 20 >&2 || true
    for f in "$TRAINBENCH_SLURM_DIR/slurmctld.log" "$TRAINBENCH_SLURM_DIR/slurmd.log" \
      "$work"/*/slurm/*.out; do
      [[ -f $f ]] || continue
      echo "---- tail $f" >&2
      tail -n 15 "$f" >&2
    done
  fi
  if [[ -n $cluster_up ]]; then
    if "$cluster" down; then
      [[ $rc -eq 0 ]] && ok "local-cluster.sh down: no Slurm or munge process of the cluster left"
    else
      echo "test-local: FAILED: local-cluster.sh down left processes behind" >&2
      rc=1
    fi
  fi
  if [[ $rc -eq 0 ]]; then
    rm -rf "$work"
    say "PASSED: $checks checks in $((SECONDS - t0)) s"
  else
    say "FAILED (exit $rc); files kept in $work"
  fi
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# The binary and a plain run (the reference).
if [[ -n ${TRAINBENCH:-} ]]; then
  tb=$(realpath "$(command -v "$TRAINBENCH")") || fail "TRAINBENCH=$TRAINBENCH is not executable"
else
  say "building trainbench (cargo build --release)"
  tb=$(cargo build --release --message-format=json-render-diagnostics |
    sed -n 's/.*"executable":"\([^"]*\/trainbench\)".*/\1/p' | tail -n 1)
fi
[[ -x $tb ]] || fail "no trainbench binary ($tb)"
export TRAINBENCH=$tb
say "binary $tb; work dir $work"

s=$(now)
"$tb" run studies/smoke.toml --out "$work/plain" --threads 1 >"$work/plain.log" 2>&1 ||
  { cat "$work/plain.log" >&2; fail "plain trainbench run failed"; }
plain_wall=$(elapsed "$s" "$(now)")
say "plain run of studies/smoke.toml (1 thread): ${plain_wall} s"

# ---------------------------------------------------------------------------------------------
# The cluster.
s=$(now)
cluster_up=1
if ! "$cluster" up; then
  fail "this machine cannot run the local Slurm cluster (see the messages above: packages, \
permission to start daemons as $(id -un), ports); the end-to-end Slurm test needs it"
fi
up_wall=$(elapsed "$s" "$(now)")
ok "local cluster up in ${up_wall} s: $(sinfo -h -N -o '%N %T, %c CPUs, %m MB')"

# ---------------------------------------------------------------------------------------------
# Helpers.

# "(config_id) seed=N test_acc=X" for every line of a trial log, sorted.
trials() {
  awk '{
    c = s = a = ""
    if (match($0, /"config_id":"[^"]*"/)) c = substr($0, RSTART + 13, RLENGTH - 14)
    if (match($0, /"seed":[0-9]+/)) s = substr($0, RSTART + 7, RLENGTH - 7)
    if (match($0, /"test_acc":[^,}]*/)) a = substr($0, RSTART + 11, RLENGTH - 11)
    print c " seed=" s " test_acc=" a
  }' "$1" | sort
}
keys() { trials "$1" | sed 's/ test_acc=.*//'; }
lines() { if [[ -f $1 ]]; then wc -l <"$1"; else echo 0; fi; }

# Parses submit.sh's output into array_job and merge_job.
submit() {
  local out
  out=$("$here/submit.sh" "$@") || fail "submit.sh $* failed"
  while IFS= read -r line; do printf '    %s\n' "$line"; done <<<"$out"
  array_job=$(sed -n 's/^ *array job \([0-9]*\):.*/\1/p' <<<"$out")
  merge_job=$(sed -n 's/^ *merge job \([0-9]*\):.*/\1/p' <<<"$out")
  [[ -n $array_job && -n $merge_job ]] || fail "no job ids in submit.sh's output"
}

# squeue's answer (its arguments as given): retried while squeue fails (slurmctld busy or
# restarting), so that an empty answer always means "no such job in that state".
sq() {
  local out deadline=$((SECONDS + TIMEOUT))
  until out=$(squeue "$@" 2>&1); do
    ((SECONDS < deadline)) || fail "squeue $* does not answer after ${TIMEOUT}s: $out"
    sleep 0.3
  done
  printf '%s' "$out"
}

# Job (or array task) states, "ID STATE" per line; finished jobs stay listed (MinJobAge).
states() { sq -h -t all -j "$1" -o '%i %T' | sort; }
state_of() { sq -h -t all -j "$1" -o '%T' | head -n 1; }

# States in which a job is finished (it will not run, or run again, by itself).
final_state() {
  case $1 in
    COMPLETED | CANCELLED* | FAILED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | \
      DEADLINE | PREEMPTED | REVOKED | SPECIAL_EXIT) return 0 ;;
    *) return 1 ;;
  esac
}

# Waits until none of the jobs (comma-separated) is pending, running or completing (or in any
# other unfinished state), as squeue answers.
wait_jobs() {
  local jobs=$1 deadline=$((SECONDS + TIMEOUT))
  while [[ -n $(sq -h -t pending,running,completing,configuring,suspended,requeued,resizing,stage_out,signaling -j "$jobs" -o '%i') ]]; do
    ((SECONDS < deadline)) || fail "jobs $jobs not finished after ${TIMEOUT}s: $(states "$jobs" | tr '\n' ' ')"
    sleep 0.3
  done
}

ctld_log=$TRAINBENCH_SLURM_DIR/slurmctld.log
# slurmctld's log line "N:[timestamp]..." of the last completion of array $1's tasks, and of
# the start of job $2 (N: the line number; the log is written in the order slurmctld acts).
array_done_line() {
  grep -nE "_job_complete: JobId=$1_[0-9]+\([0-9]+\) done" "$ctld_log" | tail -n 1
}
started_line() {
  grep -nE "(sched: Allocate|backfill: Started) JobId=$1 " "$ctld_log" | head -n 1
}
started_at() { started_line "$1" | sed 's/^[0-9]*:\[\([^]]*\)\].*/\1/'; }
# `trainbench status DIR` counts every trial of the plan and misses none.
check_complete() {
  local status
  status=$("$tb" status "$1")
  if grep -q '^missing:' <<<"$status" || ! grep -Eq "^│ all .*(│|┆) $plan_trials \(100%\) " <<<"$status"; then
    fail "trainbench status $1 is not complete: $status"
  fi
}
check_merge_order() {
  local array=$1 merge=$2 done_line start_line done_at start
  done_line=$(array_done_line "$array")
  start_line=$(started_line "$merge")
  [[ -n $done_line && -n $start_line ]] || fail "slurmctld's log has no completion of array $array or start of job $merge"
  done_at=$(sed 's/^[0-9]*:\[\([^]]*\)\].*/\1/' <<<"$done_line")
  start=$(sed 's/^[0-9]*:\[\([^]]*\)\].*/\1/' <<<"$start_line")
  # Ordered by the log's line numbers (two events can share a millisecond).
  ((${start_line%%:*} > ${done_line%%:*})) ||
    fail "merge job $merge started at $start (log line ${start_line%%:*}), before array $array finished ($done_at, line ${done_line%%:*})"
  ok "merge job $merge started at $start, after the last task of array $array finished ($done_at)"
}

# ---------------------------------------------------------------------------------------------
# 1-4: the smoke study as an array of 3 slices with the chained merge.
say "submitting studies/smoke.toml as $SLICES slices"
out=$work/array
s=$(now)
submit studies/smoke.toml --slices "$SLICES" --out "$out"
wait_jobs "$array_job,$merge_job"
array_wall=$(elapsed "$s" "$(now)")
say "array + merge finished ${array_wall} s after submission"

st=$(states "$array_job")
[[ $(grep -c ' COMPLETED$' <<<"$st") -eq $SLICES ]] || fail "array tasks: $(tr '\n' ' ' <<<"$st")"
[[ $(state_of "$merge_job") == COMPLETED ]] || fail "merge job $merge_job: $(state_of "$merge_job")"
ok "array job $array_job: $SLICES tasks COMPLETED; merge job $merge_job COMPLETED"

plan_trials=$(keys "$work/plain/trials.jsonl" | wc -l)
all=
for ((t = 0; t < SLICES; t++)); do
  slice=$((t + 1))
  log=$out/slurm/tb-smoke-${array_job}_$t.out
  grep -q "shard $slice/$SLICES: " "$log" || fail "task $t did not run slice $slice/$SLICES: $(grep -m1 'trials' "$log")"
  n=$(lines "$out/shard-$slice-of-$SLICES/trials.jsonl")
  [[ $n -gt 0 ]] || fail "slice $slice wrote no trial"
  all+="$n "
done
ok "task T ran slice T+1/$SLICES (--shard auto from SLURM_ARRAY_TASK_ID); trials per slice: $all"

cat "$out"/shard-*-of-$SLICES/trials.jsonl >"$work/slices.jsonl"
[[ -z $(keys "$work/slices.jsonl" | uniq -d) ]] || fail "slices overlap: $(keys "$work/slices.jsonl" | uniq -d | head -n 3)"
[[ $(keys "$work/slices.jsonl" | wc -l) -eq $plan_trials ]] || fail "slices hold $(lines "$work/slices.jsonl") trials, the plan $plan_trials"
ok "the slices are disjoint and together hold the plan's $plan_trials trials"

merged=$out/trials.jsonl
[[ $(lines "$merged") -eq $plan_trials && -z $(keys "$merged" | uniq -d) ]] ||
  fail "merged log: $(lines "$merged") lines, duplicates: $(keys "$merged" | uniq -d | head -n 3)"
diff <(keys "$merged") <(keys "$work/plain/trials.jsonl") >/dev/null ||
  fail "merged keys differ from the plain run: $(diff <(keys "$merged") <(keys "$work/plain/trials.jsonl") | head -n 5)"
ok "merged log: every (configuration, seed) of the plan exactly once ($plan_trials lines)"

if ! d=$(diff <(trials "$merged") <(trials "$work/plain/trials.jsonl")); then
  fail "test accuracies differ from the plain run: $(head -n 6 <<<"$d")"
fi
ok "test accuracies identical to the plain run, trial by trial"

check_complete "$out"
[[ -s $out/report.md ]] || fail "no $out/report.md"
ok "trainbench status: $plan_trials (100%), nothing missing; report.md written"

check_merge_order "$array_job" "$merge_job"

# ---------------------------------------------------------------------------------------------
# 5-6: cancel one task mid-run, resubmit it.
say "fault case: slower trials (${FAULT_FLAGS[*]}), cancel task 0 mid-run, resubmit it"
out=$work/fault
s=$(now)
submit studies/smoke.toml --slices "$SLICES" --out "$out" -- "${FAULT_FLAGS[@]}"
fault_array=$array_job fault_merge=$merge_job
log0=$out/shard-1-of-$SLICES/trials.jsonl
deadline=$((SECONDS + TIMEOUT))
while [[ $(lines "$log0") -lt 1 ]]; do
  ((SECONDS < deadline)) || fail "task 0 wrote no trial within ${TIMEOUT}s"
  # One read per decision: only a final state (the task ended before its first trial) fails;
  # PENDING, CONFIGURING, RUNNING and any other transient state wait.
  task0=$(state_of "${fault_array}_0")
  if final_state "$task0" && [[ $(lines "$log0") -lt 1 ]]; then
    fail "task 0 is $task0 before its first trial was logged (before the cancel)"
  fi
  sleep 0.1
done
scancel "${fault_array}_0"
cancel_at=$(lines "$log0")
say "scancel ${fault_array}_0 with $cancel_at trial(s) in its log"
wait_jobs "$fault_array"
task0=$(state_of "${fault_array}_0")
kept=$(lines "$log0")
slice_size=$(sed -n "s/.*shard 1\/$SLICES: \([0-9]*\);.*/\1/p" "$out/slurm/tb-smoke-${fault_array}_0.out" | head -n 1)
[[ $task0 == CANCELLED ]] || fail "task 0 is $task0 after scancel, not CANCELLED"
[[ -n $slice_size && $kept -ge 1 && $kept -lt $slice_size ]] ||
  fail "task 0 should have stopped mid-slice: $kept of ${slice_size:-?} trials logged (too fast? slow the fault case's trials)"
bytes=$(tail -c 1 "$log0" | od -An -c | tr -d ' ')
[[ $bytes == '\n' ]] || fail "task 0's log ends mid-line"
ok "task 0 CANCELLED mid-run: $kept of $slice_size trials of slice 1 in its log, every line whole"
st=$(states "$fault_array" | grep -v "^${fault_array}_0 ")
[[ $(grep -c ' COMPLETED$' <<<"$st") -eq $((SLICES - 1)) ]] || fail "other tasks: $(tr '\n' ' ' <<<"$st")"
m1=$(state_of "$fault_merge")
[[ $m1 == CANCELLED || $m1 == PENDING ]] || fail "merge job $fault_merge is $m1 after a task was cancelled"
[[ -z $(started_at "$fault_merge") && ! -e $out/slurm/tb-smoke-merge-$fault_merge.out ]] ||
  fail "merge job $fault_merge started although task 0 was cancelled"
[[ ! -e $out/trials.jsonl ]] || fail "something merged into $out"
ok "the other $((SLICES - 1)) tasks COMPLETED; merge job $fault_merge never started ($m1: afterok cannot be met)"

say "resubmitting task 0"
submit studies/smoke.toml --slices "$SLICES" --out "$out" --tasks 0 -- "${FAULT_FLAGS[@]}"
wait_jobs "$array_job,$merge_job,$fault_merge"
fault_wall=$(elapsed "$s" "$(now)")
task0=$(state_of "${array_job}_0")
m2=$(state_of "$merge_job")
[[ $task0 == COMPLETED && $m2 == COMPLETED ]] || fail "resubmitted task: $task0, merge: $m2"
rlog=$out/slurm/tb-smoke-${array_job}_0.out
grep -q "shard 1/$SLICES: " "$rlog" || fail "the resubmitted task 0 did not run slice 1/$SLICES"
ran=$(sed -n 's/.*: ran \([0-9]*\) trial(s).*skipped \([0-9]*\) already in the log.*/\1 \2/p' "$rlog")
[[ $ran == "$((slice_size - kept)) $kept" ]] ||
  fail "resubmitted task 0 should run $((slice_size - kept)) and skip $kept; it says: ${ran:-nothing}"
[[ $(lines "$log0") -eq $slice_size && -z $(keys "$log0" | uniq -d) ]] ||
  fail "slice 1's log: $(lines "$log0") lines for $slice_size trials"
ok "resubmitted task 0 (array $array_job, --tasks 0) resumed: skipped the $kept logged trials, ran $((slice_size - kept)); slice log has $slice_size lines, no duplicate"
merged=$out/trials.jsonl
[[ $(lines "$merged") -eq $plan_trials && -z $(keys "$merged" | uniq -d) ]] ||
  fail "merged log after resume: $(lines "$merged") lines for $plan_trials trials; duplicates: $(keys "$merged" | uniq -d | head -n 3)"
diff <(keys "$merged") <(keys "$work/plain/trials.jsonl") >/dev/null || fail "merged keys after resume differ from the plan"
check_complete "$out"
ok "after the resume: merged log has every trial of the plan exactly once; status complete"
check_merge_order "$array_job" "$merge_job"

say "timings: plain run ${plain_wall} s; smoke array of $SLICES + merge ${array_wall} s from submission; fault case ${fault_wall} s; cluster up ${up_wall} s"
