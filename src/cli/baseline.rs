//! `trainbench baseline save-timing | check-timing | save-accuracy | check-accuracy | ab |
//! accept`.

use super::gate::{GateArgs, finish};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use trainbench::baseline::criterion::{
    BENCH_SETTINGS, BenchSettings, CriterionResult, default_criterion_dir, read_run,
};
use trainbench::baseline::timing::Saved;
use trainbench::baseline::{
    AccuracyBaseline, Change, CheckOptions, Rule, TimingBaseline, check_accuracy, check_gate,
    check_timing, invalid, table,
};
use trainbench::format::{change, seconds_si};
use trainbench::report::input::{Experiment, read_runs};
use trainbench::{Error, Result};

/// Save or check baselines (see docs/baselines.md).
#[derive(Subcommand)]
pub enum BaselineCommand {
    /// Save criterion's results of the last `cargo bench` as BASELINES_DIR/TESTBED/timing.json.
    SaveTiming(SaveTimingArgs),
    /// Compare a fresh bench run with a saved timing baseline. Exit 0: nothing regressed;
    /// 1: something regressed; 2: the comparison is invalid.
    CheckTiming(CheckTimingArgs),
    /// Save a study run's per-seed accuracies as BASELINES_DIR/TESTBED/NAME.json.
    SaveAccuracy(SaveAccuracyArgs),
    /// Compare a fresh study run with a saved accuracy baseline. Exit 0: nothing regressed;
    /// 1: something regressed; 2: the comparison is invalid.
    CheckAccuracy(CheckAccuracyArgs),
    /// Measure two builds side by side on this machine (interleaved A B B A rounds) and
    /// compare their times. Exit 0: nothing regressed; 1: something regressed; 2: invalid
    /// (unknown revision, a build failure, no benchmark in common).
    Ab(super::ab::AbArgs),
    /// Accept the checked-out commit as what a baseline stands for: the timing baseline's
    /// `ab` base moves to it (or, with --accuracy, the gate study is re-run and saved), and
    /// the reason is logged in the file. Prints the `git commit` to make.
    Accept(super::accept::AcceptArgs),
}

#[derive(Args)]
pub struct SaveAccuracyArgs {
    /// The run directory (trials.jsonl, study.toml)
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// Testbed name: the folder under BASELINES_DIR [default: the host name]
    #[arg(long, value_name = "NAME")]
    testbed: Option<String>,
    /// File name of the baseline (NAME.json) [default: the study name]
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Where testbed folders live
    #[arg(long, default_value = "baselines", value_name = "DIR")]
    baselines_dir: PathBuf,
}

#[derive(Args)]
pub struct CheckAccuracyArgs {
    /// The fresh run directory
    #[arg(value_name = "RUN_DIR")]
    dir: PathBuf,
    /// The saved baseline, e.g. baselines/NAME/smoke.json
    #[arg(long, value_name = "FILE")]
    against: PathBuf,
    /// Equivalence margin δ in accuracy points: regressed = CI below −δ, equivalent = CI
    /// inside ±δ, improved = CI above +δ, else inconclusive
    #[arg(long, default_value_t = 1.0, value_name = "POINTS")]
    threshold: f64,
    /// Also fail (exit 1) when a configuration is inconclusive
    #[arg(long)]
    strict: bool,
    /// Accepted for symmetry with check-timing: machine fields never invalidate an accuracy
    /// comparison (they are notes)
    #[arg(long)]
    allow_different_machine: bool,
    #[command(flatten)]
    gate: GateArgs,
}

#[derive(Args)]
pub struct SaveTimingArgs {
    /// Testbed name: the folder under BASELINES_DIR [default: the host name]
    #[arg(long, value_name = "NAME")]
    testbed: Option<String>,
    /// Criterion's output folder [default: $CRITERION_HOME, else
    /// $CARGO_TARGET_DIR/criterion, else target/criterion]
    #[arg(long, value_name = "DIR")]
    criterion_dir: Option<PathBuf>,
    /// Where testbed folders live
    #[arg(long, default_value = "baselines", value_name = "DIR")]
    baselines_dir: PathBuf,
    /// Update only the benchmarks the last bench run measured (a filtered `cargo bench --
    /// FILTER`) in the existing timing.json, keeping the others
    #[arg(long)]
    merge: bool,
}

