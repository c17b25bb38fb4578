//! `trainbench run --dry-run`: the plan as one table per sweep, with estimated costs.

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use trainbench::format::duration;
use trainbench::study::Session;

/// The `--dry-run` output: one table per sweep, then the totals.
pub fn print_plan(session: &Session, jobs: usize) {
    let (plan, rows, shard) = (&session.plan, session.rows(), session.shard);
    outln!(
        "study {}{}: data {} ({} val), ~{} train / {} val / {} test rows; {} seeds per config; \
         replicas {}",
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
        session.replicas,
    );
    for c in plan.quick_caveats() {
        outln!("note: {c}");
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
        outln!(
            "\nsweep {name}: {} configs, {trials} trials{}",
            members.len(),
            shard.map(|s| format!(" in shard {s}")).unwrap_or_default()
        );
        outln!("{table}");
    }
    outln!(
        "\ntotal: {} unique configs × {} seeds = {} trials{}; estimated {} (Flex on 2 cores; \
         an estimate, see docs/studies.md)",
        plan.configs.len(),
        plan.seeds.len(),
        plan.trials(),
        shard
            .map(|s| format!(", shard {s}: {} trials", session.selected()))
            .unwrap_or_default(),
        duration(costs.iter().sum()),
    );
    if jobs > 1 {
        outln!(
            "with --jobs {jobs}: about {} wall (the slowest of {jobs} slices trained at once)",
            duration(session.estimate_parallel(jobs))
        );
    }
}
