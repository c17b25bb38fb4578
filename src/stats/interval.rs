//! Confidence intervals for the size of a difference — the mean difference of two samples
//! (paired or Welch, the same designs as the t tests in [`super::hypothesis`]) and the ratio
//! of two positive samples (Welch on the logarithms) — and for the mean of a positive
//! quantity ([`lognormal_mean_ci`], whose ends are both positive).

use super::summary::{mean_of, var_of};
use super::{drop_nan, t_inverse_cdf};

/// An estimate with its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The point estimate.
    pub estimate: f64,
    /// Lower end of the interval.
    pub low: f64,
    /// Upper end of the interval.
    pub high: f64,
}

impl Estimate {
    /// Everything NaN: too little data.
    pub const NAN: Estimate = Estimate {
        estimate: f64::NAN,
        low: f64::NAN,
        high: f64::NAN,
    };

    /// `estimate ± t·se` with `t` the `(1 + level)/2` quantile of Student's t with `df`
    /// degrees of freedom; a standard error of 0 gives `[estimate, estimate]`.
    fn t(estimate: f64, se: f64, df: f64, level: f64) -> Estimate {
        if !(level > 0.0 && level < 1.0 && se.is_finite()) {
            return Estimate {
                estimate,
                ..Estimate::NAN
            };
        }
        let half = if se == 0.0 {
            0.0
        } else {
            t_inverse_cdf(df, (1.0 + level) / 2.0) * se
        };
        Estimate {
            estimate,
            low: estimate - half,
            high: estimate + half,
        }
    }

    /// The interval mapped through the increasing function `f` (e.g. `exp`).
    fn map(self, f: impl Fn(f64) -> f64) -> Estimate {
        Estimate {
            estimate: f(self.estimate),
            low: f(self.low),
            high: f(self.high),
        }
    }
}

/// Mean of the differences `a[i] − b[i]` with its Student-t interval (`df = n − 1`): the
/// interval of [`super::paired_t_test`]. Matches `scipy.stats.ttest_rel(a, b)
/// .confidence_interval(level)`. A pair is dropped when either member is NaN; fewer than 2
/// pairs (or slices of different lengths) give NaN bounds.
pub fn paired_diff_ci(a: &[f64], b: &[f64], level: f64) -> Estimate {
    if a.len() != b.len() {
        return Estimate::NAN;
    }
    let d = super::hypothesis::differences(a, b);
    let md = mean_of(&d);
    if d.len() < 2 {
        return Estimate {
            estimate: md,
            ..Estimate::NAN
        };
    }
    let n = d.len() as f64;
    Estimate::t(md, (var_of(&d) / n).sqrt(), n - 1.0, level)
}

/// `mean(a) − mean(b)` with the Welch interval (Welch–Satterthwaite df): the interval of
/// [`super::welch_test`]. Matches `scipy.stats.ttest_ind(a, b, equal_var=False)
/// .confidence_interval(level)`. NaNs are dropped; fewer than 2 values on a side give NaN
/// bounds; both sides constant give `[diff, diff]`.
pub fn welch_diff_ci(a: &[f64], b: &[f64], level: f64) -> Estimate {
    let (a, b) = (drop_nan(a), drop_nan(b));
    let diff = mean_of(&a) - mean_of(&b);
    if a.len() < 2 || b.len() < 2 {
        return Estimate {
            estimate: diff,
            ..Estimate::NAN
        };
    }
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (va, vb) = (var_of(&a) / na, var_of(&b) / nb);
    let se2 = va + vb;
    let df = if se2 == 0.0 {
        na + nb - 2.0
    } else {
        se2 * se2 / (va * va / (na - 1.0) + vb * vb / (nb - 1.0))
    };
    Estimate::t(diff, se2.sqrt(), df, level)
}

/// The ratio of the geometric means of two positive samples, `exp(mean(ln a) − mean(ln
/// b))`, with the Welch interval of the difference of the logarithms mapped back through
/// `exp`: a ratio and both ends of its interval are positive. Matches `numpy.exp(scipy.stats
/// .ttest_ind(log(a), log(b), equal_var=False).confidence_interval(level))`. A value ≤ 0
/// on either side gives NaN.
pub fn log_ratio_ci(a: &[f64], b: &[f64], level: f64) -> Estimate {
    let logs = |xs: &[f64]| -> Option<Vec<f64>> {
        drop_nan(xs)
            .into_iter()
            .map(|x| (x > 0.0).then(|| x.ln()))
            .collect()
    };
    match (logs(a), logs(b)) {
        (Some(la), Some(lb)) => welch_diff_ci(&la, &lb, level).map(f64::exp),
        _ => Estimate::NAN,
    }
}

