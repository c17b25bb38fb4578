//! `trainbench baseline accept`: the flags, what was recorded, and the `git commit` to make;
//! the workflow is [`trainbench::baseline::accept`].

use clap::Args;
use std::path::{Path, PathBuf};
use trainbench::Result;
use trainbench::baseline::accept::{
    AcceptAccuracy, AcceptTiming, Outcome, accept_accuracy, accept_timing,
};

#[derive(Args)]
pub struct AcceptArgs {
    /// Why the change is accepted (logged in the baseline file, shown by `trainbench history`)
    #[arg(long, value_name = "TEXT")]
    reason: String,
    /// Accept for this accuracy baseline (e.g. baselines/ci-2core/ci-gate.json) instead of
    /// the timing baseline: its study is re-run with the same backend and threads and saved
    #[arg(long, value_name = "FILE")]
    accuracy: Option<PathBuf>,
    /// With --accuracy: the study to re-run [default: studies/<the baseline's study>.toml]
    #[arg(long, value_name = "PATH", requires = "accuracy")]
    study: Option<PathBuf>,
    /// Testbed of the timing baseline [default: the only testbed under BASELINES_DIR with a
    /// timing.json]
    #[arg(long, value_name = "NAME", conflicts_with = "accuracy")]
    testbed: Option<String>,
    /// Where testbed folders live
    #[arg(long, default_value = "baselines", value_name = "DIR")]
    baselines_dir: PathBuf,
}

pub fn run(args: AcceptArgs) -> Result<()> {
    let outcome = match &args.accuracy {
        Some(file) => {
            let a = AcceptAccuracy {
                reason: args.reason.clone(),
                file: file.clone(),
                study: args.study.clone(),
                baselines_dir: args.baselines_dir.clone(),
            };
            errln!("re-running the study of {} …", file.display());
            super::interrupt::install_ctrl_c()?;
            accept_accuracy(&a, Path::new("."), &super::interrupt::STOP)?
        }
        None => accept_timing(
            &AcceptTiming {
                reason: args.reason.clone(),
                testbed: args.testbed.clone(),
                baselines_dir: args.baselines_dir.clone(),
            },
            Path::new("."),
        )?,
    };
    print(&outcome);
    Ok(())
}

/// What was accepted, its notes, and the `git commit` to make.
fn print(o: &Outcome) {
    out!("{}", o.describe());
    for note in &o.notes {
        errln!("note: {note}");
    }
    outln!("now commit it:\n  {}", o.commit_command);
}
