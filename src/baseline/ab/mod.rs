//! `trainbench baseline ab`: two builds (base and head) measured side by side on this
//! machine, in interleaved rounds. [`AbPlan`] is what to compare, checked before anything is
//! built ([`AbPlan::check`]); [`run`] resolves the revisions, builds both benches
//! ([`super::bench_build`]) — one build when the two have the same code —, measures the
//! benchmarks both sides have in rounds and analyses them ([`stats`]), returning an
//! [`AbRun`] that the CLI prints or serialises, and keeps its ratios for `baseline accept`
//! ([`LastAb`]).

pub mod last;
pub mod stats;

pub use last::LastAb;
pub use stats::{AbResult, AbRow, ROUND_ORDER, Round, RunTimes, Side, analyze, render};

use super::bench_build::{self, BENCH, BenchExe, BuildProgress, SLOWDOWN_ENV};
use super::timing::timing_file;
use super::{Rule, TimingBaseline, invalid};
use crate::{Error, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The most rounds a comparison may ask for (each round runs every benchmark four times).
pub const MAX_ROUNDS: usize = 1000;

/// The default `ab` filter: a training epoch of the smallest Lab 1 model at the smallest and
/// the largest batch size, and of the largest model at the batch size Lab 1 trains it with
/// (the CI gate's selection).
pub const AB_FILTER: &str = r"^train_epoch/[^/]+/(jsc-tiny/bs(32|512)|jsc-toy-10x/bs128)$";

/// The default filter with `--study`: every training epoch of the study.
pub const STUDY_FILTER: &str = "^train_epoch/";

/// The default `--filter`: [`STUDY_FILTER`] when a study file is given, else [`AB_FILTER`].
pub fn default_filter(study: bool) -> &'static str {
    if study { STUDY_FILTER } else { AB_FILTER }
}

