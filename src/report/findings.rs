//! The answers to Lab 1's questions, from a report's statistics: each sentence says no more
//! than the statistics support. The same [`Answer`]s appear in report.md and report.html.

use super::Report;
use super::analysis::{MetricReport, SweepReport, Verdict};
use super::metric::Metric;
use super::text::{Answer, TRAINED_TOGETHER, label, value_ci};
use crate::format::{num, p_value};
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

/// The configurations compared with verdict `v`, each with its difference from the best and
/// its interval, its p_holm (and, when indistinguishable, the difference it could have
/// detected).
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
                "{} ({}, p_holm = {}{mde})",
                label(sweep, &c.a),
                m.metric.difference_words(&c.difference),
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
    if all_together(m, with.len()) {
        return format!(
            " Training time per epoch: {TRAINED_TOGETHER} ({:.3} s per {}).",
            fast.1,
            unit_of(m)
        );
    }
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

/// Whether every one of the `valued` configurations of a time metric shares one time (all
/// trained in the same replica groups).
fn all_together(m: &MetricReport, valued: usize) -> bool {
    valued > 1 && m.trained_together.iter().any(|set| set.len() == valued)
}

/// The timing unit of a time metric, in words (`replica group of 10 seeds`).
fn unit_of(m: &MetricReport) -> &str {
    m.summaries
        .iter()
        .find_map(|s| s.unit.as_deref())
        .unwrap_or("replica group")
}

/// Why a time metric was not compared, in words for report.md.
fn time_unit_note(m: &MetricReport) -> String {
    let unit = unit_of(m);
    format!(
        "each configuration's time is one measurement — one {unit} sharing one wall time — so \
         there is no confidence interval or test"
    )
}

/// The study whose sweeps Lab 1's questions are asked of (studies/lab1.toml).
pub const LAB1: &str = "lab1";

/// The answers of a report, one per sweep: for Lab 1 (the study named [`LAB1`]) its
/// questions in question order, then for every sweep they do not cover — and for every sweep
/// of any other study, whatever its name — the generic answer of [`sweep_answer`].
pub fn answers(report: &Report) -> Vec<Answer> {
    let mut answers = Vec::new();
    let mut covered: Vec<&str> = Vec::new();
    if report.study == LAB1 {
        answers = lab1_answers(report);
        covered = vec![
            "batch_size",
            "epochs",
            "learning_rate",
            "bs_x_lr",
            "model_size",
        ];
    }
    for s in &report.sweeps {
        if !covered.contains(&s.view.name.as_str()) {
            answers.push(sweep_answer(report, s));
        }
    }
    answers
}

/// The name of a configuration in prose: the value alone in a sweep of one parameter whose
/// values are words (`jsc-toy`), else the label (`batch_size=256`, `bs=128, lr=1e-3`).
fn short(sweep: &SweepReport, id: &str) -> String {
    let value = sweep
        .view
        .configs
        .iter()
        .find(|c| c.config_id == id)
        .and_then(|c| match c.values.as_slice() {
            [v] if v.parse::<f64>().is_err() => Some(v.clone()),
            _ => None,
        });
    value.unwrap_or_else(|| label(sweep, id))
}

/// Any sweep's answer, the size of the difference first: for two configurations "jsc-toy is
/// 5.90 points [4.80, 7.00] better than jsc-tiny in test accuracy (95% CI, paired over 10
/// seeds; p_holm = …)", for more the selected configuration and every other's difference
/// from it; for a batch size × learning rate sweep the interaction and the optimal learning
/// rate's scaling; then the training time per epoch (a ratio with its interval, or why there
/// is none).
pub fn sweep_answer(report: &Report, s: &SweepReport) -> Answer {
    let m = s.metric(Metric::TestAcc);
    let level = crate::format::level(report.options.level);
    let two =
        m.comparisons.len() == 1 && m.summaries.iter().filter(|x| x.summary.n > 0).count() == 2;
    let mut text = match m.comparisons.first() {
        Some(c) if two => {
            let best = m.best.as_deref().unwrap_or_default();
            pair_sentence(s, c, best, &level, report.options.alpha)
        }
        _ => finding(s, m, "test accuracy"),
    };
    // A batch size × learning rate sweep also gets Lab 1's Q3b analysis in words.
    if s.interaction.is_some() || s.lr_scaling.is_some() {
        let _ = write!(
            text,
            " {}{}",
            q3b::answer(s, report.options.alpha),
            q3b::best_lr_per_bs(s)
        );
    }
    text.push_str(&time_sentence(s, &level));
    text.push_str(&diverged_note(s));
    let name = &s.view.name;
    let varies = s.view.params.join(" × ");
    Answer {
        heading: if *name == varies {
            format!("Sweep {name}.")
        } else {
            format!("Sweep {name} ({varies}).")
        },
        text,
        figures: Vec::new(),
    }
}

