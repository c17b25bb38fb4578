//! `trainbench run STUDY.toml`: plan a study, then train what the trial log lacks.

use super::BackendArgs;
use clap::Args;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::cell::Cell;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use trainbench::data::DataSource;
use trainbench::provenance::Provenance;
use trainbench::record::{DataInfo, TrialRecord};
use trainbench::report::analysis::AnalysisOptions;
use trainbench::report::input::read_runs;
use trainbench::study::cost::{estimate_seconds, human};
use trainbench::study::rundir::{RunMeta, default_out};
use trainbench::study::runner::mixing_warnings;
use trainbench::study::{
    Event, Plan, PlanOptions, Replicas, Shard, Study, StudyRun, TrialKey, TrialLog, data, shard,
};
use trainbench::train::{DeviceSplits, Progress};
use trainbench::{Error, Result};

#[derive(Args)]
pub struct RunArgs {
    /// The study file (TOML; see docs/studies.md)
    pub(super) study: PathBuf,
    /// Output directory [default: runs/<study>/, or runs/<study>/shard-I-of-N/ with --shard]
    #[arg(long, value_name = "DIR")]
    pub(super) out: Option<PathBuf>,
    /// Seeds per configuration (seeds 0..N) [default: the study's, 3 with --quick]
    #[arg(long, value_name = "N")]
    pub(super) seeds: Option<usize>,
    /// Run only this sweep (repeatable)
    #[arg(long = "sweep", value_name = "NAME")]
    pub(super) sweeps: Vec<String>,
    /// A look in minutes: 3 seeds, at most ~100k rows, at most 5 epochs; recorded as quick
    #[arg(long)]
    pub(super) quick: bool,
    /// Print the plan (configurations × seeds, estimated cost) and train nothing
    #[arg(long)]
    dry_run: bool,
    /// Seeds trained together per call: auto (a configuration's pending seeds, at most 16,
    /// split evenly) or N (at most N; 1 = one seed at a time)
    #[arg(long, default_value = "auto", value_name = "auto|N")]
    pub(super) replicas: String,
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
    /// core). Tiny models keep about one core busy per job
    #[arg(long, default_value = "1", value_name = "N|auto")]
    jobs: String,
    /// Internal: this process is one job of a --jobs run (its parent reports)
    #[arg(long, hide = true)]
    job: bool,
    #[command(flatten)]
    pub(super) backend: BackendArgs,
}

/// Seeds as compact ranges: `0-9`, `0-2,5,7-8`.
pub fn seed_ranges(seeds: &[u64]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < seeds.len() {
        let mut j = i;
        while j + 1 < seeds.len() && seeds[j + 1] == seeds[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            seeds[i].to_string()
        } else {
            format!("{}-{}", seeds[i], seeds[j])
        });
        i = j + 1;
    }
    parts.join(",")
}

pub(super) static STOP: AtomicBool = AtomicBool::new(false);
static FIRST_INTERRUPT: OnceLock<Instant> = OnceLock::new();

/// First Ctrl-C: finish the current group, then stop. Second: exit now (every line already
/// in the log was written whole and fsynced). A repeat within a second of the first is the
/// same signal delivered twice (e.g. `timeout` signals the process and its group), not a
/// second Ctrl-C.
pub(super) fn install_ctrl_c() -> Result<()> {
    ctrlc::set_handler(|| {
        let first = *FIRST_INTERRUPT.get_or_init(Instant::now);
        if !STOP.swap(true, Ordering::SeqCst) {
            eprintln!(
                "\ninterrupt: finishing the current group, then stopping (Ctrl-C again to \
                 abort it; the log stays valid either way)"
            );
        } else if first.elapsed() >= Duration::from_secs(1) {
            eprintln!("\naborted; the trial log is valid — rerun the same command to resume");
            std::process::exit(130);
        }
    })
    .map_err(|e| Error::Other(format!("could not install the Ctrl-C handler: {e}")))
}

fn resolve_shard(args: &RunArgs) -> Result<Option<Shard>> {
    match args.shard.as_deref() {
        None => Ok(None),
        Some("auto") => Shard::from_env(|k| std::env::var(k).ok(), args.shard_count).map(Some),
        Some(s) => s.parse().map(Some),
    }
}

