//! Descriptive statistics: [`summarize`] and the single-number helpers it is built from.

use serde::{Deserialize, Serialize};

use super::drop_nan;

/// Descriptive summary of one sample, as produced by [`summarize`].
///
/// All statistics are computed on the non-NaN values only; `n` counts those and `n_nan`
/// counts the NaNs that were dropped.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of non-NaN values used.
    pub n: usize,
    /// Number of NaN values dropped from the input.
    pub n_nan: usize,
    /// Confidence level of `[ci_low, ci_high]` (e.g. 0.95), as passed in.
    #[serde(deserialize_with = "crate::jsonfloat::deserialize")]
    pub level: f64,
    /// Arithmetic mean. NaN when `n == 0`.
    #[serde(deserialize_with = "crate::jsonfloat::deserialize")]
    pub mean: f64,
    /// Sample standard deviation with the `n − 1` denominator. NaN when `n < 2`.
    #[serde(deserialize_with = "crate::jsonfloat::deserialize")]
    pub sd: f64,
    /// Standard error of the mean, `sd / √n`. NaN when `n < 2`.
    #[serde(deserialize_with = "crate::jsonfloat::deserialize")]
    pub sem: f64,
    /// Lower end of the Student-t confidence interval for the mean.
    #[serde(deserialize_with = "crate::jsonfloat::deserialize")]
    pub ci_low: f64,
    /// Upper end of the Student-t confidence interval for the mean.
    #[serde(deserialize_with = "crate::jsonfloat::deserialize")]
    pub ci_high: f64,
    /// Median (mean of the two middle values for even `n`). NaN when `n == 0`.
    #[serde(deserialize_with = "crate::jsonfloat::deserialize")]
    pub median: f64,
    /// Interquartile mean; see [`iqm`]. NaN when `n == 0`.
    #[serde(deserialize_with = "crate::jsonfloat::deserialize")]
    pub iqm: f64,
    /// Smallest value. NaN when `n == 0`.
    #[serde(deserialize_with = "crate::jsonfloat::deserialize")]
    pub min: f64,
    /// Largest value. NaN when `n == 0`.
    #[serde(deserialize_with = "crate::jsonfloat::deserialize")]
    pub max: f64,
}

/// Summarizes a sample: count, mean, sd, sem, Student-t CI, median, IQM, min and max.
///
/// The confidence interval is `mean ± t·sem` with `t` the `(1 + level)/2` quantile of
/// Student's t with `n − 1` degrees of freedom (`stats::t_inverse_cdf`), matching
/// `scipy.stats.t.interval(level, n-1, loc=mean, scale=sem)`.
///
/// Edge cases (never panics):
/// * NaN values are dropped and counted in [`Summary::n_nan`].
/// * `n == 0`: every statistic is NaN.
/// * `n == 1`: mean, median, IQM, min and max equal the value; sd, sem and the CI are NaN.
/// * Zero variance (`n ≥ 2`, all values equal): sd = sem = 0 and the CI is `[mean, mean]`.
/// * `level` outside the open interval `(0, 1)` (or NaN): the CI is `(NaN, NaN)`.
pub fn summarize(xs: &[f64], level: f64) -> Summary {
    let mut v = drop_nan(xs);
    let n_nan = xs.len() - v.len();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let mean = mean_of(&v);
    let sd = var_of(&v).sqrt();
    let sem = sd / (n as f64).sqrt();
    let (ci_low, ci_high) = match t_quantile(level, n) {
        Some(t) if sem.is_finite() => (mean - t * sem, mean + t * sem),
        _ => (f64::NAN, f64::NAN),
    };
    Summary {
        n,
        n_nan,
        level,
        mean,
        sd,
        sem,
        ci_low,
        ci_high,
        median: quantile_sorted(&v, 0.5),
        iqm: iqm_sorted(&v),
        min: v.first().copied().unwrap_or(f64::NAN),
        max: v.last().copied().unwrap_or(f64::NAN),
    }
}

