//! Judging a new set of measurements against a baseline: significant *and* large enough.
//!
//! Generic over what is measured: each compared item is an id with its old and new samples
//! (per-iteration times of a benchmark, or per-seed accuracies of a configuration). A
//! [`Rule`] says which direction is worse, how large a change must be to matter, and the
//! significance level.
//!
//! # ChangeVerdict rules
//!
//! For each item, `diff = mean(new) − mean(old)`; it is *worse* when it goes in the
//! rule's worse direction (slower for times, lower for accuracy). Its *size* is `|diff|`
//! measured against the threshold: as a fraction of `mean(old)` for
//! [`Threshold::Relative`], in the samples' own units for [`Threshold::Absolute`].
//! Significance is Welch's t-test on the two samples, with the p-values Holm-adjusted
//! across all items compared together; *significant* means adjusted `p ≤ alpha`.
//!
//! | significant | direction | size ≥ threshold | verdict |
//! |---|---|---|---|
//! | no  | any    | any | [`ChangeVerdict::NoChange`] |
//! | yes | better | yes | [`ChangeVerdict::Improved`] (`faster`) |
//! | yes | better | no  | [`ChangeVerdict::SlightlyBetter`] (`slightly faster`) |
//! | yes | worse  | no  | [`ChangeVerdict::SlightlyWorse`] (`slower`) |
//! | yes | worse  | yes | [`ChangeVerdict::Regressed`] (`regressed`) |
//!
//! Only [`ChangeVerdict::Regressed`] fails a check. A large change that is not significant (too
//! noisy, too few samples) is `no change`: the data cannot tell it from noise. A
//! significant change smaller than the threshold is reported but does not fail: with many
//! samples, tiny real differences become significant without mattering. Items with fewer
//! than two samples on either side get a NaN p-value, are left out of the Holm family, and
//! are `no change`.

use crate::stats::{bootstrap_mean_diff_ci, holm, mean, welch_test};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Which way is worse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Larger values are worse (times).
    HigherIsWorse,
    /// Smaller values are worse (accuracy).
    LowerIsWorse,
}

/// How large a change must be to matter.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Threshold {
    /// A fraction of the old mean (0.05 = 5%).
    Relative(f64),
    /// An amount in the samples' units (0.5 accuracy points).
    Absolute(f64),
}

/// The parameters of a comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    /// Which way is worse.
    pub direction: Direction,
    /// The practical threshold.
    pub threshold: Threshold,
    /// Family-wise significance level for the Holm-adjusted p-values.
    pub alpha: f64,
    /// Confidence level of the bootstrap interval of the difference (0.95).
    pub ci_level: f64,
    /// Bootstrap resamples.
    pub resamples: usize,
    /// Bootstrap seed (fixed, so a report is reproducible).
    pub seed: u64,
}

impl Rule {
    /// The rule for timings: slower is worse, `threshold_pct` percent of the old mean.
    pub fn timing(threshold_pct: f64, alpha: f64) -> Rule {
        Rule {
            direction: Direction::HigherIsWorse,
            threshold: Threshold::Relative(threshold_pct / 100.0),
            alpha,
            ci_level: 0.95,
            resamples: 10_000,
            seed: 0,
        }
    }
}

/// The outcome for one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeVerdict {
    /// Significantly better by at least the threshold.
    Improved,
    /// Significantly better, but by less than the threshold.
    SlightlyBetter,
    /// Not significantly different.
    NoChange,
    /// Significantly worse, but by less than the threshold.
    SlightlyWorse,
    /// Significantly worse by at least the threshold: fails a check.
    Regressed,
}

impl ChangeVerdict {
    /// The word shown in reports: timing words for [`Direction::HigherIsWorse`]
    /// (`faster`, `slightly faster`, `no change`, `slower`, `regressed`), accuracy words
    /// otherwise (`improved`, `slightly better`, `no change`, `slightly worse`, `regressed`).
    pub fn label(self, direction: Direction) -> &'static str {
        let time = direction == Direction::HigherIsWorse;
        match self {
            ChangeVerdict::Improved if time => "faster",
            ChangeVerdict::Improved => "improved",
            ChangeVerdict::SlightlyBetter if time => "slightly faster",
            ChangeVerdict::SlightlyBetter => "slightly better",
            ChangeVerdict::NoChange => "no change",
            ChangeVerdict::SlightlyWorse if time => "slower",
            ChangeVerdict::SlightlyWorse => "slightly worse",
            ChangeVerdict::Regressed => "regressed",
        }
    }
}

