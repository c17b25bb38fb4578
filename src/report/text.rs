//! The words and cells of a report, built once from its statistics: configuration labels,
//! intervals, verdict words, time units, the sweep and comparison tables as cells, the
//! conclusions, the provenance facts. The terminal table ([`super::table`]), report.md
//! ([`super::markdown`]) and report.html ([`super::html::study`]) only lay these out; none
//! of them formats a number or writes a unit of its own.

use super::Report;
use super::analysis::{MetricReport, SweepReport, Verdict};
use super::metric::Metric;
use crate::format::{MISSING, num, num_ci, p_value, pct, pct_ci};
use crate::record::TrialRecord;
use crate::stats::{mean, sample_variance};
use crate::study::{Group, Plan, member_labels};
use std::collections::BTreeSet;

/// What a cell holds, which sets how it is aligned and marked up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// A configuration label (left-aligned; sorts by the configuration's position).
    Label,
    /// A count or a statistic (right-aligned).
    Number,
    /// A metric's value with its interval (right-aligned; report.html puts the interval on
    /// a second line).
    Value(Metric),
    /// A difference between two configurations with its interval, or why there is none
    /// (right-aligned; report.html puts the interval on a second line).
    Difference,
    /// A verdict word (left-aligned; sorts best first).
    Verdict,
    /// Other text (left-aligned; sorts as text).
    Text,
}

impl Kind {
    /// Whether cells of this kind are right-aligned.
    pub fn right(self) -> bool {
        matches!(self, Kind::Number | Kind::Value(_) | Kind::Difference)
    }
}

/// One cell: the text every renderer shows, and the number a sortable table sorts it by
/// (NaN: by its text).
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// The text.
    pub text: String,
    /// The sort key.
    pub sort: f64,
    /// What it holds.
    pub kind: Kind,
}

impl Cell {
    fn new(text: impl Into<String>, sort: f64, kind: Kind) -> Cell {
        Cell {
            text: text.into(),
            sort,
            kind,
        }
    }
}

/// A column of a table and where it is shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The header.
    pub header: String,
    /// Shown in the terminal table.
    pub terminal: bool,
    /// Shown in report.md and report.html.
    pub document: bool,
}

/// A table of configurations: its columns, and one row per configuration.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows.
    pub rows: Vec<Row>,
}

/// One row: the configuration it is about (its position in the sweep) and one cell per
/// column.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Index of the configuration in the sweep's layout.
    pub config: usize,
    /// The cells, in column order.
    pub cells: Vec<Cell>,
}

impl Table {
    /// The indices of the columns shown in the terminal (`terminal`) or in the documents.
    pub fn shown(&self, terminal: bool) -> Vec<usize> {
        (0..self.columns.len())
            .filter(|&i| {
                let c = &self.columns[i];
                if terminal { c.terminal } else { c.document }
            })
            .collect()
    }
}

/// The comparisons of one metric with the sweep's best, as a table under a heading.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparisons {
    /// `test_acc against the best (bs=256), Holm-adjusted over every pair …`.
    pub heading: String,
    /// One row per configuration compared.
    pub table: Table,
}

/// Everything a renderer shows of one sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepText {
    /// The sweep's name.
    pub name: String,
    /// What it varies: `batch_size × lr`.
    pub varies: String,
    /// Every configuration: counts, accuracies and times with intervals, verdicts.
    pub table: Table,
    /// Test accuracy against the best (none when nothing was compared).
    pub comparisons: Option<Comparisons>,
    /// Why test accuracy was not compared, as a sentence.
    pub not_compared: Option<String>,
    /// One line per headline metric (test accuracy, time): the best and who is
    /// indistinguishable from it.
    pub conclusions: Vec<String>,
}

/// The adaptive seed decision as a table.
#[derive(Debug, Clone, PartialEq)]
pub struct AdaptiveText {
    /// `Seeds per configuration (adaptive, `--seeds 3..12`)`.
    pub heading: String,
    /// How the seeds were decided.
    pub intro: String,
    /// One row per configuration.
    pub table: Table,
}

/// One answer to a Lab 1 question, as plain text (the same words in report.md and
/// report.html), from [`super::findings`].
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The question, e.g. `Q1 — batch size.`
    pub heading: String,
    /// The answer: sentences built from the statistics (plain text, no markup).
    pub text: String,
    /// The figures it refers to, as file names (`train_acc_BS.png`).
    pub figures: Vec<String>,
}

