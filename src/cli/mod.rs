//! Command-line parsing and dispatch. Each subcommand lives in its own file and calls the
//! library; nothing here trains or computes statistics itself.

/// `println!` that never panics: a closed stdout drops the output (the command goes on), any
/// other write error makes the command exit 1 at the end ([`output`]).
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        $crate::cli::output::note(writeln!(std::io::stdout(), $($arg)*));
    }};
}

/// `print!` through [`output`] (see [`outln!`]).
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        $crate::cli::output::note(write!(std::io::stdout(), $($arg)*));
    }};
}

/// `eprintln!` that never panics: once stderr is closed, messages are dropped.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod ab;
mod accept;
mod baseline;
mod data;
mod gate;
mod history;
mod interrupt;
mod merge;
mod models;
mod output;
mod progress;
mod report;
mod run;
mod status;
mod train;

use clap::{Args, Parser, Subcommand};
use trainbench::Result;
use trainbench::backend::BackendKind;
use trainbench::data::{DataSource, DataSpec, ValMode};

/// trainbench: training-hyperparameter studies of the MASE Lab 1 networks, with error bars.
#[derive(Parser)]
#[command(name = "trainbench", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train one configuration for one seed and print its learning curve.
    Train(train::TrainArgs),
    /// List the models with their layers and exact parameter counts.
    Models,
    /// Inspect or export the prepared data splits.
    #[command(subcommand)]
    Data(data::DataCommand),
    /// Save benchmark timings as a baseline, or check a new run against one.
    #[command(subcommand)]
    Baseline(baseline::BaselineCommand),
    /// Run a study file: every sweep's configurations × seeds, resuming from the trial log.
    Run(run::RunArgs),
    /// Show what a run directory has done, and what is missing or diverged, per sweep.
    Status(status::StatusArgs),
    /// Statistics, tables and figures of one or more run directories.
    Report(report::ReportArgs),
    /// Union the trial logs of several run directories (e.g. shards) into one.
    Merge(merge::MergeArgs),
    /// The committed baselines over git history: steps and other changes, accepted changes,
    /// history.html.
    History(history::HistoryArgs),
}

/// What a command prints on stdout (`--format`), for every command that has a choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Terminal tables and text
    #[value(alias = "text")]
    Table,
    /// Markdown
    Markdown,
    /// JSON
    Json,
}

impl Format {
    /// A usage error unless this format is one of `allowed` (for a command that cannot
    /// print every format).
    pub fn check(self, command: &str, allowed: &[Format]) -> Result<Format> {
        if allowed.contains(&self) {
            return Ok(self);
        }
        use clap::ValueEnum;
        let names: Vec<String> = allowed
            .iter()
            .filter_map(|f| f.to_possible_value().map(|v| v.get_name().to_string()))
            .collect();
        Err(trainbench::Error::Usage(format!(
            "{command} prints --format {}",
            names.join(" or ")
        )))
    }
}

/// Backend selection shared by the commands that train.
#[derive(Args, Clone)]
pub struct BackendArgs {
    /// Compute backend: flex, tch, tch-cuda or tch-cuda:N [default: flex, else the first
    /// compiled in]
    #[arg(long, env = "TRAINBENCH_BACKEND", value_name = "BACKEND")]
    pub backend: Option<String>,
    /// Backend CPU threads [default: all cores]
    #[arg(long, env = "TRAINBENCH_THREADS", value_name = "N")]
    pub threads: Option<usize>,
}

impl BackendArgs {
    /// Resolves the backend, sets its threads and returns it with its device.
    pub fn open(&self) -> Result<(BackendKind, burn::prelude::Device)> {
        trainbench::backend::open(self.backend.as_deref(), self.threads)
    }
}

/// Data selection shared by the commands that load data.
#[derive(Args, Clone)]
pub struct DataArgs {
    /// Data: synth, synth:ROWS[:SEED], or a .csv / .z / .h5 / .hdf5 file
    #[arg(long, default_value = "synth", value_name = "SPEC")]
    pub data: String,
    /// Validation set: holdout (10% of train, never trained on) or mase (= the training set)
    #[arg(long, default_value = "holdout", value_name = "MODE")]
    pub val: String,
    /// Seed of the 80/20 test split and the validation holdout (MASE: 42)
    #[arg(long, default_value_t = 42, value_name = "N")]
    pub split_seed: u64,
}

impl DataArgs {
    /// The data spec these flags describe.
    pub fn spec(&self) -> Result<DataSpec> {
        Ok(DataSpec {
            source: self.data.parse::<DataSource>()?,
            val: self.val.parse::<ValMode>()?,
            split_seed: self.split_seed,
        })
    }
}

/// Parses the command line, runs it, prints any error as one line; returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind::*;
            if matches!(e.kind(), DisplayHelp | DisplayVersion) {
                out!("{e}");
                return output::finish().map_or(1, |()| 0);
            }
            let msg = e.to_string();
            errln!("{}", msg.lines().next().unwrap_or("invalid arguments"));
            return 2;
        }
    };
    let result = match cli.command {
        Command::Train(args) => train::run(args).map(|()| 0),
        Command::Models => models::run().map(|()| 0),
        Command::Data(cmd) => data::run(cmd).map(|()| 0),
        Command::Baseline(cmd) => baseline::run(cmd).map(|()| 0),
        Command::Run(args) => run::run(args),
        Command::Status(args) => status::run(args).map(|()| 0),
        Command::Merge(args) => merge::run(args).map(|()| 0),
        Command::Report(args) => report::run(args).map(|()| 0),
        Command::History(args) => history::run(args).map(|()| 0),
    };
    // A command that succeeded but could not write its output (a full disk) failed.
    match result.and_then(|code| output::finish().map(|()| code)) {
        Ok(code) => code,
        Err(e) => {
            errln!("error: {e}");
            e.exit_code()
        }
    }
}
