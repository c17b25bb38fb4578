#!/usr/bin/env python3
"""Calibration of trainbench's synthetic JSC-like generator (src/data/synth.rs).

This file holds a numpy implementation of *the same generative model* as the Rust
generator (same distributions and parameters, not the same random stream) and measures
how hard the data is after the MASE pipeline (drop duplicates, 80/20 split with
random_state 42, standardise with the train mean/std):

* a linear model (multinomial logistic regression, scikit-learn, lbfgs),
* an MLP 16-64-32-32-5 (ReLU, Adam lr 1e-3, batch 256, scikit-learn MLPClassifier),
* MASE's jsc-tiny (BN(16), ReLU, Linear(16->5), BN(5), ReLU; cross-entropy on the ReLU'd
  logits; Adam lr 1e-3, batch 256, 10 epochs) -- a small exact numpy re-implementation
  (PyTorch BatchNorm1d semantics: biased batch variance for normalising, unbiased for the
  running variance, momentum 0.1, eps 1e-5; PyTorch default Linear init),
* the Bayes-optimal classifier (the class-conditional densities are known exactly, see
  `log_class_densities`).

Usage:
    pip install numpy scikit-learn scipy
    python3 scripts/synth_calibrate.py --rows 200000 --seeds 1 2 3 4 5
    # the same fits on Rust-generated rows (CSV: 16 features then the class index):
    python3 scripts/synth_calibrate.py --csv synth-seed1.csv --csv synth-seed2.csv ...

The model (mirrored in synth.rs; keep the two in step):
five latent "physics factors" per jet f = (m, n, w, p2, p3) -- log groomed mass, log
constituent multiplicity, radiation width, 2-prong-ness (low = 2-prong), 3-prong-ness (low =
3-prong) -- are drawn from a per-class Gaussian mixture (components: e.g. W = resolved peak +
groomed-away low-mass tail). Sixteen latent log-observables are z = o + B f + d * eps with
eps ~ N(0, I), a class-independent linear map, and the features are a class-independent
elementwise transform of z: x = exp(z) for the positive observables, j_zlogz = -exp(z),
j_multiplicity = max(1, round(exp(z))). So z | class is an exact Gaussian mixture and, since
the transform does not depend on the class, the Bayes posterior needs only the latent
densities (the Jacobian cancels); the integer multiplicity is handled exactly by integrating
its conditional Gaussian over the rounding interval.
"""

import argparse
import math
import sys
import time

import numpy as np

# ---------------------------------------------------------------------------------------
# The generative model (parameters mirrored 1:1 in src/data/synth.rs)
# ---------------------------------------------------------------------------------------

N_FACTORS = 5  # m, n, w, p2, p3
LOG_M_REF = math.log(50.0)  # mass loadings act on (m - log 50)
LOG_N_REF = math.log(40.0)  # multiplicity loadings act on (n - log 40)

# Correlation between the factors within a mixture component (class-independent).
FACTOR_CORR = np.array(
    [
        # m     n     w     p2    p3
        [1.00, 0.30, 0.40, 0.20, 0.10],
        [0.30, 1.00, 0.35, 0.10, 0.10],
        [0.40, 0.35, 1.00, 0.30, 0.20],
        [0.20, 0.10, 0.30, 1.00, 0.40],
        [0.10, 0.10, 0.20, 0.40, 1.00],
    ]
)

