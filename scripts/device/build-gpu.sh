#!/usr/bin/env bash
# Build, here, the binaries that scripts/device/cuda-check.sh runs on the GPU machine, pack
# them into one git-ignored folder that the device tool carries, and check them.
#
#   scripts/device/build-gpu.sh [--with-cuda-runtime]   -> dist/gpu/ (LibTorch 2.11.0+cu130)
#   scripts/device/build-gpu.sh --cpu                   -> dist/cpu/ (LibTorch 2.9.0 CPU), for
#                                                          cuda-check.sh --dry-run --dist dist/cpu
#
# The GPU machine has PyTorch 2.11.0+cu130 and no Rust: the binaries are linked here against
# the headers and libraries of the same torch wheel (scripts/setup-libtorch.sh --torch 2.11
# --cuda-link-only), with no rpath, and load that machine's own libraries through
# LD_LIBRARY_PATH. dist/gpu/ holds `trainbench`, `training` (the criterion bench executable of
# benches/training.rs), both stripped, and BUILD-INFO (what they were built from).
#
# Checks (any failure exits 1): both binaries record libtorch_cuda.so, libtorch_cpu.so and
# libc10.so as NEEDED, carry no rpath into this machine's cache, and fit in 60 MiB together;
# with --with-cuda-runtime (the nvidia-* CUDA 13 wheels, ~2 GB unpacked) they also run here:
# `trainbench train --backend tch` trains on the CPU and `--backend tch-cuda` fails cleanly
# (exit 1, "LibTorch sees 0 CUDA device(s)"). Without it, an earlier download in the cache is
# used if there is one, else the run checks are skipped (and said so).
#
# Uses CARGO_TARGET_DIR if set (else target/); builds with `nice`.
set -euo pipefail
cd "$(dirname "$0")/../.."

kind=gpu
runtime=()
dist=""
while [ $# -gt 0 ]; do
  case "$1" in
    --cpu) kind=cpu ;;
    --with-cuda-runtime) runtime=(--with-cuda-runtime) ;;
    --dist) dist=$2; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "build-gpu: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$dist" ] || dist="dist/$kind"
say() { echo "build-gpu: $*" >&2; }
fail=0
check() { # check OK|FAIL TEXT
  if [ "$1" = OK ]; then echo "  ok    $2"; else echo "  FAIL  $2"; fail=1; fi
}

if [ "$kind" = gpu ]; then
  setup=(scripts/setup-libtorch.sh --torch 2.11 --cuda-link-only "${runtime[@]}")
else
  [ ${#runtime[@]} -eq 0 ] || { say "--with-cuda-runtime goes with the GPU build"; exit 2; }
  setup=(scripts/setup-libtorch.sh)
fi
say "${setup[*]}"
env_line=$("${setup[@]}" | tail -n 1)
eval "$env_line"
say "$env_line"
case "$env_line" in export\ LIBTORCH=*) ;; *) say "unexpected output from setup-libtorch.sh"; exit 1 ;; esac
cache_dir=$(dirname "$LIBTORCH")

