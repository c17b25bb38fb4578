#!/usr/bin/env python3
"""Writes the small HDF5 fixtures of trainbench's HDF5 loader tests, with h5py (libhdf5).

The Rust tests write their own HDF5 files with the pure-Rust `hdf5-pure` crate; these
fixtures check that files written by h5py itself, the way MASE's JSC file is, read the same.

Outputs, in tests/fixtures/ (or the directory given as the only argument):
  jsc_small.h5       compound `t_allpar_new`, f4 features, f4 one-hot labels, contiguous
  jsc_small_gzip.h5  the same values: f8 features (one big-endian), bool / int one-hot
                     labels, chunked (64 rows) with shuffle + gzip
  jsc_small.csv      the same values as CSV (one-hot label columns)

Usage: pip install h5py numpy && python3 scripts/make-hdf5-fixture.py
"""

import os
import sys

import h5py
import numpy as np

FEATURES = [
    "j_zlogz", "j_c1_b0_mmdt", "j_c1_b1_mmdt", "j_c1_b2_mmdt", "j_c2_b1_mmdt",
    "j_c2_b2_mmdt", "j_d2_b1_mmdt", "j_d2_b2_mmdt", "j_d2_a1_b1_mmdt", "j_d2_a1_b2_mmdt",
    "j_m2_b1_mmdt", "j_m2_b2_mmdt", "j_n2_b1_mmdt", "j_n2_b2_mmdt", "j_mass_mmdt",
    "j_multiplicity",
]
LABELS = ["j_g", "j_q", "j_w", "j_z", "j_t"]
ROWS = 200


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20240601)
    # Multiples of 1/64: exact in f4 and f8 and short in decimal.
    feats = np.round(rng.normal(0.0, 20.0, size=(ROWS, len(FEATURES))) * 64) / 64
    feats[:, -1] = rng.integers(1, 80, size=ROWS)  # multiplicity is a count
    classes = rng.integers(0, 5, size=ROWS)
    extra_pt = rng.uniform(0, 1000, size=ROWS)

    def table(feature_types, label_types):
        # Extra fields before, between and after, as in the real file.
        fields = [("j_ptfrac", "<f4")]
        fields += [(f, t) for f, t in zip(FEATURES[:8], feature_types[:8])]
        fields += [("j_index", "<i8")]
        fields += [(f, t) for f, t in zip(FEATURES[8:], feature_types[8:])]
        fields += [(f, t) for f, t in zip(LABELS, label_types)]
        fields += [("j_pt", "<f8")]
        rec = np.zeros(ROWS, dtype=fields)
        rec["j_ptfrac"] = 0.5
        rec["j_index"] = np.arange(ROWS)
        rec["j_pt"] = extra_pt
        for i, f in enumerate(FEATURES):
            rec[f] = feats[:, i]
        for k, f in enumerate(LABELS):
            rec[f] = classes == k
        return rec

    plain = table(["<f4"] * 16, ["<f4"] * 5)
    with h5py.File(os.path.join(out, "jsc_small.h5"), "w") as h:
        h.create_dataset("t_allpar_new", data=plain)

    gz = table(["<f8"] * 5 + [">f8"] + ["<f8"] * 10, ["?", "<i4", "<i4", "u1", "<i8"])
    with h5py.File(os.path.join(out, "jsc_small_gzip.h5"), "w") as h:
        h.create_dataset("t_allpar_new", data=gz, chunks=(64,), compression="gzip",
                         compression_opts=6, shuffle=True)

    with open(os.path.join(out, "jsc_small.csv"), "w") as f:
        f.write(",".join(FEATURES + LABELS) + "\n")
        for r in range(ROWS):
            cells = [repr(float(v)) for v in feats[r]]
            cells += ["1" if classes[r] == k else "0" for k in range(5)]
            f.write(",".join(cells) + "\n")


if __name__ == "__main__":
    main()
