#!/usr/bin/env python3
"""Markdown tables of the criterion results of benches/training.rs (no third-party modules).

    summarize.py CRITERION_DIR [--title TEXT]

Reads every `<dir>/**/new/{benchmark.json,estimates.json}` (criterion 0.8's layout, see
src/baseline/criterion.rs) and prints, per backend found:
  - train_epoch: one epoch of 50,000 rows per model x batch size (ms, and rows/s);
  - replicas: 10 seeds one after another vs as one replica group (ms per 10 seed-epochs,
    and the speedup);
  - with several backends (cuda-check.sh's cpu-ref step), per model of the replicas group:
    ms per seed-epoch, one seed and as replicas, side by side.
Mean of criterion's estimate; with `--quick` that rests on 2 samples, so read it as +-5%.
"""
import json
import os
import re
import sys


def load(root):
    results = {}
    for dirpath, _dirs, files in os.walk(root):
        if os.path.basename(dirpath) != "new" or "benchmark.json" not in files:
            continue
        try:
            with open(os.path.join(dirpath, "benchmark.json")) as f:
                bench = json.load(f)
            with open(os.path.join(dirpath, "estimates.json")) as f:
                est = json.load(f)
        except (OSError, ValueError) as e:
            print(f"(skipped {dirpath}: {e})", file=sys.stderr)
            continue
        elements = None
        tp = bench.get("throughput") or {}
        if isinstance(tp, dict) and "Elements" in tp:
            elements = tp["Elements"]
        results[bench["full_id"]] = (est["mean"]["point_estimate"] / 1e9, elements)
    return results


MODELS = ["jsc-tiny", "jsc-toy", "jsc-tiny-10x", "jsc-toy-10x"]  # benches/training.rs


def order(model):
    return (MODELS.index(model) if model in MODELS else len(MODELS), model)


def ms(s):
    return f"{s * 1e3:,.1f}" if s < 10 else f"{s * 1e3:,.0f}"


def rate(elements, s):
    return f"{elements / s:,.0f}" if elements else ""


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    root = argv[0]
    title = argv[argv.index("--title") + 1] if "--title" in argv else None
    results = load(root)
    if title:
        print(f"## {title}\n")
    if not results:
        print(f"No criterion results under {root}.")
        return 1
    epoch = {}
    reps = {}
    for full_id, (secs, elements) in results.items():
        m = re.fullmatch(r"train_epoch/([^/]+)/([^/]+)/bs(\d+)", full_id)
        if m:
            epoch.setdefault(m[1], {})[(m[2], int(m[3]))] = (secs, elements)
            continue
        m = re.fullmatch(r"replicas/([^/]+)/([^/]+)/bs(\d+)/(sequential|replicas)", full_id)
        if m:
            reps.setdefault(m[1], {}).setdefault((m[2], int(m[3])), {})[m[4]] = (secs, elements)
    for backend, cells in sorted(epoch.items()):
        sizes = sorted({bs for _, bs in cells})
        models = sorted({m for m, _ in cells}, key=order)
        print(f"### train_epoch, {backend}: one epoch of 50,000 rows, ms (rows/s)\n")
        print("| model | " + " | ".join(f"bs {bs}" for bs in sizes) + " |")
        print("|---|" + "---|" * len(sizes))
        for model in models:
            row = []
            for bs in sizes:
                if (model, bs) in cells:
                    secs, elements = cells[(model, bs)]
                    row.append(f"{ms(secs)} ({rate(elements, secs)})")
                else:
                    row.append("")
            print(f"| {model} | " + " | ".join(row) + " |")
        print()
    for backend, cells in sorted(reps.items()):
        print(f"### replicas, {backend}: 10 seeds x one epoch of 50,000 rows, ms\n")
        print("| model | batch | sequential | replicas | speedup |")
        print("|---|---|---|---|---|")
        for (model, bs), modes in sorted(cells.items()):
            seq = modes.get("sequential")
            rep = modes.get("replicas")
            speed = f"**{seq[0] / rep[0]:.1f}x**" if seq and rep else ""
            print(f"| {model} | {bs} | {ms(seq[0]) if seq else ''} | "
                  f"{ms(rep[0]) if rep else ''} | {speed} |")
        print()
    # Side by side: per model of the replicas group, ms per seed-epoch, one seed at a time
    # (sequential / 10) and as replicas (replicas / 10), for every backend measured.
    backends = sorted(reps)
    models = sorted({m for cells in reps.values() for m, _ in cells}, key=order)
    if len(backends) > 1:
        for model in models:
            print(f"### {model}: ms per seed-epoch (50,000 rows), one seed / as 10 replicas\n")
            print("| batch | " + " | ".join(f"{b} one seed | {b} replicas" for b in backends) + " |")
            print("|---|" + "---|---|" * len(backends))
            sizes = sorted({bs for cells in reps.values() for m, bs in cells if m == model})
            for bs in sizes:
                row = []
                for b in backends:
                    modes = reps[b].get((model, bs), {})
                    for mode in ("sequential", "replicas"):
                        row.append(ms(modes[mode][0] / 10) if mode in modes else "")
                print(f"| {bs} | " + " | ".join(row) + " |")
            print()
    other = sorted(i for i in results if not i.startswith(("train_epoch/", "replicas/")))
    if other:
        print("### other benchmarks, ms\n")
        print("| id | mean |")
        print("|---|---|")
        for i in other:
            print(f"| {i} | {ms(results[i][0])} |")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