say "cargo build --release --features tch --bin trainbench"
nice cargo build --release --features tch --bin trainbench
bin_dir="${CARGO_TARGET_DIR:-target}/release"
say "cargo bench --no-run --features tch --bench training"
bench=$(nice cargo bench --no-run --features tch --bench training --message-format=json |
  python3 -c '
import json, sys
exe = [m["executable"] for m in map(json.loads, sys.stdin)
       if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "training"
       and "bench" in m["target"]["kind"] and m.get("executable")]
print(exe[-1] if exe else "")')
if [ -z "$bench" ] || [ ! -x "$bench" ]; then say "no bench executable found"; exit 1; fi

rm -rf "$dist"
mkdir -p "$dist"
cp "$bin_dir/trainbench" "$dist/trainbench"
cp "$bench" "$dist/training"
strip --strip-all "$dist/trainbench" "$dist/training"

# What the binaries were built from; cuda-check.sh compares the GPU machine's torch with it.
{
  echo "kind=$kind"
  if [ -f "$LIBTORCH/trainbench-cuda-link-only" ]; then
    cat "$LIBTORCH/trainbench-cuda-link-only"
  else
    echo "torch_version=$(cat "$LIBTORCH/build-version" 2>/dev/null || echo unknown)"
  fi
  sha=$(git rev-parse --short=12 HEAD)
  [ -z "$(git status --porcelain --untracked-files=no)" ] || sha="$sha-dirty"
  echo "trainbench_git=$sha"
  echo "built_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  # shellcheck disable=SC1091
  echo "built_on=$(. /etc/os-release && echo "$PRETTY_NAME"), $(ldd --version | head -n 1)"
  echo "rustc=$(rustc -V)"
  echo "glibc_needed=$(objdump -T "$dist/trainbench" "$dist/training" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n 1)"
  echo "glibcxx_needed=$(objdump -T "$dist/trainbench" "$dist/training" | grep -o 'GLIBCXX_[0-9.]*' | sort -uV | tail -n 1)"
} > "$dist/BUILD-INFO"

echo
echo "== $dist ($kind build against $LIBTORCH)"
cat "$dist/BUILD-INFO"
echo
need=(libtorch_cpu.so libc10.so)
[ "$kind" = gpu ] && need=(libtorch_cuda.so "${need[@]}")
for f in "$dist/trainbench" "$dist/training"; do
  echo "-- readelf -d $f (NEEDED, RPATH, RUNPATH)"
  dyn=$(readelf -d "$f")
  grep -E 'NEEDED|RPATH|RUNPATH' <<<"$dyn" | sed 's/^ *0x[0-9a-f]* *//'
  for lib in "${need[@]}"; do
    if grep -q "NEEDED.*\[$lib\]" <<<"$dyn"; then check OK "$lib NEEDED"; else check FAIL "$lib NEEDED"; fi
  done
  if [ "$kind" = gpu ]; then
    if grep -E 'RPATH|RUNPATH' <<<"$dyn" | grep -qF "$cache_dir"; then
      check FAIL "no rpath into this machine's cache ($cache_dir)"
    else
      check OK "no rpath into this machine's cache"
    fi
  fi
done
echo "-- sizes (stripped)"
ls -l "$dist"
total=$(du -cb "$dist"/* | tail -n 1 | cut -f1)
mib=$(( (total + 1048575) / 1048576 ))
if [ "$total" -lt $((60 * 1048576)) ]; then
  check OK "$dist holds $mib MiB (< 60 MiB; the device tool carries 64 MiB with the working tree)"
else
  check FAIL "$dist holds $mib MiB: over 60 MiB"
fi

if [ "$kind" = gpu ]; then
  if [ -f "$cache_dir/nvidia/.complete" ]; then
    libs="$LIBTORCH/lib"
    for d in "$cache_dir"/nvidia/*/lib; do libs="$libs:$d"; done
    echo "-- runs here against the wheel's libraries: LD_LIBRARY_PATH=$libs"
    if LD_LIBRARY_PATH="$libs" ldd "$dist/trainbench" "$dist/training" | grep -q 'not found'; then
      LD_LIBRARY_PATH="$libs" ldd "$dist/trainbench" | grep 'not found'
      check FAIL "ldd: every library found"
    else
      check OK "ldd: every library found"
    fi
    train=(train --model jsc-tiny --batch-size 256 --lr 1e-3 --epochs 2 --data synth:20000 --threads 1)
    echo "\$ $dist/trainbench ${train[*]} --backend tch"
    if LD_LIBRARY_PATH="$libs" "$dist/trainbench" "${train[@]}" --backend tch; then
      check OK "trainbench train --backend tch (LibTorch 2.11 CPU) trains"
    else
      check FAIL "trainbench train --backend tch (exit $?)"
    fi
    echo "\$ $dist/trainbench ${train[*]} --backend tch-cuda"
    set +e
    msg=$(LD_LIBRARY_PATH="$libs" "$dist/trainbench" "${train[@]}" --backend tch-cuda 2>&1)
    rc=$?
    set -e
    echo "$msg"
    echo "(exit $rc)"
    if [ "$rc" = 1 ] && grep -q "LibTorch sees 0 CUDA device" <<<"$msg" && ! grep -qi panic <<<"$msg"; then
      check OK "--backend tch-cuda without a GPU: one clean error, exit 1"
    else
      check FAIL "--backend tch-cuda without a GPU: expected exit 1 and 'LibTorch sees 0 CUDA device(s)'"
    fi
  else
    echo "-- run checks skipped: no CUDA runtime libraries in $cache_dir (add --with-cuda-runtime)"
  fi
fi

echo
if [ "$fail" = 0 ]; then
  if [ "$kind" = gpu ]; then
    echo "build-gpu: $dist is ready for the GPU machine: scripts/device/cuda-check.sh (docs/performance.md)"
  else
    echo "build-gpu: $dist is ready for a dry run here: scripts/device/cuda-check.sh --dry-run --dist $dist"
  fi
else
  echo "build-gpu: some checks FAILED (above)"
fi
exit "$fail"