/// Two configurations' test accuracy: the higher one's lead with its interval, then how the
/// test judged it.
fn pair_sentence(
    s: &SweepReport,
    c: &super::analysis::Comparison,
    best: &str,
    level: &str,
    alpha: f64,
) -> String {
    let m = s.metric(Metric::TestAcc);
    // `c` is a − best; say it from the side of the higher mean.
    let (hi, lo, d) = if c.difference.estimate > 0.0 {
        (c.a.as_str(), best, c.difference)
    } else {
        (best, c.a.as_str(), c.difference.flipped())
    };
    let pts = |x: f64| num(100.0 * x, 2);
    let size = if d.ci_low.is_finite() {
        format!(
            "{} points [{}, {}]",
            pts(d.estimate),
            pts(d.ci_low),
            pts(d.ci_high)
        )
    } else {
        format!("{} points (no interval)", pts(d.estimate))
    };
    let n = m.summary(&c.a).map_or(0, |x| x.summary.n);
    let design = match c.test.as_str() {
        "paired" => format!("paired over {n} seeds"),
        _ => "Welch".to_string(),
    };
    let judged = if c.p_holm < alpha {
        "a real difference at this sample size"
    } else {
        "the data cannot tell them apart at this sample size"
    };
    let value = |id: &str| {
        m.summary(id)
            .map(|x| value_ci(m.metric, &x.summary))
            .unwrap_or_default()
    };
    format!(
        "{} is {size} better than {} in test accuracy ({level} CI, {design}; p_holm = {}: \
         {judged}). Test accuracy: {} {}, {} {}.",
        short(s, hi),
        short(s, lo),
        p_value(c.p_holm),
        short(s, hi),
        value(hi),
        short(s, lo),
        value(lo),
    )
}

/// The training time per epoch of a sweep: with two configurations compared, the slower
/// one's time as a multiple of the faster one's with its interval; else its range (with why
/// there is no interval), or that the configurations share one time.
fn time_sentence(s: &SweepReport, level: &str) -> String {
    let m = s.metric(Metric::TrainSecondsPerEpoch);
    match m.comparisons.as_slice() {
        [c] if c.difference.ci_low.is_finite() => {
            let fast = m.best.as_deref().unwrap_or_default();
            format!(
                " Training time per epoch: {} takes {} the time of {} ({level} CI, Welch over \
                 {} timing units each a {}).",
                short(s, &c.a),
                m.metric.difference_words(&c.difference),
                short(s, fast),
                m.summary(&c.a).map_or(0, |x| x.summary.n),
                unit_of(m)
            )
        }
        _ => time_range(s),
    }
}

/// The answers to the Lab 1 questions the study's sweeps can answer, in question order.
fn lab1_answers(report: &Report) -> Vec<Answer> {
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
        "Verdicts compare each configuration with the sweep's best: paired t-tests over the shared seeds (Welch where seeds differ), Holm-adjusted over every pair of the sweep's configurations (the best is picked from the data, so the family must cover whichever pair it picks), α = {}. \"Indistinguishable\" means the data cannot tell them apart at this sample size, not that they are equal: each says the smallest true difference its test would have detected with 80% power at level α/m (\"could detect ≥ …\", the MDE). Each difference's interval is that comparison's own (not widened for the family), so an interval that excludes 0 can go with \"indistinguishable\".",
        report.options.alpha
    )
}
