//! `report.md`: tables, comparisons, figures, and for a Lab 1 study the answers to the lab's
//! questions — each sentence generated from the statistics, saying no more than they support.

use super::Report;
use super::analysis::{Metric, MetricReport, SweepReport, Verdict};
use super::figures::suffix;
use super::table::{label, metric_ci, time_header, verdict};
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
        "| configuration | n | diverged | test acc ({:.0}% CI) | verdict | final val acc | best val acc | {} | total s | epochs to target (reached) |",
        100.0 * level,
        time_header(time),
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
            s.summary.n,
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
    if let Some(why) = &m.not_compared {
        let _ = writeln!(out, "\n{}: not compared — {why}.", m.metric.name());
        return;
    }
    if m.comparisons.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n{} against the best ({}), Holm-adjusted over every pair of the sweep's configurations:\n",
        m.metric.name(),
        m.best
            .as_deref()
            .map(|b| label(sweep, b))
            .unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "| configuration | test | t | df | p | p (Holm) | Hedges' g | P(A>B) | MDE | verdict |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|---|");
    for c in &m.comparisons {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            label(sweep, &c.a),
            c.test,
            num(c.statistic, 3),
            num(c.df, 3),
            p_value(c.p_value),
            p_value(c.p_holm),
            num(c.hedges_g, 3),
            num(c.prob_superiority, 3),
            m.metric.mde_words(c.mde),
            c.verdict.word()
        );
    }
}

