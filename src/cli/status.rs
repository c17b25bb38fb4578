//! `trainbench status DIR`: what is done, missing and diverged, per sweep.

use clap::Args;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use std::path::PathBuf;
use trainbench::Result;
use trainbench::format::seed_ranges;
use trainbench::study::RunDir;
use trainbench::study::status::status;

#[derive(Args)]
pub struct StatusArgs {
    /// A run directory (with trials.jsonl)
    dir: PathBuf,
    /// The study file [default: DIR/study.toml, saved by `run`]
    #[arg(long, value_name = "FILE")]
    study: Option<PathBuf>,
    /// Seeds per configuration [default: as in the latest run]
    #[arg(long, value_name = "N")]
    seeds: Option<usize>,
    /// Only this sweep (repeatable) [default: as in the latest run]
    #[arg(long = "sweep", value_name = "NAME")]
    sweeps: Vec<String>,
    /// Count quick trials (default: the latest run's mode)
    #[arg(long, conflicts_with = "full")]
    quick: bool,
    /// Count full (non-quick) trials
    #[arg(long)]
    full: bool,
}

pub fn run(args: StatusArgs) -> Result<()> {
    let dir = RunDir::new(&args.dir);
    let quick = (args.quick || args.full).then_some(args.quick);
    let (_, plan) = dir.load_plan(args.study.as_deref(), |options| {
        options.override_with(args.seeds, &args.sweeps, quick)
    })?;
    let log = dir.log();
    let contents = dir.read_all_if_any()?;
    for w in contents.warnings(&log) {
        errln!("warning: {w}");
    }
    let st = status(&plan, &contents.records);

    outln!(
        "{}{}: {} seeds per config, {} records in {}",
        plan.name,
        if plan.quick { " (quick)" } else { "" },
        plan.seeds.len(),
        contents.records.len(),
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
    outln!("{table}");
    if !st.total.missing.is_empty() {
        outln!("missing:");
        for (id, seeds) in &st.total.missing {
            outln!("  {id} seeds {}", seed_ranges(seeds));
        }
    }
    if st.variants.len() > 1 {
        outln!("note: the counted trials come from several backends / data sets:");
        for (backend, fingerprint) in &st.variants {
            outln!("  backend {backend}, data {fingerprint}");
        }
    }
    if st.outside_plan > 0 {
        outln!(
            "note: {} record(s) of this mode are not in this plan (other sweeps or seeds)",
            st.outside_plan
        );
    }
    Ok(())
}
