#!/usr/bin/env bash
# Provision LibTorch for `cargo build --features tch` without the PyTorch download site.
#
#   scripts/setup-libtorch.sh          trimmed CPU-only LibTorch 2.9.0 (~490 MB) from PyPI wheels
#   scripts/setup-libtorch.sh --cuda   full CUDA 12.8 PyTorch 2.9.0 in a venv (~6.7 GB)
#   scripts/setup-libtorch.sh --torch 2.11 --cuda-link-only [--with-cuda-runtime]
#                                      headers and libraries of PyPI's torch 2.11.0 (cu130) wheel,
#                                      to build here a binary that runs on the GPU machine against
#                                      its own PyTorch 2.11.0+cu130 (docs/performance.md); with
#                                      --with-cuda-runtime also the nvidia-* CUDA 13 libraries it
#                                      loads, so that binary also runs here (CPU only; 1.5 GB
#                                      more to download, 2.2 GB unpacked)
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
torch=2.9
with_runtime=0

while [ $# -gt 0 ]; do
  case "$1" in
    --cuda) mode=cuda ;;
    --cuda-link-only) mode=link-only ;;
    --with-cuda-runtime) with_runtime=1 ;;
    --torch) [ $# -ge 2 ] || { echo "setup-libtorch: --torch needs a version (2.9 or 2.11)" >&2; exit 2; }
             torch=$2; shift ;;
    --torch=*) torch=${1#--torch=} ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "setup-libtorch: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$torch:$mode" in
  2.9:cpu|2.9.0:cpu|2.9:cuda|2.9.0:cuda) ;;
  2.11:link-only|2.11.0:link-only) ;;
  2.11*) echo "setup-libtorch: --torch 2.11 is only provided as --cuda-link-only" >&2; exit 2 ;;
  *:link-only) echo "setup-libtorch: --cuda-link-only needs --torch 2.11" >&2; exit 2 ;;
  *) echo "setup-libtorch: unsupported --torch '$torch' (2.9 or 2.11)" >&2; exit 2 ;;
esac
if [ "$with_runtime" = 1 ] && [ "$mode" != link-only ]; then
  echo "setup-libtorch: --with-cuda-runtime goes with --torch 2.11 --cuda-link-only" >&2; exit 2
fi

say() { echo "setup-libtorch: $*" >&2; }
command -v "$PYTHON" >/dev/null || { say "needs $PYTHON with pip"; exit 1; }
mkdir -p "$CACHE"