/// An interval for the mean of a positive quantity (a time): Cox's method for the mean of a
/// log-normal sample with a Student-t quantile (Olsson 2005, "Confidence intervals for the
/// mean of a log-normal distribution", J. Stat. Educ. 13(1)): with `y = ln x`,
/// `exp(ȳ + s²/2 ± t·√(s²/n + s⁴/(2(n − 1))))`, `t` the `(1 + level)/2` quantile with
/// `n − 1` df. Both ends are positive, unlike the plain t interval of a small sample. The
/// estimate is the sample mean. NaN bounds for fewer than 2 values or a value ≤ 0.
pub fn lognormal_mean_ci(xs: &[f64], level: f64) -> Estimate {
    let x = drop_nan(xs);
    let mean = mean_of(&x);
    if x.len() < 2 || x.iter().any(|&v| v <= 0.0) || !(level > 0.0 && level < 1.0) {
        return Estimate {
            estimate: mean,
            ..Estimate::NAN
        };
    }
    let y: Vec<f64> = x.iter().map(|v| v.ln()).collect();
    let n = y.len() as f64;
    let s2 = var_of(&y);
    let se = (s2 / n + s2 * s2 / (2.0 * (n - 1.0))).sqrt();
    let log = Estimate::t(mean_of(&y) + s2 / 2.0, se, n - 1.0, level);
    Estimate {
        estimate: mean,
        low: log.low.exp(),
        high: log.high.exp(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::testutil::assert_rel;

    const P1A: [f64; 6] = [0.91, 0.88, 0.93, 0.90, 0.87, 0.92];
    const P1B: [f64; 6] = [0.89, 0.87, 0.90, 0.90, 0.85, 0.91];
    const A1: [f64; 5] = [0.812, 0.797, 0.825, 0.804, 0.819];
    const B1: [f64; 7] = [0.781, 0.795, 0.776, 0.790, 0.788, 0.772, 0.799];
    const T1: [f64; 4] = [0.113, 0.098, 0.131, 0.121];
    const T2: [f64; 3] = [0.071, 0.064, 0.078];
    const T3: [f64; 2] = [0.0894, 0.1366];

    fn check(e: Estimate, want: [f64; 3]) {
        assert_rel(e.estimate, want[0], 1e-11);
        assert_rel(e.low, want[1], 1e-9);
        assert_rel(e.high, want[2], 1e-9);
    }

    /// Reference values: scipy 1.17.1 and numpy 2.4.6, printed by
    /// `scripts/interval_reference.py` (section "== difference intervals"):
    /// `ttest_rel(a, b).confidence_interval(0.95)`, `ttest_ind(a, b, equal_var=False)
    /// .confidence_interval(0.95)` and `exp` of the latter on `log(a), log(b)`.
    #[test]
    fn difference_intervals_match_scipy() {
        check(
            paired_diff_ci(&P1A, &P1B, 0.95),
            [
                0.015000000000000013,
                0.003993426152919871,
                0.026006573847080154,
            ],
        );
        check(
            paired_diff_ci(&P1A, &P1B, 0.99),
            [
                0.015000000000000013,
                -0.0022646048047332105,
                0.03226460480473324,
            ],
        );
        check(
            welch_diff_ci(&A1, &B1, 0.95),
            [
                0.02554285714285709,
                0.011092292959549152,
                0.03999342132616503,
            ],
        );
        check(
            log_ratio_ci(&T1, &T2, 0.95),
            [1.6264697401984356, 1.3092845811793221, 2.020495661377415],
        );
        // Two values a side: wide, but a ratio stays positive.
        let wide = log_ratio_ci(&T3, &T2, 0.95);
        assert!(wide.low > 0.0 && wide.high > wide.low);
        assert!(paired_diff_ci(&P1A[..1], &P1B[..1], 0.95).low.is_nan());
        assert!(log_ratio_ci(&[0.0, 1.0], &T2, 0.95).low.is_nan());
        let same = welch_diff_ci(&[1.0, 1.0], &[0.5, 0.5], 0.95);
        assert_eq!((same.low, same.high), (0.5, 0.5));
    }

    /// Reference values: numpy 2.4.6 and scipy 1.17.1 `t.ppf`, printed by
    /// `scripts/interval_reference.py` ("== log-normal mean interval").
    #[test]
    fn lognormal_mean_interval_matches_the_reference_and_stays_positive() {
        check(
            lognormal_mean_ci(&T1, 0.95),
            [0.11575, 0.09525622245442814, 0.14121038238333186],
        );
        // The ci-gate case: two timing units, where the t interval reaches below zero.
        let t = crate::stats::summarize(&T3, 0.95);
        assert!(t.ci_low < 0.0);
        check(
            lognormal_mean_ci(&T3, 0.95),
            [
                0.11299999999999999,
                0.006946930626523779,
                1.9231864180114877,
            ],
        );
        assert!(lognormal_mean_ci(&[0.1], 0.95).low.is_nan());
    }
}
