//! `report.md`: tables, comparisons, figures, and for a Lab 1 study the answers to the lab's
//! questions — each sentence generated from the statistics, saying no more than they support.

use super::Report;
use super::analysis::{Metric, MetricReport, SweepReport, Verdict};
use super::figures::suffix;
use super::table::{label, metric_ci, verdict};
use crate::format::{num, num_ci, p_value, pct_ci};
use crate::model::ModelSpec;
use std::fmt::Write;
use std::path::Path;

mod q3b;

fn sweep_table(out: &mut String, sweep: &SweepReport, level: f64) {
    let test = sweep.metric(Metric::TestAcc);
    let val = sweep.metric(Metric::FinalValAcc);
    let best_val = sweep.metric(Metric::BestValAcc);
    let time = sweep.metric(Metric::TrainSecondsPerEpoch);
    let total = sweep.metric(Metric::TotalSeconds);
    let ett = sweep.metric(Metric::EpochsToTarget);
    let _ = writeln!(
        out,
        "| configuration | n | diverged | test acc ({:.0}% CI) | verdict | final val acc | best val acc | train s/epoch | total s | epochs to target (reached) |",
        100.0 * level
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|");
    for c in &sweep.view.configs {
        let id = c.config_id.as_str();
        let s = test.summary(id).expect("summary per config");
        let reached = ett.summary(id).map(|s| s.summary.n).unwrap_or(0);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} ({}/{}) |",
            label(sweep, id),
            s.trials,
            s.diverged,
            metric_ci(test, id),
            verdict(test, id),
            metric_ci(val, id),
            metric_ci(best_val, id),
            metric_ci(time, id),
            metric_ci(total, id),
            metric_ci(ett, id),
            reached,
            s.trials - s.diverged,
        );
    }
}

fn comparison_table(out: &mut String, sweep: &SweepReport, m: &MetricReport) {
    if m.comparisons.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n{} against the best ({}), Holm-adjusted within the sweep:\n",
        m.metric.name(),
        m.best
            .as_deref()
            .map(|b| label(sweep, b))
            .unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "| configuration | test | t | df | p | p (Holm) | Hedges' g | P(A>B) | verdict |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---|");
    for c in &m.comparisons {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            label(sweep, &c.a),
            c.test,
            num(c.statistic, 3),
            num(c.df, 3),
            p_value(c.p_value),
            p_value(c.p_holm),
            num(c.hedges_g, 3),
            num(c.prob_superiority, 3),
            c.verdict.word()
        );
    }
}

/// "bs=256 reached 71.20% [70.91, 71.55] (10 seeds); bs=128 (p_holm = 0.31) and … are
/// statistically indistinguishable from it; bs=32, … are significantly lower."
fn finding(sweep: &SweepReport, m: &MetricReport, what: &str) -> String {
    let Some(best) = &m.best else {
        return format!("No {what} values were recorded.");
    };
    let s = &m.summary(best).expect("best summary").summary;
    let value = if m.metric.higher_is_better() {
        pct_ci(s)
    } else {
        num_ci(s)
    };
    let group = |v: Verdict| -> Vec<String> {
        m.comparisons
            .iter()
            .filter(|c| c.verdict == v)
            .map(|c| format!("{} (p_holm = {})", label(sweep, &c.a), p_value(c.p_holm)))
            .collect()
    };
    let (same, worse) = (group(Verdict::Indistinguishable), group(Verdict::Worse));
    let mut text = format!(
        "The best mean {what} is {}: {value} ({} seeds).",
        label(sweep, best),
        s.n
    );
    if same.len() > 5 {
        let min_p = m
            .comparisons
            .iter()
            .filter(|c| c.verdict == Verdict::Indistinguishable)
            .map(|c| c.p_holm)
            .fold(f64::INFINITY, f64::min);
        let _ = write!(
            text,
            " Statistically indistinguishable from it: {} of the {} other configurations \
             (smallest p_holm = {}).",
            same.len(),
            m.comparisons.len(),
            p_value(min_p)
        );
    } else if !same.is_empty() {
        let _ = write!(
            text,
            " Statistically indistinguishable from it: {}.",
            same.join(", ")
        );
    }
    if !worse.is_empty() {
        let word = if m.metric.higher_is_better() {
            "lower"
        } else {
            "higher"
        };
        let _ = write!(text, " Significantly {word}: {}.", worse.join(", "));
    }
    text
}

fn diverged_note(sweep: &SweepReport) -> String {
    let test = sweep.metric(Metric::TestAcc);
    let notes: Vec<String> = test
        .summaries
        .iter()
        .filter(|s| s.diverged > 0)
        .map(|s| {
            format!(
                "{} diverged in {} of {} seeds (excluded from the statistics)",
                label(sweep, &s.config_id),
                s.diverged,
                s.trials
            )
        })
        .collect();
    if notes.is_empty() {
        String::new()
    } else {
        format!(" {}.", notes.join("; "))
    }
}

