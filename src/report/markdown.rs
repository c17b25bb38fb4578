//! `report.md`: the [`Report`]'s text laid out as Markdown — the Lab 1 answers, the adaptive
//! seed decision, and per sweep its table, its comparisons and its figures.

use super::Report;
use super::text::{SweepText, Table};
use std::fmt::Write;
use std::path::Path;

/// A model table's document columns as a Markdown table (numbers right-aligned).
pub fn table(out: &mut String, t: &Table) {
    let shown = t.shown(false);
    let cells = |texts: Vec<&str>| format!("| {} |", texts.join(" | "));
    let _ = writeln!(
        out,
        "{}",
        cells(
            shown
                .iter()
                .map(|&i| t.columns[i].header.as_str())
                .collect()
        )
    );
    let right = |i: usize| t.rows.first().is_some_and(|r| r.cells[i].kind.right());
    let rule: Vec<&str> = shown
        .iter()
        .map(|&i| if right(i) { "---:" } else { "---" })
        .collect();
    let _ = writeln!(out, "|{}|", rule.join("|"));
    for row in &t.rows {
        let _ = writeln!(
            out,
            "{}",
            cells(
                shown
                    .iter()
                    .map(|&i| escape(&row.cells[i].text))
                    .collect::<Vec<_>>()
                    .iter()
                    .map(String::as_str)
                    .collect()
            )
        );
    }
}