/// What to compare and how.
#[derive(Debug, Clone)]
pub struct AbPlan {
    /// The reference revision (`None`: the sha of the testbed's committed timing baseline).
    pub base: Option<String>,
    /// The revision under test (`None`: the working tree, uncommitted changes included).
    pub head: Option<String>,
    /// Criterion filter (a regex over benchmark ids).
    pub filter: String,
    /// The study both sides derive their benchmarks from (`TRAINBENCH_STUDY`); `None`: each
    /// side's default, `studies/lab1.toml` of its own tree.
    pub study: Option<PathBuf>,
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
        self.study_path()?;
        Ok(())
    }

    /// The `--study` file as an absolute path (both sides run in their own trees), checked
    /// to be a study that yields benchmarks.
    pub fn study_path(&self) -> Result<Option<PathBuf>> {
        let Some(study) = &self.study else {
            return Ok(None);
        };
        crate::bench::BenchPlan::load(study).map_err(|e| Error::Usage(format!("--study: {e}")))?;
        std::path::absolute(study)
            .map(Some)
            .map_err(|e| Error::input(format!("--study '{}'", study.display()), e))
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

    /// The source tree it is built from (a worktree under the target folder, or the
    /// checkout itself for the working tree).
    pub fn source(&self) -> &Path {
        &self.dir
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
    /// The study of `--study`, if given.
    pub study: Option<PathBuf>,
    /// Benchmarks matching the filter that only the base side has (not compared).
    pub only_base: Vec<String>,
    /// Benchmarks matching the filter that only the head side has (not compared).
    pub only_head: Vec<String>,
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
    /// A side's bench starts building: the revision, the cargo command, the target folder.
    Building {
        /// The side.
        rev: &'a Rev,
        /// What runs.
        command: String,
        /// Cargo's target folder (shared by both sides).
        target: &'a Path,
    },
    /// The build is still going (every [`bench_build::HEARTBEAT_S`] seconds).
    StillBuilding(&'a BuildProgress),
    /// It was built in this many seconds.
    Built(f64),
    /// Base and head have the same code (they differ in the baselines at most): one build
    /// serves both sides.
    OneBuild,
    /// Measuring starts.
    Measuring {
        /// Benchmarks compared.
        benchmarks: usize,
        /// Matching benchmarks of one side only, not compared: (base's, head's).
        one_side: (&'a [String], &'a [String]),
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
    let study = plan.study_path()?;
    let [(mut base, mut base_exe), (mut head, mut head_exe)] =
        build_sides(plan, &repo, &target, &mut on)?;
    base_exe.study.clone_from(&study);
    head_exe.study.clone_from(&study);
    let common = common_benchmarks(&base_exe, &head_exe, &plan.filter)?;
    on(AbEvent::Measuring {
        benchmarks: common.ids.len(),
        one_side: (&common.only_base, &common.only_head),
    });
    let exact = exact_filter(&common.ids);
    let rounds = measure(plan, &exact, &target, [&base_exe, &head_exe], &mut on)?;
    let result = analyze(&common.ids, &rounds, &plan.rule())?;
    base.build_s = base_exe.build_time.as_secs_f64();
    head.build_s = head_exe.build_time.as_secs_f64();
    let run = AbRun {
        base,
        head,
        filter: plan.filter.clone(),
        study,
        only_base: common.only_base,
        only_head: common.only_head,
        rounds: plan.rounds,
        threads: plan.threads,
        features: plan.features.clone(),
        inject_slowdown_pct: plan.inject_slowdown,
        wall_s: started.elapsed().as_secs_f64(),
        result,
        per_round: rounds,
    };
    LastAb::of(&run).save(&target)?;
    Ok(run)
}

/// A criterion filter matching exactly `ids`.
fn exact_filter(ids: &[String]) -> String {
    let alternatives: Vec<String> = ids.iter().map(|id| regex::escape(id)).collect();
    format!("^({})$", alternatives.join("|"))
}

/// The default base: the revision the testbed's committed timing baseline names
/// ([`TimingBaseline::base_revision`]: the one `baseline accept` recorded, else the sha the
/// timings were measured with).
fn default_base(plan: &AbPlan, on: &mut impl FnMut(AbEvent)) -> Result<String> {
    let path = timing_file(&plan.baselines_dir, plan.testbed.as_deref())
        .map_err(|e| Error::Usage(format!("no --base given and {e}, or give --base REV")))?;
    let baseline = TimingBaseline::load(&path).map_err(invalid)?;
    let Some(sha) = baseline.base_revision() else {
        return Err(Error::Usage(format!(
            "'{}' records no git sha: give --base REV",
            path.display()
        )));
    };
    on(AbEvent::DefaultBase {
        path: &path,
        sha: &sha,
    });
    Ok(sha)
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
    let command = format!(
        "cargo bench --bench {BENCH} --no-run{}",
        if features.is_empty() {
            String::new()
        } else {
            format!(" --features {features}")
        }
    );
    on(AbEvent::Building {
        rev,
        command,
        target,
    });
    let keep = target
        .join("trainbench-ab")
        .join("bin")
        .join(format!("{which}-{}-{BENCH}", &rev.sha[..12]));
    let exe = bench_build::build(&rev.dir, target, features, &keep, &mut |p| {
        on(AbEvent::StillBuilding(p))
    })?;
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
    let base_exe = if same_code(repo, &base, &head, &plan.baselines_dir)? {
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

/// Whether `base` and `head` have the same code: the same commit with a clean tree, or trees
/// that differ only under the baselines folder — an accepted baseline committed on top of
/// the code it names ([`bench_build::same_code`]).
fn same_code(repo: &Path, base: &Rev, head: &Rev, baselines_dir: &Path) -> Result<bool> {
    if base.sha == head.sha && !head.dirty {
        return Ok(true);
    }
    let working_tree = !head.dir.as_os_str().is_empty();
    let head_rev = (!working_tree).then_some(head.sha.as_str());
    bench_build::same_code(repo, &base.sha, head_rev, baselines_dir)
}

/// The benchmarks both sides have for a filter, and those only one side has.
struct Common {
    ids: Vec<String>,
    only_base: Vec<String>,
    only_head: Vec<String>,
}

/// The benchmark ids both sides have for `filter` (a change may add or drop benchmarks, and
/// a base older than study-driven benches times its own fixed list); an error when they
/// have none in common.
fn common_benchmarks(base: &BenchExe, head: &BenchExe, filter: &str) -> Result<Common> {
    let head_ids = head.list(filter)?;
    let base_ids = base.list(filter)?;
    if head_ids.is_empty() {
        return Err(Error::Usage(format!(
            "--filter '{filter}' matches no benchmark of the head side"
        )));
    }
    let only = |a: &[String], b: &[String]| -> Vec<String> {
        a.iter().filter(|x| !b.contains(x)).cloned().collect()
    };
    let ids: Vec<String> = head_ids
        .iter()
        .filter(|x| base_ids.contains(x))
        .cloned()
        .collect();
    if ids.is_empty() {
        return Err(Error::Usage(format!(
            "the sides have no benchmark in common for --filter '{filter}': base has [{}], \
             head has [{}]",
            base_ids.join(", "),
            head_ids.join(", ")
        )));
    }
    Ok(Common {
        only_base: only(&base_ids, &ids),
        only_head: only(&head_ids, &ids),
        ids,
    })
}

/// Measures the rounds of the benchmarks matching `filter`, reporting each.
fn measure(
    plan: &AbPlan,
    filter: &str,
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
        filter,
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
            study: None,
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
        let cases: [(AbPlan, &str); 6] = [
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
            (
                AbPlan {
                    study: Some("no/such.toml".into()),
                    ..plan()
                },
                "--study: could not read study file 'no/such.toml'",
            ),
        ];
        for (p, needle) in cases {
            let e = p.check().unwrap_err();
            assert_eq!(e.exit_code(), 2, "{e}");
            assert!(e.to_string().contains(needle), "{e}");
        }
    }
}
