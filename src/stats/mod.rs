//! Pure statistics on `&[f64]`: descriptive summaries, two-sample and paired tests, effect
//! sizes, multiple-comparison correction, a seeded bootstrap, the two-way repeated-measures
//! ANOVA ([`rm_anova_two_way`]), intervals for the size of a difference ([`paired_diff_ci`],
//! [`welch_diff_ci`], [`log_ratio_ci`]) and for a positive mean ([`lognormal_mean_ci`]), the power and minimum detectable effect of t-tests
//! ([`power`]) and the peak of a response curve with the slope of that peak
//! across a second factor ([`peak_scaling`]).
//!
//! This module knows nothing about trials, files or I/O; every function takes plain slices.
//!
//! # Conventions shared by every function
//!
//! * **NaN is missing data.** NaN inputs are dropped before computing (like scipy's
//!   `nan_policy='omit'`); [`summarize`] reports how many were dropped in
//!   [`Summary::n_nan`]. In [`paired_t_test`] a pair is dropped when *either* member is NaN.
//!   In [`holm`] a NaN p-value is left out of the family and its adjusted value is NaN.
//! * **Infinities are data.** `±inf` is kept and propagates by IEEE arithmetic (a mean may
//!   become infinite or NaN); rank-based results ([`prob_superiority`], medians, min/max)
//!   handle infinities as ordinary ordered values.
//! * **Too little data gives NaN, never a panic.** Each function documents the minimum sample
//!   size it needs; below it the affected outputs are NaN.
//! * **Confidence levels** must lie strictly inside `(0, 1)`; otherwise the interval is
//!   `(NaN, NaN)`.
//! * **Zero variance** is resolved by the limit of the statistic: equal centres give a
//!   statistic of 0 and a p-value of 1, different centres give `±inf` and a p-value of 0 (see
//!   [`welch_test`], [`paired_t_test`], [`hedges_g`]).
//! * Result structs derive `Serialize`/`Deserialize`. `serde_json` writes non-finite numbers
//!   as `null`; our `Deserialize` impls read `null` back as NaN so reports round-trip (an
//!   infinity comes back as NaN).
//!
//! Reference values in the unit tests come from scipy 1.17.1, statsmodels 0.15.0, numpy 2.4.6
//! and pingouin 0.7.0; each test names the call that produced its numbers
//! (scripts/stats_reference.py, scripts/anova_reference.py).

mod anova;
mod bootstrap;
mod effect;
mod hypothesis;
mod interval;
mod multiple;
mod peak;
pub mod power;
pub mod scaling_rules;
mod summary;

pub(crate) use anova::complete_rows;
pub use anova::{AnovaTerm, RmAnova, rm_anova_two_way};
pub use bootstrap::{bootstrap_mean_ci, bootstrap_mean_diff_ci};
pub use effect::{hedges_correction, hedges_g, prob_superiority};
pub use hypothesis::{TestResult, paired_t_test, welch_test};
pub use interval::{Estimate, log_ratio_ci, lognormal_mean_ci, paired_diff_ci, welch_diff_ci};
pub use multiple::holm;
pub use peak::{
    Peak, PeakEstimate, PeakOptions, PeakScaling, RaggedCell, Replicates, peak_scaling,
    peak_scaling_ragged, quadratic_peak,
};
pub use summary::{Summary, iqm, mean, median, quantile, sample_variance, summarize};

/// Errors for calls whose inputs are structurally wrong (as opposed to merely degenerate data,
/// which yields NaN results instead).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatsError {
    /// A paired computation received slices of different lengths.
    #[error("paired samples must have equal length, got {left} and {right}")]
    LengthMismatch {
        /// Length of the first slice.
        left: usize,
        /// Length of the second slice.
        right: usize,
    },
    /// A table of `subjects × cells` values received a length that is not a whole number of
    /// subjects.
    #[error("expected whole subjects of {cells} cells, got {len} values")]
    Shape {
        /// Length of the slice.
        len: usize,
        /// Cells per subject.
        cells: usize,
    },
}

/// Copies the non-NaN values of `xs`.
pub(crate) fn drop_nan(xs: &[f64]) -> Vec<f64> {
    xs.iter().copied().filter(|x| !x.is_nan()).collect()
}

/// Two-sided p-value of a t statistic with `df` degrees of freedom: `2·P(T ≤ −|t|)`.
///
/// Computed from the lower tail directly (statrs evaluates it as a regularized incomplete
/// beta function), so small p-values keep full relative precision. Returns NaN when `t` or
/// `df` is NaN or `df ≤ 0`, 0 when `|t|` is infinite.
pub(crate) fn t_two_sided_p(t: f64, df: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if t.is_infinite() {
        return 0.0;
    }
    match StudentsT::new(0.0, 1.0, df) {
        Ok(dist) => (2.0 * dist.cdf(-t.abs())).min(1.0),
        Err(_) => f64::NAN,
    }
}

/// Degrees of freedom above which [`t_inverse_cdf`] uses the Cornish–Fisher expansion.
const T_EXPANSION_DF: f64 = 1000.0;

/// The `p` quantile of Student's t with `df` degrees of freedom; NaN for `df ≤ 0` or `p`
/// outside (0, 1).
///
/// Up to 1000 df this is statrs' `StudentsT::inverse_cdf` (an inverse regularized incomplete
/// beta). Above, that inversion loses accuracy and at some df fails outright (statrs 0.18 gives
/// 0.097 for the 0.975 quantile at 109,810 df, where the answer is 1.95999), so the quantile is
/// the Cornish–Fisher expansion around the normal quantile `z` (Abramowitz & Stegun 26.7.5, four
/// terms in 1/df): its first omitted term is below 1e-12 at 1000 df for any `p` a test uses.
pub(crate) fn t_inverse_cdf(df: f64, p: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal, StudentsT};
    if !(df > 0.0 && p > 0.0 && p < 1.0) {
        return f64::NAN;
    }
    if df <= T_EXPANSION_DF {
        return match StudentsT::new(0.0, 1.0, df) {
            Ok(t) => t.inverse_cdf(p),
            Err(_) => f64::NAN,
        };
    }
    let z = Normal::new(0.0, 1.0)
        .expect("standard normal")
        .inverse_cdf(p);
    let (z2, v) = (z * z, df);
    let g1 = z * (z2 + 1.0) / 4.0;
    let g2 = z * ((5.0 * z2 + 16.0) * z2 + 3.0) / 96.0;
    let g3 = z * (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) / 384.0;
    let g4 = z * ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) / 92160.0;
    z + g1 / v + g2 / (v * v) + g3 / (v * v * v) + g4 / (v * v * v * v)
}

/// Shared helpers for the unit tests.
#[cfg(test)]
pub(crate) mod testutil {
    /// Asserts `|got − want| ≤ rel·max(|want|, 1e-300)`, with a readable message.
    #[track_caller]
    pub fn assert_rel(got: f64, want: f64, rel: f64) {
        let tol = rel * want.abs().max(1e-300);
        assert!(
            (got - want).abs() <= tol,
            "got {got:e}, want {want:e} (rel tol {rel:e}, rel err {:e})",
            ((got - want) / want).abs()
        );
    }
}
