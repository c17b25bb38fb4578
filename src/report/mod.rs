//! Reports over trial logs. One model, [`Report`], built once: the statistics per sweep
//! ([`analysis`]; for a batch size × learning rate sweep also [`bs_lr`]) — serialised as-is
//! for report.json — plus everything the renderers show, as data: the figures
//! ([`figure`]: stems, titles, axes, series) and the words and cells ([`text`]: table
//! cells, verdict words, units, conclusions, the Lab 1 answers of [`findings`]). Thin
//! renderers lay the model out: terminal tables ([`table`]), Markdown ([`markdown`]), a
//! self-contained HTML page ([`html`], which also renders the baseline history page), and
//! the figure files ([`plot`]); the figures share one [`style`]. Besides the report, the
//! terminal text of the other commands' results: a run's [`plan`] (`run --dry-run`), a run
//! directory's [`status`], the prepared data's [`splits`] (`data info`), one [`trial`]
//! (`train`).

pub mod analysis;
pub mod bs_lr;
pub mod figure;
pub mod findings;
pub mod html;
pub mod input;
pub mod markdown;
pub mod metric;
pub mod plan;
pub mod plot;
pub mod splits;
pub mod status;
pub mod style;
pub mod sweep;
pub mod table;
#[cfg(test)]
pub(crate) mod testing;
pub mod text;
pub mod trial;

use crate::config::params::value_of;
use crate::record::TrialRecord;
use crate::study::{Plan, Study};
use analysis::{AnalysisOptions, ConfigView, SweepReport, SweepView, analyse_sweep};
use serde::{Deserialize, Serialize};

/// Version of the JSON report schema (docs/report.md, "JSON schema"). 3 added `mde` to every
/// comparison and `adaptive`; p_holm's family became every pair of a sweep's configurations.
/// 4 added each comparison's `difference` with its interval, `trained_together`, intervals
/// kept in the metric's range, and timing units that name the configurations of a group.
pub const SCHEMA_VERSION: u32 = 4;

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
    /// The figures, sweep by sweep (not in report.json).
    #[serde(skip)]
    pub figures: Vec<figure::Figure>,
    /// The words and cells every renderer shows (not in report.json).
    #[serde(skip)]
    pub text: text::ReportText,
}

impl Report {
    /// The report as pretty JSON, without a final newline: report.json and `--format json`.
    pub fn to_json(&self) -> crate::Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| crate::Error::Other(e.to_string()))
    }

    /// Analyses `records` over the given sweeps (no quick-mode caveats, no adaptive decision).
    pub fn build(
        study: &str,
        views: &[SweepView],
        records: &[TrialRecord],
        options: AnalysisOptions,
    ) -> Self {
        Self::build_with(study, views, records, options, Vec::new(), None)
    }

    /// Analyses `records` over the given sweeps, with the questions quick mode cannot
    /// answer and an adaptive run's seed decision; then defines the figures and the text.
    pub fn build_with(
        study: &str,
        views: &[SweepView],
        records: &[TrialRecord],
        options: AnalysisOptions,
        caveats: Vec<crate::study::plan::QuickCaveat>,
        adaptive: Option<crate::study::adaptive::Decision>,
    ) -> Self {
        let mut backends: Vec<String> = records
            .iter()
            .map(|r| r.provenance.backend.clone())
            .collect();
        backends.sort();
        backends.dedup();
        let mut report = Report {
            schema_version: SCHEMA_VERSION,
            study: study.to_string(),
            options,
            trials: records.len(),
            diverged: records.iter().filter(|r| r.diverged).count(),
            quick: records.iter().any(|r| r.quick),
            backends,
            data: records.first().map(|r| DataSummary::of(&r.data)),
            caveats,
            adaptive,
            sweeps: views
                .iter()
                .map(|v| analyse_sweep(v, records, &options))
                .collect(),
            figures: Vec::new(),
            text: text::ReportText::default(),
        };
        report.figures = figure::define(&report, records);
        report.text = text::build(&report, records);
        report.text.answers = findings::answers(&report);
        report.text.verdict_note = findings::verdict_note(&report);
        report
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

/// How times and the best configuration are treated, for the top of report.md and
/// report.html.
pub const METHOD_NOTE: &str = "Seeds of a configuration — and configurations that differ \
     only in optimiser settings — train together as one replica group, which has one wall \
     time: a group is one timing measurement, times get intervals and tests only from at least \
     2 groups per configuration, and configurations trained in the same groups are not \
     compared on time (one shared time). Intervals stay in the metric's range: accuracies \
     Student-t within [0, 100], times Cox's log-normal interval, time differences a ratio. The \
     best configuration of a sweep is selected on mean final validation accuracy and reported \
     with its test accuracy";

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
                search: study.sweep(name).and_then(|s| s.search),
            }
        })
        .collect()
}

