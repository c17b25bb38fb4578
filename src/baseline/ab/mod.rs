//! `trainbench baseline ab`: two builds (base and head) measured side by side on this
//! machine, in interleaved rounds. [`AbPlan`] is what to compare, checked before anything is
//! built ([`AbPlan::check`]); [`run`] resolves the revisions, builds both benches
//! ([`super::bench_build`]), measures the rounds and analyses them ([`stats`]), returning an
//! [`AbRun`] that the CLI prints or serialises.

pub mod stats;

pub use stats::{AbResult, AbRow, ROUND_ORDER, Round, RunTimes, Side, analyze, render};

use super::bench_build::{self, BENCH, BenchExe, SLOWDOWN_ENV};
use super::{Rule, TimingBaseline, invalid};
use crate::{Error, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The most rounds a comparison may ask for (each round runs every benchmark four times).
pub const MAX_ROUNDS: usize = 1000;

/// The default `ab` filter: the training step of the smallest and the largest Lab 1 model at
/// the smallest and the largest batch size (the CI gate's selection).
pub const AB_FILTER: &str = r"^train_epoch/[^/]+/(jsc-tiny|jsc-toy-10x)/bs(32|512)$";

/// What to compare and how.
#[derive(Debug, Clone)]
pub struct AbPlan {
    /// The reference revision (`None`: the sha of the testbed's committed timing baseline).
    pub base: Option<String>,
    /// The revision under test (`None`: the working tree, uncommitted changes included).
    pub head: Option<String>,
    /// Criterion filter (a regex over benchmark ids).
    pub filter: String,
    /// A/B rounds.
    pub rounds: usize,
    /// The practical threshold: a regression is at least this many percent slower.
    pub threshold_pct: f64,
    /// Family-wise significance level (paired t-test over rounds, Holm across benchmarks).
    pub alpha: f64,
    /// Backend threads of both sides' bench runs.
    pub threads: usize,
    /// Cargo features of both builds.
    pub features: String,
    /// Testbed whose timing baseline names the default base.
    pub testbed: Option<String>,
    /// Where testbed folders live.
    pub baselines_dir: PathBuf,
    /// Calibration only: the head side's epochs made this many percent slower.
    pub inject_slowdown: Option<f64>,
}

impl AbPlan {
    /// The verdict rule: slower by at least the threshold, Holm-adjusted at `alpha`.
    pub fn rule(&self) -> Rule {
        Rule::timing(self.threshold_pct, self.alpha)
    }

    /// Checks everything that needs no git or cargo, so that a bad flag is refused before a
    /// build of minutes: the rule, 2 ≤ rounds ≤ [`MAX_ROUNDS`], the filter is a regex, 1 ≤
    /// threads ≤ the available cores, a slowdown ≥ 0.
    pub fn check(&self) -> Result<()> {
        super::check_gate(self.threshold_pct, self.alpha, "percent")?;
        if !(2..=MAX_ROUNDS).contains(&self.rounds) {
            return Err(Error::Usage(format!(
                "--rounds must be between 2 and {MAX_ROUNDS}, got {}",
                self.rounds
            )));
        }
        regex::Regex::new(&self.filter).map_err(|e| {
            let why = e.to_string();
            let last = why.lines().last().unwrap_or("").trim();
            Error::Usage(format!(
                "--filter '{}' is not a valid regex: {last}",
                self.filter
            ))
        })?;
        let cores = crate::backend::available_cores();
        if self.threads == 0 || self.threads > cores {
            return Err(Error::Usage(format!(
                "--threads must be between 1 and the {cores} available core(s), got {}",
                self.threads
            )));
        }
        if let Some(pct) = self.inject_slowdown
            && !(pct >= 0.0 && pct.is_finite())
        {
            return Err(Error::Usage("--inject-slowdown must be ≥ 0 percent".into()));
        }
        Ok(())
    }
}

/// One side as compared: what the user named, the commit, and how its build went.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rev {
    /// The revision as named (`working tree` for the default head).
    pub rev: String,
    /// Its full sha.
    pub sha: String,
    /// The working tree had uncommitted changes.
    pub dirty: bool,
    /// Seconds its bench took to build.
    pub build_s: f64,
    /// Where it was built from.
    #[serde(skip)]
    dir: PathBuf,
}

impl Rev {
    /// `main (0123456789ab + uncommitted changes)`.
    pub fn label(&self) -> String {
        let dirty = if self.dirty {
            " + uncommitted changes"
        } else {
            ""
        };
        format!("{} ({}{dirty})", self.rev, &self.sha[..12])
    }
}

