//! What a report measures: the [`Metric`]s taken from each trial, with their direction and
//! units.

use crate::record::TrialRecord;
use serde::{Deserialize, Serialize};

/// How a difference between two configurations is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// `a − b`, in the metric's units (accuracy as a fraction).
    Difference,
    /// `a / b` (times: positive, compared on the log scale).
    Ratio,
}

/// The size of a difference between two configurations, with its confidence interval at the
/// report's level on the design of the test shown (paired or Welch).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// `difference` (a − b) or `ratio` (a / b).
    pub scale: Scale,
    /// The estimate.
    #[serde(with = "crate::jsonfloat")]
    pub estimate: f64,
    /// Lower end of its interval.
    #[serde(with = "crate::jsonfloat")]
    pub ci_low: f64,
    /// Upper end of its interval.
    #[serde(with = "crate::jsonfloat")]
    pub ci_high: f64,
}

impl Difference {
    /// No difference measured (reports written before schema 4).
    pub const NAN: Difference = Difference {
        scale: Scale::Difference,
        estimate: f64::NAN,
        ci_low: f64::NAN,
        ci_high: f64::NAN,
    };

    /// The same difference seen from the other side: `b − a`, or `b / a`.
    pub fn flipped(&self) -> Difference {
        let f = |x: f64| match self.scale {
            Scale::Difference => -x,
            Scale::Ratio => 1.0 / x,
        };
        Difference {
            scale: self.scale,
            estimate: f(self.estimate),
            ci_low: f(self.ci_high),
            ci_high: f(self.ci_low),
        }
    }

    /// Whether the interval excludes no difference (0, or a ratio of 1).
    pub fn excludes_none(&self) -> bool {
        let none = match self.scale {
            Scale::Difference => 0.0,
            Scale::Ratio => 1.0,
        };
        self.ci_low > none || self.ci_high < none
    }
}

/// A number taken from each trial.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Validation accuracy after the last epoch.
    FinalValAcc,
    /// Test accuracy of the final model.
    TestAcc,
    /// Best validation accuracy over the epochs.
    BestValAcc,
    /// Mean wall seconds of one epoch's training part.
    TrainSecondsPerEpoch,
    /// Wall seconds of the whole trial (with evaluation; shared by replicas trained together).
    TotalSeconds,
    /// First epoch whose validation accuracy reached the target.
    EpochsToTarget,
}

impl Metric {
    /// Every metric, in report order.
    pub const ALL: [Metric; 6] = [
        Metric::FinalValAcc,
        Metric::TestAcc,
        Metric::BestValAcc,
        Metric::TrainSecondsPerEpoch,
        Metric::TotalSeconds,
        Metric::EpochsToTarget,
    ];

