//! Terminal tables (comfy-table) of a [`Report`].

use super::Report;
use super::analysis::{Metric, MetricReport, SweepReport, Verdict};
use crate::format::{MISSING, num_ci, pct_ci};
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

/// A metric's summary of one configuration, formatted for its kind.
pub fn metric_ci(m: &MetricReport, id: &str) -> String {
    match m.summary(id) {
        Some(s) if m.metric.higher_is_better() => pct_ci(&s.summary),
        Some(s) => num_ci(&s.summary),
        None => MISSING.into(),
    }
}

/// The verdict word of `id` for metric `m` ("" if it has no values).
pub fn verdict(m: &MetricReport, id: &str) -> &'static str {
    m.verdict(id).map(|v| v.word()).unwrap_or("")
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

/// The one-line conclusion for a metric: best, and who is indistinguishable from it.
pub fn conclusion(sweep: &SweepReport, m: &MetricReport) -> String {
    let Some(best) = &m.best else {
        return format!("{}: no values", m.metric.name());
    };
    let s = m.summary(best).expect("best has a summary");
    let value = if m.metric.higher_is_better() {
        pct_ci(&s.summary)
    } else {
        num_ci(&s.summary)
    };
    let same: Vec<String> = m
        .comparisons
        .iter()
        .filter(|c| c.verdict == Verdict::Indistinguishable)
        .map(|c| format!("{} (p_holm = {:.3})", label(sweep, &c.a), c.p_holm))
        .collect();
    format!(
        "best {}: {} — {} (n = {}); statistically indistinguishable: {}",
        m.metric.name(),
        label(sweep, best),
        value,
        s.summary.n,
        if same.is_empty() {
            "none".to_string()
        } else {
            same.join(", ")
        }
    )
}

/// One table per sweep: per configuration, trial counts, accuracies with CIs and verdicts,
/// and time per epoch; each followed by its conclusions.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for sweep in &report.sweeps {
        let test = sweep.metric(Metric::TestAcc);
        let val = sweep.metric(Metric::FinalValAcc);
        let time = sweep.metric(Metric::TrainSecondsPerEpoch);
        let mut table = Table::new();
        table.load_preset(UTF8_FULL_CONDENSED);
        table.set_header(vec![
            "configuration".to_string(),
            "n".into(),
            "diverged".into(),
            format!("test acc ({:.0}% CI)", 100.0 * report.options.level),
            "verdict".into(),
            "final val acc".into(),
            "verdict".into(),
            "train s/epoch".into(),
            "verdict".into(),
        ]);
        for c in &sweep.view.configs {
            let id = c.config_id.as_str();
            let summary = test.summary(id).expect("every config has a summary");
            let right = |s: String| Cell::new(s).set_alignment(CellAlignment::Right);
            table.add_row(vec![
                Cell::new(label(sweep, id)),
                right(summary.trials.to_string()),
                right(summary.diverged.to_string()),
                right(metric_ci(test, id)),
                Cell::new(verdict(test, id)),
                right(metric_ci(val, id)),
                Cell::new(verdict(val, id)),
                right(metric_ci(time, id)),
                Cell::new(verdict(time, id)),
            ]);
        }
        out.push_str(&format!("sweep {}\n{table}\n", sweep.view.name));
        for m in [test, time] {
            out.push_str(&format!("  {}\n", conclusion(sweep, m)));
        }
        out.push('\n');
    }
    out
}
