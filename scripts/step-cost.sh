#!/usr/bin/env bash
# The replica step's costs F (fixed per step) and D (per replica) of this working tree and of
# an older commit, measured side by side: benches/step.rs is built against both (it uses only
# library items older than itself), run in A B B A rounds with one thread, and fitted by
# scripts/step-cost.py. Output: a markdown table with the ratios base / head.
#
#   scripts/step-cost.sh [BASE] [ROUNDS]      # defaults: 61ccdf1 (before the manual engine), 2
#   scripts/step-cost.sh --instructions [BASE]
#
# --instructions counts instructions instead (valgrind's callgrind, one epoch per S, inside
# Trainer::train_epoch only): the same count whatever else the machine is doing, so the two
# builds compare on a busy machine too; F and D are then in instructions per step.
#
# The base is checked out as a git worktree under $CARGO_TARGET_DIR/step-cost (default
# target/step-cost); both builds share the target directory, so only the two trainbench
# crates compile.
set -euo pipefail
top=$(git rev-parse --show-toplevel)
cd "$top"
instructions=0
if [ "${1:-}" = --instructions ]; then
  instructions=1
  shift
fi
base=${1:-61ccdf1}
rounds=${2:-2}
target=$(realpath -m "${CARGO_TARGET_DIR:-target}")
out=$target/step-cost
mkdir -p "$out"
sha=$(git rev-parse --short=12 "$base^{commit}")
wt=$out/base-$sha
if [ ! -d "$wt" ]; then
  git worktree add --detach -q "$wt" "$sha"
fi
cp benches/step.rs "$wt/benches/step.rs"
grep -q '^name = "step"' "$wt/Cargo.toml" || printf '\n[[bench]]\nname = "step"\nharness = false\n' >>"$wt/Cargo.toml"

# Builds the step bench in $1 and prints the path of its executable.
build() {
  (cd "$1" && CARGO_TARGET_DIR=$target cargo bench --bench step --no-run 2>&1) |
    tee "$out/build.log" | sed -n 's/.*Executable .*(\(.*\))/\1/p' | tail -n 1
}
# Both builds write the same file name (cargo hashes a workspace member by its path relative
# to the workspace root), so each executable is copied away as soon as it is built.
copy_exe() { # dir label
  local exe
  exe=$(build "$1")
  [ -n "$exe" ] || { echo "build failed: see $out/build.log" >&2; exit 1; }
  case "$exe" in /*) ;; *) exe=$1/$exe ;; esac
  [ -x "$exe" ] || exe=$target/${exe#*target/}
  cp "$exe" "$out/step-$2"
  echo "$out/step-$2"
}
echo "building the step bench of $sha (base) and of the working tree (head) ..." >&2
base_exe=$(copy_exe "$wt" base)
head_exe=$(copy_exe "$top" head)

if [ "$instructions" = 1 ]; then
  command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
  echo "counting instructions (callgrind, inside Trainer::train_epoch; minutes) ..." >&2
  args=()
  for label in base head; do
    exe=$base_exe
    [ "$label" = head ] && exe=$head_exe
    for bs in 32 256; do
      for s in 1 2 4 8 16; do
        cg=$out/cg-$label-bs$bs-s$s.out
        TRAINBENCH_THREADS=1 valgrind --tool=callgrind --callgrind-out-file="$cg" \
          --toggle-collect='*Trainer*train_epoch*' "$exe" --bench --profile-time 1 \
          "^step/flex/jsc-tiny/bs$bs/s$s\$" >/dev/null 2>&1
        args+=("$label:$bs:$s=$cg")
      done
    done
  done
  echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); base $sha, head $(git rev-parse --short=12 HEAD)$(git diff --quiet || echo ' + changes')"
  python3 scripts/step-cost.py --instructions "${args[@]}"
  exit 0
fi

run() { # label round slot
  local home=$out/$1-$2-$3
  rm -rf "$home"
  local exe=$base_exe
  [ "$1" = head ] && exe=$head_exe
  CRITERION_HOME=$home TRAINBENCH_THREADS=1 "$exe" --bench --warm-up-time 0.3 \
    --measurement-time 1 >/dev/null
  echo "$home"
}
declare -a base_homes head_homes
for r in $(seq 1 "$rounds"); do
  echo "round $r of $rounds: base, head, head, base ..." >&2
  base_homes+=("$(run base "$r" a)")
  head_homes+=("$(run head "$r" a)")
  head_homes+=("$(run head "$r" b)")
  base_homes+=("$(run base "$r" b)")
done
join() { local IFS=,; echo "$*"; }
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; base $sha, head $(git rev-parse --short=12 HEAD)$(git diff --quiet || echo ' + changes')"
python3 scripts/step-cost.py "base=$(join "${base_homes[@]}")" "head=$(join "${head_homes[@]}")"