L = math.log
# Per class: list of (weight, mean[m, n, w, p2, p3], sd[m, n, w, p2, p3]).
CLASSES = [
    # g: 1-prong, high multiplicity, low-mass continuum; radiation width is a scale mixture
    # (a narrow and a wide core with the same centre: gluon jets fluctuate more)
    [
        (0.60, [L(55.0), L(52.0), 0.20, 0.55, 0.35], [0.80, 0.30, 0.35, 0.55, 0.50]),
        (0.40, [L(55.0), L(52.0), 0.20, 0.55, 0.35], [0.80, 0.30, 0.90, 0.55, 0.50]),
    ],
    # q: 1-prong, fewer constituents (g/q ~ 1.5x), narrow width distribution
    [(1.00, [L(45.0), L(35.0), 0.00, 0.45, 0.30], [0.80, 0.18, 0.22, 0.55, 0.50])],
    # W: resolved 2-prong peak at 80.4 GeV (8% log-mass smearing), plus a low-mass tail where
    # grooming removed a prong
    [
        (0.90, [L(80.4), L(40.0), 0.00, -0.55, 0.10], [0.08, 0.15, 0.25, 0.16, 0.30]),
        (0.10, [L(35.0), L(38.0), 0.05, -0.10, 0.25], [0.50, 0.20, 0.35, 0.40, 0.40]),
    ],
    # Z: as W, peak at 91.2 GeV, slightly more constituents (b quarks)
    [
        (0.90, [L(91.2), L(44.0), 0.02, -0.45, 0.10], [0.08, 0.15, 0.25, 0.16, 0.30]),
        (0.10, [L(38.0), L(41.0), 0.07, -0.10, 0.25], [0.50, 0.20, 0.35, 0.40, 0.40]),
    ],
    # t: 3-prong peak at 173 GeV, a W sub-peak (b lost by grooming), a broad tail
    [
        (0.65, [L(173.0), L(64.0), 0.30, 0.00, -0.70], [0.10, 0.15, 0.30, 0.30, 0.30]),
        (0.22, [L(80.4), L(52.0), 0.20, -0.40, -0.25], [0.12, 0.18, 0.30, 0.30, 0.35]),
        (0.13, [L(120.0), L(56.0), 0.25, 0.10, -0.10], [0.40, 0.20, 0.35, 0.40, 0.40]),
    ],
]


# Latent observables: (offset o_j, loadings on (m - log50, n - log40, w, p2, p3), noise d_j).
OBSERVABLES = [
    # j_zlogz = -exp(z): more, softer constituents -> more negative
    (L(3.0), [0.05, 0.45, 0.20, 0.05, 0.00], 0.08),
    # j_c1_b0, j_c1_b1, j_c1_b2: width-like, grow with mass
    (L(0.25), [0.35, 0.05, 0.50, 0.00, 0.00], 0.10),
    (L(0.08), [0.45, 0.05, 0.60, 0.00, 0.00], 0.10),
    (L(0.03), [0.55, 0.05, 0.70, 0.00, 0.00], 0.12),
    # j_c2_b1, j_c2_b2
    (L(0.25), [0.00, 0.00, 0.10, 0.60, 0.25], 0.12),
    (L(0.18), [0.00, 0.00, 0.10, 0.65, 0.25], 0.14),
    # j_d2_b1, j_d2_b2: fall with mass at fixed prong-ness
    (L(2.0), [-0.20, 0.00, 0.00, 0.80, 0.20], 0.15),
    (L(1.6), [-0.25, 0.00, 0.00, 0.85, 0.20], 0.17),
    # j_d2_a1_b1, j_d2_a1_b2
    (L(1.4), [0.15, 0.00, 0.10, 0.70, 0.15], 0.15),
    (L(1.2), [0.15, 0.00, 0.10, 0.75, 0.15], 0.17),
    # j_m2_b1, j_m2_b2: grow with mass
    (L(0.08), [0.50, 0.00, 0.00, 0.40, 0.30], 0.15),
    (L(0.05), [0.55, 0.00, 0.00, 0.45, 0.30], 0.17),
    # j_n2_b1, j_n2_b2
    (L(0.25), [0.15, 0.00, 0.00, 0.60, 0.20], 0.10),
    (L(0.20), [0.15, 0.00, 0.00, 0.65, 0.20], 0.12),
    # j_mass_mmdt = exp(z): the factor m itself plus a little extra smearing
    (0.0, [1.00, 0.00, 0.00, 0.00, 0.00], 0.02),
    # j_multiplicity = max(1, round(exp(z)))
    (LOG_N_REF, [0.00, 1.00, 0.00, 0.00, 0.00], 0.05),
]
MASS_COL = 14
MULT_COL = 15
ZLOGZ_COL = 0
N_FEATURES = 16

OFFSET = np.array([o for o, _, _ in OBSERVABLES])
LOADING = np.array([b for _, b, _ in OBSERVABLES])  # 16 x 5
NOISE = np.array([d for _, _, d in OBSERVABLES])
# The mass observable's offset absorbs the reference: z = log50 + (m - log50) = m.
OFFSET[MASS_COL] = LOG_M_REF
FACTOR_REF = np.array([LOG_M_REF, LOG_N_REF, 0.0, 0.0, 0.0])