/// Writes `report.md`, `report.json`, `report.html` and the figures into `dir` (created if
/// missing); returns the figure stems.
pub fn write_dir(report: &Report, dir: &std::path::Path) -> crate::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)
        .map_err(|e| crate::Error::io(format!("could not create '{}'", dir.display()), e))?;
    let figures = plot::write_all(report, dir)?;
    markdown::write(report, dir)?;
    html::study::write(report, dir)?;
    let path = dir.join("report.json");
    std::fs::write(&path, report.to_json()? + "\n")
        .map_err(|e| crate::Error::io(format!("could not write '{}'", path.display()), e))?;
    Ok(figures)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::text::Table;

    /// The cells of the rows of `table` whose columns `shown` picks.
    fn model_rows(table: &Table, terminal: bool) -> Vec<Vec<String>> {
        let shown = table.shown(terminal);
        let mut rows = vec![
            shown
                .iter()
                .map(|&i| table.columns[i].header.clone())
                .collect::<Vec<_>>(),
        ];
        rows.extend(
            table
                .rows
                .iter()
                .map(|r| shown.iter().map(|&i| r.cells[i].text.clone()).collect()),
        );
        rows
    }

    /// The header and body rows of the first `<table class="sortable CLASS">` in `html`.
    fn html_rows(html: &str, class: &str) -> Vec<Vec<String>> {
        let start = html
            .find(&format!("<table class=\"sortable {class}\">"))
            .expect("the table");
        let table = &html[start..start + html[start..].find("</table>").unwrap()];
        table
            .split("<tr")
            .skip(1)
            .map(|row| {
                // Each cell runs from `<td` or `<th` to its closing tag.
                row.split("</t")
                    .filter_map(|c| c.find("<t").map(|i| &c[i..]))
                    .filter(|c| ["<td", "<th ", "<th>"].iter().any(|t| c.starts_with(t)))
                    .map(|c| {
                        // The first cell's link to the curves is the page's, not a cell's.
                        let c = c.split(" <a class=\"to-fig\"").next().unwrap_or(c);
                        html::page::text_content(&format!("{c}>"))
                            .trim()
                            .to_string()
                    })
                    .collect()
            })
            .collect()
    }

    /// The terminal table, report.md and report.html show the model's cells, every one of
    /// them, in the model's order: a column added to the model cannot drift between them.
    #[test]
    fn the_three_renderers_show_the_same_cells() {
        let (view, records) = crate::report::testing::batch_size_sweep_with_divergence();
        let report = Report::build("t", &[view], &records, AnalysisOptions::default());
        let s = &report.text.sweeps[0];
        assert_ne!(
            s.table.rows[1].cells[1].text,
            report.sweeps[0].metric(analysis::Metric::TestAcc).summaries[1]
                .trials
                .to_string(),
            "the fixture has a configuration whose n differs from its trials"
        );
        let terminal: Vec<Vec<String>> = table::render(&report)
            .lines()
            .filter(|l| l.starts_with('│'))
            .map(|l| {
                l.trim_matches('│')
                    .split('┆')
                    .map(|c| c.trim().to_string())
                    .collect()
            })
            .collect();
        assert_eq!(terminal, model_rows(&s.table, true));

        let md = markdown::render(&report, false);
        let md_rows = |header: &str| -> Vec<Vec<String>> {
            md.lines()
                .skip_while(|l| !l.starts_with(header))
                .take_while(|l| l.starts_with('|'))
                .filter(|l| !l.starts_with("|---"))
                .map(|l| {
                    l.trim_matches('|')
                        .split(" | ")
                        .map(|c| c.trim().to_string())
                        .collect()
                })
                .collect()
        };
        assert_eq!(
            md_rows("| configuration | n |"),
            model_rows(&s.table, false)
        );
        let comparisons = &s.comparisons.as_ref().expect("b is compared with a").table;
        assert_eq!(
            md_rows("| configuration | difference (95% CI) |"),
            model_rows(comparisons, false)
        );

        let dir = tempfile::tempdir().unwrap();
        let html = html::study::render(&report, dir.path()).unwrap();
        assert_eq!(html_rows(&html, "configs"), model_rows(&s.table, false));
        assert_eq!(
            html_rows(&html, "comparisons"),
            model_rows(comparisons, false)
        );
    }
}
