//! What a report measures: the [`Metric`]s taken from each trial, with their direction and
//! units.

use crate::record::TrialRecord;
use serde::{Deserialize, Serialize};

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
