//! `trainbench run STUDY.toml`: parse the flags, let the library's [`Session`] plan and run
//! the study (its adaptive stages included), print progress and the report.

use super::BackendArgs;
use super::interrupt::{STOP, install_ctrl_c};
use super::progress::Bars;
use clap::Args;
use std::path::PathBuf;
use trainbench::data::DataSource;
use trainbench::format::duration;
use trainbench::report::analysis::AnalysisOptions;
use trainbench::report::input::read_runs;
use trainbench::report::plan;
use trainbench::study::adaptive::{DECISION_FILE, Decision};
use trainbench::study::jobs::{self, JobCommand, JobEvent, Jobs, JobsDefault, JobsEnd, Role};
use trainbench::study::lr_search::{Addition, SEARCH_FILE};
use trainbench::study::{
    AdaptiveSeeds, Event, GroupBy, Grouping, Plan, PlanOptions, Ready, Replicas, RunSummary, Seeds,
    Session, SessionOptions, Shard,
};
use trainbench::{Error, Result};

#[derive(Args)]
pub struct RunArgs {
    /// The study file (TOML; see docs/studies.md)
    pub(super) study: PathBuf,
    /// Output directory [default: runs/<study>/, or runs/<study>/shard-I-of-N/ with --shard]
    #[arg(long, value_name = "DIR")]
    pub(super) out: Option<PathBuf>,
    /// Seeds per configuration: N (seeds 0..N), or MIN..MAX for adaptive seeds (a pilot of
    /// MIN seeds, then up to MAX where the pilot's spread needs them; docs/report.md)
    /// [default: the study's, 3 with --quick]
    #[arg(long, value_name = "N|MIN..MAX")]
    pub(super) seeds: Option<Seeds>,
    /// Adaptive seeds: the minimum detectable difference (accuracy points) to plan for
    /// [default: the study's target_mde, else 1]
    #[arg(long, value_name = "POINTS")]
    target_mde: Option<f64>,
    /// Run only this sweep (repeatable)
    #[arg(long = "sweep", value_name = "NAME")]
    pub(super) sweeps: Vec<String>,
    /// A look in seconds: 3 seeds, at most ~100k rows, at most 5 epochs, one job per core
    /// (unless --jobs says otherwise); recorded as quick. The epochs cap merges an epochs sweep
    /// (said in the output)
    #[arg(long)]
    pub(super) quick: bool,
    /// Print the plan (configurations × seeds, estimated cost) and train nothing
    #[arg(long)]
    dry_run: bool,
    /// Replicas trained together per call: auto (as many as keep a step within 4096 rows:
    /// 16 at batch 256, 128 at batch 32; split evenly) or N (at most N; 1 = one seed at a time)
    #[arg(long, default_value = "auto", value_name = "auto|N")]
    pub(super) replicas: String,
    /// Which configurations share a replica group: auto (those that differ only in optimiser
    /// settings — learning rate, weight decay, Adam betas and eps — each replica with its own)
    /// or config (each configuration's seeds alone)
    #[arg(long, default_value = "auto", value_name = "auto|config")]
    pub(super) group_by: String,
    /// Run only slice I of N of the plan (balanced by estimated cost), or auto: from a SLURM
    /// array task or a Kubernetes Indexed Job
    #[arg(long, value_name = "I/N|auto")]
    shard: Option<String>,
    /// Number of slices for --shard auto when the environment does not say (Kubernetes)
    #[arg(long, env = "TRAINBENCH_SHARD_COUNT", value_name = "N")]
    shard_count: Option<usize>,
    /// Train on this data instead of the study's (synth[:ROWS[:SEED]] or a data file)
    #[arg(long, value_name = "SPEC")]
    pub(super) data: Option<String>,
    /// Processes training at once on this machine, each on its own slice of the plan with
    /// --threads threads (default: cores / jobs), merged at the end: N, or auto (one per
    /// core). Tiny models keep about one core busy per job [default: 1; with --quick on the
    /// CPU one per core, at most 4, unless --threads or --shard is given]
    #[arg(long, value_name = "N|auto")]
    jobs: Option<String>,
    /// Run into a directory that already holds another study's trials (normally refused)
    #[arg(long)]
    allow_mixed_studies: bool,
    /// Internal: this process is one job of a --jobs run (its parent reports)
    #[arg(long, hide = true)]
    job: bool,
    /// Internal: this job trains stage 1 (the pilot) or 2 of an adaptive --jobs run
    #[arg(long, hide = true, value_name = "1|2")]
    adaptive_stage: Option<u8>,
    /// Internal: the run directory whose adaptive.json stage 2 follows
    #[arg(long, hide = true, value_name = "DIR")]
    adaptive_decision: Option<PathBuf>,
    /// A searched learning rate (lr = { search = … }): trials stage 3 may add where an
    /// optimum's interval is widest [default: the study's budget]
    #[arg(long, value_name = "TRIALS")]
    budget: Option<usize>,
    /// Internal: this job trains one round of a learning-rate search of a --jobs run
    #[arg(long, hide = true, value_name = "ROUND")]
    search_round: Option<usize>,
    /// Internal: the run directory whose lr_search.json decided that round
    #[arg(long, hide = true, value_name = "DIR")]
    search_state: Option<PathBuf>,
    #[command(flatten)]
    pub(super) backend: BackendArgs,
}

