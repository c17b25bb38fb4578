//! Reports over trial logs: statistics per sweep ([`analysis`]; for a batch size × learning
//! rate sweep also [`bs_lr`]), rendered as terminal tables
//! ([`table`]), Markdown ([`markdown`]), JSON (the [`Report`] type itself, serialised), and
//! figures ([`figures`] → [`plot`]).

pub mod analysis;
pub mod bs_lr;
pub mod figures;
pub mod input;
pub mod markdown;
pub mod plot;
pub mod table;

use crate::record::TrialRecord;
use crate::study::params::value_of;
use crate::study::{Plan, Study};
use analysis::{AnalysisOptions, ConfigView, SweepReport, SweepView, analyse_sweep};
use serde::{Deserialize, Serialize};

/// Version of the JSON report schema (see docs/report-schema.md).
pub const SCHEMA_VERSION: u32 = 2;

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

/// The report layout of a study's plan: per selected sweep, its varied parameters and its
/// (unique, possibly quick-capped) configurations with their parameter values.
pub fn views(study: &Study, plan: &Plan) -> Vec<SweepView> {
    plan.sweeps
        .iter()
        .map(|(name, indices)| {
            let params: Vec<String> = study
                .sweep(name)
                .map(|s| s.vary.iter().map(|(k, _)| k.clone()).collect())
                .unwrap_or_default();
            let configs = indices
                .iter()
                .map(|&i| {
                    let c = &plan.configs[i];
                    ConfigView {
                        config_id: c.id.clone(),
                        values: params.iter().map(|p| value_of(&c.config, p)).collect(),
                    }
                })
                .collect();
            SweepView {
                name: name.clone(),
                params,
                configs,
            }
        })
        .collect()
}

/// Writes `report.md`, `report.json` and the figures into `dir` (created if missing);
/// returns the figure stems.
pub fn write_dir(
    report: &Report,
    records: &[TrialRecord],
    dir: &std::path::Path,
) -> crate::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)
        .map_err(|e| crate::Error::io(format!("could not create '{}'", dir.display()), e))?;
    let figures = figures::write_all(report, records, dir)?;
    markdown::write(report, &figures, dir)?;
    let json =
        serde_json::to_string_pretty(report).map_err(|e| crate::Error::Other(e.to_string()))?;
    let path = dir.join("report.json");
    std::fs::write(&path, json + "\n")
        .map_err(|e| crate::Error::io(format!("could not write '{}'", path.display()), e))?;
    Ok(figures)
}
