//! `trainbench merge DIR... --out DIR`: union trial logs from several runs or machines.

use clap::Args;
use std::path::PathBuf;
use trainbench::Result;
use trainbench::study::merge::{MergeOptions, merge_with};

#[derive(Args)]
pub struct MergeArgs {
    /// Run directories (or trials.jsonl files) to merge
    #[arg(required = true, value_name = "DIR")]
    inputs: Vec<PathBuf>,
    /// The directory to merge into (its existing trials are kept)
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Merge trials of different studies into one log (refused by default)
    #[arg(long)]
    allow_mixed_studies: bool,
}

pub fn run(args: MergeArgs) -> Result<()> {
    let options = MergeOptions {
        allow_mixed_studies: args.allow_mixed_studies,
    };
    let report = merge_with(&args.inputs, &args.out, &options)?;
    for w in &report.warnings {
        errln!("warning: {w}");
    }
    for (input, n) in &report.read {
        errln!("read {n} trial(s) from {}", input.display());
    }
    outln!(
        "merged into {}: {} added, {} duplicate(s) dropped, {} were already there",
        args.out.display(),
        report.added,
        report.duplicates,
        report.existing
    );
    Ok(())
}
