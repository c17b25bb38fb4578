#!/usr/bin/env bash
# A single-node Slurm cluster on localhost, from Debian's packages (slurm-wlm 22.05, munge):
# a real slurmctld + slurmd + munged, for trying and testing trainbench's array jobs
# (scripts/slurm/submit.sh, scripts/slurm/test-local.sh) without an HPC cluster.
#
#   scripts/slurm/local-cluster.sh up       # install if missing (apt), start, wait for idle
#   eval "$(scripts/slurm/local-cluster.sh env)"   # SLURM_CONF for sbatch/squeue/sinfo
#   scripts/slurm/local-cluster.sh status
#   scripts/slurm/local-cluster.sh down     # cancel its jobs, stop what it started (by pid)
#
# Everything lives in one directory it owns: $TRAINBENCH_SLURM_DIR, default
# ${TMPDIR:-/tmp}/trainbench-slurm (config, munge key and socket, state, logs, pid files). The
# system's Slurm and munge configuration (/etc/slurm, /etc/munge, /run/munge) is never used or
# touched, so this can run next to a system munged. Ports: TRAINBENCH_SLURMCTLD_PORT (16817)
# and TRAINBENCH_SLURMD_PORT (16818); `up` fails if one is taken.
#
# The node gets this machine's CPUs and memory (`slurmd -C`) and one partition, `local`.
# Containers and VMs without cgroup delegation work: process tracking is proctrack/linuxproc,
# no task plugin, no accounting. Every daemon and job step it starts carries
# TRAINBENCH_SLURM_DIR in its environment; `down` stops exactly those processes, and returns only
# once none of them is alive.
#
# Every wait waits for a condition (the node idle, munged answering, a process gone), polled
# until a deadline, and each decision reads the state once: a command that does not answer
# (sinfo or squeue while slurmctld is busy) is "not yet", never "done".
set -euo pipefail

DIR=${TRAINBENCH_SLURM_DIR:-${TMPDIR:-/tmp}/trainbench-slurm}
CTLD_PORT=${TRAINBENCH_SLURMCTLD_PORT:-16817}
SLURMD_PORT=${TRAINBENCH_SLURMD_PORT:-16818}
CONF=$DIR/slurm.conf
MUNGE_SOCKET=$DIR/munge/munge.socket
PARTITION=local
UP_TIMEOUT=${TRAINBENCH_SLURM_UP_TIMEOUT:-60}

# This machine's short host name: the node's name (slurmd and slurmctld check it).
nodename() { uname -n | cut -d. -f1; }

say() { printf 'local-cluster: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

usage() {
  sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

# The pid in a pid file, if that process is alive and one of ours (it carries our marker).
live_pid() {
  local file=$1 pid
  [[ -s $file ]] || return 1
  pid=$(tr -dc '0-9' <"$file")
  [[ -n $pid ]] && ours "$pid" && echo "$pid"
}

# True if process $1 is alive and one of ours: a daemon started here (it carries
# TRAINBENCH_SLURM_DIR=$DIR in its environment), or a slurmstepd of our slurmd (slurmd gives it
# a clean environment, but it inherits slurmd's working directory, $DIR, and its log).
ours() {
  grep -qzxF "TRAINBENCH_SLURM_DIR=$DIR" "/proc/$1/environ" 2>/dev/null && return 0
  local comm=
  read -r comm 2>/dev/null <"/proc/$1/comm" || return 1
  [[ $comm == slurmstepd ]] || return 1
  [[ $(readlink "/proc/$1/cwd" 2>/dev/null) == "$DIR" ]] ||
    find "/proc/$1/fd" -lname "$DIR/slurmd.log" 2>/dev/null | grep -q .
}

# The pid of our daemon $1 (slurmctld, slurmd, munged): from its pid file, else (a daemon
# writes its pid file a moment after it forks) the live process of ours with that name.
daemon_pid() {
  local name=$1 file p comm
  case $name in
    munged) file=$DIR/munge/munged.pid ;;
    *) file=$DIR/$name.pid ;;
  esac
  live_pid "$file" && return 0
  for p in $(our_processes); do
    comm=
    read -r comm 2>/dev/null <"/proc/$p/comm" || continue
    [[ $comm == "$name" ]] && { echo "$p"; return 0; }
  done
  return 1
}