def components():
    """Yield (class, weight, factor mean, factor cov) for every mixture component."""
    for c, comps in enumerate(CLASSES):
        for w, mu, sd in comps:
            sd = np.asarray(sd)
            yield c, w, np.asarray(mu), FACTOR_CORR * np.outer(sd, sd)


def latent_gaussians():
    """Per component: (class, weight, mean of z, cov of z) -- z = o + B (f - ref) + d eps."""
    out = []
    for c, w, mu, cov in components():
        zm = OFFSET + LOADING @ (mu - FACTOR_REF)
        zc = LOADING @ cov @ LOADING.T + np.diag(NOISE**2)
        out.append((c, w, zm, zc))
    return out


def transform(z):
    """Class-independent latent -> feature map (float32 like the Rust generator)."""
    x = np.exp(z)
    x[:, ZLOGZ_COL] = -x[:, ZLOGZ_COL]
    x[:, MULT_COL] = np.maximum(1.0, np.round(x[:, MULT_COL]))
    return x.astype(np.float32)


def generate(rows, seed):
    """Rows with class i % 5, shuffled. Returns (X float32 [rows,16], y int, z latent)."""
    rng = np.random.default_rng(seed)
    y = np.arange(rows) % 5
    rng.shuffle(y)
    f = np.empty((rows, N_FACTORS))
    chol = np.linalg.cholesky(FACTOR_CORR)
    for c, comps in enumerate(CLASSES):
        idx = np.flatnonzero(y == c)
        weights = np.array([w for w, _, _ in comps])
        k = rng.choice(len(comps), size=idx.size, p=weights / weights.sum())
        for j, (_, mu, sd) in enumerate(comps):
            sel = idx[k == j]
            e = rng.standard_normal((sel.size, N_FACTORS)) @ chol.T
            f[sel] = np.asarray(mu) + e * np.asarray(sd)
    z = OFFSET + (f - FACTOR_REF) @ LOADING.T + rng.standard_normal((rows, N_FEATURES)) * NOISE
    return transform(z), y, z


# ---------------------------------------------------------------------------------------
# Bayes-optimal classifier
# ---------------------------------------------------------------------------------------


def log_class_densities(x):
    """log p(x | class) up to the class-independent Jacobian, per row and class.

    The 15 continuous features are inverted exactly (z = log|x|); the multiplicity's latent
    is integrated over its rounding interval [log(n - 1/2), log(n + 1/2)) (n = 1 also takes
    everything below) using its Gaussian conditional on the other 15 latents.
    """
    from scipy.special import logsumexp

    x = np.asarray(x, dtype=np.float64)
    zc = np.log(np.abs(np.delete(x, MULT_COL, axis=1)))
    n = x[:, MULT_COL]
    lo = np.where(n <= 1.0, -np.inf, np.log(np.maximum(n - 0.5, 1e-300)))
    hi = np.log(n + 0.5)
    keep = [j for j in range(N_FEATURES) if j != MULT_COL]
    per_class = [[] for _ in CLASSES]
    for c, w, zm, zcov in latent_gaussians():
        s11 = zcov[np.ix_(keep, keep)]
        s21 = zcov[MULT_COL, keep]
        s22 = zcov[MULT_COL, MULT_COL]
        inv = np.linalg.inv(s11)
        diff = zc - zm[keep]
        sign, logdet = np.linalg.slogdet(s11)
        maha = np.einsum("ij,jk,ik->i", diff, inv, diff)
        log_marg = -0.5 * (maha + logdet + len(keep) * math.log(2 * math.pi))
        cmean = zm[MULT_COL] + diff @ (inv @ s21)
        csd = math.sqrt(s22 - s21 @ inv @ s21)
        a = (lo - cmean) / csd
        b = (hi - cmean) / csd
        # log(Phi(b) - Phi(a)), stable on both tails
        with np.errstate(divide="ignore", invalid="ignore"):
            log_int = _log_interval(a, b)
        total_w = sum(cw for cw, _, _ in CLASSES[c])
        per_class[c].append(math.log(w / total_w) + log_marg + log_int)
    return np.stack([logsumexp(np.stack(p), axis=0) for p in per_class], axis=1)


