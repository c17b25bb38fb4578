//! Terminal tables (comfy-table) of a [`Report`].

use super::Report;
use super::analysis::{Metric, MetricReport, SweepReport, Verdict};
use crate::format::{MISSING, num, num_ci, p_value, pct_ci};
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

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
    if let Some(why) = &m.not_compared {
        return why.clone();
    }
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
        .map(|c| {
            format!(
                "{} (p_holm = {}, MDE {})",
                label(sweep, &c.a),
                p_value(c.p_holm),
                m.metric.mde_words(c.mde)
            )
        })
        .collect();
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
    let better: Vec<String> = m
        .comparisons
        .iter()
        .filter(|c| c.verdict == Verdict::Better)
        .map(|c| format!("{} (p_holm = {})", label(sweep, &c.a), p_value(c.p_holm)))
        .collect();
    let better = if better.is_empty() {
        String::new()
    } else {
        format!("; better on test: {}", better.join(", "))
    };
    format!(
        "{head} {} (n = {}{diverged}); statistically indistinguishable: {}{better}",
        value,
        s.summary.n,
        if same.is_empty() {
            "none".to_string()
        } else {
            same.join(", ")
        }
    )
}

/// `train s/epoch`, naming the timing unit when it is a replica group.
pub fn time_header(time: &MetricReport) -> String {
    match time.summaries.iter().find_map(|s| s.unit.as_deref()) {
        Some(unit) if unit != "seed" => format!("train s/epoch (per {unit})"),
        _ => "train s/epoch".into(),
    }
}

/// One table per sweep: per configuration, trial counts, accuracies with CIs and verdicts,
/// and time per epoch; each followed by its conclusions.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    if let Some(d) = &report.data {
        out.push_str(&format!("data: {}\n", d.describe()));
        if d.synthetic {
            out.push_str(&format!("NOTE: {}\n", super::SYNTHETIC_WARNING));
        }
    }
    for c in &report.caveats {
        out.push_str(&format!("NOT ANSWERABLE IN QUICK MODE: {c}\n"));
    }
    out.push('\n');
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
            time_header(time),
            "verdict".into(),
        ]);
        for c in &sweep.view.configs {
            let id = c.config_id.as_str();
            let summary = test.summary(id).expect("every config has a summary");
            let right = |s: String| Cell::new(s).set_alignment(CellAlignment::Right);
            table.add_row(vec![
                Cell::new(label(sweep, id)),
                right(summary.summary.n.to_string()),
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
