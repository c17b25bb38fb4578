#!/usr/bin/env python3
"""Summary of scripts/calibrate-ab.sh runs: per injected slowdown (0 = A/A) and machine state, how
often the gate failed (exit 1), per benchmark how often it was `regressed`, the median
ratio and CI half-width, and the wall time per run. Markdown on stdout.

usage: python3 scripts/calibrate-ab-summary.py OUT_DIR
"""
import glob
import json
import os
import statistics
import sys
from collections import defaultdict


def condition(run):
    """The machine's state during a run: the script's busy loop, other work (1-minute load
    average ≥ 1.5 at the end on 2 cores: the bench's thread and at least one more), or quiet."""
    if run["loaded"]:
        return "a busy loop"
    if run.get("load1", 0) >= 1.5:
        return "other work"
    return "quiet"


def main(out):
    runs = defaultdict(list)
    for path in sorted(glob.glob(os.path.join(out, "*.json"))):
        with open(path) as f:
            run = json.load(f)
        pct = run.get("inject_slowdown_pct") or 0
        runs[(pct, condition(run))].append(run)
    if not runs:
        sys.exit(f"no runs in {out}")
    print("| injected slowdown | load | runs | gate failed (exit 1) | wall time per run |")
    print("|---:|---|---:|---:|---:|")
    for pct in sorted({p for p, _ in runs}):
        rs = [r for (p, _), v in runs.items() if p == pct for r in v]
        failed = sum(r["exit"] == 1 for r in rs)
        wall = statistics.median(r["seconds"] for r in rs)
        print(
            f"| **{pct:g}%** | **all** | {len(rs)} | "
            f"**{failed}/{len(rs)} ({100 * failed / len(rs):.0f}%)** | {wall:.0f} s |"
        )
    for (pct, loaded), rs in sorted(runs.items()):
        failed = sum(r["exit"] == 1 for r in rs)
        wall = statistics.median(r["seconds"] for r in rs)
        print(
            f"| {pct:g}% | {loaded} | {len(rs)} | "
            f"{failed}/{len(rs)} ({100 * failed / len(rs):.0f}%) | {wall:.0f} s |"
        )
    print()
    print("| injected slowdown | load | benchmark | regressed | median ratio | median CI half-width |")
    print("|---:|---|---|---:|---:|---:|")
    for (pct, loaded), rs in sorted(runs.items()):
        per = defaultdict(list)
        for r in rs:
            for row in r["result"]["rows"]:
                per[row["id"]].append(row)
        for bench, rows in sorted(per.items()):
            reg = sum(x["verdict"] == "regressed" for x in rows)
            ratio = statistics.median(x["ratio"] for x in rows)
            half = statistics.median((x["ci"][1] - x["ci"][0]) / 2 for x in rows)
            print(
                f"| {pct:g}% | {loaded} | {bench} | "
                f"{reg}/{len(rows)} | {ratio:.3f} | ±{100 * half:.1f}% |"
            )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "cal")