# Every live process that carries our marker (daemons, slurmstepd, job steps).
our_processes() {
  local p
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [[ $p == "$$" || $p == "$BASHPID" ]] && continue
    ours "$p" && echo "$p"
  done
  return 0
}

# Runs a command with our marker in its environment and the system's Slurm/munge settings out.
marked() {
  env -u SLURM_CONF TRAINBENCH_SLURM_DIR="$DIR" SLURM_CONF="$CONF" "$@"
}

log_tail() {
  local name=$1 file=$2
  if [[ -s $file ]]; then
    say "last lines of $name's log ($file):"
    tail -n 25 "$file" | sed 's/^/    /' >&2
  else
    say "$name wrote no log ($file)"
  fi
}

# True if something listens on TCP port $1 (from /proc: no dependency on ss or netstat).
port_taken() {
  local hex
  hex=$(printf '%04X' "$1")
  awk -v p=":$hex" '$2 ~ p "$" && $4 == "0A" { found = 1 } END { exit !found }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

check_port() {
  local port=$1 what=$2 var=$3 owner=
  port_taken "$port" || return 0
  if command -v ss >/dev/null; then
    owner=$(ss -Hltnp "sport = :$port" 2>/dev/null |
      sed -n 's/.*users:(("\([^"]*\)",pid=\([0-9]*\).*/\1 (pid \2)/p' | head -n 1)
  fi
  die "port $port ($what) is taken${owner:+ by $owner}; stop that, or choose another port with $var=N"
}

install_packages() {
  local missing=()
  for cmd in slurmctld slurmd sbatch munged mungekey; do
    command -v "$cmd" >/dev/null || missing+=("$cmd")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  local pkgs=(slurmctld slurmd slurm-client munge)
  if [[ $(id -u) -ne 0 ]]; then
    die "missing ${missing[*]}; install them as root: apt-get install ${pkgs[*]}"
  fi
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install ${pkgs[*]}"
  say "installing ${pkgs[*]} (apt-get; missing: ${missing[*]})"
  # Keep the packages' own services (munge, slurmctld, slurmd on /etc configs) from starting:
  # this cluster runs its own daemons. policy-rc.d is the Debian way; only add one if absent.
  local policy=/usr/sbin/policy-rc.d added_policy=
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && added_policy=1
  fi
  local apt=(apt-get install -y --no-install-recommends -o Dpkg::Use-Pty=0 "${pkgs[@]}")
  local ok=1
  if ! DEBIAN_FRONTEND=noninteractive "${apt[@]}" >"$DIR/apt.log" 2>&1; then
    say "apt-get install failed; running apt-get update first"
    DEBIAN_FRONTEND=noninteractive apt-get update >>"$DIR/apt.log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive "${apt[@]}" >>"$DIR/apt.log" 2>&1 || ok=
  fi
  [[ -n $added_policy ]] && rm -f "$policy"
  if [[ -z $ok ]]; then
    log_tail apt-get "$DIR/apt.log"
    die "could not install ${pkgs[*]}"
  fi
}

write_config() {
  local node user cpu_line
  node=$(nodename)
  user=$(id -un)
  # "NodeName=vm CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1
  #  RealMemory=24105": the hardware line, with our node name.
  cpu_line=$(slurmd -C | head -n 1 | sed 's/^NodeName=[^ ]* //')
  [[ $cpu_line == *CPUs=* ]] || die "slurmd -C printed no CPUs= line: $(slurmd -C 2>&1 | head -n 3)"
  cat >"$CONF" <<EOF
# Generated by scripts/slurm/local-cluster.sh: a single-node cluster on localhost.
ClusterName=trainbench
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$DIR/ctld
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups: works in containers and VMs without cgroup delegation.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# One line per finished job (start and end times, state, exit code).
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/jobcomp.log
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
# A job whose dependency can never be met (afterok on a cancelled task) is cancelled, not left
# pending forever.
DependencyParameters=kill_invalid_depend
KillWait=5
MinJobAge=600
InactiveLimit=0
NodeName=$node NodeAddr=127.0.0.1 $cpu_line State=UNKNOWN
PartitionName=$PARTITION Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
}

start_munge() {
  if live_pid "$DIR/munge/munged.pid" >/dev/null; then
    return 0
  fi
  mkdir -p "$DIR/munge"
  chmod 755 "$DIR/munge" # munged: the socket's directory must be searchable by all
  if [[ ! -s $DIR/munge/munge.key ]]; then
    mungekey --create --keyfile="$DIR/munge/munge.key" >/dev/null
    chmod 400 "$DIR/munge/munge.key"
  fi
  rm -f "$MUNGE_SOCKET" "$MUNGE_SOCKET.lock"
  if ! marked munged --key-file="$DIR/munge/munge.key" --socket="$MUNGE_SOCKET" \
    --pid-file="$DIR/munge/munged.pid" --log-file="$DIR/munge/munged.log" \
    --seed-file="$DIR/munge/munged.seed" 2>"$DIR/munge/munged.stderr"; then
    cat "$DIR/munge/munged.stderr" >&2
    log_tail munged "$DIR/munge/munged.log"
    die "munged did not start"
  fi
  local deadline=$((SECONDS + UP_TIMEOUT))
  until munge -n --socket="$MUNGE_SOCKET" 2>/dev/null | unmunge --socket="$MUNGE_SOCKET" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)) || ! daemon_pid munged >/dev/null; then
      log_tail munged "$DIR/munge/munged.log"
      die "munged does not answer on $MUNGE_SOCKET (after $((SECONDS - deadline + UP_TIMEOUT)) s)"
    fi
    sleep 0.1
  done
}