if [ "$mode" = link-only ]; then
  # The GPU machine's PyTorch: 2.11.0+cu130 for CPython 3.12. The wheel is the same build
  # (same git sha) as the one installed there; its libraries get no rpath from our build.rs.
  LINK_VERSION=2.11.0
  dest="$CACHE/libtorch-$LINK_VERSION-cu130-link"
  # Wheels are downloaded into a temporary folder and deleted once unpacked.
  work=$(mktemp -d "$CACHE/tmp.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  wheels="$work/wheels"
  pip_download() {
    # pip matches manylinux tags exactly when --platform is given: name every glibc from
    # 2.12 to 2.28 (the torch wheel's), as the nvidia-* wheels use several of them.
    local platforms=(--platform manylinux2014_x86_64) n
    for n in $(seq 12 28); do platforms+=(--platform "manylinux_2_${n}_x86_64"); done
    "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: -d "$wheels" \
      --python-version 3.12 --implementation cp --abi cp312 --abi none --abi abi3 \
      "${platforms[@]}" "$@" >&2
  }
  if [ ! -f "$dest/torch/.complete" ]; then
    mkdir -p "$wheels"
    say "downloading torch==$LINK_VERSION (cp312 manylinux x86_64, the cu130 build, ~530 MB) from PyPI"
    pip_download "torch==$LINK_VERSION"
    say "extracting headers and libraries into $dest/torch"
    rm -rf "$dest/torch"
    "$PYTHON" - "$wheels" "$dest" "$LINK_VERSION" <<'PY'
import glob, os, re, shutil, sys, zipfile
wheels, dest, version = sys.argv[1:]
found = glob.glob(os.path.join(wheels, f"torch-{version}-cp312-cp312-manylinux*_x86_64.whl"))
if len(found) != 1:
    sys.exit(f"expected one torch {version} cp312 wheel in {wheels}, found {found}")
skip = ("libtorch_python.so",)  # needs libpython; nothing of ours loads it
with zipfile.ZipFile(found[0]) as z:
    for info in z.infolist():
        name = info.filename
        if name.endswith("/"):
            continue
        base = os.path.basename(name)
        if not (name.startswith("torch/include/") or name == "torch/version.py"
                or (name.startswith("torch/lib/") and ".so" in base and base not in skip
                    and name.count("/") == 2)):
            continue
        target = os.path.join(dest, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with z.open(info) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
    # What the GPU machine's torch must report: scripts/device/cuda-check.sh compares.
    text = z.read("torch/version.py").decode()
version_full = re.search(r"__version__ = '([^']+)'", text).group(1)
git = re.search(r"git_version = '([^']+)'", text).group(1)
cuda = re.search(r"cuda: Optional\[str\] = '([^']+)'", text).group(1)
for lib in ("libtorch_cpu.so", "libtorch_cuda.so", "libc10.so", "libc10_cuda.so", "libtorch.so"):
    if not os.path.exists(os.path.join(dest, "torch/lib", lib)):
        sys.exit(f"{lib} missing from the torch wheel")
# No build-version file: torch-sys checks the version (tch 0.22 wants 2.9.0) only when that
# file exists or LIBTORCH_USE_PYTORCH is set. build.rs looks for this marker instead.
with open(os.path.join(dest, "torch/trainbench-cuda-link-only"), "w") as f:
    f.write(f"torch_version={version_full}\ngit_version={git}\ncuda={cuda}\n"
            f"wheel={os.path.basename(found[0])}\n")
PY
    touch "$dest/torch/.complete"
  else
    say "reusing $dest/torch"
  fi
  if [ "$with_runtime" = 1 ] && [ ! -f "$dest/nvidia/.complete" ]; then
    # What libtorch_cuda.so (and libtorch_cpu.so) load at start, at the versions torch 2.11.0
    # pins (its METADATA and cuda-toolkit==13.0.2's). Unpacked as in site-packages, so the
    # libraries' own rpath ($ORIGIN/../../nvidia/...) finds them as it does on the GPU machine.
    runtime=(nvidia-cuda-runtime==13.0.96 nvidia-cuda-cupti==13.0.85 nvidia-cublas==13.1.0.3
             nvidia-cufft==12.0.0.61 nvidia-cufile==1.15.1.6 nvidia-curand==10.4.0.35
             nvidia-cusparse==12.6.3.3 nvidia-nvjitlink==13.0.88 nvidia-cudnn-cu13==9.19.0.56
             nvidia-cusparselt-cu13==0.8.0 nvidia-nccl-cu13==2.28.9 nvidia-nvshmem-cu13==3.4.5)
    say "downloading the CUDA 13 runtime wheels torch $LINK_VERSION loads (~1.5 GB): ${runtime[*]}"
    pip_download "${runtime[@]}"
    say "extracting their libraries into $dest/nvidia"
    rm -rf "$dest/nvidia"
    "$PYTHON" - "$wheels" "$dest" "${runtime[@]}" <<'PY'
import glob, os, shutil, sys, zipfile
wheels, dest, *pins = sys.argv[1:]
for pin in pins:
    name, version = pin.split("==")
    found = glob.glob(os.path.join(wheels, f"{name.replace('-', '_')}-{version}-*.whl"))
    if len(found) != 1:
        sys.exit(f"expected one {pin} wheel in {wheels}, found {found}")
    with zipfile.ZipFile(found[0]) as z:
        for info in z.infolist():
            n = info.filename
            if n.startswith("nvidia/") and "/lib/" in n and ".so" in os.path.basename(n):
                target = os.path.join(dest, n)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with z.open(info) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
PY
    touch "$dest/nvidia/.complete"
  elif [ "$with_runtime" = 1 ]; then
    say "reusing $dest/nvidia"
  fi
  libs="$dest/torch/lib"
  if [ -f "$dest/nvidia/.complete" ]; then
    for d in "$dest"/nvidia/*/lib; do libs="$libs:$d"; done
    say "to run the binary here (CPU only; CUDA not available): export LD_LIBRARY_PATH=$libs"
  else
    say "to run the binary here as well, add --with-cuda-runtime (the CUDA 13 libraries, 2.2 GB)"
  fi
  say "then: cargo build --release --features tch (build.rs links libtorch_cuda, no rpath);"
  say "scripts/device/build-gpu.sh does all of it and packs dist/gpu/ for the GPU machine"
  echo "export LIBTORCH=$dest/torch"
  exit 0
fi

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