/// Text from the study (its name, sweep names, configuration labels) for Markdown: HTML's
/// `<`, `>` and `&` become entities and the Markdown characters that could break a table or
/// start a code span or emphasis (`\`, `` ` ``, `*`, `|`) are backslash-escaped, so a study
/// named `<img src=x onerror=…>` is shown as written, not run.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in super::html::page::escape(text).chars() {
        if matches!(c, '\\' | '`' | '*' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The answers, one paragraph each — the report's first paragraphs — then how verdicts are
/// reached.
fn answers(out: &mut String, report: &Report) {
    if report.text.answers.is_empty() {
        return;
    }
    for a in &report.text.answers {
        let figures: Vec<String> = a.figures.iter().map(|f| format!("`{f}`")).collect();
        let see = match figures.is_empty() {
            true => String::new(),
            false => format!(" See {}.", figures.join(", ")),
        };
        let _ = writeln!(out, "**{}** {}{see}\n", escape(&a.heading), escape(&a.text));
    }
    let _ = writeln!(out, "{}\n", report.text.verdict_note);
}

/// One sweep: its table, its comparisons, and (when `figures`) links to its figure files.
fn sweep(out: &mut String, report: &Report, si: usize, s: &SweepText, figures: bool) {
    // In a code span HTML is text; a name with a backtick is escaped instead.
    let name = match s.name.contains('`') {
        false => format!("`{}`", s.name),
        true => escape(&s.name),
    };
    let _ = writeln!(out, "## Sweep {name}\n");
    table(out, &s.table);
    if let Some(why) = &s.not_compared {
        let _ = writeln!(out, "\n{why}");
    } else if let Some(c) = &s.comparisons {
        let _ = writeln!(out, "\n{}:\n", c.heading);
        table(out, &c.table);
    }
    let mine: Vec<&str> = report
        .figures
        .iter()
        .filter(|f| figures && f.sweep == si)
        .map(|f| f.stem.as_str())
        .collect();
    if !mine.is_empty() {
        let _ = writeln!(out);
        for name in mine {
            let _ = writeln!(out, "![{name}]({name}.png)");
        }
    }
    let _ = writeln!(out);
}

/// The whole `report.md`; with `figures`, each sweep links its figure files (written next
/// to it by [`super::plot::write_all`]).
pub fn render(report: &Report, figures: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# trainbench report: {}\n", escape(&report.study));
    answers(&mut out, report);
    match &report.text.data {
        Some(d) => {
            let _ = writeln!(out, "Data: {d}.\n");
        }
        None => {
            let _ = writeln!(out, "Data: none (no trials).\n");
        }
    }
    if report.data.as_ref().is_some_and(|d| d.synthetic) {
        let _ = writeln!(out, "> **{}**\n", super::SYNTHETIC_WARNING);
    }
    for c in &report.caveats {
        let _ = writeln!(out, "> **Not answerable in quick mode:** {c}.\n");
    }
    let _ = writeln!(
        out,
        "{} trials ({} diverged) on {}{}. Intervals are {} confidence intervals over seeds (over timing units for times).\n",
        report.trials,
        report.diverged,
        report.backends.join(", "),
        if report.quick {
            "; **quick run** (3 seeds, subsampled data, capped epochs): for a first look, not for conclusions"
        } else {
            ""
        },
        report.text.level
    );
    let _ = writeln!(out, "{} (docs/report.md).\n", super::METHOD_NOTE);
    if let Some(a) = &report.text.adaptive {
        let _ = writeln!(out, "## {}\n\n{}\n", a.heading, a.intro);
        table(&mut out, &a.table);
        let _ = writeln!(out);
    }
    for (si, s) in report.text.sweeps.iter().enumerate() {
        sweep(&mut out, report, si, s, figures);
    }
    out
}

/// Writes `report.md` into `dir`, linking the figures written there.
pub fn write(report: &Report, dir: &Path) -> crate::Result<()> {
    let path = dir.join("report.md");
    std::fs::write(&path, render(report, true))
        .map_err(|e| crate::Error::io(format!("could not write '{}'", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::analysis::AnalysisOptions;

    fn report() -> Report {
        let (view, records) = crate::report::testing::batch_size_sweep_with_divergence();
        Report::build("t", &[view], &records, AnalysisOptions::default())
    }

    /// A sweep's section: its heading, its table with numbers right-aligned, the comparisons
    /// under their heading, and its figure files linked only when they were written.
    #[test]
    fn a_sweep_renders_its_table_comparisons_and_figures() {
        let report = report();
        let md = render(&report, true);
        let section = &md[md.find("## Sweep `batch_size`").expect("the sweep")..];
        assert!(
            section.contains("\n|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|\n")
        );
        assert!(section.contains(
            "\ntest_acc against the best (batch_size=32): the difference with its interval on \
             the test's design, Holm-adjusted p over every pair of the sweep's \
             configurations:\n\n| configuration | difference (95% CI) | test |"
        ));
        for stem in [
            "train_acc_BS",
            "val_acc_BS",
            "test_acc_vs_batch_size_BS",
            "time_per_epoch_BS",
        ] {
            assert!(
                section.contains(&format!("![{stem}]({stem}.png)")),
                "{stem}"
            );
        }
        assert!(!render(&report, false).contains("]("));
    }

    /// Lab 1's questions are asked of the study named lab1; another study's sweep of the same
    /// name gets the generic answer, and a user's `model_size` sweep is not headed "Q4/Q5".
    #[test]
    fn lab1_answers_belong_to_lab1_and_every_other_sweep_gets_one() {
        let (view, records) = crate::report::testing::batch_size_sweep_with_divergence();
        let lab1 = Report::build("lab1", &[view], &records, AnalysisOptions::default());
        let md = render(&lab1, true);
        let answer = md
            .lines()
            .find(|l| l.starts_with("**Q1 — batch size.**"))
            .expect("Q1");
        assert!(
            answer.contains("batch_size=64 diverged in 1 of 4 seeds"),
            "{answer}"
        );
        assert!(
            answer.ends_with("See `train_acc_BS.png`, `val_acc_BS.png`, `time_per_epoch_BS.png`.")
        );
        assert!(
            answer.contains("batch_size=64 (-"),
            "the difference: {answer}"
        );
        let md = render(&report(), true);
        assert!(!md.contains("Q1 —") && md.contains("**Sweep batch_size.** batch_size=32 is "));
        let (mut view, records) = crate::report::testing::model_sweep();
        view.name = "model_size".into();
        let user = render(
            &Report::build("mine", &[view], &records, AnalysisOptions::default()),
            true,
        );
        assert!(!user.contains("Q4/Q5") && user.contains("**Sweep model_size (model).** "));
    }

    /// A sweep named `model` (no Lab 1 name): report.md's first paragraph is its answer, the
    /// difference with its paired interval first. Reference: scipy 1.17.1
    /// `ttest_rel(toy, tiny).confidence_interval(0.95)` = [0.05396, 0.05764], difference
    /// 0.0558 (scripts/interval_reference.py, "the report's model-sweep fixture").
    #[test]
    fn the_first_paragraph_states_the_difference_with_its_interval() {
        let (view, records) = crate::report::testing::model_sweep();
        let report = Report::build("student", &[view], &records, AnalysisOptions::default());
        let md = render(&report, true);
        let first = md.split("\n\n").nth(1).expect("a first paragraph");
        assert!(
            first.starts_with(
                "**Sweep model.** jsc-toy is 5.58 points [5.40, 5.76] better than jsc-tiny in \
                 test accuracy (95% CI, paired over 5 seeds; "
            ),
            "{first}"
        );
        let c = &report.sweeps[0]
            .metric(crate::report::analysis::Metric::TestAcc)
            .comparisons[0];
        let d = c.difference.flipped();
        let near = |x: f64, y: f64| (x - y).abs() < 1e-12;
        assert!(near(d.estimate, 0.05580000000000005), "{d:?}");
        assert!(near(d.ci_low, 0.05395831466700807) && near(d.ci_high, 0.057641685332992035));
    }

    /// A quick Lab 1 run's epochs question has no figures: no dangling "See ." after it.
    #[test]
    fn an_answer_without_figures_has_no_dangling_reference() {
        let (view, records) = crate::report::testing::batch_size_sweep();
        let caveat = crate::study::plan::QuickCaveat {
            sweep: "epochs".into(),
            text: "quick mode caps epochs at 5".into(),
        };
        let opts = AnalysisOptions::default();
        let report = Report::build_with("lab1", &[view], &records, opts, vec![caveat], None);
        let md = render(&report, true);
        assert!(md.contains("**Q2 — maximum epochs.** Not answerable in quick mode"));
        assert!(!md.contains("See ."), "{md}");
    }

    /// HTML in a study's name is shown as text, not run (report.html escapes it too).
    #[test]
    fn html_in_a_study_name_is_escaped() {
        let (view, records) = crate::report::testing::batch_size_sweep();
        let name = "<img src=x onerror=alert(1)> & `x` | *y*";
        let report = Report::build(name, &[view], &records, AnalysisOptions::default());
        let md = render(&report, true);
        assert!(md.starts_with(
            "# trainbench report: &lt;img src=x onerror=alert(1)&gt; &amp; \\`x\\` \\| \\*y\\*\n"
        ));
        assert!(!md.contains("<img"));
    }
}