/// The words and cells of a whole report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReportText {
    /// The confidence level as a percentage (`95%`).
    pub level: String,
    /// The data, in one line (none without trials).
    pub data: Option<String>,
    /// The answers to Lab 1's questions (empty for another study).
    pub answers: Vec<Answer>,
    /// How verdicts are reached, for the answers' heading.
    pub verdict_note: String,
    /// The adaptive seed decision, if the run had one.
    pub adaptive: Option<AdaptiveText>,
    /// One per sweep, in report order.
    pub sweeps: Vec<SweepText>,
    /// Where the trials came from (code, machine, time, data), as label and value.
    pub provenance: Vec<(String, String)>,
    /// The second title line of every figure file: the data, and quick mode.
    pub figure_subtitle: String,
}

/// The words and cells of `report`, whose trials are `records` (the Lab 1 answers are
/// [`super::findings`]'s to fill in).
pub fn build(report: &Report, records: &[TrialRecord]) -> ReportText {
    let level = crate::format::level(report.options.level);
    ReportText {
        data: report.data.as_ref().map(|d| d.describe()),
        answers: Vec::new(),
        verdict_note: String::new(),
        adaptive: report.adaptive.as_ref().map(adaptive),
        sweeps: report
            .sweeps
            .iter()
            .map(|s| sweep_text(s, &level))
            .collect(),
        provenance: provenance(report, records),
        figure_subtitle: figure_subtitle(report),
        level,
    }
}

