//! `trainbench baseline ab`: two builds measured side by side on this machine. Parses the
//! flags, prints progress and the table; the measurement and the statistics are
//! [`trainbench::baseline::bench_build`] and [`trainbench::baseline::ab`].

use super::baseline::{invalid, validate};
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::Instant;
use trainbench::baseline::ab::{self, Side};
use trainbench::baseline::bench_build::{self, BENCH, BenchExe, SLOWDOWN_ENV};
use trainbench::baseline::{Rule, TimingBaseline};
use trainbench::{Error, Result};

#[derive(Args)]
pub struct AbArgs {
    /// The reference revision [default: the git sha recorded in the testbed's committed
    /// timing baseline, BASELINES_DIR/TESTBED/timing.json]
    #[arg(long, value_name = "REV")]
    base: Option<String>,
    /// The revision under test [default: the working tree, uncommitted changes included]
    #[arg(long, value_name = "REV")]
    head: Option<String>,
    /// Criterion filter (a regex over benchmark ids) selecting what is measured
    #[arg(long, default_value = AB_FILTER, value_name = "REGEX")]
    filter: String,
    /// A/B rounds; each measures every benchmark in the order base, head, head, base
    #[arg(long, default_value_t = 10, value_name = "N")]
    rounds: usize,
    /// Practical threshold: a regression is at least this many percent slower
    #[arg(long, default_value_t = 5.0, value_name = "PCT")]
    threshold: f64,
    /// Family-wise significance level (paired t-test over rounds, Holm across benchmarks)
    #[arg(long, default_value_t = 0.05, value_name = "A")]
    alpha: f64,
    /// Output format
    #[arg(long, value_enum, default_value_t = AbFormat::Table)]
    format: AbFormat,
    /// Backend threads of both sides' bench runs (TRAINBENCH_THREADS)
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
    /// Report regressions but exit 0 (exit 2 still for an invalid comparison)
    #[arg(long)]
    report_only: bool,
}

/// The default `ab` filter: the training step of the smallest and the largest Lab 1 model at
/// the smallest and the largest batch size (the CI gate's selection).
pub const AB_FILTER: &str = r"^train_epoch/[^/]+/(jsc-tiny|jsc-toy-10x)/bs(32|512)$";

/// Output formats of `baseline ab`.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AbFormat {
    /// A terminal table
    Table,
    /// A markdown table
    Markdown,
    /// A JSON object (the result, both revisions, the settings)
    Json,
}

/// One side: what the user named, the commit, and where it is built from.
struct Rev {
    name: String,
    sha: String,
    dirty: bool,
    dir: PathBuf,
}

impl Rev {
    fn label(&self) -> String {
        let dirty = if self.dirty {
            " + uncommitted changes"
        } else {
            ""
        };
        format!("{} ({}{dirty})", self.name, &self.sha[..12])
    }

    fn json(&self, exe: &BenchExe) -> serde_json::Value {
        serde_json::json!({
            "rev": self.name,
            "sha": self.sha,
            "dirty": self.dirty,
            "build_s": exe.build_time.as_secs_f64(),
        })
    }
}

/// The default base: the sha recorded in the testbed's committed timing baseline.
fn default_base(args: &AbArgs) -> Result<String> {
    let testbed = match &args.testbed {
        Some(t) => t.clone(),
        None => {
            let found: Vec<String> = std::fs::read_dir(&args.baselines_dir)
                .map(|d| {
                    d.filter_map(|e| e.ok())
                        .filter(|e| e.path().join("timing.json").is_file())
                        .map(|e| e.file_name().to_string_lossy().to_string())
                        .collect()
                })
                .unwrap_or_default();
            match found.as_slice() {
                [one] => one.clone(),
                _ => {
                    return Err(Error::Usage(format!(
                        "no --base given and {} testbeds with a timing.json under '{}': \
                         name one with --testbed or give --base REV",
                        found.len(),
                        args.baselines_dir.display()
                    )));
                }
            }
        }
    };
    let path = args.baselines_dir.join(&testbed).join("timing.json");
    let baseline = TimingBaseline::load(&path).map_err(invalid)?;
    let sha = baseline.fingerprint.git_sha.unwrap_or_default();
    let sha = sha.trim_end_matches("-dirty");
    if sha.is_empty() {
        return Err(Error::Usage(format!(
            "'{}' records no git sha: give --base REV",
            path.display()
        )));
    }
    errln!("base: the sha of {} ({sha})", path.display());
    Ok(sha.to_string())
}