/// One compared item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The item's id.
    pub id: String,
    /// Old samples used (non-NaN).
    pub n_old: usize,
    /// New samples used (non-NaN).
    pub n_new: usize,
    /// Mean of the old samples.
    pub old_mean: f64,
    /// Mean of the new samples.
    pub new_mean: f64,
    /// `new_mean − old_mean`.
    pub diff: f64,
    /// `diff / old_mean`.
    pub rel_diff: f64,
    /// Bootstrap confidence interval of `mean(new) − mean(old)` at [`Rule::ci_level`].
    pub ci: (f64, f64),
    /// Welch p-value before adjustment.
    pub p: f64,
    /// Holm-adjusted p-value.
    pub p_holm: f64,
    /// The verdict.
    pub verdict: ChangeVerdict,
}

impl Change {
    /// The confidence interval as fractions of the old mean.
    pub fn rel_ci(&self) -> (f64, f64) {
        (self.ci.0 / self.old_mean, self.ci.1 / self.old_mean)
    }
}

/// The verdict for one item from its adjusted p-value and mean difference.
pub fn verdict(rule: &Rule, p_holm: f64, old_mean: f64, diff: f64) -> ChangeVerdict {
    let significant = p_holm <= rule.alpha; // false for NaN
    if !significant {
        return ChangeVerdict::NoChange;
    }
    let worse = match rule.direction {
        Direction::HigherIsWorse => diff > 0.0,
        Direction::LowerIsWorse => diff < 0.0,
    };
    let large = match rule.threshold {
        Threshold::Relative(t) => (diff / old_mean).abs() >= t,
        Threshold::Absolute(t) => diff.abs() >= t,
    };
    match (worse, large) {
        (true, true) => ChangeVerdict::Regressed,
        (true, false) => ChangeVerdict::SlightlyWorse,
        (false, true) => ChangeVerdict::Improved,
        (false, false) => ChangeVerdict::SlightlyBetter,
    }
}

/// Compares every `(id, old samples, new samples)`, in the order given, with Welch's test,
/// Holm's adjustment across all of them, a bootstrap interval and the verdict rules of this
/// module.
pub fn compare<I, K, A, B>(items: I, rule: &Rule) -> Vec<Change>
where
    I: IntoIterator<Item = (K, A, B)>,
    K: Into<String>,
    A: AsRef<[f64]>,
    B: AsRef<[f64]>,
{
    let mut rows: Vec<Change> = items
        .into_iter()
        .map(|(id, old, new)| {
            let (old, new) = (old.as_ref(), new.as_ref());
            let (old_mean, new_mean) = (mean(old), mean(new));
            let diff = new_mean - old_mean;
            Change {
                id: id.into(),
                n_old: old.iter().filter(|x| !x.is_nan()).count(),
                n_new: new.iter().filter(|x| !x.is_nan()).count(),
                old_mean,
                new_mean,
                diff,
                rel_diff: diff / old_mean,
                ci: bootstrap_mean_diff_ci(new, old, rule.ci_level, rule.resamples, rule.seed),
                p: welch_test(new, old).p_value,
                p_holm: f64::NAN,
                verdict: ChangeVerdict::NoChange,
            }
        })
        .collect();
    let raw: Vec<f64> = rows.iter().map(|r| r.p).collect();
    for (row, p_holm) in rows.iter_mut().zip(holm(&raw)) {
        row.p_holm = p_holm;
        row.verdict = verdict(rule, p_holm, row.old_mean, row.diff);
    }
    rows
}

/// Any failure to read either side of a comparison makes it invalid (exit 2).
pub fn invalid(e: Error) -> Error {
    match e {
        Error::Usage(_) => e,
        other => Error::Usage(format!("cannot compare: {other}")),
    }
}