/// The configuration label: its varied parameter values, `bs=256, lr=1e-3` style.
pub fn label(sweep: &SweepReport, id: &str) -> String {
    let view = &sweep.view;
    let Some(c) = view.configs.iter().find(|c| c.config_id == id) else {
        return id.to_string();
    };
    view.params
        .iter()
        .zip(&c.values)
        .map(|(p, v)| format!("{p}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A metric's summary of one configuration, formatted for its kind. A time measured on one
/// timing unit shows the median and range over its epochs instead of a CI.
pub fn metric_ci(m: &MetricReport, id: &str) -> String {
    match m.summary(id) {
        Some(s) if m.metric.higher_is_better() => pct_ci(&s.summary),
        Some(s) => match s.epoch_spread {
            Some([median, min, max]) => format!(
                "{} (median; epochs {}–{})",
                num(median, 3),
                num(min, 3),
                num(max, 3)
            ),
            None => num_ci(&s.summary),
        },
        None => MISSING.into(),
    }
}

/// A mean with its interval in the metric's form: `71.20% [70.91, 71.55]` or `0.196 [0.190,
/// 0.202]`.
pub fn value_ci(metric: Metric, s: &crate::stats::Summary) -> String {
    if metric.higher_is_better() {
        pct_ci(s)
    } else {
        num_ci(s)
    }
}

/// The verdict word of `id` for metric `m` ("" if it has no values or was not compared);
/// a best configuration that lost seeds to divergence says so.
pub fn verdict(m: &MetricReport, id: &str) -> String {
    let Some(v) = m.verdict(id) else {
        return String::new();
    };
    match m.summary(id) {
        Some(s) if v == Verdict::Best && s.diverged > 0 => {
            format!("{} ({}/{} diverged)", best_word(m), s.diverged, s.trials)
        }
        _ if v == Verdict::Best => best_word(m).to_string(),
        _ => v.word().to_string(),
    }
}

/// "best", or "selected" where the best is chosen on another metric (test accuracy: the
/// configuration selected by validation accuracy).
fn best_word(m: &MetricReport) -> &'static str {
    if m.selected_by.is_some() {
        "selected"
    } else {
        "best"
    }
}

/// Rank of a verdict for sorting (best first).
fn verdict_rank(v: Option<Verdict>) -> f64 {
    match v {
        Some(Verdict::Best) => 0.0,
        Some(Verdict::Better) => 0.5,
        Some(Verdict::Indistinguishable) => 1.0,
        Some(Verdict::Worse) => 2.0,
        Some(Verdict::TrainedTogether) => 1.5,
        None => f64::NAN,
    }
}

/// The one short line that stands for a time difference between configurations trained in
/// the same replica groups.
pub const TRAINED_TOGETHER: &str = "trained together: one shared time";

/// The difference of `id` from the metric's best, in the metric's words (`+1.20 points
/// [0.40, 2.00]`, `×1.32 [1.20, 1.45]`), sorted by its estimate: `—` for the best itself
/// (`fastest` for a time), [`TRAINED_TOGETHER`] for a configuration that shares the best's
/// time, empty where nothing was compared.
pub fn difference_cell(m: &MetricReport, id: &str) -> Cell {
    let kind = Kind::Difference;
    match m.verdict(id) {
        Some(Verdict::Best) if m.metric.is_time() => Cell::new("fastest", 1.0, kind),
        Some(Verdict::Best) => Cell::new(MISSING, 0.0, kind),
        Some(Verdict::TrainedTogether) => Cell::new(TRAINED_TOGETHER, 1.0, kind),
        Some(_) => {
            let c = m.comparisons.iter().find(|c| c.a == id).expect("compared");
            let words = m.metric.difference_words(&c.difference);
            Cell::new(words, c.difference.estimate, kind)
        }
        // Not compared at all: a configuration that shares its time says so all the same.
        None if !m.together_with(id).is_empty() => Cell::new(TRAINED_TOGETHER, 1.0, kind),
        None => Cell::new("", f64::NAN, kind),
    }
}

/// `train s/epoch`, naming the timing unit when it is a replica group (`per replica group
/// of 70 seeds, 7 configurations`); when the configurations were timed in groups of
/// different sizes, their range (`per replica group of 21–24 seeds, 7–8 configurations`).
pub fn time_header(time: &MetricReport) -> String {
    let sizes: Vec<_> = time.summaries.iter().filter_map(|s| s.unit_size).collect();
    let span = |f: fn(&super::analysis::UnitSize) -> usize| {
        let lo = sizes.iter().map(f).min().unwrap_or(1);
        let hi = sizes.iter().map(f).max().unwrap_or(1);
        (lo, hi)
    };
    let ((s0, s1), (k0, k1)) = (span(|u| u.seeds), span(|u| u.configs));
    if s1 <= 1 {
        return "train s/epoch".into();
    }
    let range = |lo: usize, hi: usize| match lo == hi {
        true => hi.to_string(),
        false => format!("{lo}–{hi}"),
    };
    let configs = match k1 {
        1 => String::new(),
        _ => format!(", {} configurations", range(k0, k1)),
    };
    format!(
        "train s/epoch (per replica group of {} seeds{configs})",
        range(s0.max(1), s1)
    )
}

/// The one-line conclusion for a metric: best, and who is indistinguishable from it.
pub fn conclusion(sweep: &SweepReport, m: &MetricReport) -> String {
    if let Some(why) = &m.not_compared {
        return why.clone();
    }
    let Some(best) = &m.best else {
        return format!("{}: no values", m.metric.name());
    };
    let s = m.summary(best).expect("best has a summary");
    let value = value_ci(m.metric, &s.summary);
    let listed = |v: Verdict, mde: bool| -> Vec<String> {
        m.comparisons
            .iter()
            .filter(|c| c.verdict == v)
            .map(|c| {
                let mde = match mde {
                    true => format!(", MDE {}", m.metric.mde_words(c.mde)),
                    false => String::new(),
                };
                format!(
                    "{} ({}, p_holm = {}{mde})",
                    label(sweep, &c.a),
                    m.metric.difference_words(&c.difference),
                    p_value(c.p_holm)
                )
            })
            .collect()
    };
    let same = listed(Verdict::Indistinguishable, true);
    let diverged = if s.diverged > 0 {
        format!(", {} of {} trials diverged", s.diverged, s.trials)
    } else {
        String::new()
    };
    let head = match m.selected_by {
        Some(by) => format!(
            "selected by {}: {} — {}",
            by.name(),
            label(sweep, best),
            m.metric.name()
        ),
        None => format!("best {}: {}", m.metric.name(), label(sweep, best)),
    };
    let better = listed(Verdict::Better, false);
    let better = if better.is_empty() {
        String::new()
    } else {
        format!("; better on test: {}", better.join(", "))
    };
    let with = m.together_with(best);
    let together = if with.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = with.iter().map(|t| label(sweep, t)).collect();
        format!("; {TRAINED_TOGETHER} with it: {}", names.join(", "))
    };
    format!(
        "{head} {} (n = {}{diverged}); statistically indistinguishable: {}{better}{together}",
        value,
        s.summary.n,
        if same.is_empty() {
            "none".to_string()
        } else {
            same.join(", ")
        }
    )
}

/// A metric's cell for configuration `id`: its value with the interval, sorted by the mean.
fn value_cell(m: &MetricReport, id: &str) -> Cell {
    let mean = m
        .summary(id)
        .filter(|s| s.summary.n > 0)
        .map(|s| s.summary.mean)
        .unwrap_or(f64::NAN);
    Cell::new(metric_ci(m, id), mean, Kind::Value(m.metric))
}

fn verdict_cell(m: &MetricReport, id: &str) -> Cell {
    Cell::new(verdict(m, id), verdict_rank(m.verdict(id)), Kind::Verdict)
}

fn column(header: impl Into<String>, terminal: bool, document: bool) -> Column {
    Column {
        header: header.into(),
        terminal,
        document,
    }
}

/// The configurations of a sweep: counts, accuracies and times with their intervals and
/// verdicts. The terminal shows verdicts of every headline metric; the documents show every
/// metric's value.
fn sweep_table(sweep: &SweepReport, level: &str) -> Table {
    let [val, test, best_val, time, total, ett] = Metric::ALL.map(|m| sweep.metric(m));
    let columns = vec![
        column("configuration", true, true),
        column("n", true, true),
        column("diverged", true, true),
        column(format!("test acc ({level} CI)"), true, true),
        column(format!("vs {} ({level} CI)", best_word(test)), true, true),
        column("verdict", true, true),
        column("final val acc", true, true),
        column("verdict", true, false),
        column("best val acc", false, true),
        column(time_header(time), true, true),
        column(format!("vs fastest ({level} CI)"), true, true),
        column("verdict", true, false),
        column("total s", false, true),
        column("epochs to target (reached)", false, true),
    ];
    let rows = sweep
        .view
        .configs
        .iter()
        .enumerate()
        .map(|(ci, c)| {
            let id = c.config_id.as_str();
            let s = test.summary(id).expect("every config has a summary");
            let reached = ett.summary(id).map(|s| s.summary.n).unwrap_or(0);
            let mut ett_cell = value_cell(ett, id);
            ett_cell.text = format!("{} ({}/{})", ett_cell.text, reached, s.trials - s.diverged);
            let count = |n: usize| Cell::new(n.to_string(), n as f64, Kind::Number);
            Row {
                config: ci,
                cells: vec![
                    Cell::new(label(sweep, id), ci as f64, Kind::Label),
                    count(s.summary.n),
                    count(s.diverged),
                    value_cell(test, id),
                    difference_cell(test, id),
                    verdict_cell(test, id),
                    value_cell(val, id),
                    verdict_cell(val, id),
                    value_cell(best_val, id),
                    value_cell(time, id),
                    difference_cell(time, id),
                    verdict_cell(time, id),
                    value_cell(total, id),
                    ett_cell,
                ],
            }
        })
        .collect();
    Table { columns, rows }
}

/// The comparisons of `m` with the sweep's best, as a table.
fn comparisons(sweep: &SweepReport, m: &MetricReport, level: &str) -> Option<Comparisons> {
    if m.comparisons.is_empty() {
        return None;
    }
    let difference = format!("difference ({level} CI)");
    let headers = [
        "configuration",
        difference.as_str(),
        "test",
        "t",
        "df",
        "p",
        "p (Holm)",
        "Hedges' g",
        "P(A>B)",
        "MDE",
        "verdict",
    ];
    let index = |id: &str| sweep.view.configs.iter().position(|c| c.config_id == id);
    let rows = m
        .comparisons
        .iter()
        .map(|c| {
            let number = |text: String, v: f64| Cell::new(text, v, Kind::Number);
            let at = index(&c.a);
            Row {
                config: at.unwrap_or(usize::MAX),
                cells: vec![
                    Cell::new(
                        label(sweep, &c.a),
                        at.map(|i| i as f64).unwrap_or(f64::NAN),
                        Kind::Label,
                    ),
                    Cell::new(
                        m.metric.difference_words(&c.difference),
                        c.difference.estimate,
                        Kind::Difference,
                    ),
                    Cell::new(c.test.clone(), f64::NAN, Kind::Text),
                    number(num(c.statistic, 3), c.statistic),
                    number(num(c.df, 3), c.df),
                    number(p_value(c.p_value), c.p_value),
                    number(p_value(c.p_holm), c.p_holm),
                    number(num(c.hedges_g, 3), c.hedges_g),
                    number(num(c.prob_superiority, 3), c.prob_superiority),
                    number(m.metric.mde_words(c.mde), c.mde),
                    Cell::new(
                        c.verdict.word(),
                        verdict_rank(Some(c.verdict)),
                        Kind::Verdict,
                    ),
                ],
            }
        })
        .collect();
    Some(Comparisons {
        heading: format!(
            "{} against the best ({}): the difference with its interval on the test's design, \
             Holm-adjusted p over every pair of the sweep's configurations",
            m.metric.name(),
            m.best
                .as_deref()
                .map(|b| label(sweep, b))
                .unwrap_or_default()
        ),
        table: Table {
            columns: headers.iter().map(|h| column(*h, false, true)).collect(),
            rows,
        },
    })
}

fn sweep_text(sweep: &SweepReport, level: &str) -> SweepText {
    let test = sweep.metric(Metric::TestAcc);
    let time = sweep.metric(Metric::TrainSecondsPerEpoch);
    SweepText {
        name: sweep.view.name.clone(),
        varies: sweep.view.params.join(" × "),
        table: sweep_table(sweep, level),
        comparisons: comparisons(sweep, test, level),
        not_compared: test
            .not_compared
            .as_ref()
            .map(|why| format!("{}: not compared — {why}.", test.metric.name())),
        conclusions: [test, time].map(|m| conclusion(sweep, m)).to_vec(),
    }
}

/// The seeds of an adaptive run: per configuration, how many and why.
fn adaptive(d: &crate::study::adaptive::Decision) -> AdaptiveText {
    let intro = format!(
        "Every configuration trained a pilot of {} seeds; each sweep then got, from its pooled \
         pilot SD, the seeds that bring the minimum detectable difference of its comparisons \
         (final validation accuracy, 80% power, α = {} split over the sweep's comparisons) to \
         {} points, at most {} (a configuration in several sweeps takes the largest count). \
         Method: {} — only the pilot's spread decides, never its means, so the tests keep \
         their error rates (docs/report.md).",
        d.range.min, d.alpha, d.target_mde, d.range.max, d.method
    );
    let headers = [
        "configuration",
        "pilot seeds",
        "pilot SD (points)",
        "pilot MDE",
        "seeds",
        "expected MDE",
        "why",
    ];
    let rows = d
        .configs
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let number = |text: String, v: f64| Cell::new(text, v, Kind::Number);
            Row {
                config: i,
                cells: vec![
                    Cell::new(c.config_id.clone(), i as f64, Kind::Label),
                    number(c.pilot_n.to_string(), c.pilot_n as f64),
                    number(num(c.pilot_sd, 2), c.pilot_sd),
                    number(num(c.pilot_mde, 2), c.pilot_mde),
                    number(c.seeds.to_string(), c.seeds as f64),
                    number(num(c.expected_mde, 2), c.expected_mde),
                    Cell::new(c.reason.clone(), f64::NAN, Kind::Text),
                ],
            }
        })
        .collect();
    AdaptiveText {
        heading: format!("Seeds per configuration (adaptive, `--seeds {}`)", d.range),
        intro,
        table: Table {
            columns: headers.iter().map(|h| column(*h, false, true)).collect(),
            rows,
        },
    }
}