/// The `(1 + level)/2` quantile of Student's t with `n − 1` df, or `None` when `n < 2` or
/// `level ∉ (0, 1)`.
fn t_quantile(level: f64, n: usize) -> Option<f64> {
    if n < 2 || !(level > 0.0 && level < 1.0) {
        return None;
    }
    Some(super::t_inverse_cdf((n - 1) as f64, (1.0 + level) / 2.0))
}

/// Arithmetic mean of the non-NaN values of `xs`; NaN if there are none.
pub fn mean(xs: &[f64]) -> f64 {
    mean_of(&drop_nan(xs))
}

/// Sample variance (denominator `n − 1`) of the non-NaN values of `xs`; NaN if fewer than 2.
pub fn sample_variance(xs: &[f64]) -> f64 {
    var_of(&drop_nan(xs))
}

/// Median of the non-NaN values of `xs` (mean of the two middle values for an even count);
/// NaN if there are none. Equals `numpy.median` on the same values.
pub fn median(xs: &[f64]) -> f64 {
    quantile(xs, 0.5)
}

/// Interquartile mean (IQM) of the non-NaN values of `xs`: the 25 % trimmed mean.
///
/// Precisely: sort the `n` values, let `k = ⌊n/4⌋`, drop the `k` smallest and the `k`
/// largest, and average the remaining `n − 2k`. This is exactly
/// `scipy.stats.trim_mean(x, 0.25)` (the definition rliable uses for IQM). For `n < 4`
/// nothing is trimmed and the IQM is the mean. NaN if there are no values.
pub fn iqm(xs: &[f64]) -> f64 {
    let mut v = drop_nan(xs);
    v.sort_by(f64::total_cmp);
    iqm_sorted(&v)
}

/// The `q`-quantile (`0 ≤ q ≤ 1`) of the non-NaN values of `xs` by linear interpolation
/// between order statistics (Hyndman–Fan type 7, numpy's default `method='linear'`):
/// position `h = (n − 1)·q`, result `x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋])`.
///
/// NaN if there are no values or `q` is outside `[0, 1]` or NaN.
pub fn quantile(xs: &[f64], q: f64) -> f64 {
    let mut v = drop_nan(xs);
    v.sort_by(f64::total_cmp);
    quantile_sorted(&v, q)
}

/// Mean of a NaN-free slice; NaN when empty.
pub(crate) fn mean_of(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.iter().sum::<f64>() / v.len() as f64
}

/// Two-pass sample variance (`n − 1`) of a NaN-free slice; NaN when `n < 2`.
pub(crate) fn var_of(v: &[f64]) -> f64 {
    if v.len() < 2 {
        return f64::NAN;
    }
    let m = mean_of(v);
    v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64
}

