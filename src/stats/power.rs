//! Power of t-tests and the minimum detectable effect (MDE).
//!
//! A t-test of a difference with standard error `se` and `df` degrees of freedom rejects
//! when `|T| > c` (two-sided, `c = t_{1−α/2, df}`) or `T > c` (one-sided, `c = t_{1−α, df}`).
//! If the true difference is `Δ`, `T` follows the noncentral t distribution with
//! noncentrality `λ = Δ / se`, and the power is `P(T' > c)` (plus `P(T' < −c)` two-sided).
//! The MDE is the `Δ = λ·se` whose power is the target (80% by convention).
//!
//! The noncentral t probability is computed exactly (up to quadrature error) from its
//! definition `T' = (Z + λ) / √(V/df)`, `Z ~ N(0, 1)`, `V ~ χ²_df`:
//! `P(T' > c) = E[Φ(λ − c·W/√df)]` with `W = √V` (a chi distribution), integrated by Simpson's
//! rule over `W`. This is what statsmodels' `TTestPower` / `TTestIndPower` compute with
//! scipy's `nct`; the unit tests compare with them.
//!
//! * Paired design (n pairs, differences with SD `s`): `se = s/√n`, `df = n − 1`.
//! * Two independent samples (Welch): `se = √(s₁²/n₁ + s₂²/n₂)`, Welch–Satterthwaite `df`
//!   (with equal SDs and sizes this is statsmodels' pooled `TTestIndPower`).

use statrs::distribution::{ContinuousCDF, Normal};
use statrs::function::gamma::ln_gamma;

/// Sides of a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sides {
    /// Reject for large positive statistics only.
    One,
    /// Reject for large statistics of either sign.
    Two,
}

/// `P(T' > c)` for the noncentral t with `df` degrees of freedom and noncentrality `lambda`.
/// NaN for `df ≤ 0` or non-finite arguments.
pub fn nct_sf(c: f64, df: f64, lambda: f64) -> f64 {
    if !(df > 0.0 && c.is_finite() && lambda.is_finite() && df.is_finite()) {
        return f64::NAN;
    }
    let normal = Normal::new(0.0, 1.0).expect("standard normal");
    // Density of W = √V, V ~ χ²_df: 2 w^{df−1} e^{−w²/2} / (2^{df/2} Γ(df/2)).
    let log_norm =
        std::f64::consts::LN_2 - (df / 2.0) * std::f64::consts::LN_2 - ln_gamma(df / 2.0);
    let density = |w: f64| {
        if w <= 0.0 {
            return if df == 1.0 { log_norm.exp() } else { 0.0 };
        }
        (log_norm + (df - 1.0) * w.ln() - w * w / 2.0).exp()
    };
    // The chi distribution's mass lies within ~12 SDs (SD < 0.71) of √(df − ½).
    let centre = (df - 0.5).max(0.0).sqrt();
    let (lo, hi) = ((centre - 9.0).max(0.0), centre + 9.0);
    let steps = 600; // even; the integrand is smooth: 600 Simpson steps agree with scipy to < 1e-8
    let h = (hi - lo) / steps as f64;
    let f = |w: f64| density(w) * normal.cdf(lambda - c * w / df.sqrt());
    let mut sum = f(lo) + f(hi);
    for i in 1..steps {
        let w = lo + i as f64 * h;
        sum += if i % 2 == 1 { 4.0 } else { 2.0 } * f(w);
    }
    (sum * h / 3.0).clamp(0.0, 1.0)
}

/// The critical value of a t-test at level `alpha`.
fn critical(df: f64, alpha: f64, sides: Sides) -> f64 {
    match sides {
        Sides::One => crate::stats::t_inverse_cdf(df, 1.0 - alpha),
        Sides::Two => crate::stats::t_inverse_cdf(df, 1.0 - alpha / 2.0),
    }
}