# Starts a Slurm daemon unless it runs already; $1 = slurmctld or slurmd.
start_daemon() {
  local name=$1
  shift
  live_pid "$DIR/$name.pid" >/dev/null && return 0
  if ! (cd "$DIR" && marked "$name" -f "$CONF" "$@") 2>"$DIR/$name.stderr"; then
    cat "$DIR/$name.stderr" >&2
    log_tail "$name" "$DIR/$name.log"
    die "$name did not start"
  fi
}

node_state() {
  SLURM_CONF=$CONF sinfo -h -N -o '%T' 2>/dev/null | head -n 1
}

up() {
  mkdir -p "$DIR"
  chmod 755 "$DIR"
  install_packages
  local state
  if live_pid "$DIR/slurmctld.pid" >/dev/null && live_pid "$DIR/slurmd.pid" >/dev/null; then
    state=$(node_state || true)
    # "idle", "mixed", "allocated" — but not "idle*" (not responding) or another state.
    if [[ $state == idle || $state == mixed || $state == allocated ]]; then
      say "already up ($DIR)"
      print_env
      return 0
    fi
  fi
  # A half-started cluster (a daemon died): stop the rest and start clean.
  if [[ -n $(our_processes) ]]; then
    say "some daemons of a previous start are still running; stopping them first"
    down
  fi
  check_port "$CTLD_PORT" slurmctld TRAINBENCH_SLURMCTLD_PORT
  check_port "$SLURMD_PORT" slurmd TRAINBENCH_SLURMD_PORT
  mkdir -p "$DIR/ctld" "$DIR/spool"
  rm -f "$DIR"/*.log "$DIR"/*.stderr
  write_config
  start_munge
  # Saved state (job ids, finished jobs) carries over from an earlier start in this directory, so
  # job ids keep increasing; -i: start anyway if it cannot be read.
  start_daemon slurmctld -i
  start_daemon slurmd -N "$(nodename)"
  local deadline=$((SECONDS + UP_TIMEOUT)) name
  state=
  while :; do
    # One read of the node's state per decision; no answer (slurmctld still starting) is
    # "not yet". Exactly "idle": "idle*" is a node slurmctld has not heard from.
    state=$(node_state || true)
    [[ $state == idle ]] && break
    ((SECONDS < deadline)) || break
    for name in slurmctld slurmd; do
      if ! daemon_pid "$name" >/dev/null; then
        log_tail "$name" "$DIR/$name.log"
        down >/dev/null 2>&1 || true
        die "$name exited during start-up (see its log above)"
      fi
    done
    sleep 0.5
  done
  if [[ $state != idle ]]; then
    log_tail slurmctld "$DIR/slurmctld.log"
    log_tail slurmd "$DIR/slurmd.log"
    down >/dev/null 2>&1 || true
    die "the node is not idle after ${UP_TIMEOUT}s (sinfo says '${state:-nothing}')"
  fi
  say "up: node $(nodename) idle in partition $PARTITION ($(sed -n 's/^NodeName=.* CPUs=\([0-9]*\).*RealMemory=\([0-9]*\).*/\1 CPUs, \2 MB/p' "$CONF")); state and logs in $DIR"
  print_env
}

