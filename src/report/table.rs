//! The terminal rendering of a [`Report`]: one comfy-table per sweep with the columns of
//! its [`super::text::Table`] marked for the terminal, and the conclusions.

use super::Report;
use super::text::{self, SweepText};
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

/// A model table's columns marked for the terminal, as a comfy-table.
pub fn terminal_table(t: &text::Table) -> Table {
    let shown = t.shown(true);
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(shown.iter().map(|&i| t.columns[i].header.clone()));
    for row in &t.rows {
        table.add_row(shown.iter().map(|&i| {
            let c = &row.cells[i];
            let cell = Cell::new(&c.text);
            if c.kind.right() {
                cell.set_alignment(CellAlignment::Right)
            } else {
                cell
            }
        }));
    }
    table
}

fn sweep(out: &mut String, s: &SweepText) {
    out.push_str(&format!("sweep {}\n{}\n", s.name, terminal_table(&s.table)));
    for c in &s.conclusions {
        out.push_str(&format!("  {c}\n"));
    }
    out.push('\n');
}

/// One table per sweep: per configuration, trial counts, accuracies with CIs and verdicts,
/// and time per epoch; each followed by its conclusions.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    if let Some(d) = &report.text.data {
        out.push_str(&format!("data: {d}\n"));
    }
    if report.data.as_ref().is_some_and(|d| d.synthetic) {
        out.push_str(&format!("NOTE: {}\n", super::SYNTHETIC_WARNING));
    }
    for c in &report.caveats {
        out.push_str(&format!("NOT ANSWERABLE IN QUICK MODE: {c}\n"));
    }
    out.push('\n');
    for s in &report.text.sweeps {
        sweep(&mut out, s);
    }
    out
}