pub fn run(args: RunArgs) -> Result<i32> {
    let text = std::fs::read_to_string(&args.study).map_err(|e| {
        Error::io(
            format!("could not read study file '{}'", args.study.display()),
            e,
        )
    })?;
    let mut study = Study::parse(&text, &args.study.display().to_string())?;
    if let Some(d) = &args.data {
        study.data.source = d.parse::<DataSource>()?;
    }
    let options = PlanOptions {
        seeds: args.seeds,
        sweeps: args.sweeps.clone(),
        quick: args.quick,
    };
    let plan = Plan::new(&study, &options)?;
    let replicas: Replicas = args.replicas.parse()?;
    let shard = resolve_shard(&args)?;
    let rows = data::estimate_rows(&study.data, args.quick)?;
    let selection: Vec<Vec<u64>> = match shard {
        Some(s) => shard::select(&plan, rows, s),
        None => vec![plan.seeds.clone(); plan.configs.len()],
    };
    let jobs = super::jobs::parse(&args.jobs)?;
    if args.dry_run {
        super::dry_run::print_plan(&plan, &study, &selection, replicas, rows, shard, jobs);
        return Ok(0);
    }
    if jobs > 1 && shard.is_some() {
        return Err(Error::Usage(
            "--jobs cannot be combined with --shard (each job is already a shard of this run; \
             run one --shard per machine, each with its own --jobs if you like)"
                .into(),
        ));
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(&study.name, shard.map(|s| (s.index, s.count))));
    let meta = RunMeta {
        study_file: args.study.display().to_string(),
        seeds: plan.seeds.len(),
        quick: plan.quick,
        sweeps: args.sweeps.clone(),
    };
    // Opened here even for --jobs, so that a missing backend or device is one error up front.
    let (backend, device) = args.backend.open()?;
    if jobs > 1 {
        return super::jobs::run(&args, jobs, &out, &meta, &text);
    }
    let (mut log, contents) = TrialLog::open(&out)?;
    for w in contents.warnings(log.path()) {
        eprintln!("warning: {w}");
    }
    meta.save(&out, &text)?;
    let provenance = Provenance::collect(backend);

    eprintln!(
        "preparing data {} ...",
        data::effective_spec(&study.data, plan.quick).source
    );
    let (spec, splits) = data::prepare(&study.data, plan.quick)?;
    let info = DataInfo::new(&spec, &splits);
    let device_data = DeviceSplits::upload(&splits, &device);
    drop(splits);
    for w in mixing_warnings(
        &contents.records,
        &provenance,
        &info.fingerprint,
        &plan.study,
        plan.quick,
    ) {
        eprintln!("warning: {w}");
    }
    let run = StudyRun {
        plan: &plan,
        data: &device_data,
        info: &info,
        backend,
        replicas,
    };
    let done: HashSet<TrialKey> = contents.records.iter().map(TrialKey::of).collect();
    let selected: usize = selection.iter().map(Vec::len).sum();
    let pending = run.pending(&selection, &done);
    let to_run: usize = pending.iter().map(Vec::len).sum();
    let groups = run.groups(&pending);
    let est: Vec<f64> = groups
        .iter()
        .map(|g| estimate_seconds(&plan.configs[g.config].config, g.seeds.len(), rows))
        .collect();
    let est_total: f64 = est.iter().sum();
    eprintln!(
        "{}{}: {} configs × {} seeds = {} trials{}; {} already in {}, {} to run in {} group(s) \
         (replicas {replicas}), est. {} | data {} train rows, fingerprint {} | backend {backend}, \
         {} threads",
        plan.study,
        if plan.quick { " (QUICK)" } else { "" },
        plan.configs.len(),
        plan.seeds.len(),
        plan.trials(),
        shard
            .map(|s| format!(", shard {s}: {selected}"))
            .unwrap_or_default(),
        selected - to_run,
        log.path().display(),
        to_run,
        groups.len(),
        human(est_total),
        info.train_rows,
        info.fingerprint,
        provenance.threads,
    );
    if groups.is_empty() {
        println!(
            "nothing to do: all {selected} trials are in {}",
            log.path().display()
        );
        drop(log);
        if !args.job {
            report(&out)?;
        }
        return Ok(0);
    }
    install_ctrl_c()?;
    let progress = Bars::new(to_run, est_total)?;
    let summary = run.execute(&groups, &mut log, &STOP, |event| {
        progress.on(&plan, &est, event)
    })?;
    progress.finish();
    let diverged = if summary.diverged.is_empty() {
        String::new()
    } else {
        format!(", {} diverged", summary.diverged.len())
    };
    println!(
        "{}: ran {} trial(s) in {} group(s) in {}{diverged}; skipped {} already in the log",
        plan.study,
        summary.ran,
        summary.groups,
        human(summary.seconds),
        selected - to_run,
    );
    for key in summary.diverged.iter().take(10) {
        println!("  diverged: {} seed {}", key.config_id, key.seed);
    }
    if summary.stopped {
        eprintln!(
            "interrupted: {} trial(s) not run; the log is complete up to the last group — rerun \
             the same command to resume",
            summary.remaining
        );
        return Ok(130);
    }
    drop(log);
    if !args.job {
        report(&out)?;
    }
    Ok(0)
}