print_env() {
  say "to use it: export SLURM_CONF=$CONF"
}

# True once process $1 is gone: no such process, or a zombie (it holds no port, file or lock
# any more; its parent reaps it), or the pid reused by a process that is not ours.
gone() {
  local rest
  [[ -r /proc/$1/stat ]] || return 0
  rest=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  rest=${rest##*) }
  [[ ${rest%% *} == Z ]] && return 0
  ! ours "$1"
}

# Waits up to $2 seconds until process $1 is gone; false if it is still there.
wait_gone() {
  local pid=$1 deadline=$((SECONDS + $2))
  until gone "$pid"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# Stops process $2 (named $1): SIGTERM, then SIGKILL if it is still there after $3 seconds;
# returns once it is gone (false if even SIGKILL did not end it within 10 s).
stop_pid() {
  local name=$1 pid=$2 wait=$3
  kill -TERM "$pid" 2>/dev/null || true
  if wait_gone "$pid" "$wait"; then
    say "stopped $name (pid $pid)"
    return 0
  fi
  kill -KILL "$pid" 2>/dev/null || true
  if wait_gone "$pid" 10; then
    say "killed $name (pid $pid): it did not stop within ${wait}s"
    return 0
  fi
  say "$name (pid $pid) is still alive 10 s after SIGKILL"
  return 1
}

down() {
  local pid
  if pid=$(live_pid "$DIR/slurmctld.pid"); then
    # Cancel every job of this cluster, so that no job step outlives slurmd.
    local jobs
    jobs=$(SLURM_CONF=$CONF squeue -h -o '%A' 2>/dev/null | sort -u | tr '\n' ' ')
    if [[ -n ${jobs// /} ]]; then
      say "cancelling jobs: $jobs"
      # shellcheck disable=SC2086
      SLURM_CONF=$CONF scancel $jobs 2>/dev/null || true
      # Until squeue *answers* with no running or completing job (KillWait is 5 s; a job
      # step that outlives it is killed below anyway).
      local deadline=$((SECONDS + 20)) left
      while ((SECONDS < deadline)); do
        if left=$(SLURM_CONF=$CONF squeue -h -t running,completing -o '%A' 2>/dev/null) &&
          [[ -z $left ]]; then
          break
        fi
        sleep 0.2
      done
    fi
  fi
  local name failed=
  for name in slurmd slurmctld munged; do
    if pid=$(daemon_pid "$name"); then stop_pid "$name" "$pid" 10 || failed=1; fi
  done
  # Anything else that carries our marker (a job step's slurmstepd left by a killed slurmd,
  # one forked while slurmd stopped): until none is left, each stopped and waited for.
  local rest round comm
  for ((round = 0; round < 5; round++)); do
    rest=$(our_processes)
    [[ -z $rest ]] && break
    for pid in $rest; do
      comm=process
      read -r comm 2>/dev/null <"/proc/$pid/comm" || true
      stop_pid "$comm" "$pid" 5 || failed=1
    done
  done
  rest=$(our_processes)
  if [[ -n $rest || -n $failed ]]; then
    die "processes still running: ${rest:-(see above)}"
  fi
  rm -f "$DIR/slurmctld.pid" "$DIR/slurmd.pid" "$DIR/munge/munged.pid"
  say "down: no process of this cluster is running ($DIR)"
}

status() {
  local name pid any=
  for name in munge/munged slurmctld slurmd; do
    if pid=$(live_pid "$DIR/$name.pid"); then
      printf '%-10s running (pid %s)\n' "${name#munge/}" "$pid"
      any=1
    else
      printf '%-10s not running\n' "${name#munge/}"
    fi
  done
  local others
  others=$(our_processes | tr '\n' ' ')
  printf '%-10s %s\n' processes "${others:-none}"
  if [[ -n $any ]] && live_pid "$DIR/slurmctld.pid" >/dev/null; then
    SLURM_CONF=$CONF sinfo || true
    SLURM_CONF=$CONF squeue || true
    echo "export SLURM_CONF=$CONF"
  fi
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) status ;;
  env) echo "export SLURM_CONF=$CONF" ;;
  *) usage ;;
esac
