//! Reports over trial logs: statistics per sweep ([`analysis`]), rendered as terminal tables
//! ([`table`]), Markdown ([`markdown`]), JSON (the [`Report`] type itself, serialised), and
//! figures ([`figures`] → [`plot`]).

pub mod analysis;
pub mod figures;
pub mod markdown;
pub mod plot;
pub mod table;

use crate::record::TrialRecord;
use analysis::{AnalysisOptions, SweepReport, SweepView, analyse_sweep};
use serde::{Deserialize, Serialize};

/// Version of the JSON report schema (see docs/report-schema.md).
pub const SCHEMA_VERSION: u32 = 1;

/// Everything a report says, in the order it says it. Serialised as-is for `--format json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Schema version of this JSON.
    pub schema_version: u32,
    /// Study name(s) found in the logs.
    pub study: String,
    /// Analysis settings.
    pub options: AnalysisOptions,
    /// Trials read.
    pub trials: usize,
    /// Trials that diverged.
    pub diverged: usize,
    /// True if any trial came from a `--quick` run.
    pub quick: bool,
    /// Backends the trials ran on.
    pub backends: Vec<String>,
    /// One entry per sweep, in study order.
    pub sweeps: Vec<SweepReport>,
}

impl Report {
    /// Analyses `records` over the given sweeps.
    pub fn build(
        study: &str,
        views: &[SweepView],
        records: &[TrialRecord],
        options: AnalysisOptions,
    ) -> Self {
        let mut backends: Vec<String> = records
            .iter()
            .map(|r| r.provenance.backend.clone())
            .collect();
        backends.sort();
        backends.dedup();
        Report {
            schema_version: SCHEMA_VERSION,
            study: study.to_string(),
            options,
            trials: records.len(),
            diverged: records.iter().filter(|r| r.diverged).count(),
            quick: records.iter().any(|r| r.quick),
            backends,
            sweeps: views
                .iter()
                .map(|v| analyse_sweep(v, records, &options))
                .collect(),
        }
    }
}