/// A side's revision, resolved; a revision other than the working tree gets its worktree
/// from [`checkout`] only when it is built.
fn side(repo: &Path, rev: Option<&str>) -> Result<Rev> {
    match rev {
        Some(r) => Ok(Rev {
            name: r.to_string(),
            sha: bench_build::resolve_rev(repo, r)?,
            dirty: false,
            dir: PathBuf::new(),
        }),
        None => Ok(Rev {
            name: "working tree".into(),
            sha: bench_build::resolve_rev(repo, "HEAD")?,
            dirty: bench_build::is_dirty(repo)?,
            dir: repo.to_path_buf(),
        }),
    }
}

/// Checks `rev` out as a worktree under `target` unless it already has a source tree.
fn checkout(repo: &Path, target: &Path, rev: &mut Rev) -> Result<()> {
    if rev.dir.as_os_str().is_empty() {
        rev.dir = bench_build::worktree(repo, target, &rev.sha)?;
    }
    Ok(())
}

fn build(rev: &Rev, which: &str, target: &Path, features: &str) -> Result<BenchExe> {
    errln!("building the bench of {} …", rev.label());
    let keep = target
        .join("trainbench-ab")
        .join("bin")
        .join(format!("{which}-{}-{BENCH}", &rev.sha[..12]));
    let exe = bench_build::build(&rev.dir, target, features, &keep)?;
    errln!(
        "  built in {}",
        trainbench::format::duration(exe.build_time.as_secs_f64())
    );
    Ok(exe)
}

/// The flags that need no git or cargo to check.
fn check_args(args: &AbArgs) -> Result<()> {
    validate(args.threshold, args.alpha, "percent")?;
    if args.rounds < 2 {
        return Err(Error::Usage("--rounds must be at least 2".into()));
    }
    if args.threads == 0 {
        return Err(Error::Usage("--threads must be at least 1".into()));
    }
    if let Some(pct) = args.inject_slowdown
        && !(pct >= 0.0 && pct.is_finite())
    {
        return Err(Error::Usage("--inject-slowdown must be ≥ 0 percent".into()));
    }
    Ok(())
}

/// Both sides' revisions and built benches: the base first, so the last build (the head)
/// leaves its `trainbench` binary in target/release; one build when they are the same code.
fn build_sides(args: &AbArgs, repo: &Path, target: &Path) -> Result<[(Rev, BenchExe); 2]> {
    let base_rev = match &args.base {
        Some(b) => b.clone(),
        None => default_base(args)?,
    };
    let mut base = side(repo, Some(&base_rev))?;
    let mut head = side(repo, args.head.as_deref())?;
    let base_exe = if base.sha == head.sha && !head.dirty {
        None
    } else {
        checkout(repo, target, &mut base)?;
        Some(build(&base, "base", target, &args.features)?)
    };
    checkout(repo, target, &mut head)?;
    let head_exe = build(&head, "head", target, &args.features)?;
    let base_exe = base_exe.unwrap_or_else(|| {
        errln!("base and head are the same commit: one build measured on both sides");
        head_exe.clone()
    });
    Ok([(base, base_exe), (head, head_exe)])
}