/// "bs=256 reached 71.20% [70.91, 71.55] (10 seeds); bs=128 (p_holm = 0.31) and … are
/// statistically indistinguishable from it; bs=32, … are significantly lower."
fn finding(sweep: &SweepReport, m: &MetricReport, what: &str) -> String {
    if m.not_compared.is_some() {
        return format!("The {what} is not compared: {}.", time_unit_note(m));
    }
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
            .map(|c| {
                let mde = if v == Verdict::Indistinguishable {
                    format!(", could detect ≥ {}", m.metric.mde_words(c.mde))
                } else {
                    String::new()
                };
                format!(
                    "{} (p_holm = {}{mde})",
                    label(sweep, &c.a),
                    p_value(c.p_holm)
                )
            })
            .collect()
    };
    let (same, worse) = (group(Verdict::Indistinguishable), group(Verdict::Worse));
    let best_summary = m.summary(best).expect("best summary");
    let units = match (m.metric.is_time(), best_summary.unit.as_deref()) {
        (true, Some(u)) if u != "seed" => format!("{} timing units, each a {u}", s.n),
        _ => format!("{} seeds", s.n),
    };
    let diverged = if best_summary.diverged > 0 {
        format!(
            "; {} of its {} trials diverged and are left out",
            best_summary.diverged, best_summary.trials
        )
    } else {
        String::new()
    };
    let mut text = if m.selected_by.is_some() {
        format!(
            "Selected by mean final validation accuracy: {}, with {what} {value} \
             ({units}{diverged}).",
            label(sweep, best),
        )
    } else {
        format!(
            "The best mean {what} is {}: {value} ({units}{diverged}).",
            label(sweep, best),
        )
    };
    if same.len() > 5 {
        let same_c = || {
            m.comparisons
                .iter()
                .filter(|c| c.verdict == Verdict::Indistinguishable)
        };
        let min_p = same_c().map(|c| c.p_holm).fold(f64::INFINITY, f64::min);
        let mdes: Vec<f64> = same_c().map(|c| c.mde).filter(|x| x.is_finite()).collect();
        let range = if mdes.is_empty() {
            String::new()
        } else {
            let lo = mdes.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = mdes.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            format!(
                "; they could detect differences ≥ {} to ≥ {}",
                m.metric.mde_words(lo),
                m.metric.mde_words(hi)
            )
        };
        let _ = write!(
            text,
            " Statistically indistinguishable from it: {} of the {} other configurations \
             (smallest p_holm = {}{range}).",
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
    let better = group(Verdict::Better);
    if !better.is_empty() {
        let _ = write!(
            text,
            " Significantly higher on the test set than the selected one (validation and \
             test disagree): {}.",
            better.join(", ")
        );
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
    let caveat = if m.not_compared.is_some() {
        format!(" ({})", time_unit_note(m))
    } else {
        String::new()
    };
    format!(
        " Training time per epoch ranges from {:.3} s ({}) to {:.3} s ({}), a factor of {:.1}{caveat}.",
        fast.1,
        label(sweep, fast.0),
        slow.1,
        label(sweep, slow.0),
        slow.1 / fast.1
    )
}

/// Why a time metric was not compared, in words for report.md.
fn time_unit_note(m: &MetricReport) -> String {
    let unit = m
        .summaries
        .iter()
        .find_map(|s| s.unit.as_deref())
        .unwrap_or("replica group");
    format!(
        "each configuration's time is one measurement — one {unit} sharing one wall time — so \
         there is no confidence interval or test"
    )
}

/// One answer to a Lab 1 question, as plain text: the same words in report.md and
/// report.html.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The question, e.g. `Q1 — batch size.`
    pub heading: String,
    /// The answer: sentences built from the statistics (plain text, no markup).
    pub text: String,
    /// The figures it refers to, as file names (`train_acc_BS.png`).
    pub figures: Vec<String>,
}

/// The answers to the Lab 1 questions the study's sweeps can answer, in question order
/// (empty for a study without the Lab 1 sweep names).
pub fn answers(report: &Report) -> Vec<Answer> {
    let find = |name: &str| report.sweeps.iter().find(|s| s.view.name == name);
    let answer = |heading: &str, text: String, figures: &[&str]| Answer {
        heading: heading.to_string(),
        text,
        figures: figures.iter().map(|f| f.to_string()).collect(),
    };
    let mut answers = Vec::new();
    if let Some(s) = find("batch_size") {
        answers.push(answer(
            "Q1 — batch size.",
            format!(
                "{}{}{}",
                finding(s, s.metric(Metric::TestAcc), "test accuracy"),
                time_range(s),
                diverged_note(s)
            ),
            &[
                "train_acc_BS.png",
                "val_acc_BS.png",
                "time_per_epoch_BS.png",
            ],
        ));
    }
    let merged = |name: &str| report.caveats.iter().find(|c| c.sweep == name);
    if let Some(c) = merged("epochs") {
        answers.push(answer(
            "Q2 — maximum epochs.",
            format!("Not answerable in quick mode: {c}."),
            &[],
        ));
    } else if let Some(s) = find("epochs") {
        answers.push(answer(
            "Q2 — maximum epochs.",
            format!(
                "{} {}",
                finding(s, s.metric(Metric::TestAcc), "test accuracy"),
                finding(s, s.metric(Metric::TotalSeconds), "total training time (s)"),
            ),
            &["train_acc_Epoch.png", "val_acc_Epoch.png"],
        ));
    }
    if let Some(s) = find("learning_rate") {
        answers.push(answer(
            "Q3 — learning rate.",
            format!(
                "{}{}",
                finding(s, s.metric(Metric::TestAcc), "test accuracy"),
                diverged_note(s)
            ),
            &["train_acc_LR.png", "val_acc_LR.png"],
        ));
    }
    if let Some(s) = find("bs_x_lr") {
        let mut figures = vec!["heatmap_bs_x_lr.png"];
        if s.lr_scaling.is_some() {
            figures.push("lr_opt_vs_bs_bs_x_lr.png");
        }
        answers.push(answer(
            "Q3b — learning rate × batch size.",
            format!(
                "{}{} {}",
                q3b::answer(s, report.options.alpha),
                q3b::best_lr_per_bs(s),
                q3b::best_config(s),
            ),
            &figures,
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
        answers.push(answer(
            "Q4/Q5 — a 10× network.",
            format!(
                "Sizes: {}. {}",
                sizes.join(", "),
                finding(s, s.metric(Metric::TestAcc), "test accuracy")
            ),
            &["train_acc_Large.png", "val_acc_Large.png"],
        ));
    }
    answers
}

/// The sentence under the answers' heading: how verdicts are reached.
pub fn verdict_note(report: &Report) -> String {
    format!(
        "Verdicts compare each configuration with the sweep's best: paired t-tests over the shared seeds (Welch where seeds differ), Holm-adjusted over every pair of the sweep's configurations (the best is picked from the data, so the family must cover whichever pair it picks), α = {}. \"Indistinguishable\" means the data cannot tell them apart at this sample size, not that they are equal: each says the smallest true difference its test would have detected with 80% power at level α/m (\"could detect ≥ …\", the MDE).",
        report.options.alpha
    )
}

fn lab1_answers(out: &mut String, report: &Report) {
    let answers = answers(report);
    if answers.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Lab 1, answered from the data\n");
    let _ = writeln!(out, "{}\n", verdict_note(report));
    for a in answers {
        let figures: Vec<String> = a.figures.iter().map(|f| format!("`{f}`")).collect();
        let _ = writeln!(
            out,
            "**{}** {} See {}.\n",
            a.heading,
            a.text,
            figures.join(", ")
        );
    }
}

/// The whole `report.md`. `figures` are the stems written next to it (relative names are
/// used in the links).
pub fn render(report: &Report, figures: &[std::path::PathBuf]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# trainbench report: {}\n", report.study);
    match &report.data {
        Some(d) => {
            let _ = writeln!(out, "Data: {}.\n", d.describe());
            if d.synthetic {
                let _ = writeln!(out, "> **{}**\n", super::SYNTHETIC_WARNING);
            }
        }
        None => {
            let _ = writeln!(out, "Data: none (no trials).\n");
        }
    }
    for c in &report.caveats {
        let _ = writeln!(out, "> **Not answerable in quick mode:** {c}.\n");
    }
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
         a replica group is one timing measurement, and times get intervals and tests only \
         from at least 2 groups. The best configuration of a sweep is selected on mean final \
         validation accuracy and reported with its test accuracy (docs/report.md).\n"
    );
    lab1_answers(&mut out, report);
    if let Some(d) = &report.adaptive {
        adaptive_section(&mut out, d);
    }
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

/// The seeds of an adaptive run: per configuration, how many and why.
fn adaptive_section(out: &mut String, d: &crate::study::adaptive::Decision) {
    let _ = writeln!(
        out,
        "## Seeds per configuration (adaptive, `--seeds {}`)\n\nEvery configuration trained \
         a pilot of {} seeds; each sweep then got, from its pooled pilot SD, the seeds that \
         bring the minimum detectable difference of its comparisons (final validation \
         accuracy, 80% power, α = {} split over the sweep's comparisons) to {} points, at most \
         {} (a configuration in several sweeps takes the largest count). Method: {} — only the \
         pilot's spread decides, never its means, so the tests keep their error rates \
         (docs/report.md).\n",
        d.range, d.range.min, d.alpha, d.target_mde, d.range.max, d.method
    );
    let _ = writeln!(
        out,
        "| configuration | pilot seeds | pilot SD (points) | pilot MDE | seeds | expected MDE | why |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---|");
    for c in &d.configs {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            c.config_id,
            c.pilot_n,
            num(c.pilot_sd, 2),
            num(c.pilot_mde, 2),
            c.seeds,
            num(c.expected_mde, 2),
            c.reason
        );
    }
    let _ = writeln!(out);
}
