"""Shared pieces of the peer loops: argument parsing, data loading, the result line."""

import argparse
import csv
import json
import platform
import sys

import numpy as np
import torch


def parse_args(description: str, extra=None) -> argparse.Namespace:
    """The loops' shared options; `extra(parser)` may add a loop's own."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--data", required=True, help="CSV written by `trainbench data export`")
    p.add_argument("--model", default="jsc-tiny")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    if extra:
        extra(p)
    return p.parse_args()


def load_splits(path: str) -> dict:
    """{split: (features float32 [n, 16], labels int64 [n])} from an exported CSV."""
    rows: dict = {}
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if header[0] != "split" or header[-1] != "class":
            sys.exit(f"{path}: expected `split, <features>, class` (trainbench data export)")
        for r in reader:
            rows.setdefault(r[0], []).append(r[1:])
    out = {}
    for split, values in rows.items():
        a = np.asarray(values, dtype=np.float64)
        out[split] = (
            torch.from_numpy(a[:, :-1].astype(np.float32)),
            torch.from_numpy(a[:, -1].astype(np.int64)),
        )
    return out


def emit(peer: str, args: argparse.Namespace, train_rows: int, seconds: list, **metrics):
    """One JSON line on stdout: what the comparison script reads."""
    print(
        json.dumps(
            {
                "peer": peer,
                "model": args.model,
                "batch_size": args.batch_size,
                "epochs": args.epochs,
                "lr": args.lr,
                "seed": args.seed,
                "threads": args.threads,
                "train_rows": train_rows,
                "train_seconds_per_epoch": seconds,
                "torch": torch.__version__,
                "python": platform.python_version(),
                **metrics,
            }
        ),
        flush=True,
    )