def _log_interval(a, b):
    """log(Phi(b) - Phi(a)) for a < b, stable in both tails."""
    from scipy.special import log_ndtr

    # Phi(b) - Phi(a) = Phi(b)(1 - Phi(a)/Phi(b)) = Phi(-a)(1 - Phi(-b)/Phi(-a)); use the form
    # whose ratio is far from 1 (the lower tail for intervals below 0, the upper tail above).
    lb, la = log_ndtr(b), log_ndtr(a)
    via_lower = lb + np.log1p(-np.exp(la - lb))
    lnb, lna = log_ndtr(-b), log_ndtr(-a)
    via_upper = lna + np.log1p(-np.exp(lnb - lna))
    return np.where(a > 0, via_upper, via_lower)


def bayes_accuracy(rows, seed):
    x, y, _ = generate(rows, seed)
    pred = np.argmax(log_class_densities(x), axis=1)
    return float(np.mean(pred == y)), confusion(y, pred)


# ---------------------------------------------------------------------------------------
# MASE pipeline and the classifiers
# ---------------------------------------------------------------------------------------


def mase_prepare(x, y):
    from sklearn.model_selection import train_test_split

    table = np.concatenate([x.astype(np.float32), y[:, None].astype(np.float32)], axis=1)
    _, first = np.unique(table, axis=0, return_index=True)
    first = np.sort(first)
    dropped = len(x) - len(first)
    x, y = x[first], y[first]
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.2, random_state=42)
    mean = xtr.astype(np.float64).mean(axis=0)
    std = xtr.astype(np.float64).std(axis=0)
    std[std == 0] = 1.0
    xtr = ((xtr - mean) / std).astype(np.float32)
    xte = ((xte - mean) / std).astype(np.float32)
    return xtr, xte, ytr, yte, dropped


def confusion(y, pred):
    m = np.zeros((5, 5), dtype=np.int64)
    np.add.at(m, (y, pred), 1)
    return m


def fit_linear(xtr, ytr, xte, yte, seed):
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(max_iter=500, random_state=seed)
    clf.fit(xtr, ytr)
    return clf.predict(xte)


def fit_mlp(xtr, ytr, xte, yte, seed, epochs):
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(
        hidden_layer_sizes=(64, 32, 32),
        activation="relu",
        solver="adam",
        learning_rate_init=1e-3,
        batch_size=256,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(xtr, ytr)
    return clf.predict(xte)


class _Adam:
    def __init__(self, params, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
        self.p, self.lr, self.b1, self.b2, self.eps = params, lr, b1, b2, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads):
        self.t += 1
        c1 = 1 - self.b1**self.t
        c2 = 1 - self.b2**self.t
        for p, g, m, v in zip(self.p, grads, self.m, self.v):
            m *= self.b1
            m += (1 - self.b1) * g
            v *= self.b2
            v += (1 - self.b2) * g * g
            p -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)


def _bn_forward(x, gamma, beta, running, train, momentum=0.1, eps=1e-5):
    if train:
        mu = x.mean(axis=0)
        var = x.var(axis=0)
        n = x.shape[0]
        running[0] *= 1 - momentum
        running[0] += momentum * mu
        running[1] *= 1 - momentum
        running[1] += momentum * var * n / max(n - 1, 1)
    else:
        mu, var = running
    inv = 1.0 / np.sqrt(var + eps)
    xh = (x - mu) * inv
    return xh * gamma + beta, (xh, inv)


def _bn_backward(dy, cache, gamma):
    xh, inv = cache
    dgamma = (dy * xh).sum(axis=0)
    dbeta = dy.sum(axis=0)
    dxh = dy * gamma
    dx = inv * (dxh - dxh.mean(axis=0) - xh * (dxh * xh).mean(axis=0))
    return dx, dgamma, dbeta