/// The second title line of every figure file: the data it was computed on, and quick mode.
fn figure_subtitle(report: &Report) -> String {
    let data = report
        .data
        .as_ref()
        .map(|d| d.label())
        .unwrap_or_else(|| "no data".into());
    let quick = if report.quick {
        " · quick run (subsampled data, ≤5 epochs)"
    } else {
        ""
    };
    format!("{data}{quick}")
}

/// The distinct values of one provenance field over the records, joined.
fn distinct(records: &[TrialRecord], f: impl Fn(&TrialRecord) -> String) -> String {
    let set: BTreeSet<String> = records.iter().map(f).collect();
    if set.is_empty() {
        MISSING.into()
    } else {
        set.into_iter().collect::<Vec<_>>().join(", ")
    }
}

/// Where the trials came from: code, machine, time and data.
fn provenance(report: &Report, records: &[TrialRecord]) -> Vec<(String, String)> {
    let started: BTreeSet<&str> = records
        .iter()
        .map(|r| r.provenance.started_at.as_str())
        .collect();
    let span = match (started.first(), started.last()) {
        (Some(a), Some(b)) if a != b => format!("{a} … {b}"),
        (Some(a), _) => a.to_string(),
        _ => MISSING.into(),
    };
    let o = &report.options;
    let rows: Vec<(&str, String)> = vec![
        ("study", report.study.clone()),
        (
            "mode",
            if report.quick {
                "quick (--quick: 3 seeds, subsampled data, capped epochs)".into()
            } else {
                "full".into()
            },
        ),
        (
            "trials",
            format!("{} ({} diverged)", report.trials, report.diverged),
        ),
        (
            "analysis",
            format!(
                "{} CIs over seeds (accuracies: Student-t within [0, 100]; times: Cox's \
                 log-normal interval); α = {} (Holm); epochs-to-target at {} validation \
                 accuracy; report.json schema {}",
                crate::format::level(o.level),
                o.alpha,
                pct(o.target),
                report.schema_version
            ),
        ),
        ("backend", report.backends.join(", ")),
        ("device", distinct(records, |r| r.provenance.device.clone())),
        (
            "threads",
            distinct(records, |r| r.provenance.threads.to_string()),
        ),
        (
            "trainbench",
            distinct(records, |r| {
                let sha = r.provenance.git_sha.as_deref().unwrap_or("git sha unknown");
                format!("{} ({sha})", r.provenance.trainbench_version)
            }),
        ),
        (
            "burn",
            distinct(records, |r| r.provenance.burn_version.clone()),
        ),
        (
            "CPU",
            distinct(records, |r| {
                format!("{} ({} cores)", r.provenance.cpu, r.provenance.cores)
            }),
        ),
        ("OS", distinct(records, |r| r.provenance.os.clone())),
        ("host", distinct(records, |r| r.provenance.hostname.clone())),
        ("started", span),
        (
            "data",
            distinct(records, |r| {
                format!(
                    "{} (val {}, split seed {}; {} / {} / {} train / val / test rows; \
                     fingerprint {})",
                    r.data.spec.source,
                    r.data.spec.val,
                    r.data.spec.split_seed,
                    r.data.train_rows,
                    r.data.val_rows,
                    r.data.test_rows,
                    r.data.fingerprint
                )
            }),
        ),
    ];
    rows.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// What a replica group's trials reached, as a run's progress shows it when the group is
/// done: `test acc 71.20% ± 0.31 (sd, n=10), 1 diverged` — per configuration for a group of
/// several, named by what differs (`lr=1e-1 69.10% ± 0.52 (sd, n=10); lr=3e-2 …`).
pub fn group_accuracy(plan: &Plan, group: &Group, records: &[TrialRecord]) -> String {
    if group.members.len() == 1 {
        return config_accuracy(records);
    }
    group
        .members
        .iter()
        .zip(member_labels(plan, group))
        .map(|(m, label)| {
            let id = &plan.configs[m.config].id;
            let mine: Vec<TrialRecord> = records
                .iter()
                .filter(|r| r.config_id.as_deref() == Some(id))
                .cloned()
                .collect();
            format!(
                "{label} {}",
                config_accuracy(&mine).trim_start_matches("test acc ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `test acc 71.20% ± 0.31 (sd, n=10), 1 diverged`.
fn config_accuracy(records: &[TrialRecord]) -> String {
    let accs: Vec<f64> = records
        .iter()
        .filter(|r| !r.diverged)
        .map(|r| 100.0 * r.outcome.test_acc)
        .collect();
    let diverged = records.len() - accs.len();
    let mut s = match accs.len() {
        0 => "all diverged".to_string(),
        1 => format!("test acc {:.2}%", accs[0]),
        n => format!(
            "test acc {:.2}% ± {:.2} (sd, n={n})",
            mean(&accs),
            sample_variance(&accs).sqrt()
        ),
    };
    if diverged > 0 && !accs.is_empty() {
        s.push_str(&format!(", {diverged} diverged"));
    }
    s
}
