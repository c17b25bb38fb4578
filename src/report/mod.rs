//! Reports over trial logs: statistics per sweep ([`analysis`]; for a batch size × learning
//! rate sweep also [`bs_lr`]), rendered as terminal tables ([`table`]), Markdown
//! ([`markdown`]), JSON (the [`Report`] type itself, serialised), figures ([`figures`] →
//! [`plot`]) and a self-contained HTML page ([`html`], which also renders the baseline
//! history page).

pub mod analysis;
pub mod bs_lr;
pub mod figures;
pub mod html;
pub mod input;
pub mod markdown;
pub mod plan;
pub mod plot;
pub mod table;
#[cfg(test)]
pub(crate) mod testing;

use crate::config::params::value_of;
use crate::record::TrialRecord;
use crate::study::{Plan, Study};
use analysis::{AnalysisOptions, ConfigView, SweepReport, SweepView, analyse_sweep};
use serde::{Deserialize, Serialize};

/// Version of the JSON report schema (docs/report.md, "JSON schema"). 3 added `mde` to every
/// comparison and `adaptive`; p_holm's family became every pair of a sweep's configurations.
pub const SCHEMA_VERSION: u32 = 3;

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
    /// What data the trials trained on (none when there are no trials).
    #[serde(default)]
    pub data: Option<DataSummary>,
    /// Questions a quick run cannot answer (a sweep whose configurations the quick caps
    /// merged): the sweep and one sentence each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caveats: Vec<crate::study::plan::QuickCaveat>,
    /// An adaptive run's seed decision: per configuration, the seeds it got and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adaptive: Option<crate::study::adaptive::Decision>,
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
            data: records.first().map(|r| DataSummary::of(&r.data)),
            caveats: Vec::new(),
            adaptive: None,
            sweeps: views
                .iter()
                .map(|v| analyse_sweep(v, records, &options))
                .collect(),
        }
    }
}

/// The data of a report: where it came from and what was prepared from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSummary {
    /// The source: `synth:ROWS:SEED` or the file's path.
    pub source: String,
    /// True for trainbench's synthetic stand-in: not JSC results.
    pub synthetic: bool,
    /// Validation mode (`holdout` or `mase`).
    pub val: String,
    /// Seed of the test split and the validation holdout.
    pub split_seed: u64,
    /// Content hash of the prepared splits (equal data ⇔ equal fingerprint).
    pub fingerprint: String,
    /// Training rows.
    pub train_rows: usize,
    /// Validation rows.
    pub val_rows: usize,
    /// Test rows.
    pub test_rows: usize,
}

/// What a student must read before any number of a synthetic run.
pub const SYNTHETIC_WARNING: &str = "These results come from trainbench's synthetic stand-in \
     for the JSC data, not from JSC: do not report them as JSC results. For Lab 1 on MASE's \
     JSC file, see \"Lab 1 on MASE's JSC file\" in docs/data.md (`trainbench run \
     studies/lab1.toml --data PATH/TO/...truth.z --out runs/lab1-jsc`).";

impl DataSummary {
    /// The summary of the data a record trained on.
    pub fn of(info: &crate::record::DataInfo) -> Self {
        DataSummary {
            source: info.spec.source.to_string(),
            synthetic: matches!(info.spec.source, crate::data::DataSource::Synth { .. }),
            val: info.spec.val.to_string(),
            split_seed: info.spec.split_seed,
            fingerprint: info.fingerprint.clone(),
            train_rows: info.train_rows,
            val_rows: info.val_rows,
            test_rows: info.test_rows,
        }
    }

    /// One line: `synthetic JSC-like data synth:100000:1 (not JSC) — 72000 train / 8000 val
    /// / 20000 test rows, fingerprint …`.
    pub fn describe(&self) -> String {
        let what = if self.synthetic {
            format!("synthetic JSC-like data {} (not JSC)", self.source)
        } else {
            format!("data file {}", self.source)
        };
        format!(
            "{what} — {} train / {} val ({}) / {} test rows, fingerprint {}",
            self.train_rows, self.val_rows, self.val, self.test_rows, self.fingerprint
        )
    }

    /// A short label for figure subtitles: `data: synth:100000:1 (synthetic, not JSC)`.
    pub fn label(&self) -> String {
        if self.synthetic {
            format!("data: {} (synthetic, not JSC)", self.source)
        } else {
            let name = std::path::Path::new(&self.source)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| self.source.clone());
            format!("data: {name} ({})", self.fingerprint)
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

/// Writes `report.md`, `report.json`, `report.html` and the figures into `dir` (created if
/// missing); returns the figure stems.
pub fn write_dir(
    report: &Report,
    records: &[TrialRecord],
    dir: &std::path::Path,
) -> crate::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)
        .map_err(|e| crate::Error::io(format!("could not create '{}'", dir.display()), e))?;
    let figures = figures::write_all(report, records, dir)?;
    markdown::write(report, &figures, dir)?;
    html::study::write(report, records, &figures, dir)?;
    let json =
        serde_json::to_string_pretty(report).map_err(|e| crate::Error::Other(e.to_string()))?;
    let path = dir.join("report.json");
    std::fs::write(&path, json + "\n")
        .map_err(|e| crate::Error::io(format!("could not write '{}'", path.display()), e))?;
    Ok(figures)
}