impl RunArgs {
    /// `--jobs` when it is not given ([`JobsDefault::jobs`]).
    fn default_jobs(&self) -> usize {
        JobsDefault {
            quick: self.quick,
            job: self.job,
            shard: self.shard.is_some(),
            threads: self.backend.threads.is_some(),
            backend: self.backend.backend.as_deref(),
        }
        .jobs()
    }

    /// The checked options of the study session.
    fn session_options(&self) -> Result<SessionOptions> {
        let shard = (self.shard.as_deref())
            .map(|s| Shard::from_flag(s, self.shard_count))
            .transpose()?;
        Ok(SessionOptions {
            plan: PlanOptions {
                seeds: self.seeds.map(Seeds::max),
                sweeps: self.sweeps.clone(),
                quick: self.quick,
            },
            data: self
                .data
                .as_deref()
                .map(str::parse::<DataSource>)
                .transpose()?,
            grouping: Grouping {
                by: self.group_by.parse::<GroupBy>()?,
                replicas: self.replicas.parse::<Replicas>()?,
            },
            shard,
            out: self.out.clone(),
            allow_mixed_studies: self.allow_mixed_studies,
            budget: self.budget,
            search_round: self
                .search_round
                .map(|r| (r, self.search_state.clone().unwrap_or_else(|| ".".into()))),
        })
    }

    /// What every job of a `--jobs` run is told ([`JobCommand::args`]). Every flag of
    /// [`RunArgs`] is either passed on as given, set per job, or acted on by the parent only;
    /// the test module's `FORWARDING` table says which, and a test checks it against the flag
    /// list.
    fn job_command(&self) -> JobCommand {
        JobCommand {
            study: self.study.clone(),
            seeds: self.seeds,
            sweeps: self.sweeps.clone(),
            quick: self.quick,
            replicas: self.replicas.clone(),
            group_by: self.group_by.clone(),
            data: self.data.clone(),
            backend: self.backend.backend.clone(),
        }
    }
}