#[derive(Args)]
pub struct CheckTimingArgs {
    /// The saved baseline, e.g. baselines/NAME/timing.json
    #[arg(long, value_name = "FILE")]
    against: PathBuf,
    /// Criterion's output folder of the new run [default: as for save-timing]
    #[arg(long, value_name = "DIR", conflicts_with = "new")]
    criterion_dir: Option<PathBuf>,
    /// Compare with another saved timing file instead of criterion's results
    #[arg(long, value_name = "FILE")]
    new: Option<PathBuf>,
    /// Practical threshold: a regression is at least this many percent slower
    #[arg(long, default_value_t = 5.0, value_name = "PCT")]
    threshold: f64,
    /// Compare even if the new run comes from a different machine
    #[arg(long)]
    allow_different_machine: bool,
    /// Fail (exit 2) when the new run did not measure every benchmark of the baseline [default:
    /// those not measured are listed and not compared]
    #[arg(long)]
    require_all: bool,
    #[command(flatten)]
    gate: GateArgs,
}

pub fn run(cmd: BaselineCommand) -> Result<()> {
    match cmd {
        BaselineCommand::SaveTiming(args) => save_timing(args),
        BaselineCommand::CheckTiming(args) => check_timing_cmd(args),
        BaselineCommand::SaveAccuracy(args) => save_accuracy(args),
        BaselineCommand::CheckAccuracy(args) => check_accuracy_cmd(args),
        BaselineCommand::Ab(args) => super::ab::run(args),
        BaselineCommand::Accept(args) => super::accept::run(args),
    }
}

fn save_timing(args: SaveTimingArgs) -> Result<()> {
    let testbed = args
        .testbed
        .unwrap_or_else(trainbench::provenance::hostname);
    let dir = args.criterion_dir.unwrap_or_else(default_criterion_dir);
    let (results, threads) = last_run(&dir)?;
    let measured = results.len();
    let path = args.baselines_dir.join(&testbed).join("timing.json");
    let (baseline, saved) =
        TimingBaseline::from_results(&testbed, results, threads)?.save_run(&path, args.merge)?;
    let what = match saved {
        Saved::Merged(n) => format!(
            "{} updated, {} added, {} kept from the saved file",
            n.updated, n.added, n.kept
        ),
        Saved::Whole { dropped } => {
            if dropped > 0 {
                errln!(
                    "note: {dropped} benchmark(s) of the saved file were not measured by this \
                     run and are dropped (--merge keeps them)"
                );
            }
            format!("{measured} measured")
        }
    };
    let fp = &baseline.fingerprint;
    outln!(
        "wrote {}: {} benchmarks ({what}; {}) from {}, on {} ({} cores, {} threads)",
        path.display(),
        baseline.benchmarks.len(),
        fp.backends.join(", "),
        dir.display(),
        fp.cpu,
        fp.cores,
        fp.threads
    );
    Ok(())
}

/// The results of the last bench run in `dir` (only what it measured, for a run that
/// records it) and the backend threads it recorded, or a note that it did not.
fn last_run(dir: &std::path::Path) -> Result<(Vec<CriterionResult>, Option<usize>)> {
    let (results, settings) = read_run(dir)?;
    if settings.is_none() {
        errln!(
            "note: {} has no {BENCH_SETTINGS} (a bench run of an older trainbench?): threads \
             taken from TRAINBENCH_THREADS or the cores, and every result in it counts",
            dir.display()
        );
    }
    Ok((results, settings.map(|s: BenchSettings| s.threads)))
}