/// A finished comparison: both sides, the settings, the result and every round's times
/// (serialised as `baseline ab --format json` prints it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AbRun {
    /// The reference side.
    pub base: Rev,
    /// The side under test.
    pub head: Rev,
    /// The criterion filter.
    pub filter: String,
    /// Rounds measured.
    pub rounds: usize,
    /// Backend threads of the bench runs.
    pub threads: usize,
    /// Cargo features of the builds.
    pub features: String,
    /// The calibration slowdown of the head side, percent.
    pub inject_slowdown_pct: Option<f64>,
    /// Wall seconds of the whole comparison.
    pub wall_s: f64,
    /// The analysis.
    pub result: AbResult,
    /// Every round's times.
    pub per_round: Vec<Round>,
}

/// What a comparison reports while it goes (for the CLI's progress lines).
#[derive(Debug)]
pub enum AbEvent<'a> {
    /// The base revision was taken from a committed timing baseline.
    DefaultBase {
        /// The baseline file.
        path: &'a Path,
        /// Its sha.
        sha: &'a str,
    },
    /// A side's bench starts building.
    Building(&'a Rev),
    /// It was built in this many seconds.
    Built(f64),
    /// Base and head are the same code: one build serves both sides.
    OneBuild,
    /// Measuring starts.
    Measuring {
        /// Benchmarks compared.
        benchmarks: usize,
    },
    /// A round finished: its number (1-based) and each run's seconds, in round order.
    Round(usize, [f64; 4]),
}

/// Runs the comparison `plan` (checked first) in the git checkout holding `dir`.
pub fn run(plan: &AbPlan, dir: &Path, mut on: impl FnMut(AbEvent)) -> Result<AbRun> {
    plan.check()?;
    let started = Instant::now();
    let repo = bench_build::repo_root(dir)?;
    let target = bench_build::target_dir(&repo)?;
    let [(mut base, base_exe), (mut head, head_exe)] = build_sides(plan, &repo, &target, &mut on)?;
    let ids = common_benchmarks(&base_exe, &head_exe, &plan.filter)?;
    on(AbEvent::Measuring {
        benchmarks: ids.len(),
    });
    let rounds = measure(plan, &target, [&base_exe, &head_exe], &mut on)?;
    let result = analyze(&ids, &rounds, &plan.rule())?;
    base.build_s = base_exe.build_time.as_secs_f64();
    head.build_s = head_exe.build_time.as_secs_f64();
    Ok(AbRun {
        base,
        head,
        filter: plan.filter.clone(),
        rounds: plan.rounds,
        threads: plan.threads,
        features: plan.features.clone(),
        inject_slowdown_pct: plan.inject_slowdown,
        wall_s: started.elapsed().as_secs_f64(),
        result,
        per_round: rounds,
    })
}

/// The default base: the sha recorded in the testbed's committed timing baseline.
fn default_base(plan: &AbPlan, on: &mut impl FnMut(AbEvent)) -> Result<String> {
    let testbed = match &plan.testbed {
        Some(t) => t.clone(),
        None => {
            let found: Vec<String> = std::fs::read_dir(&plan.baselines_dir)
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
                        plan.baselines_dir.display()
                    )));
                }
            }
        }
    };
    let path = plan.baselines_dir.join(&testbed).join("timing.json");
    let baseline = TimingBaseline::load(&path).map_err(invalid)?;
    let sha = baseline.fingerprint.git_sha.unwrap_or_default();
    let sha = sha.trim_end_matches("-dirty");
    if sha.is_empty() {
        return Err(Error::Usage(format!(
            "'{}' records no git sha: give --base REV",
            path.display()
        )));
    }
    on(AbEvent::DefaultBase { path: &path, sha });
    Ok(sha.to_string())
}

/// A side's revision, resolved; a revision other than the working tree gets its worktree
/// only when it is built.
fn side(repo: &Path, rev: Option<&str>) -> Result<Rev> {
    let (rev, sha, dirty, dir) = match rev {
        Some(r) => (
            r.to_string(),
            bench_build::resolve_rev(repo, r)?,
            false,
            PathBuf::new(),
        ),
        None => (
            "working tree".to_string(),
            bench_build::resolve_rev(repo, "HEAD")?,
            bench_build::is_dirty(repo)?,
            repo.to_path_buf(),
        ),
    };
    Ok(Rev {
        rev,
        sha,
        dirty,
        build_s: 0.0,
        dir,
    })
}