fn time_range(sweep: &SweepReport) -> String {
    let m = sweep.metric(Metric::TrainSecondsPerEpoch);
    let with: Vec<(&str, f64)> = m
        .summaries
        .iter()
        .filter(|s| s.summary.n > 0)
        .map(|s| (s.config_id.as_str(), s.summary.mean))
        .collect();
    let (Some(fast), Some(slow)) = (
        with.iter().min_by(|a, b| a.1.total_cmp(&b.1)),
        with.iter().max_by(|a, b| a.1.total_cmp(&b.1)),
    ) else {
        return String::new();
    };
    format!(
        " Training time per epoch ranges from {:.3} s ({}) to {:.3} s ({}), a factor of {:.1}.",
        fast.1,
        label(sweep, fast.0),
        slow.1,
        label(sweep, slow.0),
        slow.1 / fast.1
    )
}

fn lab1_answers(out: &mut String, report: &Report) {
    let find = |name: &str| report.sweeps.iter().find(|s| s.view.name == name);
    let mut answers = Vec::new();
    if let Some(s) = find("batch_size") {
        answers.push(format!(
            "**Q1 — batch size.** {}{}{} See `train_acc_BS.png`, `val_acc_BS.png`, `time_per_epoch_BS.png`.",
            finding(s, s.metric(Metric::TestAcc), "test accuracy"),
            time_range(s),
            diverged_note(s)
        ));
    }
    if let Some(s) = find("epochs") {
        answers.push(format!(
            "**Q2 — maximum epochs.** {} {} See `train_acc_Epoch.png`, `val_acc_Epoch.png`.",
            finding(s, s.metric(Metric::TestAcc), "test accuracy"),
            finding(s, s.metric(Metric::TotalSeconds), "total training time (s)"),
        ));
    }
    if let Some(s) = find("learning_rate") {
        answers.push(format!(
            "**Q3 — learning rate.** {}{} See `train_acc_LR.png`, `val_acc_LR.png`.",
            finding(s, s.metric(Metric::TestAcc), "test accuracy"),
            diverged_note(s)
        ));
    }
    if let Some(s) = find("bs_x_lr") {
        answers.push(format!(
            "**Q3b — learning rate × batch size.** {}{} {} See `heatmap_bs_x_lr.png`{}.",
            q3b::answer(s, report.options.alpha),
            q3b::best_lr_per_bs(s),
            q3b::best_config(s),
            if s.lr_scaling.is_some() {
                ", `lr_opt_vs_bs_bs_x_lr.png`"
            } else {
                ""
            }
        ));
    }
    if let Some(s) = find("model_size") {
        let sizes: Vec<String> = s
            .view
            .configs
            .iter()
            .filter_map(|c| {
                let name = c.values.first()?;
                let params = ModelSpec::parse(name).ok()?.param_count();
                Some(format!("{name} {params} params"))
            })
            .collect();
        answers.push(format!(
            "**Q4/Q5 — a 10× network.** Sizes: {}. {} See `train_acc_Large.png`, `val_acc_Large.png`.",
            sizes.join(", "),
            finding(s, s.metric(Metric::TestAcc), "test accuracy")
        ));
    }
    if answers.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Lab 1, answered from the data\n");
    let _ = writeln!(
        out,
        "Verdicts compare each configuration with the sweep's best: paired t-tests over the shared seeds (Welch where seeds differ), Holm-adjusted within the sweep, α = {}. \"Indistinguishable\" means the data cannot tell them apart at this sample size, not that they are equal.\n",
        report.options.alpha
    );
    for a in answers {
        let _ = writeln!(out, "{a}\n");
    }
}

/// The whole `report.md`. `figures` are the stems written next to it (relative names are
/// used in the links).
pub fn render(report: &Report, figures: &[std::path::PathBuf]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# trainbench report: {}\n", report.study);
    let _ = writeln!(
        out,
        "{} trials ({} diverged) on {}{}. Intervals are {:.0}% Student-t confidence intervals over seeds.\n",
        report.trials,
        report.diverged,
        report.backends.join(", "),
        if report.quick {
            "; **quick run** (3 seeds, subsampled data, capped epochs): for a first look, not for conclusions"
        } else {
            ""
        },
        100.0 * report.options.level
    );
    let _ = writeln!(
        out,
        "Seeds of one configuration train together as replicas, so they share one wall time: \
         time intervals are over replica groups, not independent runs.\n"
    );
    lab1_answers(&mut out, report);
    for sweep in &report.sweeps {
        let _ = writeln!(out, "## Sweep `{}`\n", sweep.view.name);
        sweep_table(&mut out, sweep, report.options.level);
        comparison_table(&mut out, sweep, sweep.metric(Metric::TestAcc));
        let sfx = suffix(&sweep.view.name);
        let mine: Vec<String> = figures
            .iter()
            .filter_map(|f| f.file_name()?.to_str().map(str::to_string))
            .filter(|n| n.ends_with(&format!("_{sfx}")))
            .collect();
        if !mine.is_empty() {
            let _ = writeln!(out);
            for name in mine {
                let _ = writeln!(out, "![{name}]({name}.png)");
            }
        }
        let _ = writeln!(out);
    }
    out
}

/// Writes `report.md` into `dir`.
pub fn write(report: &Report, figures: &[std::path::PathBuf], dir: &Path) -> crate::Result<()> {
    let path = dir.join("report.md");
    std::fs::write(&path, render(report, figures))
        .map_err(|e| crate::Error::io(format!("could not write '{}'", path.display()), e))
}
