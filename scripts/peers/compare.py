#!/usr/bin/env python3
"""Side-by-side training speed: trainbench (Flex, LibTorch CPU; one seed and S seeds as
replicas) against a plain PyTorch loop, a vectorised PyTorch ensemble of S seeds (torch.func
vmap) and a MASE-style Lightning loop, on the same data.

    cargo build --release                      # Flex only, or:
    eval "$(scripts/setup-libtorch.sh | tail -n 1)" && cargo build --release --features tch
    python3 scripts/peers/compare.py           # jsc-tiny, batch 256, 3 epochs, 1 thread

The data is `trainbench data export synth:139000` (100,080 training rows): trainbench trains
on `synth:139000` itself, which prepares exactly the rows the export writes, and the peers
read the export's `train` rows. PyTorch 2.9.0 and Lightning come from PyPI into a venv this
script creates on first use (~6.8 GB: PyPI's torch is the CUDA build; the GPU is not used).

Every figure is the median over the epochs of the training part of an epoch (validation
excluded), in seconds per epoch of one seed; for replica mode and the vmap ensemble that is
the epoch time of the S-seed group divided by S. Samples/s = training rows / that time.
Ratios are to the PyTorch loop; `× vmap` is the vmap ensemble's per-seed time over the
runner's (trainbench's replica mode against the PyTorch idiom for the same job).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DATA = "synth:139000"


def sh(cmd, **kw) -> str:
    """Runs `cmd`; returns stdout; stops with its stderr on failure."""
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(map(str, cmd))}\n{r.stderr[-3000:]}")
    return r.stdout


def ensure_venv(path: Path) -> Path:
    python = path / "bin" / "python"
    if not python.exists():
        print(f"creating {path} with torch==2.9.0 and lightning from PyPI (once)", file=sys.stderr)
        venv.create(path, with_pip=True)
        sh([python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
        sh([python, "-m", "pip", "install", "--quiet", "torch==2.9.0", "lightning", "numpy"])
    return python


def has_backend(tb: str, backend: str) -> bool:
    r = subprocess.run(
        [tb, "train", "--backend", backend, "--epochs", "1", "--data", "synth:2000"],
        capture_output=True,
    )
    return r.returncode == 0


def trainbench_single(tb, backend, model, bs, a) -> list:
    out = sh([tb, "train", "--backend", backend, "--threads", str(a.threads), "--model", model,
              "--batch-size", str(bs), "--epochs", str(a.epochs), "--lr", str(a.lr),
              "--seed", "0", "--data", DATA, "--json"])
    return [e["train_seconds"] for e in json.loads(out)["epochs"]]


def trainbench_replicas(tb, backend, model, bs, a, work: Path) -> list:
    """Per-seed epoch seconds of `a.seeds` seeds trained as one replica group."""
    study = work / f"peers-{backend}-{model}-{bs}.toml"
    study.write_text(
        f'name = "peers"\nseeds = {a.seeds}\n[defaults]\nmodel = "{model}"\n'
        f"batch_size = {bs}\nlr = {a.lr}\nepochs = {a.epochs}\ndata = \"{DATA}\"\n"
        f'[[sweep]]\nname = "one"\nvary = {{ batch_size = [{bs}] }}\n'
    )
    out = work / f"run-{backend}-{model}-{bs}"
    sh([tb, "run", str(study), "--out", str(out), "--replicas", str(a.seeds),
        "--backend", backend, "--threads", str(a.threads)])
    trials = [json.loads(l) for l in (out / "trials.jsonl").read_text().splitlines()]
    group = trials[0]
    if group["replicas"] != a.seeds:
        sys.exit(f"expected one group of {a.seeds} replicas, got {group['replicas']}")
    return [e["train_seconds"] / a.seeds for e in group["epochs"]]


def peer(python, script, data, model, bs, a, extra=()) -> tuple:
    out = sh([python, HERE / script, "--data", data, "--model", model, "--batch-size", str(bs),
              "--epochs", str(a.epochs), "--lr", str(a.lr), "--threads", str(a.threads), *extra],
             cwd=HERE)
    line = json.loads(out.strip().splitlines()[-1])
    return line["train_seconds_per_epoch"], line["train_rows"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trainbench", default=str(ROOT / "target" / "release" / "trainbench"))
    p.add_argument("--venv", default=str(Path.home() / ".cache" / "trainbench" / "peers-venv"))
    p.add_argument("--models", default="jsc-tiny")
    p.add_argument("--batch-sizes", default="256")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seeds", type=int, default=10, help="replicas per group in replica mode")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--skip-lightning", action="store_true")
    p.add_argument("--json", help="also write every measurement to this file")
    a = p.parse_args()
    tb = a.trainbench
    if not os.access(tb, os.X_OK):
        sys.exit(f"{tb} not found: run `cargo build --release` (add --features tch for LibTorch)")
    python = ensure_venv(Path(a.venv))
    backends = [b for b in ("flex", "tch") if has_backend(tb, b)]
    rows, results = [], []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = work / "data.csv"
        sh([tb, "data", "export", DATA, "--out", str(data)])
        for model in a.models.split(","):
            for bs in map(int, a.batch_sizes.split(",")):
                runs = {}
                for b in backends:
                    runs[f"trainbench {b}, 1 seed"] = trainbench_single(tb, b, model, bs, a)
                    runs[f"trainbench {b}, {a.seeds} seeds as replicas (per seed)"] = (
                        trainbench_replicas(tb, b, model, bs, a, work))
                runs["PyTorch loop"], n = peer(python, "pytorch_loop.py", str(data), model, bs, a)
                ens, _ = peer(python, "vmap_loop.py", str(data), model, bs, a,
                              ("--seeds", str(a.seeds)))
                runs[f"PyTorch vmap ensemble, {a.seeds} seeds (per seed)"] = [
                    t / a.seeds for t in ens]
                if not a.skip_lightning:
                    runs["Lightning loop (MASE-style)"], _ = peer(
                        python, "lightning_loop.py", str(data), model, bs, a)
                base = statistics.median(runs["PyTorch loop"])
                vm = statistics.median(runs[f"PyTorch vmap ensemble, {a.seeds} seeds (per seed)"])
                for name, secs in runs.items():
                    med = statistics.median(secs)
                    rows.append((model, bs, name, med, n / med, base / med, vm / med))
                    results.append({"model": model, "batch_size": bs, "runner": name,
                                    "train_rows": n, "seconds_per_epoch": secs})
    print(f"\n{n} training rows, {a.epochs} epochs, {a.threads} thread(s), median epoch\n")
    print("| model | batch | runner | s/epoch | samples/s | × PyTorch | × vmap |")
    print("|---|---|---|---|---|---|---|")
    for model, bs, name, med, sps, ratio, vratio in rows:
        print(f"| {model} | {bs} | {name} | {med:.4f} | {sps:,.0f} | {ratio:.2f} | {vratio:.2f} |")
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