/// Prints the report tables of everything in `out`'s log and writes `out/report.md`,
/// `out/report.json` and the figures.
pub(super) fn report(out: &std::path::Path) -> Result<()> {
    let input = read_runs(&[out.to_path_buf()], None)?;
    let report = input.report(AnalysisOptions::default());
    println!();
    super::report::print_and_write(&report, &input.records, Some(out))
}

/// The overall bar (trials, ETA from estimated costs) and the current group's bar; plain
/// lines instead when stderr is not a terminal.
struct Bars {
    multi: MultiProgress,
    overall: ProgressBar,
    group: ProgressBar,
    est_total: f64,
    est_done: Cell<f64>,
    current: Cell<usize>,
    started: Instant,
}

impl Bars {
    fn new(trials: usize, est_total: f64) -> Result<Bars> {
        let style =
            |t: &str| ProgressStyle::with_template(t).map_err(|e| Error::Other(e.to_string()));
        let multi = MultiProgress::new();
        let overall = multi.add(ProgressBar::new(trials as u64));
        overall.set_style(style("trials {bar:30} {pos}/{len} {elapsed} {msg}")?);
        overall.set_message(format!("ETA ~{}", human(est_total)));
        let group = multi.add(ProgressBar::new(0));
        group.set_style(style(
            "  {prefix} epoch {msg} {bar:20} {pos}/{len} batches",
        )?);
        Ok(Bars {
            multi,
            overall,
            group,
            est_total,
            est_done: Cell::new(0.0),
            current: Cell::new(0),
            started: Instant::now(),
        })
    }

    fn line(&self, s: String) {
        if self.multi.is_hidden() {
            eprintln!("{s}");
        } else {
            let _ = self.multi.println(s);
        }
    }

    /// Remaining time: elapsed time scaled by the estimated work left over the work done.
    fn eta(&self) -> f64 {
        let done = self.est_done.get();
        let elapsed = self.started.elapsed().as_secs_f64();
        if done > 0.0 {
            elapsed * (self.est_total - done).max(0.0) / done
        } else {
            self.est_total
        }
    }

    fn on(&self, plan: &Plan, est: &[f64], event: Event) {
        match event {
            Event::GroupStart {
                group,
                index,
                total,
            } => {
                self.current.set(index);
                let head = format!(
                    "[{}/{total}] {} seeds {}",
                    index + 1,
                    plan.configs[group.config].id,
                    seed_ranges(&group.seeds)
                );
                if self.multi.is_hidden() {
                    eprintln!("{head} ...");
                }
                self.group.set_prefix(head);
                self.group.set_position(0);
            }
            Event::Train(Progress::Batch { epoch, done, total }) => {
                if done == 1 {
                    self.group.set_length(total as u64);
                    self.group.set_message(epoch.to_string());
                }
                self.group.set_position(done as u64);
            }
            Event::Train(Progress::Epoch(_)) => {}
            Event::GroupDone {
                group,
                records,
                seconds,
            } => {
                self.overall.inc(records.len() as u64);
                self.est_done
                    .set(self.est_done.get() + est[self.current.get()]);
                let eta = human(self.eta());
                self.overall.set_message(format!("ETA {eta}"));
                let id = &plan.configs[group.config].id;
                self.line(format!(
                    "  done {id} seeds {}: {} in {} ({}/{} trials, ETA {eta})",
                    seed_ranges(&group.seeds),
                    accuracy(records),
                    human(seconds),
                    self.overall.position(),
                    self.overall.length().unwrap_or(0),
                ));
            }
        }
    }

    fn finish(&self) {
        self.group.finish_and_clear();
        self.overall.finish_and_clear();
    }
}

/// `test acc 71.20% ± 0.31 (n=10), 1 diverged`.
fn accuracy(records: &[TrialRecord]) -> String {
    let accs: Vec<f64> = records
        .iter()
        .filter(|r| !r.diverged)
        .map(|r| 100.0 * r.outcome.test_acc)
        .collect();
    let diverged = records.len() - accs.len();
    let mut s = match accs.len() {
        0 => "all diverged".to_string(),
        1 => format!("test acc {:.2}%", accs[0]),
        n => {
            let mean = accs.iter().sum::<f64>() / n as f64;
            let var = accs.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            format!("test acc {mean:.2}% ± {:.2} (sd, n={n})", var.sqrt())
        }
    };
    if diverged > 0 && !accs.is_empty() {
        s.push_str(&format!(", {diverged} diverged"));
    }
    s
}
