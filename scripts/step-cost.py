#!/usr/bin/env python3
"""Fits the replica step's costs from criterion results of benches/step.rs.

    scripts/step-cost.py LABEL=DIR[,DIR...] [LABEL=...]
    scripts/step-cost.py --instructions LABEL:BS:S=CALLGRIND_OUT ...

Each argument is `LABEL=DIR1,DIR2,...`: the criterion homes of that label's runs (e.g. the
rounds of one build). For every run and batch size, the time per step t(S) (criterion's mean
per epoch, divided by the epoch's steps) is fitted by least squares as t(S) = F + S·D over
S = 1, 2, 4, 8, 16; the table gives the median F and D over a label's runs, and with two
labels the ratio first / second. With --instructions the inputs are callgrind outputs of one
benchmark each (collected inside Trainer::train_epoch only) and t(S) is in instructions per
step: the calls to train_epoch and the steps of an epoch (50,000 training rows) divide the
total.
"""
import glob, json, os, re, statistics, sys


def runs_of(home):
    """{(backend, model, bs): {S: microseconds per step}} of one criterion home."""
    out = {}
    for bench in glob.glob(os.path.join(home, "step", "**", "new", "benchmark.json"), recursive=True):
        with open(bench) as f:
            b = json.load(f)
        m = re.fullmatch(r"step/(.+)/(.+)/bs(\d+)/s(\d+)", b["full_id"])
        if not m:
            continue
        with open(os.path.join(os.path.dirname(bench), "estimates.json")) as f:
            per_epoch_ns = json.load(f)["mean"]["point_estimate"]
        steps = b["throughput"]["Elements"]
        key = (m.group(1), m.group(2), int(m.group(3)))
        out.setdefault(key, {})[int(m.group(4))] = per_epoch_ns / steps / 1e3
    return out


def fit(points):
    xs, ys = zip(*sorted(points.items()))
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    d = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return my - d * mx, d


TRAIN_ROWS = 50_000


def instructions_per_step(path, bs):
    """Instructions per training step in one callgrind output of benches/step.rs."""
    names, calls, total, current = {}, 0, 0, None
    with open(path) as f:
        for line in f:
            if line.startswith("summary:"):
                total = int(line.split()[1])
            m = re.match(r"c?fn=\((\d+)\)(?: (.*))?", line)
            if m:
                if m.group(2):
                    names[m.group(1)] = m.group(2)
                current = names.get(m.group(1), "") if line.startswith("cfn") else None
            elif line.startswith("calls=") and current and re.search(r"Trainer.*train_epoch", current):
                calls += int(line[6:].split()[0])
    steps = TRAIN_ROWS // bs + (TRAIN_ROWS % bs > 1)
    return total / max(calls, 1) / steps


def instruction_table(args):
    points = {}
    for arg in args:
        key, _, path = arg.partition("=")
        label, bs, s = key.split(":")
        points.setdefault((int(bs), label), {})[int(s)] = instructions_per_step(path, int(bs))
    print("| batch | build | " + " | ".join(f"S={s}" for s in sorted(next(iter(points.values()))))
          + " | F (instr/step) | D (instr/replica-step) |")
    print("|---" * (4 + len(next(iter(points.values())))) + "|")
    fits = {}
    for (bs, label), pts in sorted(points.items(), key=lambda kv: (kv[0][0], kv[0][1] != "base")):
        f, d = fits[(bs, label)] = fit(pts)
        print(f"| {bs} | {label} | " + " | ".join(f"{v / 1e3:,.0f}k" for _, v in sorted(pts.items()))
              + f" | {f / 1e3:,.0f}k | {d / 1e3:,.0f}k |")
    for bs in sorted({b for b, _ in fits}):
        if (bs, "base") in fits and (bs, "head") in fits:
            (fb, db), (fh, dh) = fits[(bs, "base")], fits[(bs, "head")]
            print(f"\nbatch {bs}: F {fb / fh:.2f}× fewer instructions, D {db / dh:.2f}× fewer")


def main(args):
    if not args:
        sys.exit(__doc__)
    if args[0] == "--instructions":
        return instruction_table(args[1:])
    labels = []
    fits = {}
    for arg in args:
        label, _, dirs = arg.partition("=")
        labels.append(label)
        for home in dirs.split(","):
            for key, points in runs_of(home).items():
                if len(points) >= 2:
                    fits.setdefault((label, key), []).append(fit(points))
    keys = sorted({k for (_, k) in fits})
    print("| backend / model / batch | " + " | ".join(f"{l}: F µs | {l}: D µs" for l in labels)
          + (" | F ratio | D ratio |" if len(labels) == 2 else " |"))
    print("|---" * (1 + 2 * len(labels) + (2 if len(labels) == 2 else 0)) + "|")
    for key in keys:
        row, med = [], {}
        for l in labels:
            fs = fits.get((l, key), [])
            if fs:
                med[l] = (statistics.median(f for f, _ in fs), statistics.median(d for _, d in fs))
                row += [f"{med[l][0]:.1f} (n={len(fs)})", f"{med[l][1]:.2f}"]
            else:
                row += ["–", "–"]
        if len(labels) == 2 and len(med) == 2:
            a, b = med[labels[0]], med[labels[1]]
            row += [f"{a[0] / b[0]:.2f}×", f"{a[1] / b[1]:.2f}×"]
        print(f"| {key[0]} / {key[1]} / bs {key[2]} | " + " | ".join(row) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
