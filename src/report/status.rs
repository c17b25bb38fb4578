//! A run directory's state as `trainbench status` prints it: one line on the plan and the
//! log, a table of what each sweep has done, what is missing, and notes.

use crate::format::seed_ranges;
use crate::study::Plan;
use crate::study::status::Status;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use std::fmt::Write;
use std::path::Path;

/// The `status` output of `st`, the state of the `records` records in `log` against `plan`.
pub fn render(plan: &Plan, records: usize, log: &Path, st: &Status) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}{}: {} seeds per config, {} records in {}",
        plan.name,
        if plan.quick { " (quick)" } else { "" },
        plan.seeds.len(),
        records,
        log.display()
    );
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(["sweep", "configs", "trials", "done", "missing", "diverged"]);
    for s in st.sweeps.iter().chain([&st.total]) {
        table.add_row(vec![
            s.name.clone(),
            s.configs.to_string(),
            s.planned.to_string(),
            format!(
                "{} ({:.0}%)",
                s.done,
                100.0 * s.done as f64 / s.planned.max(1) as f64
            ),
            s.missing_trials().to_string(),
            s.diverged.to_string(),
        ]);
    }
    let _ = writeln!(out, "{table}");
    if !st.total.missing.is_empty() {
        let _ = writeln!(out, "missing:");
        for (id, seeds) in &st.total.missing {
            let _ = writeln!(out, "  {id} seeds {}", seed_ranges(seeds));
        }
    }
    if st.variants.len() > 1 {
        let _ = writeln!(
            out,
            "note: the counted trials come from several backends / data sets:"
        );
        for (backend, fingerprint) in &st.variants {
            let _ = writeln!(out, "  backend {backend}, data {fingerprint}");
        }
    }
    if st.outside_plan > 0 {
        let _ = writeln!(
            out,
            "note: {} record(s) of this mode are not in this plan (other sweeps or seeds)",
            st.outside_plan
        );
    }
    out
}
