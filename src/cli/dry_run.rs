//! `trainbench run --dry-run`: the plan as one table per sweep, with estimated costs.

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use trainbench::study::cost::{RowEstimate, estimate_seconds, human};
use trainbench::study::{Plan, Replicas, Shard, Study, data};

/// Estimated seconds of `seeds` of `config` grouped by `replicas`.
fn estimate(
    plan: &Plan,
    config: usize,
    seeds: &[u64],
    replicas: Replicas,
    rows: RowEstimate,
) -> f64 {
    replicas
        .split(seeds)
        .iter()
        .map(|g| estimate_seconds(&plan.configs[config].config, g.len(), rows))
        .sum()
}

/// The `--dry-run` output: one table per sweep, then the totals.
pub fn print_plan(
    plan: &Plan,
    study: &Study,
    selection: &[Vec<u64>],
    replicas: Replicas,
    rows: RowEstimate,
    shard: Option<Shard>,
    jobs: usize,
) {
    println!(
        "study {}{}: data {} ({} val), ~{} train / {} val / {} test rows; {} seeds per config; \
         replicas {replicas}",
        plan.study,
        if plan.quick {
            " (QUICK: ≤5 epochs, subsampled data)"
        } else {
            ""
        },
        data::effective_spec(&study.data, plan.quick).source,
        study.data.val,
        rows.train,
        rows.val,
        rows.test,
        plan.seeds.len(),
    );
    let costs: Vec<f64> = (0..plan.configs.len())
        .map(|i| estimate(plan, i, &selection[i], replicas, rows))
        .collect();
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
            trials += selection[i].len();
            table.add_row(vec![
                c.id.clone(),
                selection[i].len().to_string(),
                human(costs[i]),
                others.join(", "),
            ]);
        }
        println!(
            "\nsweep {name}: {} configs, {trials} trials{}",
            members.len(),
            shard.map(|s| format!(" in shard {s}")).unwrap_or_default()
        );
        println!("{table}");
    }
    let selected: usize = selection.iter().map(Vec::len).sum();
    let total: f64 = costs.iter().sum();
    println!(
        "\ntotal: {} unique configs × {} seeds = {} trials{}; estimated {} (Flex on 2 cores; \
         an estimate, see docs/studies.md)",
        plan.configs.len(),
        plan.seeds.len(),
        plan.trials(),
        shard
            .map(|s| format!(", shard {s}: {selected} trials"))
            .unwrap_or_default(),
        human(total),
    );
    if jobs > 1 {
        // The jobs are the N slices of the plan, trained at once: the slowest sets the pace.
        let slowest = (1..=jobs)
            .map(|index| {
                let slice =
                    trainbench::study::shard::select(plan, rows, Shard { index, count: jobs });
                (0..plan.configs.len())
                    .map(|i| estimate(plan, i, &slice[i], replicas, rows))
                    .sum::<f64>()
            })
            .fold(0.0, f64::max);
        println!(
            "with --jobs {jobs}: about {} wall (the slowest of {jobs} slices trained at once)",
            human(slowest)
        );
    }
}