pub fn run(args: RunArgs) -> Result<i32> {
    let jobs = match &args.jobs {
        Some(jobs) => jobs::parse_jobs(jobs)?,
        None => args.default_jobs(),
    };
    if jobs > 1 && args.shard.is_some() {
        return Err(Error::Usage(
            "--jobs cannot be combined with --shard (each job is already a shard of this run; \
             run one --shard per machine, each with its own --jobs if you like)"
                .into(),
        ));
    }
    let mut session = Session::prepare(&args.study, args.session_options()?)?;
    let adaptive = AdaptiveSeeds::resolve(
        args.seeds,
        args.quick,
        args.target_mde,
        &session.study,
        AnalysisOptions::default().alpha,
    )?;
    let role = Role {
        adaptive_stage: args.adaptive_stage.is_some(),
        search_round: args.search_round.is_some(),
    };
    if let Some(note) = jobs::check_run(&session, adaptive, role)? {
        errln!("note: {note}");
    }
    let (jobs, note) = session.bounded_jobs(jobs);
    // Bounding the default (--quick's one job per core) is not news.
    if let Some(note) = note.filter(|_| args.jobs.is_some()) {
        errln!("note: {note}");
    }
    if args.dry_run {
        out!("{}", plan::render(&session, jobs, adaptive));
        return Ok(0);
    }
    // Opened here even for --jobs, so that a missing backend or device is one error up front.
    let (backend, device) = args.backend.open()?;
    if jobs > 1 {
        return run_jobs(&args, &mut session, backend, jobs, adaptive);
    }
    // One job of an adaptive --jobs run: its stage only; the parent decides and reports.
    let stage_of_jobs = jobs::limit_to_stage(
        &mut session,
        args.adaptive_stage,
        adaptive,
        args.adaptive_decision.as_deref(),
    )?;
    errln!("preparing data {} ...", session.data_spec().source);
    let mut ready = session.start(backend, &device)?;
    for w in &ready.warnings {
        errln!("warning: {w}");
    }
    install_ctrl_c()?;
    if stage_of_jobs.is_some() {
        ready.stage = stage_of_jobs;
    }
    let adaptive = adaptive.filter(|_| stage_of_jobs.is_none());
    let mut printer = Printer::new(ready.plan().clone(), adaptive);
    let summary = ready.run(adaptive, &STOP, |e| printer.on(e))?;
    if summary.stopped {
        return Ok(130);
    }
    finish(ready, args.job).map(|()| 0)
}

/// A `--jobs` run ([`jobs::run`]), its events printed, then the report of the whole run.
fn run_jobs(
    args: &RunArgs,
    session: &mut Session,
    backend: trainbench::backend::BackendKind,
    count: usize,
    adaptive: Option<AdaptiveSeeds>,
) -> Result<i32> {
    let jobs = Jobs {
        count,
        threads: args.backend.threads,
        command: args.job_command(),
    };
    install_ctrl_c()?;
    let JobsEnd::Done(experiment) =
        jobs::run(session, backend, &jobs, adaptive, &STOP, print_job_event)?
    else {
        return Ok(130);
    };
    let out = session.dir.path();
    let input = read_runs(&[out.to_path_buf()], None, &experiment)?;
    super::report::report_run(&input, out)?;
    Ok(0)
}

/// Prints one event of a `--jobs` run: its stages and decisions, each job's output prefixed
/// `[job I/N]`, the merges.
fn print_job_event(event: JobEvent) {
    match event {
        JobEvent::Pilot { seeds } => errln!("stage 1 (pilot, seeds 0..{seeds}):"),
        JobEvent::Decided(decision) => print_decision(decision),
        JobEvent::Grid => errln!("round 1 (stage 1: the grid):"),
        JobEvent::Searched { round, additions } => print_search_round(round, additions),
        JobEvent::Started {
            count,
            threads,
            jobs,
            log,
        } => errln!(
            "{count} jobs × {threads} thread(s): job logs in {}, merged into {} at the end",
            jobs.display(),
            log.display()
        ),
        JobEvent::Output { job, count, line } => errln!("[job {job}/{count}] {line}"),
        JobEvent::Warning(w) => errln!("warning: {w}"),
        JobEvent::Interrupted { log } => errln!(
            "interrupted: finished trials are merged into {}; rerun the same command to resume",
            log.display()
        ),
        JobEvent::Done {
            count,
            seconds,
            added,
            log,
        } => outln!(
            "{count} jobs done in {}; {added} new trial(s) merged into {}",
            duration(seconds),
            log.display()
        ),
    }
}

/// A round a learning-rate search decided, one line per cell.
fn print_search_round(round: usize, additions: &[(String, String, Addition)]) {
    let Some(stage) = additions.first().map(|a| a.2.stage) else {
        return;
    };
    errln!("round {round} (stage {stage}, decided from the trials so far; {SEARCH_FILE}):");
    for (sweep, cell, a) in additions {
        let at = if cell.is_empty() {
            String::new()
        } else {
            format!(" at {cell}")
        };
        errln!("  {sweep}{at}: {} — {}", a.describe(), a.reason);
    }
}