def fit_jsc_tiny(xtr, ytr, xte, yte, seed, epochs=10, batch=256, lr=1e-3):
    """Exact numpy jsc-tiny: BN(16), ReLU, Linear(16->5), BN(5), ReLU, CE on those outputs."""
    rng = np.random.default_rng(seed)
    d = xtr.shape[1]
    bound = 1.0 / math.sqrt(d)
    w = rng.uniform(-bound, bound, (d, 5))
    b = rng.uniform(-bound, bound, 5)
    g1, be1 = np.ones(d), np.zeros(d)
    g2, be2 = np.ones(5), np.zeros(5)
    r1 = [np.zeros(d), np.ones(d)]
    r2 = [np.zeros(5), np.ones(5)]
    params = [w, b, g1, be1, g2, be2]
    opt = _Adam(params, lr=lr)
    xtr64 = xtr.astype(np.float64)

    def forward(x, train):
        h1, c1 = _bn_forward(x, g1, be1, r1, train)
        a1 = np.maximum(h1, 0)
        h2 = a1 @ w + b
        h3, c2 = _bn_forward(h2, g2, be2, r2, train)
        out = np.maximum(h3, 0)
        return out, (h1, c1, a1, h3, c2)

    n = len(xtr64)
    for _ in range(epochs):
        order = rng.permutation(n)
        for s in range(0, n, batch):
            idx = order[s : s + batch]
            if len(idx) < 2:
                continue
            x, t = xtr64[idx], ytr[idx]
            out, (h1, c1, a1, h3, c2) = forward(x, True)
            z = out - out.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(t)), t] -= 1
            dout = p / len(t)
            dh3 = dout * (h3 > 0)
            dh2, dg2, dbe2 = _bn_backward(dh3, c2, g2)
            dw = a1.T @ dh2
            db = dh2.sum(axis=0)
            da1 = dh2 @ w.T
            dh1 = da1 * (h1 > 0)
            _, dg1, dbe1 = _bn_backward(dh1, c1, g1)
            opt.step([dw, db, dg1, dbe1, dg2, dbe2])
    out, _ = forward(xte.astype(np.float64), False)
    return np.argmax(out, axis=1)


# ---------------------------------------------------------------------------------------


def load_csv(path):
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    return data[:, :N_FEATURES].astype(np.float32), data[:, N_FEATURES].astype(np.int64)


def fmt_stats(vals):
    a = np.asarray(vals) * 100
    if len(a) == 1:
        return f"{a[0]:.2f}"
    return f"{a.mean():.2f} ± {a.std(ddof=1):.2f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--seeds", type=int, nargs="*", default=[1, 2, 3, 4, 5])
    ap.add_argument("--csv", action="append", default=[], help="Rust-generated rows (repeatable)")
    ap.add_argument("--mlp-epochs", type=int, default=20)
    ap.add_argument("--models", default="linear,mlp,tiny,bayes")
    ap.add_argument("--bayes-rows", type=int, default=200_000)
    args = ap.parse_args()
    models = args.models.split(",")

    sources = [(f"csv:{p}", p, None) for p in args.csv] or [
        (f"python seed {s}", None, s) for s in args.seeds
    ]
    results = {m: [] for m in models}
    conf = {m: np.zeros((5, 5), dtype=np.int64) for m in models}
    for i, (label, path, seed) in enumerate(sources):
        t0 = time.time()
        if path:
            x, y = load_csv(path)
            bayes_x, bayes_y = x, y
        else:
            x, y, _ = generate(args.rows, seed)
            bayes_x, bayes_y = x, y
        xtr, xte, ytr, yte, dropped = mase_prepare(x, y)
        line = [f"{label}: rows {len(x)} dup {dropped}"]
        fit_seed = seed if seed is not None else i + 1
        for m in models:
            if m == "bayes":
                pred = np.argmax(log_class_densities(bayes_x[: args.bayes_rows]), axis=1)
                truth = bayes_y[: args.bayes_rows]
            else:
                truth = yte
                if m == "linear":
                    pred = fit_linear(xtr, ytr, xte, yte, fit_seed)
                elif m == "mlp":
                    pred = fit_mlp(xtr, ytr, xte, yte, fit_seed, args.mlp_epochs)
                elif m == "tiny":
                    pred = fit_jsc_tiny(xtr, ytr, xte, yte, fit_seed)
                else:
                    sys.exit(f"unknown model {m}")
            acc = float(np.mean(pred == truth))
            results[m].append(acc)
            conf[m] += confusion(truth, pred)
            line.append(f"{m} {acc * 100:.2f}")
        print(", ".join(line), f"({time.time() - t0:.0f}s)", flush=True)

    print("\nmean ± sd over sources (test accuracy %, Bayes on all rows):")
    for m in models:
        print(f"  {m:7s} {fmt_stats(results[m])}")
    names = ["g", "q", "w", "z", "t"]
    for m in models:
        c = conf[m]
        print(f"\nconfusion ({m}), rows = truth, cols = predicted, row-normalised %:")
        print("       " + "".join(f"{n:>7s}" for n in names))
        for r in range(5):
            row = c[r] / max(c[r].sum(), 1) * 100
            print(f"  {names[r]:4s} " + "".join(f"{v:7.1f}" for v in row))


if __name__ == "__main__":
    main()