/// Power of a t-test with `df` degrees of freedom at level `alpha` when the true difference
/// is `lambda` standard errors (in the tested direction). NaN for `df ≤ 0` or `alpha`
/// outside (0, 1).
pub fn t_power(lambda: f64, df: f64, alpha: f64, sides: Sides) -> f64 {
    if !(df > 0.0 && alpha > 0.0 && alpha < 1.0) {
        return f64::NAN;
    }
    let c = critical(df, alpha, sides);
    match sides {
        Sides::One => nct_sf(c, df, lambda),
        // P(T' < −c) = P(−T' > c), and −T' is noncentral t with −λ.
        Sides::Two => nct_sf(c, df, lambda) + nct_sf(c, df, -lambda),
    }
}

/// The noncentrality (difference in standard errors) that a t-test with `df` degrees of
/// freedom at level `alpha` detects with probability `power`; NaN when undefined.
pub fn detectable_lambda(df: f64, alpha: f64, power: f64, sides: Sides) -> f64 {
    if !(df > 0.0 && alpha > 0.0 && alpha < 1.0 && power > 0.0 && power < 1.0) {
        return f64::NAN;
    }
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    while t_power(hi, df, alpha, sides) < power {
        hi *= 2.0;
        if hi > 1e6 {
            return f64::NAN;
        }
    }
    while hi - lo > 1e-9 * hi {
        let mid = (lo + hi) / 2.0;
        if t_power(mid, df, alpha, sides) < power {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

/// A design's standard error of the difference and its degrees of freedom.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Design {
    /// Standard error of the estimated difference.
    pub se: f64,
    /// Degrees of freedom of its t statistic.
    pub df: f64,
}

impl Design {
    /// Paired: `n` pairs whose differences have sample SD `sd`. NaN below 2 pairs.
    pub fn paired(sd: f64, n: usize) -> Design {
        if n < 2 {
            return Design {
                se: f64::NAN,
                df: f64::NAN,
            };
        }
        Design {
            se: sd / (n as f64).sqrt(),
            df: n as f64 - 1.0,
        }
    }

    /// Two independent samples (Welch): SDs and sizes of each. NaN below 2 values a side.
    pub fn welch(sd_a: f64, n_a: usize, sd_b: f64, n_b: usize) -> Design {
        if n_a < 2 || n_b < 2 {
            return Design {
                se: f64::NAN,
                df: f64::NAN,
            };
        }
        let (va, vb) = (sd_a * sd_a / n_a as f64, sd_b * sd_b / n_b as f64);
        let se2 = va + vb;
        let df = if se2 == 0.0 {
            (n_a + n_b - 2) as f64
        } else {
            se2 * se2 / (va * va / (n_a as f64 - 1.0) + vb * vb / (n_b as f64 - 1.0))
        };
        Design { se: se2.sqrt(), df }
    }

    /// The minimum detectable effect: the smallest true difference detected with probability
    /// `power` by the test at level `alpha`, in the data's units. 0 when the standard error
    /// is 0 (any difference is detected); NaN when the design cannot be tested.
    pub fn mde(&self, alpha: f64, power: f64, sides: Sides) -> f64 {
        if self.se == 0.0 && self.df > 0.0 {
            return 0.0;
        }
        detectable_lambda(self.df, alpha, power, sides) * self.se
    }

    /// The half-width of the two-sided `level` confidence interval of the difference.
    pub fn ci_half_width(&self, level: f64) -> f64 {
        if !(self.df > 0.0 && level > 0.0 && level < 1.0) {
            return f64::NAN;
        }
        critical(self.df, 1.0 - level, Sides::Two) * self.se
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// statsmodels 0.15.0:
    /// `TTestPower().solve_power(effect_size=None, nobs=n, alpha=a, power=0.8,
    /// alternative=alt)` (`'two-sided'` or `'larger'`) — the effect in SDs of the differences for a paired/one-sample test.
    const PAIRED: [(usize, f64, Sides, f64); 6] = [
        (3, 0.05, Sides::Two, 3.2640436),
        (5, 0.05, Sides::Two, 1.6819971),
        (10, 0.05, Sides::Two, 0.9960019),
        (30, 0.0125, Sides::Two, 0.6447181),
        (5, 0.05, Sides::One, 1.3594173),
        (10, 0.01, Sides::One, 1.1852809),
    ];

    #[test]
    fn paired_mde_matches_statsmodels() {
        for (n, alpha, sides, effect) in PAIRED {
            let d = Design::paired(1.0, n);
            let got = d.mde(alpha, 0.8, sides);
            assert!(
                (got - effect).abs() < 2e-5 * effect,
                "n={n} alpha={alpha} {sides:?}: {got} vs {effect}"
            );
        }
    }

    /// statsmodels 0.15.0: `TTestIndPower().solve_power(effect_size=None, nobs1=n,
    /// ratio=1, alpha=a, power=0.8, alternative='two-sided')` (pooled SD 1; equal SDs and
    /// sizes make Welch's df the pooled 2n − 2).
    #[test]
    fn two_sample_mde_matches_statsmodels() {
        for (n, alpha, effect) in [
            (3, 0.05, 3.0708923),
            (10, 0.05, 1.3249474),
            (10, 0.01, 1.6861053),
        ] {
            let d = Design::welch(1.0, n, 1.0, n);
            let got = d.mde(alpha, 0.8, Sides::Two);
            assert!(
                (got - effect).abs() < 2e-5 * effect,
                "n={n}: {got} vs {effect}"
            );
        }
    }

    /// scipy 1.17.1: `scipy.stats.nct.sf(c, df, nc)`.
    #[test]
    fn noncentral_t_tail_matches_scipy() {
        for (c, df, nc, sf) in [
            (2.0, 1.0, 0.5, 0.2515144),
            (2.776, 4.0, 3.0, 0.6193777),
            (1.5, 20.0, -1.0, 0.0078286),
            (2.0, 200.0, 2.5, 0.6914674),
        ] {
            let got = nct_sf(c, df, nc);
            assert!(
                (got - sf).abs() < 2e-6,
                "c={c} df={df} nc={nc}: {got} vs {sf}"
            );
        }
    }

    /// t quantiles where statrs 0.18's inversion fails or drifts (above ~16,800 df), against
    /// mpmath 1.3.0 at 40 digits (the root of the regularized incomplete beta function):
    /// `findroot(lambda t: tcdf(t, df) - p, z)`.
    #[test]
    fn t_quantiles_hold_at_large_df() {
        for (df, p, want) in [
            (109_810.0, 0.975, 1.959985588191),
            (16_812.312_482_905_37, 0.95, 1.644944266096),
            (1000.0, 0.975, 1.962339080826),
            (1000.5, 0.99999, 4.285427370836),
            (1e6, 0.99, 2.326351603121),
            (2000.0, 0.0125, -2.243091695962),
        ] {
            let got = crate::stats::t_inverse_cdf(df, p);
            assert!((got - want).abs() < 1e-9, "df {df} p {p}: {got} vs {want}");
        }
        assert!(crate::stats::t_inverse_cdf(0.0, 0.5).is_nan());
        assert!(crate::stats::t_inverse_cdf(5.0, 1.0).is_nan());
    }

    /// At many seeds the two-sample MDE approaches its normal limit
    /// `(z₁₋α/₂ + z₀.₈)·SD·√(2/n)` from above (issue 27: 54,906 seeds a side gave an MDE of
    /// 0, from a broken t quantile at 109,810 df).
    #[test]
    fn mde_at_many_seeds_is_the_normal_limit() {
        let z = 1.959_963_984_540_054 + 0.841_621_233_572_914_2;
        for n in [1000, 10_000, 54_906, 100_000] {
            let got = Design::welch(5.28, n, 5.28, n).mde(0.05, 0.8, Sides::Two);
            let normal = z * 5.28 * (2.0 / n as f64).sqrt();
            assert!(
                got >= normal && got < normal * 1.002,
                "n={n}: {got} vs {normal}"
            );
        }
    }

    #[test]
    fn degenerate_designs() {
        assert!(Design::paired(1.0, 1).mde(0.05, 0.8, Sides::Two).is_nan());
        assert_eq!(Design::paired(0.0, 5).mde(0.05, 0.8, Sides::Two), 0.0);
        assert!(Design::welch(1.0, 1, 1.0, 5).se.is_nan());
    }
}