/// The stage-2 decision, one line per configuration.
fn print_decision(decision: &Decision) {
    errln!(
        "stage 2: seeds per configuration from the pilot's spread (target MDE {} points; \
         {DECISION_FILE}):",
        decision.target_mde
    );
    for c in &decision.configs {
        errln!("  {}: {} seeds — {}", c.config_id, c.seeds, c.reason);
    }
}

/// Prints a run's events: each stage's plan line, progress bars, and its summary.
struct Printer {
    plan: Plan,
    /// The adaptive seeds this process runs both stages of.
    adaptive: Option<AdaptiveSeeds>,
    bars: Option<Bars>,
    /// Trials selected for the current stage, those it trains, and the trials of earlier
    /// stages in the log (stage 2: the pilot's).
    counts: (usize, usize, usize),
    log: PathBuf,
}

impl Printer {
    fn new(plan: Plan, adaptive: Option<AdaptiveSeeds>) -> Printer {
        Printer {
            plan,
            adaptive,
            bars: None,
            counts: (0, 0, 0),
            log: PathBuf::new(),
        }
    }

    fn on(&mut self, event: Event) {
        match event {
            Event::StageStart {
                stage,
                describe,
                selected,
                earlier,
                to_run,
                estimate,
                log,
            } => {
                if let (Some(1), Some(a)) = (stage, self.adaptive) {
                    errln!("stage 1 (pilot, seeds 0..{}):", a.range.min);
                }
                errln!("{describe}");
                self.counts = (selected, to_run, earlier);
                self.log = log;
                self.bars = match Bars::new(to_run, estimate) {
                    Ok(bars) if to_run > 0 => Some(bars),
                    _ => None,
                };
            }
            Event::StageDone(summary) => self.stage_done(summary),
            Event::Decided(decision) => print_decision(decision),
            Event::Searched {
                round,
                additions,
                plan,
            } => {
                print_search_round(round, &additions);
                self.plan = plan.clone();
            }
            other => {
                if let Some(bars) = &self.bars {
                    bars.on(&self.plan, other);
                }
            }
        }
    }

    /// The summary line of a stage (or that there was nothing to do), and how to resume
    /// when it was stopped.
    fn stage_done(&mut self, summary: &RunSummary) {
        let (selected, to_run, earlier) = self.counts;
        let Some(bars) = self.bars.take() else {
            outln!(
                "nothing to do: all {} trials are in {}",
                selected + earlier,
                self.log.display()
            );
            return;
        };
        bars.finish();
        let diverged = if summary.diverged.is_empty() {
            String::new()
        } else {
            format!(", {} diverged", summary.diverged.len())
        };
        outln!(
            "{}: ran {} trial(s) in {} group(s) in {}{diverged}; {}",
            self.plan.name,
            summary.ran,
            summary.groups,
            duration(summary.seconds),
            in_log(selected - to_run, earlier),
        );
        for key in summary.diverged.iter().take(10) {
            outln!("  diverged: {} seed {}", key.config_id, key.seed);
        }
        if summary.stopped {
            errln!(
                "interrupted: {} trial(s) not run; the log is complete up to the last group — \
                 rerun the same command to resume",
                summary.remaining
            );
        }
    }
}

/// What the summary line says of the trials that were in the log before a stage: `skipped 3
/// already in the log`, or in an adaptive run's stage 2 `15 pilot trials in the log` (and
/// the stage's own, when it resumed).
fn in_log(skipped: usize, earlier: usize) -> String {
    match (earlier, skipped) {
        (0, n) => format!("skipped {n} already in the log"),
        (pilot, 0) => format!("{pilot} pilot trials in the log"),
        (pilot, n) => {
            format!("{pilot} pilot trials in the log; skipped {n} of this stage already there")
        }
    }
}

