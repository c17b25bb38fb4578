//! The plan of a study run as `--dry-run` prints it: one table per sweep with each
//! configuration's trials and estimated time, then the totals (and the `--jobs` wall time),
//! and what the later stages of a searched learning rate or of adaptive seeds will do.

use crate::format::duration;
use crate::study::{AdaptiveSeeds, Session};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use std::fmt::Write;

/// The `--dry-run` output: one table per sweep, then the totals of a run in `jobs` jobs,
/// then each searched sweep's stages and the stages of `adaptive` seeds.
pub fn render(session: &Session, jobs: usize, adaptive: Option<AdaptiveSeeds>) -> String {
    let mut out = String::new();
    let (plan, rows, shard) = (&session.plan, session.rows(), session.shard);
    let _ = writeln!(
        out,
        "study {}{}: data {} ({} val), ~{} train / {} val / {} test rows; {} seeds per config; \
         {}",
        plan.name,
        if plan.quick {
            " (QUICK: ≤5 epochs, subsampled data)"
        } else {
            ""
        },
        session.data_spec().source,
        session.study.data.val,
        rows.train,
        rows.val,
        rows.test,
        plan.seeds.len(),
        session.grouping,
    );
    for c in plan.quick_caveats() {
        let _ = writeln!(out, "note: {c}");
    }
    let costs = session.config_estimates();
    for (name, members) in &plan.sweeps {
        let mut table = Table::new();
        table.load_preset(UTF8_FULL_CONDENSED);
        table.set_header(["config_id", "trials", "est. time", "also in"]);
        let mut trials = 0;
        for &i in members {
            let c = &plan.configs[i];
            let others: Vec<&str> = c
                .sweeps
                .iter()
                .filter(|s| *s != name)
                .map(String::as_str)
                .collect();
            trials += session.selection[i].len();
            table.add_row(vec![
                c.id.clone(),
                session.selection[i].len().to_string(),
                duration(costs[i]),
                others.join(", "),
            ]);
        }
        let _ = writeln!(
            out,
            "\nsweep {name}: {} configs, {trials} trials{}",
            members.len(),
            shard.map(|s| format!(" in shard {s}")).unwrap_or_default()
        );
        let _ = writeln!(out, "{table}");
    }
    let _ = writeln!(
        out,
        "\ntotal: {} unique configs × {} seeds = {} trials{}, in {} replica groups; estimated {} \
         (Flex on 2 cores; an estimate, see docs/studies.md)",
        plan.configs.len(),
        plan.seeds.len(),
        plan.trials(),
        shard
            .map(|s| format!(", shard {s}: {} trials", session.selected()))
            .unwrap_or_default(),
        session.groups().len(),
        duration(costs.iter().sum()),
    );
    if jobs > 1 {
        let _ = writeln!(
            out,
            "with --jobs {jobs}: about {} wall (the slowest of {jobs} slices trained at once)",
            duration(session.estimate_parallel(jobs))
        );
    }
    stages(&mut out, session, adaptive);
    out
}

/// What each searched sweep's later stages and the stages of `adaptive` seeds will do, one
/// line each.
fn stages(out: &mut String, session: &Session, adaptive: Option<AdaptiveSeeds>) {
    for s in session.plan.searched(&session.study) {
        let mut axis = s.axis;
        if let Some(b) = session.budget {
            axis.budget = b;
        }
        let _ = writeln!(
            out,
            "sweep {}: {}; the estimate above is stage 1 only",
            s.sweep,
            axis.describe()
        );
    }
    if let Some(a) = adaptive {
        let (range, target) = (a.range, a.target_mde);
        let _ = writeln!(
            out,
            "adaptive seeds {range}: every configuration trains a pilot of {} seeds, then up to \
             {} where the pilot's spread needs them for an MDE of {target} points; the \
             estimate above is for {} seeds everywhere (the most it can cost)",
            range.min, range.max, range.max
        );
    }
}