fn check_timing_cmd(args: CheckTimingArgs) -> Result<()> {
    check_gate(args.threshold, args.gate.alpha, "percent")?;
    let old = TimingBaseline::load(&args.against).map_err(invalid)?;
    let new = match &args.new {
        Some(path) => TimingBaseline::load(path).map_err(invalid)?,
        None => {
            let dir = args
                .criterion_dir
                .clone()
                .unwrap_or_else(default_criterion_dir);
            let (results, threads) = last_run(&dir).map_err(invalid)?;
            TimingBaseline::from_results(&old.testbed, results, threads)?
        }
    };
    let options = CheckOptions {
        rule: Rule::timing(args.threshold, args.gate.alpha),
        allow_different_machine: args.allow_different_machine,
        require_all: args.require_all,
    };
    let result = check_timing(&old, &new, &options)?;
    let relative = |r: &Change, d: f64| change(d / r.old_mean);
    outln!(
        "{}",
        table::render(
            &result,
            options.rule.direction,
            "benchmark",
            seconds_si,
            relative
        )
    );
    for note in &result.notes {
        errln!("note: {note}");
    }
    let unmeasured = &result.not_measured;
    if !unmeasured.is_empty() {
        errln!(
            "not measured by this run, not compared ({} of {} baseline benchmarks; \
             --require-all makes this an error):",
            unmeasured.len(),
            unmeasured.len() + result.rows.len()
        );
        for id in unmeasured {
            errln!("  {id}");
        }
    }
    let regressed = result.regressed();
    let summary = format!(
        "{} of {} benchmarks regressed against '{}' (≥ {}% slower, Holm-adjusted p ≤ {}){}",
        regressed.len(),
        result.rows.len(),
        args.against.display(),
        args.threshold,
        args.gate.alpha,
        if unmeasured.is_empty() {
            String::new()
        } else {
            format!("; {} not measured", unmeasured.len())
        }
    );
    finish(summary, &regressed, &args.gate, false)
}

fn accuracy_of_run(dir: &std::path::Path, testbed: &str) -> Result<AccuracyBaseline> {
    let input = read_runs(&[dir.to_path_buf()], None, &Experiment::default())?;
    for w in &input.warnings {
        errln!("warning: {w}");
    }
    AccuracyBaseline::from_records(testbed, &input.records)
}

fn save_accuracy(args: SaveAccuracyArgs) -> Result<()> {
    let testbed = args
        .testbed
        .unwrap_or_else(trainbench::provenance::hostname);
    let baseline = accuracy_of_run(&args.dir, &testbed)?;
    let name = args.name.unwrap_or_else(|| baseline.study.clone());
    trainbench::baseline::timing::validate_testbed(&name)?;
    let path = args
        .baselines_dir
        .join(&testbed)
        .join(format!("{name}.json"));
    baseline.save(&path)?;
    let seeds: usize = baseline.configs.values().map(|c| c.seeds.len()).sum();
    outln!(
        "wrote {}: {} configurations, {seeds} trials of study '{}'{} on {} ({} threads)",
        path.display(),
        baseline.configs.len(),
        baseline.study,
        if baseline.quick { " (quick)" } else { "" },
        baseline.fingerprint.backends.join(", "),
        baseline.fingerprint.threads,
    );
    Ok(())
}

fn check_accuracy_cmd(args: CheckAccuracyArgs) -> Result<()> {
    check_gate(args.threshold, args.gate.alpha, "accuracy points")?;
    let old = AccuracyBaseline::load(&args.against).map_err(invalid)?;
    let new = accuracy_of_run(&args.dir, &old.testbed).map_err(invalid)?;
    // Machine fields never invalidate an accuracy comparison (they are notes), so
    // --allow-different-machine changes nothing here; it is accepted for symmetry.
    let _ = args.allow_different_machine;
    let result = check_accuracy(&old, &new, args.threshold, args.gate.alpha)?;
    outln!("{}", table::render_accuracy(&result));
    for note in &result.notes {
        errln!("note: {note}");
    }
    let gate = result.gate(&args.against, args.strict);
    for note in &gate.notes {
        errln!("note: {note}");
    }
    let (failures, n) = (gate.failures, result.rows.len());
    if failures.is_empty() {
        outln!(
            "0 of {n} configurations regressed against '{}' (margin ±{} points, family-wise \
             α = {})",
            args.against.display(),
            args.threshold,
            args.gate.alpha
        );
        Ok(())
    } else if args.gate.report_only {
        outln!("{} (report only)", failures.join("; "));
        Ok(())
    } else {
        Err(Error::Other(failures.join("; ")))
    }
}