/// Closes the log and, unless this process is one job of a `--jobs` run, prints and writes
/// the report of the whole run directory.
fn finish(ready: Ready, job: bool) -> Result<()> {
    if job {
        return Ok(());
    }
    let dir = ready.dir().clone();
    // The report is about this run's experiment: its backend and data.
    let input = trainbench::report::input::of_run(ready)?;
    super::report::report_run(&input, dir.path())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::parser::ValueSource;
    use clap::{CommandFactory, FromArgMatches, Parser};
    use std::ffi::OsString;

    /// How a flag of `run` reaches the jobs of a `--jobs` run.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Forward {
        /// Passed on as given.
        Same,
        /// Set per job (its directory, slice, threads, the job marker).
        PerJob,
        /// Not passed on: the parent acts on it.
        Never,
        /// Added to the jobs' command lines per stage ([`jobs::JobStage::args`]), never by
        /// [`JobCommand::args`].
        PerStage,
    }

    /// Every flag of `run` (by clap id) and how it reaches the jobs; a test checks that this
    /// list names every flag and that [`JobCommand::args`] passes on every `Same` one.
    const FORWARDING: &[(&str, Forward)] = &[
        ("study", Forward::Same),
        ("out", Forward::PerJob),
        ("seeds", Forward::Same),
        ("target_mde", Forward::Never),
        ("sweeps", Forward::Same),
        ("quick", Forward::Same),
        ("dry_run", Forward::Never),
        ("replicas", Forward::Same),
        ("group_by", Forward::Same),
        ("shard", Forward::PerJob),
        ("shard_count", Forward::Never),
        ("data", Forward::Same),
        ("jobs", Forward::Never),
        ("allow_mixed_studies", Forward::Never),
        ("budget", Forward::Never),
        ("search_round", Forward::PerStage),
        ("search_state", Forward::PerStage),
        ("job", Forward::PerJob),
        ("adaptive_stage", Forward::PerStage),
        ("adaptive_decision", Forward::PerStage),
        ("backend", Forward::Same),
        ("threads", Forward::PerJob),
    ];

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        run: RunArgs,
    }

    #[test]
    fn forwarding_names_every_flag_and_jobs_get_every_shared_one() {
        let cmd = Wrapper::command();
        let mut ids: Vec<&str> = cmd
            .get_arguments()
            .map(|a| a.get_id().as_str())
            .filter(|id| *id != "help")
            .collect();
        let mut listed: Vec<&str> = FORWARDING.iter().map(|(id, _)| *id).collect();
        ids.sort_unstable();
        listed.sort_unstable();
        assert_eq!(ids, listed, "every run flag must be listed in FORWARDING");

        let parent = [
            "run",
            "s.toml",
            "--seeds",
            "4",
            "--sweep",
            "a",
            "--sweep",
            "b",
            "--quick",
            "--replicas",
            "3",
            "--data",
            "synth:1000",
            "--backend",
            "flex",
            "--jobs",
            "2",
            "--threads",
            "7",
            "--out",
            "somewhere",
        ];
        let pm = cmd.clone().try_get_matches_from(parent).unwrap();
        let args = RunArgs::from_arg_matches(&pm).unwrap();
        let dir = std::path::Path::new("d/jobs/job-2-of-3");
        let child = args.job_command().args(dir, 2, 3, 1);
        assert_eq!(child[0], "run", "the jobs run the run subcommand");
        let cm = cmd.clone().try_get_matches_from(child).unwrap();
        for (id, how) in FORWARDING {
            let raw = |m: &clap::ArgMatches| -> Option<Vec<OsString>> {
                m.get_raw(id).map(|v| v.map(OsString::from).collect())
            };
            match how {
                Forward::Same => {
                    assert!(raw(&pm).is_some(), "the test must set --{id}");
                    assert_eq!(raw(&pm), raw(&cm), "--{id} must reach the jobs as given");
                }
                Forward::PerJob => assert!(raw(&cm).is_some(), "--{id} is set per job"),
                Forward::Never | Forward::PerStage => assert!(
                    !matches!(cm.value_source(id), Some(ValueSource::CommandLine)),
                    "--{id} must not reach the jobs"
                ),
            }
        }
        let child = RunArgs::from_arg_matches(&cm).unwrap();
        assert_eq!(child.shard.as_deref(), Some("2/3"));
        assert_eq!(child.backend.threads, Some(1));
        assert!(child.job && !child.dry_run);
    }
}
