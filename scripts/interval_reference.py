"""Reference values for src/stats/interval.rs and the report's difference intervals.

    python3 -m venv /tmp/sci && /tmp/sci/bin/pip install scipy numpy
    /tmp/sci/bin/python scripts/interval_reference.py

Each line names the call that produced its numbers; the tests quote them.
"""
import numpy as np
import scipy
from scipy import stats

np.set_printoptions(precision=17)
print("scipy", scipy.__version__, "numpy", np.__version__)


def r(x):
    return repr(float(x))


P1A = [0.91, 0.88, 0.93, 0.90, 0.87, 0.92]
P1B = [0.89, 0.87, 0.90, 0.90, 0.85, 0.91]
A1 = [0.812, 0.797, 0.825, 0.804, 0.819]
B1 = [0.781, 0.795, 0.776, 0.790, 0.788, 0.772, 0.799]
T1 = [0.113, 0.098, 0.131, 0.121]
T2 = [0.071, 0.064, 0.078]
T3 = [0.0894, 0.1366]

print("== difference intervals")
for lvl in (0.95, 0.99):
    res = stats.ttest_rel(P1A, P1B)
    ci = res.confidence_interval(lvl)
    print("paired P1A P1B level", lvl, "diff", r(np.mean(np.subtract(P1A, P1B))), "ci", r(ci.low), r(ci.high))
res = stats.ttest_ind(A1, B1, equal_var=False)
ci = res.confidence_interval(0.95)
print("welch A1 B1 level 0.95 diff", r(np.mean(A1) - np.mean(B1)), "ci", r(ci.low), r(ci.high))
la, lb = np.log(T1), np.log(T2)
ci = stats.ttest_ind(la, lb, equal_var=False).confidence_interval(0.95)
print("log-ratio T1 T2 level 0.95 ratio", r(np.exp(la.mean() - lb.mean())), "ci", r(np.exp(ci.low)), r(np.exp(ci.high)))

print("== log-normal mean interval (Cox, t quantile; Olsson 2005)")
for name, x in [("T1", T1), ("T3", T3)]:
    x = np.array(x)
    y = np.log(x)
    n = len(y)
    s2 = y.var(ddof=1)
    t = stats.t.ppf(0.975, n - 1)
    half = t * np.sqrt(s2 / n + s2 ** 2 / (2 * (n - 1)))
    c = y.mean() + s2 / 2
    print(name, "level 0.95 mean", r(x.mean()), "ci", r(np.exp(c - half)), r(np.exp(c + half)))
    lo, hi = stats.t.interval(0.95, n - 1, loc=x.mean(), scale=stats.sem(x))
    print(name, "plain t interval", r(lo), r(hi))

print("== the report's model-sweep fixture (src/report/markdown.rs tests)")
TINY = [0.700, 0.702, 0.698, 0.705, 0.701]
TOY = [0.755, 0.760, 0.752, 0.761, 0.757]
ci = stats.ttest_rel(TOY, TINY).confidence_interval(0.95)
d = np.mean(np.subtract(TOY, TINY))
print("paired toy - tiny, points: %.2f [%.2f, %.2f]" % (100 * d, 100 * ci.low, 100 * ci.high), r(d), r(ci.low), r(ci.high))
ci = stats.ttest_ind(TOY, TINY, equal_var=False).confidence_interval(0.95)
print("welch toy - tiny, points: %.2f [%.2f, %.2f]" % (100 * d, 100 * ci.low, 100 * ci.high))

print("== mixed replica groups fixture (src/report/analysis.rs tests): c / a, seconds per epoch")
A = [0.305, 0.325]
C = [0.505, 0.515]
la, lc = np.log(A), np.log(C)
ci = stats.ttest_ind(lc, la, equal_var=False).confidence_interval(0.95)
print("ratio", r(np.exp(lc.mean() - la.mean())), "ci", r(np.exp(ci.low)), r(np.exp(ci.high)))