/// Builds `rev`'s bench (checked out as a worktree under `target` unless it already has a
/// source tree) and keeps a copy of it named for `which` side.
fn build(
    repo: &Path,
    target: &Path,
    rev: &mut Rev,
    which: &str,
    features: &str,
    on: &mut impl FnMut(AbEvent),
) -> Result<BenchExe> {
    if rev.dir.as_os_str().is_empty() {
        rev.dir = bench_build::worktree(repo, target, &rev.sha)?;
    }
    on(AbEvent::Building(rev));
    let keep = target
        .join("trainbench-ab")
        .join("bin")
        .join(format!("{which}-{}-{BENCH}", &rev.sha[..12]));
    let exe = bench_build::build(&rev.dir, target, features, &keep)?;
    on(AbEvent::Built(exe.build_time.as_secs_f64()));
    Ok(exe)
}

/// Both sides' revisions and built benches: the base first, so the last build (the head)
/// leaves its `trainbench` binary in target/release; one build when they are the same code.
fn build_sides(
    plan: &AbPlan,
    repo: &Path,
    target: &Path,
    on: &mut impl FnMut(AbEvent),
) -> Result<[(Rev, BenchExe); 2]> {
    let base_rev = match &plan.base {
        Some(b) => b.clone(),
        None => default_base(plan, on)?,
    };
    let mut base = side(repo, Some(&base_rev))?;
    let mut head = side(repo, plan.head.as_deref())?;
    let base_exe = if base.sha == head.sha && !head.dirty {
        None
    } else {
        Some(build(repo, target, &mut base, "base", &plan.features, on)?)
    };
    let head_exe = build(repo, target, &mut head, "head", &plan.features, on)?;
    let base_exe = base_exe.unwrap_or_else(|| {
        on(AbEvent::OneBuild);
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

/// Measures the rounds, reporting each.
fn measure(
    plan: &AbPlan,
    target: &Path,
    [base, head]: [&BenchExe; 2],
    on: &mut impl FnMut(AbEvent),
) -> Result<Vec<Round>> {
    let base_env = vec![("TRAINBENCH_THREADS", plan.threads.to_string())];
    let mut head_env = base_env.clone();
    if let Some(p) = plan.inject_slowdown {
        head_env.push((SLOWDOWN_ENV, (p / 100.0).to_string()));
    }
    let scratch = target.join("trainbench-ab").join("criterion");
    let mut secs = Vec::with_capacity(4);
    bench_build::run_rounds(
        base,
        head,
        &plan.filter,
        plan.rounds,
        [&base_env, &head_env],
        &scratch,
        |r, _, s| {
            secs.push(s);
            if let Ok(four) = <[f64; 4]>::try_from(secs.as_slice()) {
                on(AbEvent::Round(r + 1, four));
                secs.clear();
            }
        },
    )
    .map_err(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> AbPlan {
        AbPlan {
            base: Some("HEAD".into()),
            head: None,
            filter: AB_FILTER.into(),
            rounds: 10,
            threshold_pct: 5.0,
            alpha: 0.05,
            threads: 1,
            features: String::new(),
            testbed: None,
            baselines_dir: "baselines".into(),
            inject_slowdown: None,
        }
    }

    /// Flags that would fail after a build of minutes are refused before it, each with a
    /// usage error (exit 2) that names the flag.
    #[test]
    fn bad_plans_are_refused_before_any_build() {
        assert!(plan().check().is_ok());
        let cores = crate::backend::available_cores();
        let cases: [(AbPlan, &str); 5] = [
            (
                AbPlan {
                    rounds: 1,
                    ..plan()
                },
                "--rounds",
            ),
            (
                AbPlan {
                    rounds: usize::MAX,
                    ..plan()
                },
                "--rounds",
            ),
            (
                AbPlan {
                    filter: "(".into(),
                    ..plan()
                },
                "--filter '(' is not a valid regex",
            ),
            (
                AbPlan {
                    threads: cores + 1,
                    ..plan()
                },
                "--threads",
            ),
            (
                AbPlan {
                    inject_slowdown: Some(-1.0),
                    ..plan()
                },
                "--inject-slowdown",
            ),
        ];
        for (p, needle) in cases {
            let e = p.check().unwrap_err();
            assert_eq!(e.exit_code(), 2, "{e}");
            assert!(e.to_string().contains(needle), "{e}");
        }
    }
}
