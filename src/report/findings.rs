//! The answers to Lab 1's questions, from a report's statistics: each sentence says no more
//! than the statistics support. The same [`Answer`]s appear in report.md and report.html.

use super::Report;
use super::analysis::{MetricReport, SweepReport, Verdict};
use super::metric::Metric;
use super::text::{Answer, label, value_ci};
use crate::format::p_value;
use crate::model::ModelSpec;
use std::fmt::Write;

mod q3b;

/// "bs=256 reached 71.20% [70.91, 71.55] (10 seeds); bs=128 (p_holm = 0.31) and … are
/// statistically indistinguishable from it; bs=32, … are significantly lower."
fn finding(sweep: &SweepReport, m: &MetricReport, what: &str) -> String {
    if m.not_compared.is_some() {
        return format!("The {what} is not compared: {}.", time_unit_note(m));
    }
    let Some(best) = &m.best else {
        return format!("No {what} values were recorded.");
    };
    let mut text = best_sentence(sweep, m, best, what);
    let same = group(sweep, m, Verdict::Indistinguishable);
    if same.len() > 5 {
        text.push_str(&many_indistinguishable(m, same.len()));
    } else if !same.is_empty() {
        let _ = write!(
            text,
            " Statistically indistinguishable from it: {}.",
            same.join(", ")
        );
    }
    let worse = group(sweep, m, Verdict::Worse);
    if !worse.is_empty() {
        let word = if m.metric.higher_is_better() {
            "lower"
        } else {
            "higher"
        };
        let _ = write!(text, " Significantly {word}: {}.", worse.join(", "));
    }
    let better = group(sweep, m, Verdict::Better);
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

/// The configurations compared with verdict `v`, each with its p_holm (and, when
/// indistinguishable, the difference it could have detected).
fn group(sweep: &SweepReport, m: &MetricReport, v: Verdict) -> Vec<String> {
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
}

/// "The best mean test accuracy is bs=256: 71.20% [70.91, 71.55] (10 seeds)." (or, for
/// test accuracy, the configuration selected by validation accuracy).
fn best_sentence(sweep: &SweepReport, m: &MetricReport, best: &str, what: &str) -> String {
    let best_summary = m.summary(best).expect("best summary");
    let s = &best_summary.summary;
    let value = value_ci(m.metric, s);
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
    if m.selected_by.is_some() {
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
    }
}

/// More than five configurations indistinguishable from the best: their count, the smallest
/// p_holm and the range of differences they could have detected.
fn many_indistinguishable(m: &MetricReport, count: usize) -> String {
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
    format!(
        " Statistically indistinguishable from it: {count} of the {} other configurations \
         (smallest p_holm = {}{range}).",
        m.comparisons.len(),
        p_value(min_p)
    )
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