/// The benchmark ids both sides have for `filter`; an error naming the difference.
fn common_benchmarks(base: &BenchExe, head: &BenchExe, filter: &str) -> Result<Vec<String>> {
    let ids = head.list(filter)?;
    let base_ids = base.list(filter)?;
    if ids.is_empty() {
        return Err(Error::Usage(format!(
            "--filter '{filter}' matches no benchmark of the head side"
        )));
    }
    if ids != base_ids {
        let only = |a: &[String], b: &[String]| {
            a.iter()
                .filter(|x| !b.contains(x))
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(Error::Usage(format!(
            "the sides measure different benchmarks: only in base [{}], only in head [{}]",
            only(&base_ids, &ids),
            only(&ids, &base_ids)
        )));
    }
    Ok(ids)
}

/// Measures the rounds, printing one line per round.
fn measure(
    args: &AbArgs,
    target: &Path,
    base: &BenchExe,
    head: &BenchExe,
) -> Result<Vec<ab::Round>> {
    let base_env = vec![("TRAINBENCH_THREADS", args.threads.to_string())];
    let mut head_env = base_env.clone();
    if let Some(p) = args.inject_slowdown {
        head_env.push((SLOWDOWN_ENV, (p / 100.0).to_string()));
    }
    let scratch = target.join("trainbench-ab").join("criterion");
    let mut line = String::new();
    bench_build::run_rounds(
        base,
        head,
        &args.filter,
        args.rounds,
        [&base_env, &head_env],
        &scratch,
        |r, s, secs| {
            let name = if s == Side::Base { "base" } else { "head" };
            line += &format!(" {name} {secs:.1} s");
            if line.matches(" s").count() == 4 {
                errln!("round {}/{}:{line}", r + 1, args.rounds);
                line.clear();
            }
        },
    )
    .map_err(invalid)
}

pub fn run(args: AbArgs) -> Result<()> {
    check_args(&args)?;
    let started = Instant::now();
    let repo = bench_build::repo_root(Path::new("."))?;
    let target = bench_build::target_dir(&repo)?;
    let [(base, base_exe), (head, head_exe)] = build_sides(&args, &repo, &target)?;
    let ids = common_benchmarks(&base_exe, &head_exe, &args.filter)?;
    errln!(
        "measuring {} benchmarks × {} rounds (A B B A), {} thread(s){}",
        ids.len(),
        args.rounds,
        args.threads,
        args.inject_slowdown
            .map(|p| format!(", head slowed down by {p}% (calibration)"))
            .unwrap_or_default()
    );
    let rounds = measure(&args, &target, &base_exe, &head_exe)?;
    let rule = Rule::timing(args.threshold, args.alpha);
    let result = ab::analyze(&ids, &rounds, &rule)?;
    let wall = started.elapsed().as_secs_f64();
    match args.format {
        AbFormat::Json => {
            let json = serde_json::json!({
                "base": base.json(&base_exe),
                "head": head.json(&head_exe),
                "filter": args.filter,
                "rounds": args.rounds,
                "threads": args.threads,
                "features": args.features,
                "inject_slowdown_pct": args.inject_slowdown,
                "wall_s": wall,
                "result": result,
                "per_round": rounds,
            });
            outln!("{}", serde_json::to_string_pretty(&json).expect("json"));
        }
        f => {
            outln!("base: {}\nhead: {}", base.label(), head.label());
            outln!("{}", ab::render(&result, f == AbFormat::Markdown));
        }
    }
    errln!("wall time {}", trainbench::format::duration(wall));
    finish(&args, &result)
}

/// The summary line; an error (exit 1) when something regressed, unless --report-only.
fn finish(args: &AbArgs, result: &ab::AbResult) -> Result<()> {
    let regressed = result.regressed();
    let summary = format!(
        "{} of {} benchmarks regressed (head ≥ {}% slower than base, Holm-adjusted p ≤ {})",
        regressed.len(),
        result.rows.len(),
        args.threshold,
        args.alpha
    );
    if regressed.is_empty() {
        errln!("{summary}");
        Ok(())
    } else if args.report_only {
        errln!("{summary}: {} (report only)", regressed.join(", "));
        Ok(())
    } else {
        Err(Error::Other(format!("{summary}: {}", regressed.join(", "))))
    }
}