/// Type-7 quantile of a sorted NaN-free slice.
pub(crate) fn quantile_sorted(v: &[f64], q: f64) -> f64 {
    if v.is_empty() || !(0.0..=1.0).contains(&q) {
        return f64::NAN;
    }
    let h = (v.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    let frac = h - lo as f64;
    if frac == 0.0 {
        v[lo]
    } else {
        v[lo] + frac * (v[hi] - v[lo])
    }
}

/// IQM of a sorted NaN-free slice.
fn iqm_sorted(v: &[f64]) -> f64 {
    let k = v.len() / 4;
    mean_of(&v[k..v.len() - k])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::testutil::assert_rel;

    const A1: [f64; 5] = [0.812, 0.797, 0.825, 0.804, 0.819];
    const A2: [f64; 8] = [12.3, 15.1, 9.8, 14.4, 11.0, 13.7, 10.5, 16.2];
    const S3: [f64; 11] = [3.1, 2.7, 100.0, 2.9, 3.3, -50.0, 3.0, 2.8, 3.2, 3.05, 2.95];

    /// Relative tolerance for anything through statrs' `StudentsT::inverse_cdf`: against
    /// `scipy.stats.t.ppf` its worst relative error was 3.5e-13 over df ∈ {1,2,3,4,9,29,99,999}
    /// × level ∈ {0.5,0.8,0.95,0.99,0.999} (checked during development), so 1e-11 has margin.
    /// Closed forms (mean, sd, median, IQM) are held to 1e-12.
    const CI_TOL: f64 = 1e-11;

    #[allow(clippy::too_many_arguments)]
    fn check(
        xs: &[f64],
        mean: f64,
        sd: f64,
        sem: f64,
        med: f64,
        iqm: f64,
        ci95: (f64, f64),
        ci90: (f64, f64),
    ) {
        let s = summarize(xs, 0.95);
        assert_eq!(s.n, xs.len());
        assert_eq!(s.n_nan, 0);
        assert_rel(s.mean, mean, 1e-12);
        assert_rel(s.sd, sd, 1e-12);
        assert_rel(s.sem, sem, 1e-12);
        assert_rel(s.median, med, 1e-12);
        assert_rel(s.iqm, iqm, 1e-12);
        assert_rel(s.ci_low, ci95.0, CI_TOL);
        assert_rel(s.ci_high, ci95.1, CI_TOL);
        let s = summarize(xs, 0.90);
        assert_rel(s.ci_low, ci90.0, CI_TOL);
        assert_rel(s.ci_high, ci90.1, CI_TOL);
    }

    // numpy 2.4.6 / scipy 1.17.1:
    //   x.mean(), x.std(ddof=1), stats.sem(x), np.median(x), stats.trim_mean(x, 0.25),
    //   stats.t.interval(level, n-1, loc=x.mean(), scale=stats.sem(x))
    #[test]
    fn summary_a1_n5() {
        check(
            &A1,
            0.8114000000000001,
            0.011238327277668997,
            0.0050259327492516055,
            0.812,
            0.8116666666666666,
            (0.7974457736192873, 0.825354226380713),
            (0.8006854814202142, 0.822114518579786),
        );
        let s = summarize(&A1, 0.95);
        assert_eq!((s.min, s.max), (0.797, 0.825));
    }

    #[test]
    fn summary_a2_n8_even() {
        check(
            &A2,
            12.875,
            2.328549517863611,
            0.8232665772050125,
            13.0,
            12.85,
            (10.928283886015244, 14.821716113984756),
            (11.315256756541704, 14.434743243458296),
        );
    }

    #[test]
    fn summary_s3_outliers_n11() {
        // trim_mean cuts int(0.25*11) = 2 from each end, removing both outliers.
        check(
            &S3,
            7.0,
            34.701995619848724,
            10.463045358872252,
            3.0,
            3.0,
            (-16.313117874197932, 30.313117874197932),
            (-11.963862939171104, 25.963862939171094),
        );
        let s = summarize(&S3, 0.95);
        assert_eq!((s.min, s.max), (-50.0, 100.0));
    }

    #[test]
    fn t_quantile_matches_scipy_ppf() {
        // scipy 1.17.1: stats.t.ppf((1+lvl)/2, df)
        let cases = [
            (0.95, 5, 2.7764451051977934),
            (0.90, 5, 2.1318467863266495),
            (0.95, 8, 2.364624251592784),
            (0.90, 8, 1.8945786050900062),
            (0.95, 11, 2.228138851986274),
            (0.90, 11, 1.8124611228116756),
        ];
        for (level, n, want) in cases {
            assert_rel(t_quantile(level, n).unwrap(), want, CI_TOL);
        }
    }

    #[test]
    fn nan_is_dropped_and_counted() {
        // numpy: np.nanmean([1, nan, 2, 4, nan, 8]) -> 3.75, np.nanmedian -> 3.0
        let s = summarize(&[1.0, f64::NAN, 2.0, 4.0, f64::NAN, 8.0], 0.95);
        assert_eq!((s.n, s.n_nan), (4, 2));
        assert_eq!(s.mean, 3.75);
        assert_eq!(s.median, 3.0);
        assert_eq!(s.iqm, 3.0); // k = 1: mean of [2, 4]
        assert_eq!((s.min, s.max), (1.0, 8.0));
        assert!(s.ci_low.is_finite() && s.ci_high.is_finite());
    }

    #[test]
    fn empty_single_constant_and_bad_level() {
        let s = summarize(&[], 0.95);
        assert_eq!((s.n, s.n_nan), (0, 0));
        for v in [
            s.mean, s.sd, s.sem, s.ci_low, s.ci_high, s.median, s.iqm, s.min, s.max,
        ] {
            assert!(v.is_nan());
        }
        let s = summarize(&[f64::NAN, f64::NAN], 0.95);
        assert_eq!((s.n, s.n_nan), (0, 2));
        assert!(s.mean.is_nan());

        let s = summarize(&[2.5], 0.95);
        assert_eq!(
            (s.mean, s.median, s.iqm, s.min, s.max),
            (2.5, 2.5, 2.5, 2.5, 2.5)
        );
        assert!(s.sd.is_nan() && s.sem.is_nan() && s.ci_low.is_nan() && s.ci_high.is_nan());

        let s = summarize(&[4.0; 6], 0.95);
        assert_eq!((s.sd, s.sem, s.ci_low, s.ci_high), (0.0, 0.0, 4.0, 4.0));

        for level in [0.0, 1.0, -0.5, 1.5, f64::NAN] {
            let s = summarize(&A1, level);
            assert!(s.ci_low.is_nan() && s.ci_high.is_nan(), "level {level}");
            assert!(s.mean.is_finite());
        }
    }

    #[test]
    fn helpers_and_quantile() {
        // numpy: np.quantile(A2, [0, 0.1, 0.25, 0.9, 1]) (method='linear')
        //   -> [9.8, 10.29, 10.875, 15.43, 16.2]
        let want = [
            (0.0, 9.8),
            (0.1, 10.29),
            (0.25, 10.875),
            (0.9, 15.43),
            (1.0, 16.2),
        ];
        for (q, w) in want {
            assert_rel(quantile(&A2, q), w, 1e-12);
        }
        assert!(quantile(&A2, 1.5).is_nan() && quantile(&[], 0.5).is_nan());
        assert_rel(mean(&A2), 12.875, 1e-12);
        assert_rel(sample_variance(&A2), 2.328549517863611f64.powi(2), 1e-12);
        assert!(sample_variance(&[1.0]).is_nan());
        assert_eq!(median(&[3.0, 1.0, f64::NAN, 2.0]), 2.0);
        assert_eq!(iqm(&[1.0, 2.0, 3.0]), 2.0);
        assert_eq!(iqm(&[f64::NEG_INFINITY, 1.0, 2.0, f64::INFINITY]), 1.5);
    }

    /// Seeded simulation: 2,000 samples of n = 10 from N(5, 2²); the 95 % t-interval must
    /// cover the true mean 5 in 93–97 % of them (binomial sd of the rate is ~0.5 %, so this
    /// is a ±4 sd band; the seed makes it deterministic).
    #[test]
    fn t_interval_coverage_simulation() {
        use rand::SeedableRng;
        use rand_chacha::ChaCha8Rng;
        use rand_distr::{Distribution, Normal};

        let mut rng = ChaCha8Rng::seed_from_u64(20_240_601);
        let normal = Normal::new(5.0, 2.0).unwrap();
        let draws = 2000;
        let covered = (0..draws)
            .filter(|_| {
                let xs: Vec<f64> = (0..10).map(|_| normal.sample(&mut rng)).collect();
                let s = summarize(&xs, 0.95);
                s.ci_low <= 5.0 && 5.0 <= s.ci_high
            })
            .count();
        // This seed gives 94.6 % coverage.
        let rate = covered as f64 / draws as f64;
        assert!((0.93..=0.97).contains(&rate), "coverage {rate}");
    }

    #[test]
    fn serde_round_trip_with_nan() {
        let s = summarize(&[2.5], 0.95);
        let json = serde_json::to_string(&s).unwrap();
        let back: Summary = serde_json::from_str(&json).unwrap();
        assert_eq!(back.n, 1);
        assert_eq!(back.mean, 2.5);
        assert!(back.sd.is_nan() && back.ci_low.is_nan());
    }
}
