//! The terminal table of a baseline check: one row per benchmark or configuration, with the
//! old and new means, the change with its CI, the Holm-adjusted p-value and the verdict.

use super::{Change, CheckResult, Direction};
use crate::format::p_value;
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
