//! `trainbench status DIR`: what is done, missing and diverged, per sweep.

use clap::Args;
use std::path::PathBuf;
use trainbench::Result;
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
    out!(
        "{}",
        trainbench::report::status::render(&plan, contents.records.len(), &log, &st)
    );
    Ok(())
}
