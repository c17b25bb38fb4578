//! `trainbench baseline ab`: two builds measured side by side on this machine. Parses the
//! flags into an [`AbPlan`], prints progress and the result; the comparison itself is
//! [`trainbench::baseline::ab`].

use super::Format;
use super::gate::{GateArgs, finish};
use clap::Args;
use std::path::{Path, PathBuf};
use trainbench::Result;
use trainbench::baseline::ab::{self, AbEvent, AbPlan};
use trainbench::format::duration;

#[derive(Args)]
pub struct AbArgs {
    /// The reference revision [default: the git sha recorded in the testbed's committed
    /// timing baseline, BASELINES_DIR/TESTBED/timing.json]
    #[arg(long, value_name = "REV")]
    base: Option<String>,
    /// The revision under test [default: the working tree, uncommitted changes included]
    #[arg(long, value_name = "REV")]
    head: Option<String>,
    /// Criterion filter (a regex over benchmark ids) selecting what is measured [default:
    /// jsc-tiny at batch 32 and 512 and jsc-toy-10x at 128 (`train_epoch`); with --study,
    /// every `train_epoch` of the study]
    #[arg(long, value_name = "REGEX")]
    filter: Option<String>,
    /// Time the benchmarks of this study file on both sides (TRAINBENCH_STUDY of the bench)
    /// [default: each side's studies/lab1.toml]
    #[arg(long, value_name = "PATH")]
    study: Option<PathBuf>,
    /// A/B rounds; each measures every benchmark in the order base, head, head, base
    #[arg(long, default_value_t = 10, value_name = "N")]
    rounds: usize,
    /// Practical threshold: a regression is at least this many percent slower
    #[arg(long, default_value_t = 5.0, value_name = "PCT")]
    threshold: f64,
    #[command(flatten)]
    gate: GateArgs,
    /// Output on stdout (json: the result, both revisions, the settings)
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Backend threads of both sides' bench runs (TRAINBENCH_THREADS), at most the cores
    #[arg(long, default_value_t = 1, value_name = "N")]
    threads: usize,
    /// Cargo features of both builds, e.g. `tch`
    #[arg(long, default_value = "", value_name = "LIST")]
    features: String,
    /// Testbed whose timing baseline names the default --base [default: the only testbed
    /// under BASELINES_DIR with a timing.json]
    #[arg(long, value_name = "NAME")]
    testbed: Option<String>,
    /// Where testbed folders live
    #[arg(long, default_value = "baselines", value_name = "DIR")]
    baselines_dir: PathBuf,
    /// Calibration only: make the head side's training epochs PCT percent slower (the
    /// bench's TRAINBENCH_BENCH_SLOWDOWN knob; see docs/baselines.md)
    #[arg(long, value_name = "PCT")]
    inject_slowdown: Option<f64>,
}

impl AbArgs {
    fn plan(&self) -> AbPlan {
        AbPlan {
            base: self.base.clone(),
            head: self.head.clone(),
            filter: (self.filter.clone())
                .unwrap_or_else(|| ab::default_filter(self.study.is_some()).into()),
            study: self.study.clone(),
            rounds: self.rounds,
            threshold_pct: self.threshold,
            alpha: self.gate.alpha,
            threads: self.threads,
            features: self.features.clone(),
            testbed: self.testbed.clone(),
            baselines_dir: self.baselines_dir.clone(),
            inject_slowdown: self.inject_slowdown,
        }
    }
}

/// One progress line per event, on stderr.
fn progress(plan: &AbPlan, event: AbEvent) {
    match event {
        AbEvent::DefaultBase { path, sha } => {
            errln!("base: the revision {} names ({sha})", path.display())
        }
        AbEvent::Building {
            rev,
            command,
            target,
        } => errln!(
            "building the bench of {} … ({command} in {}, target {})",
            rev.label(),
            rev.source().display(),
            target.display()
        ),
        AbEvent::StillBuilding(p) => {
            let now = match p.compiling.as_slice() {
                [] => String::new(),
                [one] => format!(", compiling {one}"),
                many => format!(
                    ", compiling {} (and {} more)",
                    many[many.len() - 1],
                    many.len() - 1
                ),
            };
            errln!(
                "  building for {}: {} crate{} started{now}",
                duration(p.elapsed),
                p.started,
                if p.started == 1 { "" } else { "s" },
            )
        }
        AbEvent::Built(secs) => errln!("  built in {}", duration(secs)),
        AbEvent::OneBuild => {
            errln!(
                "base and head have the same code (they differ in the baselines at most): one \
                 build measured on both sides"
            )
        }
        AbEvent::Measuring {
            benchmarks,
            one_side: (base, head),
        } => {
            for (side, ids) in [("base", base), ("head", head)] {
                if !ids.is_empty() {
                    errln!(
                        "note: only the {side} side has {} (not compared)",
                        ids.join(", ")
                    );
                }
            }
            errln!(
                "measuring {benchmarks} benchmarks × {} rounds (A B B A), {} thread(s){}",
                plan.rounds,
                plan.threads,
                plan.inject_slowdown
                    .map(|p| format!(", head slowed down by {p}% (calibration)"))
                    .unwrap_or_default()
            )
        }
        AbEvent::Round(r, secs) => {
            let runs: Vec<String> = ab::ROUND_ORDER
                .iter()
                .zip(secs)
                .map(|(side, s)| {
                    let name = if *side == ab::Side::Base {
                        "base"
                    } else {
                        "head"
                    };
                    format!(" {name} {s:.1} s")
                })
                .collect();
            errln!("round {r}/{}:{}", plan.rounds, runs.concat());
        }
    }
}

pub fn run(args: AbArgs) -> Result<()> {
    let plan = args.plan();
    plan.check()?;
    // Ctrl-C or SIGTERM during a build or a bench run ends that child and all it started.
    super::interrupt::stop_children_on_signal()?;
    let run = ab::run(&plan, Path::new("."), |e| progress(&plan, e))?;
    match args.format {
        Format::Json => outln!("{}", serde_json::to_string_pretty(&run).expect("json")),
        f => {
            outln!("base: {}\nhead: {}", run.base.label(), run.head.label());
            outln!("{}", ab::render(&run.result, f == Format::Markdown));
        }
    }
    errln!("wall time {}", duration(run.wall_s));
    let summary = format!(
        "{} of {} benchmarks regressed (head ≥ {}% slower than base, Holm-adjusted p ≤ {})",
        run.result.regressed().len(),
        run.result.rows.len(),
        args.threshold,
        args.gate.alpha
    );
    finish(
        summary,
        &run.result.regressed(),
        &args.gate,
        args.format == Format::Json,
    )
}
