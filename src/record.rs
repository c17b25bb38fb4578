//! The result of one training run, as written by `trainbench train --json` and the study log.

use crate::data::{DataSpec, Splits};
use crate::provenance::Provenance;
use crate::train::{TrainConfig, TrainOutcome};
use serde::{Deserialize, Serialize};

/// What data a run trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataInfo {
    /// The spec it was prepared from.
    #[serde(flatten)]
    pub spec: DataSpec,
    /// Hash of the prepared splits.
    pub fingerprint: String,
    /// Training rows.
    pub train_rows: usize,
    /// Validation rows (equal to the training rows in `mase` mode).
    pub val_rows: usize,
    /// Test rows.
    pub test_rows: usize,
}

impl DataInfo {
    /// Describes `splits`, prepared from `spec`.
    pub fn new(spec: &DataSpec, splits: &Splits) -> Self {
        DataInfo {
            spec: spec.clone(),
            fingerprint: splits.fingerprint.clone(),
            train_rows: splits.train.len(),
            val_rows: splits.val.len(),
            test_rows: splits.test.len(),
        }
    }
}

/// One trained seed of one configuration, with everything needed to trust and reproduce it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialRecord {
    /// The training configuration.
    pub config: TrainConfig,
    /// The data.
    pub data: DataInfo,
    /// Seed, per-epoch records, test metrics, timing.
    #[serde(flatten)]
    pub outcome: TrainOutcome,
    /// True if the loss became NaN/inf (see `diverged_at`).
    pub diverged: bool,
    /// Where and when it ran.
    pub provenance: Provenance,
    /// The study it belongs to (study runs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub study: Option<String>,
    /// The configuration's id in the study, e.g. `bs=128,lr=1e-5,model=jsc-tiny,epochs=20`
    /// (study runs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_id: Option<String>,
    /// A `--quick` trial: subsampled data and capped epochs, never mixed with full trials.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub quick: bool,
    /// The replica group it was trained in (`<start time> [N configs ]seeds <ranges> (pid P
    /// group G)`, unique in a log; study runs only):
    /// the seeds of one group share one wall time, so a group is one timing measurement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The stage of an adaptive run (`--seeds MIN..MAX`) that trained it: 1 the pilot, 2 the
    /// seeds added from the pilot's variance (see [`crate::study::adaptive`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<u8>,
}

impl TrialRecord {
    /// Assembles a record.
    pub fn new(
        config: &TrainConfig,
        data: DataInfo,
        outcome: TrainOutcome,
        provenance: Provenance,
    ) -> Self {
        TrialRecord {
            config: config.clone(),
            data,
            diverged: outcome.diverged_at.is_some(),
            outcome,
            provenance,
            study: None,
            config_id: None,
            quick: false,
            group: None,
            stage: None,
        }
    }

    /// The last epoch's record, if any epoch ran.
    pub fn last_epoch(&self) -> Option<&crate::train::EpochRecord> {
        self.outcome.epochs.last()
    }
}
