//! The terminal tables of baseline checks. Timing: one row per benchmark or configuration, with the
//! old and new means, the change with its CI, the Holm-adjusted p-value and the verdict.

use super::{AccuracyCheck, Change, CheckResult, Direction};
use crate::format::{p_value, points, signed_points};
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

/// The comparison table of a check: `item` names the first column, `value` formats the old
/// and new means, `change` formats a difference (the mean's and the CI's ends) of row `r`.
pub fn render(
    result: &CheckResult,
    direction: Direction,
    item: &str,
    value: impl Fn(f64) -> String,
    change: impl Fn(&Change, f64) -> String,
) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header([
        item,
        "old",
        "new",
        "change",
        "95% CI (unadjusted)",
        "p (Holm)",
        "verdict",
    ]);
    let right = |s: String| Cell::new(s).set_alignment(CellAlignment::Right);
    for r in &result.rows {
        table.add_row(vec![
            Cell::new(&r.id),
            right(value(r.old_mean)),
            right(value(r.new_mean)),
            right(change(r, r.diff)),
            right(format!("[{}, {}]", change(r, r.ci.0), change(r, r.ci.1))),
            right(p_value(r.p_holm)),
            Cell::new(r.verdict.label(direction)),
        ]);
    }
    table
}

/// The table of an accuracy check: per configuration the design (paired or welch) and
/// seeds, the old and new means, the change with its adjusted CI, the minimum detectable
/// regression and the verdict (with the seeds an inconclusive one would need).
pub fn render_accuracy(result: &AccuracyCheck) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    let ci = format!(
        "{:.1}% CI (Bonferroni, m={})",
        100.0 * result.ci_level,
        result.family
    );
    table.set_header([
        "configuration",
        "test (seeds)",
        "old",
        "new",
        "change",
        ci.as_str(),
        "MDE",
        "verdict",
    ]);
    let right = |s: String| Cell::new(s).set_alignment(CellAlignment::Right);
    for r in &result.rows {
        let seeds = if r.design == "paired" {
            format!("paired ({})", r.n_old)
        } else {
            format!("welch ({}/{})", r.n_old, r.n_new)
        };
        let verdict = match r.seeds_needed {
            Some(n) => format!("{} (≈ {n} seeds for ±{})", r.verdict.word(), result.margin),
            None => r.verdict.word().to_string(),
        };
        table.add_row(vec![
            Cell::new(&r.id),
            Cell::new(seeds),
            right(points(r.old_mean)),
            right(points(r.new_mean)),
            right(signed_points(r.diff)),
            right(format!(
                "[{}, {}]",
                signed_points(r.ci.0),
                signed_points(r.ci.1)
            )),
            right(if r.mde_design == r.design {
                crate::format::mde_points(r.mde)
            } else {
                format!("{} (unpaired)", crate::format::mde_points(r.mde))
            }),
            Cell::new(verdict),
        ]);
    }
    table
}
