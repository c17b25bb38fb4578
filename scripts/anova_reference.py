"""Reference values for src/stats/anova.rs (two-way repeated-measures ANOVA).

Run: python scripts/anova_reference.py   (needs numpy, pandas, statsmodels, pingouin)

F, degrees of freedom and p come from statsmodels' AnovaRM; partial eta squared, the
Greenhouse-Geisser epsilon and the GG-corrected p-value from pingouin.rm_anova (which builds
the interaction's epsilon from the Kronecker product of orthonormal contrasts, as R, SPSS and
JASP do). The fixtures are printed as Rust arrays (subject-major, then A, then B) so the test
embeds exactly the data the references were computed on.
"""
import numpy as np
import pandas as pd
import pingouin as pg
import statsmodels
from statsmodels.stats.anova import AnovaRM

print("statsmodels", statsmodels.__version__, "pingouin", pg.__version__, "pandas", pd.__version__, "numpy", np.__version__)


def fixture(n, a, b, seed):
    """Accuracy-like values: subject offsets, main effects, an interaction, and noise whose
    spread grows with B's level (so sphericity fails and epsilon < 1)."""
    rng = np.random.default_rng(seed)
    subj = rng.normal(0, 0.02, n)
    ea = np.linspace(0, 0.03, a)
    eb = -0.004 * np.arange(b) ** 2
    inter = 0.01 * np.outer(np.arange(a) - (a - 1) / 2, np.arange(b) - (b - 1) / 2)
    y = np.empty((n, a, b))
    for s in range(n):
        noise = rng.normal(0, 1, (a, b)) * (0.002 + 0.006 * np.arange(b))
        y[s] = 0.7 + subj[s] + ea[:, None] + eb[None, :] + inter + noise
    return np.round(y, 4)


def report(name, y):
    n, a, b = y.shape
    flat = ", ".join(repr(float(v)) for v in y.ravel())
    print(f"== {name}: {n} subjects x A {a} x B {b}")
    print(f"const {name}: [f64; {y.size}] = [{flat}];")
    rows = [(s, i, j, y[s, i, j]) for s in range(n) for i in range(a) for j in range(b)]
    df = pd.DataFrame(rows, columns=["seed", "A", "B", "acc"])
    sm = AnovaRM(df, "acc", "seed", within=["A", "B"]).fit().anova_table
    pgt = pg.rm_anova(df, dv="acc", within=["A", "B"], subject="seed", effsize="np2")
    for term, pg_name in [("A", "A"), ("B", "B"), ("A:B", "A * B")]:
        r = sm.loc[term]
        q = pgt[pgt.Source == pg_name].iloc[0]
        print(
            term,
            "F", repr(float(r["F Value"])),
            "df1", repr(float(r["Num DF"])),
            "df2", repr(float(r["Den DF"])),
            "p", repr(float(r["Pr > F"])),
            "| pingouin SS", repr(float(q["SS"])),
            "np2", repr(float(q["np2"])),
            "eps", repr(float(q["eps"])),
            "p_GG", repr(float(q["p_GG_corr"])),
        )


report("FIXTURE", fixture(6, 3, 4, 18))
report("FIXTURE_2X2", fixture(5, 2, 2, 7))
