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
            cells(shown.iter().map(|&i| row.cells[i].text.as_str()).collect())
        );
    }
}

/// The Lab 1 answers, under how verdicts are reached (nothing for another study).
fn answers(out: &mut String, report: &Report) {
    if report.text.answers.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Lab 1, answered from the data\n");
    let _ = writeln!(out, "{}\n", report.text.verdict_note);
    for a in &report.text.answers {
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

/// One sweep: its table, its comparisons, and (when `figures`) links to its figure files.
fn sweep(out: &mut String, report: &Report, si: usize, s: &SweepText, figures: bool) {
    let _ = writeln!(out, "## Sweep `{}`\n", s.name);
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
    let _ = writeln!(out, "# trainbench report: {}\n", report.study);
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
        "{} trials ({} diverged) on {}{}. Intervals are {} Student-t confidence intervals over seeds.\n",
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
    answers(&mut out, report);
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
        assert!(section.contains("\n|---|---:|---:|---:|---|---:|---:|---:|---:|---:|\n"));
        assert!(section.contains(
            "\ntest_acc against the best (batch_size=32), Holm-adjusted over every pair of the \
             sweep's configurations:\n\n| configuration | test |"
        ));
        for stem in ["train_acc_BS", "val_acc_BS", "test_acc_vs_batch_size_BS"] {
            assert!(
                section.contains(&format!("![{stem}]({stem}.png)")),
                "{stem}"
            );
        }
        assert!(!render(&report, false).contains("]("));
        assert!(md.starts_with("# trainbench report: t\n\nData: "));
    }

    /// A Lab 1 sweep name gets its answer, naming its figures and the diverged seed; a
    /// sweep of another name gets none.
    #[test]
    fn a_lab1_sweep_gets_its_answer() {
        let md = render(&report(), true);
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
        let (mut view, records) = crate::report::testing::batch_size_sweep();
        view.name = "bs".into();
        let other = Report::build("t", &[view], &records, AnalysisOptions::default());
        assert!(!render(&other, true).contains("## Lab 1"));
    }
}