/// Checks a gate's practical threshold (≥ 0, in `unit`) and family-wise significance level
/// (strictly between 0 and 1).
pub fn check_gate(threshold: f64, alpha: f64, unit: &str) -> Result<()> {
    if !(threshold >= 0.0 && threshold.is_finite()) {
        return Err(Error::Usage(format!("--threshold must be ≥ 0 {unit}")));
    }
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(Error::Usage(
            "--alpha must lie strictly between 0 and 1".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-noise in [-1, 1].
    fn noise(i: usize, salt: u64) -> f64 {
        let x = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ salt.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        let x = (x ^ (x >> 31)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((x >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }

    fn sample(n: usize, centre: f64, spread: f64, salt: u64) -> Vec<f64> {
        (0..n).map(|i| centre + spread * noise(i, salt)).collect()
    }

    fn one(old: &[f64], new: &[f64], rule: &Rule) -> Change {
        compare([("x", old, new)], rule).remove(0)
    }

    #[test]
    fn verdict_table() {
        let r = Rule::timing(5.0, 0.05);
        assert_eq!(verdict(&r, 0.01, 1.0, 0.10), ChangeVerdict::Regressed);
        assert_eq!(verdict(&r, 0.01, 1.0, 0.05), ChangeVerdict::Regressed);
        assert_eq!(verdict(&r, 0.01, 1.0, 0.02), ChangeVerdict::SlightlyWorse);
        assert_eq!(verdict(&r, 0.01, 1.0, -0.02), ChangeVerdict::SlightlyBetter);
        assert_eq!(verdict(&r, 0.01, 1.0, -0.10), ChangeVerdict::Improved);
        assert_eq!(verdict(&r, 0.2, 1.0, 0.50), ChangeVerdict::NoChange);
        assert_eq!(verdict(&r, f64::NAN, 1.0, 0.50), ChangeVerdict::NoChange);
        let acc = Rule {
            direction: Direction::LowerIsWorse,
            threshold: Threshold::Absolute(0.5),
            ..r
        };
        assert_eq!(verdict(&acc, 0.01, 80.0, -0.6), ChangeVerdict::Regressed);
        assert_eq!(
            verdict(&acc, 0.01, 80.0, -0.3),
            ChangeVerdict::SlightlyWorse
        );
        assert_eq!(verdict(&acc, 0.01, 80.0, 0.6), ChangeVerdict::Improved);
        assert_eq!(
            ChangeVerdict::Regressed.label(Direction::LowerIsWorse),
            "regressed"
        );
        assert_eq!(
            ChangeVerdict::SlightlyWorse.label(Direction::HigherIsWorse),
            "slower"
        );
        assert_eq!(
            ChangeVerdict::Improved.label(Direction::LowerIsWorse),
            "improved"
        );
    }

    #[test]
    fn significant_but_small_is_not_a_regression() {
        // 2% slower with 0.1% noise and 50 samples: overwhelmingly significant, below 5%.
        let old = sample(50, 1.0, 0.001, 1);
        let new = sample(50, 1.02, 0.001, 2);
        let c = one(&old, &new, &Rule::timing(5.0, 0.05));
        assert!(c.p_holm < 1e-10, "{c:?}");
        assert_eq!(c.verdict, ChangeVerdict::SlightlyWorse);
        assert!((c.rel_diff - 0.02).abs() < 1e-3);
        let (lo, hi) = c.rel_ci();
        assert!(lo > 0.0 && lo < 0.02 && hi > 0.02 && hi < 0.05, "{lo} {hi}");
    }

    #[test]
    fn large_but_noisy_is_not_a_regression() {
        // 30% slower on average, but ±80% noise and 4 samples: not significant.
        let old = sample(4, 1.0, 0.8, 3);
        let new: Vec<f64> = sample(4, 1.0, 0.8, 4).iter().map(|x| x + 0.3).collect();
        let c = one(&old, &new, &Rule::timing(5.0, 0.05));
        assert!(c.rel_diff.abs() > 0.05, "{c:?}");
        assert!(c.p_holm > 0.05, "{c:?}");
        assert_eq!(c.verdict, ChangeVerdict::NoChange);
    }

    #[test]
    fn large_and_clear_regresses_and_holm_adjusts() {
        let old = sample(10, 1.0, 0.02, 5);
        let slow: Vec<f64> = old.iter().map(|x| x * 1.3).collect();
        let same = sample(10, 1.0, 0.02, 6);
        let fast: Vec<f64> = old.iter().map(|x| x * 0.7).collect();
        let rows = compare(
            [("a", &old, &slow), ("b", &old, &same), ("c", &old, &fast)],
            &Rule::timing(5.0, 0.05),
        );
        let verdicts: Vec<ChangeVerdict> = rows.iter().map(|r| r.verdict).collect();
        assert_eq!(
            verdicts,
            [
                ChangeVerdict::Regressed,
                ChangeVerdict::NoChange,
                ChangeVerdict::Improved
            ]
        );
        for r in &rows {
            assert!(r.p_holm >= r.p);
        }
        // Identical samples: p = 1.
        let c = one(&old, &old, &Rule::timing(5.0, 0.05));
        assert_eq!((c.p, c.verdict), (1.0, ChangeVerdict::NoChange));
        // Too few samples: NaN p, no change.
        let c = one(&[1.0], &[2.0, 2.1], &Rule::timing(5.0, 0.05));
        assert!(c.p.is_nan());
        assert_eq!(c.verdict, ChangeVerdict::NoChange);
    }
}