    /// The snake_case name used in JSON.
    pub fn name(&self) -> &'static str {
        match self {
            Metric::FinalValAcc => "final_val_acc",
            Metric::TestAcc => "test_acc",
            Metric::BestValAcc => "best_val_acc",
            Metric::TrainSecondsPerEpoch => "train_seconds_per_epoch",
            Metric::TotalSeconds => "total_seconds",
            Metric::EpochsToTarget => "epochs_to_target",
        }
    }

    /// True for accuracies (higher is better); times and epoch counts are better lower.
    pub fn higher_is_better(&self) -> bool {
        matches!(
            self,
            Metric::FinalValAcc | Metric::TestAcc | Metric::BestValAcc
        )
    }

    /// True for wall-time metrics: their independent unit is the replica group that was
    /// timed, not the seed.
    pub fn is_time(&self) -> bool {
        matches!(self, Metric::TrainSecondsPerEpoch | Metric::TotalSeconds)
    }

    /// The summary of one configuration's values (one per seed, or per timing unit), with a
    /// confidence interval that stays in the metric's range: accuracies get the Student-t
    /// interval intersected with [0, 1] (the true mean lies there, so the intersection keeps
    /// the coverage), times get Cox's log-normal interval (both ends positive;
    /// [`crate::stats::lognormal_mean_ci`]), epochs-to-target the t interval cut at epoch 1.
    pub fn summarize(&self, values: &[f64], level: f64) -> crate::stats::Summary {
        let mut s = crate::stats::summarize(values, level);
        if !s.ci_low.is_finite() {
            return s;
        }
        let (lo, hi) = match self {
            _ if self.higher_is_better() => (s.ci_low.max(0.0), s.ci_high.min(1.0)),
            _ if self.is_time() => {
                let e = crate::stats::lognormal_mean_ci(values, level);
                match e.low.is_finite() {
                    true => (e.low, e.high),
                    false => (s.ci_low.max(0.0), s.ci_high),
                }
            }
            _ => (s.ci_low.max(1.0), s.ci_high),
        };
        (s.ci_low, s.ci_high) = (lo, hi);
        s
    }

    /// The difference of configuration `a` from `b` with its interval at `level`, on the
    /// design of the test shown (`paired` or `welch`): for accuracies and epochs `a − b`
    /// (accuracy as a fraction, its interval within [−1, 1]); for times the ratio `a / b` of
    /// geometric means with the Welch interval of the log difference (positive).
    pub fn difference(&self, test: &str, a: &[f64], b: &[f64], level: f64) -> Difference {
        let (scale, e) = if self.is_time() {
            (Scale::Ratio, crate::stats::log_ratio_ci(a, b, level))
        } else if test == "paired" {
            (Scale::Difference, crate::stats::paired_diff_ci(a, b, level))
        } else {
            (Scale::Difference, crate::stats::welch_diff_ci(a, b, level))
        };
        let (low, high) = match self.higher_is_better() {
            true => (e.low.max(-1.0), e.high.min(1.0)),
            false => (e.low, e.high),
        };
        Difference {
            scale,
            estimate: e.estimate,
            ci_low: low,
            ci_high: high,
        }
    }

    /// A difference in the metric's words: `+5.90 points [4.80, 7.00]`, `×1.32 [1.20, 1.45]`,
    /// `-0.4 epochs [-1.1, 0.3]` (the estimate signed, the bounds as they are); the estimate
    /// alone without an interval, `—` without data.
    pub fn difference_words(&self, d: &Difference) -> String {
        let (k, unit, digits) = match (d.scale, self.higher_is_better()) {
            (Scale::Ratio, _) => (1.0, "", 2),
            (_, true) => (100.0, " points", 2),
            _ => (1.0, " epochs", 1),
        };
        if !d.estimate.is_finite() {
            return crate::format::MISSING.into();
        }
        let v = |x: f64| format!("{:.digits$}", k * x);
        let head = match d.scale {
            Scale::Ratio => format!("×{}", v(d.estimate)),
            Scale::Difference => format!("{:+.digits$}{unit}", k * d.estimate),
        };
        if d.ci_low.is_finite() && d.ci_high.is_finite() {
            format!("{head} [{}, {}]", v(d.ci_low), v(d.ci_high))
        } else {
            head
        }
    }

    /// A minimum detectable effect in the metric's words: `1.4 points`, `0.012 s`,
    /// `0.8 epochs`; `—` when not testable.
    pub fn mde_words(&self, mde: f64) -> String {
        if !mde.is_finite() {
            return crate::format::MISSING.into();
        }
        if self.higher_is_better() {
            format!("{:.1} points", 100.0 * mde)
        } else if self.is_time() {
            format!("{} s", crate::format::num(mde, 3))
        } else {
            format!("{:.1} epochs", mde)
        }
    }

    /// The metric of one trial; `None` when the trial diverged or (epochs-to-target) never
    /// reached `target`.
    pub fn value(&self, r: &TrialRecord, target: f64) -> Option<f64> {
        if r.diverged {
            return None;
        }
        let epochs = &r.outcome.epochs;
        let v = match self {
            Metric::FinalValAcc => epochs.last()?.val_acc,
            Metric::TestAcc => r.outcome.test_acc,
            Metric::BestValAcc => epochs.iter().map(|e| e.val_acc).fold(f64::NAN, f64::max),
            Metric::TrainSecondsPerEpoch => {
                epochs.iter().map(|e| e.train_seconds).sum::<f64>() / epochs.len().max(1) as f64
            }
            Metric::TotalSeconds => r.outcome.total_seconds,
            Metric::EpochsToTarget => epochs.iter().find(|e| e.val_acc >= target)?.epoch as f64,
        };
        v.is_finite().then_some(v)
    }
}
