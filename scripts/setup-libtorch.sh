#!/usr/bin/env bash
# Provision LibTorch 2.9.0 for `cargo build --features tch` without the PyTorch download site.
#
#   scripts/setup-libtorch.sh          trimmed CPU-only LibTorch (~490 MB) from PyPI wheels
#   scripts/setup-libtorch.sh --cuda   full CUDA 12.8 PyTorch 2.9.0 in a venv (~6.7 GB)
#
# Everything is cached under ${TRAINBENCH_CACHE:-~/.cache/trainbench}; a second run reuses it
# and only prints the line to use. The last line printed on stdout is always the one
# `export LIBTORCH=...` to paste (or `eval "$(scripts/setup-libtorch.sh | tail -n 1)"`).
# Progress and diagnostics go to stderr.
set -euo pipefail

TORCH_VERSION=2.9.0
CUDART_VERSION=12.8.90
CACHE="${TRAINBENCH_CACHE:-$HOME/.cache/trainbench}"
PYTHON="${PYTHON:-python3}"
mode=cpu

for arg in "$@"; do
  case "$arg" in
    --cuda) mode=cuda ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "setup-libtorch: unknown argument '$arg' (use --cuda or nothing)" >&2; exit 2 ;;
  esac
done

say() { echo "setup-libtorch: $*" >&2; }
command -v "$PYTHON" >/dev/null || { say "needs $PYTHON with pip"; exit 1; }
mkdir -p "$CACHE"

if [ "$mode" = cuda ]; then
  venv="$CACHE/venv-torch-$TORCH_VERSION-cuda"
  if [ ! -f "$venv/.complete" ]; then
    say "creating $venv and installing torch==$TORCH_VERSION with its CUDA libraries (~6.7 GB)"
    rm -rf "$venv"
    "$PYTHON" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip >&2
    "$venv/bin/python" -m pip install "torch==$TORCH_VERSION" >&2
    touch "$venv/.complete"
  else
    say "reusing $venv"
  fi
  torch_dir=$("$venv/bin/python" -c 'import os, torch; print(os.path.dirname(torch.__file__))')
  echo "$TORCH_VERSION" > "$torch_dir/build-version"
  echo "export LIBTORCH=$torch_dir"
  exit 0
fi

dest="$CACHE/libtorch-$TORCH_VERSION-cpu"
if [ -f "$dest/.complete" ]; then
  say "reusing $dest"
  echo "export LIBTORCH=$dest"
  exit 0
fi

command -v gcc >/dev/null || { say "needs gcc (for the empty libtorch.so stub)"; exit 1; }
work=$(mktemp -d "$CACHE/tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT
say "downloading torch==$TORCH_VERSION (~900 MB) and two small CUDA runtime wheels from PyPI"
"$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: -d "$work/wheels" \
  "torch==$TORCH_VERSION" \
  "nvidia-cuda-runtime-cu12==$CUDART_VERSION" \
  "nvidia-cuda-cupti-cu12==$CUDART_VERSION" >&2

say "extracting the CPU parts"
"$PYTHON" - "$work/wheels" "$work/libtorch" <<'PY'
import glob, os, shutil, sys, zipfile
wheels, out = sys.argv[1], sys.argv[2]
lib = os.path.join(out, "lib")
os.makedirs(lib, exist_ok=True)
def wheel(prefix):
    found = glob.glob(os.path.join(wheels, prefix + "-*.whl"))
    if len(found) != 1:
        sys.exit(f"expected one {prefix} wheel in {wheels}, found {found}")
    return zipfile.ZipFile(found[0])
keep = ("libtorch_cpu.so", "libc10.so")
with wheel("torch") as z:
    for info in z.infolist():
        name = info.filename
        if name.startswith("torch/include/") and not name.endswith("/"):
            target = os.path.join(out, name[len("torch/"):])
        elif name.startswith("torch/lib/") and (os.path.basename(name) in keep
                                                or os.path.basename(name).startswith("libgomp")):
            target = os.path.join(lib, os.path.basename(name))
        else:
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with z.open(info) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
for prefix, so in (("nvidia_cuda_runtime_cu12", "libcudart.so.12"),
                   ("nvidia_cuda_cupti_cu12", "libcupti.so.12")):
    with wheel(prefix) as z:
        member = [n for n in z.namelist() if n.endswith("/" + so)]
        if not member:
            sys.exit(f"{so} not found in the {prefix} wheel")
        with z.open(member[0]) as src, open(os.path.join(lib, so), "wb") as dst:
            shutil.copyfileobj(src, dst)
gomp = glob.glob(os.path.join(lib, "libgomp*"))
if gomp and not os.path.exists(os.path.join(lib, "libgomp.so.1")):
    os.symlink(os.path.basename(gomp[0]), os.path.join(lib, "libgomp.so.1"))
PY

# torch-sys always links -ltorch; the CPU build needs nothing from it, so an empty stub will do.
echo 'void trainbench_libtorch_stub(void) {}' > "$work/stub.c"
gcc -shared -fPIC -Wl,-soname,libtorch.so -o "$work/libtorch/lib/libtorch.so" "$work/stub.c"
echo "$TORCH_VERSION" > "$work/libtorch/build-version"
rm -rf "$dest"
mv "$work/libtorch" "$dest"
touch "$dest/.complete"
say "installed $(du -sh "$dest" | cut -f1) in $dest"
echo "export LIBTORCH=$dest"
