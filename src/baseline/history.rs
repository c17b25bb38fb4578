//! The history of committed baselines: every version of `baselines/<testbed>/timing.json`
//! and of the accuracy baselines next to it, read back from git, as one series per
//! benchmark (or configuration) over the commits that re-saved the file, with the steps
//! between consecutive versions.
//!
//! # Git
//!
//! History is read with the `git` command-line tool through [`std::process::Command`]
//! (`git log` for the commits that touched a file, `git show COMMIT:PATH` for its content,
//! `git rev-list --count` for the commits in between). It needs no new dependency (gix or
//! git2 would add a large build, or a C library, for four read-only commands), it reads
//! every repository layout git itself reads (worktrees, packed refs, alternates), and a
//! checkout that has baselines in it has `git`. A shallow clone is detected
//! (`git rev-parse --is-shallow-repository`) and reported in [`History::notes`]: the versions
//! before the shallow boundary are missing, and `git fetch --unshallow` restores them.
//!
//! # The change-point rule
//!
//! Each series is compared version by version, in commit order (oldest first). The change
//! from one version `a` to the next `b` is a **step** when both hold:
//!
//! 1. the confidence intervals do not overlap (`b.ci_low > a.ci_high` or
//!    `b.ci_high < a.ci_low`) — the same interval the baseline file saved: criterion's
//!    bootstrap CI of the mean time, or the Student-t CI of the mean test accuracy over
//!    seeds; and
//! 2. the change is large enough to matter: at least [`StepRule::timing_pct`] percent of the
//!    old time (default 5%), or at least [`StepRule::accuracy_points`] accuracy points
//!    (default 1, as `check-accuracy`).
//!
//! A version without an interval (one seed) never makes a step. The step is attributed to
//! the commit that saved `b`; the code change that caused it lies in the commits between
//! `a`'s and `b`'s commits ([`Version::commits_since_previous`] counts them). The rule only
//! looks at neighbours, so a slow drift over many versions, each within its neighbour's
//! interval, is not a step; it shows as a slope in the page's lines. A step between versions
//! measured on different machines is flagged (`machine_changed`): it may be the machine.

use super::accuracy::{ACCURACY_FORMAT, AccuracyBaseline};
use super::fingerprint::Fingerprint;
use super::log::Accepted;
use super::timing::{TIMING_FORMAT, TimingBaseline};
use crate::format::{MISSING, change, pct, seconds_si, signed_points};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The `format` value of `history.json` (and `trainbench history --format json`).
pub const HISTORY_FORMAT: &str = "trainbench-history/1";

/// How large a change between consecutive versions must be to be a step (besides disjoint
/// confidence intervals); see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepRule {
    /// Minimum change of a time, in percent of the older time.
    pub timing_pct: f64,
    /// Minimum change of an accuracy, in accuracy points.
    pub accuracy_points: f64,
}

impl Default for StepRule {
    fn default() -> Self {
        StepRule {
            timing_pct: 5.0,
            accuracy_points: 1.0,
        }
    }
}

impl StepRule {
    /// A usage error unless both thresholds are positive (`trainbench history --threshold
    /// --accuracy-threshold`).
    pub fn check(&self) -> Result<()> {
        let positive = |x: f64| x.is_finite() && x > 0.0;
        if !positive(self.timing_pct) || !positive(self.accuracy_points) {
            return Err(Error::Usage(
                "--threshold and --accuracy-threshold must be positive".into(),
            ));
        }
        Ok(())
    }

    /// The rule in one sentence, for people.
    pub fn describe(&self) -> String {
        format!(
            "a step is a change between consecutive versions whose confidence intervals do not overlap \
             and that is at least {}% of the older time (timings) or {} accuracy point{} (accuracies)",
            self.timing_pct,
            self.accuracy_points,
            if self.accuracy_points == 1.0 { "" } else { "s" }
        )
    }

    /// The size of the change from `a` to `b` in units of the threshold (≥ 1: large enough).
    pub fn size(&self, kind: Kind, a: &Point, b: &Point) -> f64 {
        match kind {
            Kind::Timing => (b.estimate / a.estimate - 1.0).abs() / (self.timing_pct / 100.0),
            Kind::Accuracy => 100.0 * (b.estimate - a.estimate).abs() / self.accuracy_points,
        }
    }

    /// True when the change from `a` to `b` is a step: disjoint intervals and a size of at
    /// least the threshold (a change that equals it up to float rounding counts).
    pub fn is_step(&self, kind: Kind, a: &Point, b: &Point) -> bool {
        disjoint(a, b) && self.size(kind, a, b) >= 1.0 - 1e-9
    }
}

/// True when both points have intervals and they do not overlap.
pub fn disjoint(a: &Point, b: &Point) -> bool {
    let finite = [a.ci_low, a.ci_high, b.ci_low, b.ci_high]
        .iter()
        .all(|x| x.is_finite());
    finite && (b.ci_low > a.ci_high || b.ci_high < a.ci_low)
}

/// What a baseline file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `timing.json`: seconds per iteration per benchmark (lower is better).
    Timing,
    /// An accuracy baseline: test accuracy per configuration (higher is better).
    Accuracy,
}

impl Kind {
    /// A value of this kind for people: `201.7 ms`, `71.23%`.
    pub fn value(&self, x: f64) -> String {
        match self {
            Kind::Timing => seconds_si(x),
            Kind::Accuracy => pct(x),
        }
    }

    /// A change of this kind for people: `+25.1%` (times), `-1.20 pts` (accuracies).
    pub fn change(&self, a: f64, b: f64) -> String {
        match self {
            Kind::Timing => change(b / a - 1.0),
            Kind::Accuracy => signed_points(100.0 * (b - a)),
        }
    }

    /// Whether the change from `a` to `b` is for the worse (slower, or lower accuracy).
    pub fn worse(&self, a: f64, b: f64) -> bool {
        match self {
            Kind::Timing => b > a,
            Kind::Accuracy => b < a,
        }
    }
}

/// A commit, as `git log` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    /// Full sha.
    pub sha: String,
    /// Abbreviated sha.
    pub short: String,
    /// Committer date, ISO 8601.
    pub date: String,
    /// First line of the message.
    pub subject: String,
}

/// One committed version of a baseline file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Version {
    /// The commit that saved this version.
    pub commit: Commit,
    /// The file's own save time.
    pub saved_at: String,
    /// The trainbench checkout the numbers were measured with (the fingerprint's git sha).
    pub measured_at: Option<String>,
    /// The machine: CPU, cores, threads, OS.
    pub machine: String,
    /// Commits reachable from this version's commit but not from the previous version's
    /// (where the cause of a change lies); `None` for the first version.
    pub commits_since_previous: Option<usize>,
    /// The machine differs from the previous version's (`field: a → b` lines).
    pub machine_changes: Vec<String>,
}

/// One series value: an estimate with its confidence interval, in one version.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Index into [`FileHistory::versions`].
    pub version: usize,
    /// Mean time per iteration (s), or mean test accuracy (fraction).
    #[serde(with = "crate::jsonfloat")]
    pub estimate: f64,
    /// Lower end of the CI.
    #[serde(with = "crate::jsonfloat")]
    pub ci_low: f64,
    /// Upper end of the CI.
    #[serde(with = "crate::jsonfloat")]
    pub ci_high: f64,
}

/// A change between two consecutive points of one series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The baseline file.
    pub file: String,
    /// Benchmark id or configuration id.
    pub series: String,
    /// The older point.
    pub before: Point,
    /// The newer point.
    pub after: Point,
    /// The commit that saved the newer point.
    pub commit: Commit,
    /// The change for people (`+25.1%`, `-1.20 pts`).
    pub text: String,
    /// Size in units of the rule's threshold (≥ 1: large enough).
    #[serde(with = "crate::jsonfloat")]
    pub size: f64,
    /// The intervals do not overlap.
    pub disjoint: bool,
    /// A step by the rule.
    pub step: bool,
    /// Slower, or lower accuracy.
    pub worse: bool,
    /// The two versions come from different machines.
    pub machine_changed: bool,
}

impl Change {
    /// `slower` / `faster` (times) or `lower` / `higher` (accuracies), `same` when equal.
    pub fn direction(&self, kind: Kind) -> &'static str {
        let (a, b) = (self.before.estimate, self.after.estimate);
        match (kind, b.partial_cmp(&a)) {
            (_, Some(std::cmp::Ordering::Equal)) | (_, None) => "same",
            (Kind::Timing, Some(std::cmp::Ordering::Greater)) => "slower",
            (Kind::Timing, Some(std::cmp::Ordering::Less)) => "faster",
            (Kind::Accuracy, Some(std::cmp::Ordering::Greater)) => "higher",
            (Kind::Accuracy, Some(std::cmp::Ordering::Less)) => "lower",
        }
    }
}

/// One benchmark's (or configuration's) values over the versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Benchmark id (`train_epoch/flex/jsc-tiny/bs32`) or configuration id.
    pub id: String,
    /// Its values, oldest first (versions without it are skipped).
    pub points: Vec<Point>,
    /// Changes between consecutive points.
    pub changes: Vec<Change>,
}

/// A change accepted with `baseline accept`, as the file's log holds it, with the commit that
/// first recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AcceptedChange {
    /// The log entry.
    pub entry: Accepted,
    /// The first commit whose version of the file has the entry (`None`: not committed yet,
    /// or the versions could not be read).
    pub recorded_in: Option<Commit>,
}

/// The history of one baseline file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileHistory {
    /// Path in the repository (`baselines/ci-2core/timing.json`).
    pub path: String,
    /// The testbed (the folder under the baselines directory).
    pub testbed: String,
    /// What it holds.
    pub kind: Kind,
    /// Its committed versions, oldest first.
    pub versions: Vec<Version>,
    /// One series per benchmark or configuration, by id.
    pub series: Vec<Series>,
    /// The changes accepted in the newest version's log, oldest first.
    #[serde(default)]
    pub accepted: Vec<AcceptedChange>,
}

/// The history of a repository's baselines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// Always [`HISTORY_FORMAT`].
    pub format: String,
    /// The repository's top-level folder.
    pub repo: String,
    /// The commit the history was read from (HEAD).
    pub head: Commit,
    /// True for a shallow clone (older versions are missing).
    pub shallow: bool,
    /// The rule steps were detected with.
    pub rule: StepRule,
    /// Things to know: a shallow clone, versions that could not be read.
    pub notes: Vec<String>,
    /// One entry per baseline file, by path.
    pub files: Vec<FileHistory>,
}

impl History {
    /// The history as pretty JSON, without a final newline: history.json and `--format json`.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::Other(e.to_string()))
    }

    /// Every change of every series.
    pub fn changes(&self) -> impl Iterator<Item = (&FileHistory, &Change)> {
        self.files.iter().flat_map(|f| {
            f.series
                .iter()
                .flat_map(move |s| s.changes.iter().map(move |c| (f, c)))
        })
    }

    /// The steps, newest commit first (then largest first).
    pub fn steps(&self) -> Vec<(&FileHistory, &Change)> {
        let mut steps: Vec<_> = self.changes().filter(|(_, c)| c.step).collect();
        steps.sort_by(|(fa, a), (fb, b)| {
            let ta = &fa.versions[a.after.version].commit.date;
            let tb = &fb.versions[b.after.version].commit.date;
            tb.cmp(ta).then(b.size.total_cmp(&a.size))
        });
        steps
    }

    /// The `n` largest changes (in units of their threshold), largest first.
    pub fn largest(&self, n: usize) -> Vec<(&FileHistory, &Change)> {
        let mut all: Vec<_> = self.changes().filter(|(_, c)| c.size.is_finite()).collect();
        all.sort_by(|(_, a), (_, b)| b.size.total_cmp(&a.size));
        all.truncate(n);
        all
    }

    /// The changes to triage, in one list: every step, then the largest other changes until
    /// there are `n` rows (or more when there are more steps), largest first.
    pub fn notable(&self, n: usize) -> Vec<(&FileHistory, &Change)> {
        let mut rows: Vec<_> = self
            .changes()
            .filter(|(_, c)| c.step || c.size.is_finite())
            .collect();
        rows.sort_by(|(_, a), (_, b)| b.step.cmp(&a.step).then(b.size.total_cmp(&a.size)));
        let steps = rows.iter().filter(|(_, c)| c.step).count();
        rows.truncate(n.max(steps));
        rows
    }

    /// Every accepted change of every file, newest first.
    pub fn accepted(&self) -> Vec<(&FileHistory, &AcceptedChange)> {
        let mut all: Vec<_> = self
            .files
            .iter()
            .flat_map(|f| f.accepted.iter().map(move |a| (f, a)))
            .collect();
        all.sort_by(|(_, a), (_, b)| b.entry.date.cmp(&a.entry.date));
        all
    }
}

/// What to read.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryOptions {
    /// Only this testbed's files; `None`: every testbed.
    pub testbed: Option<String>,
    /// The baselines folder, relative to the repository's top level (`baselines`).
    pub baselines_dir: PathBuf,
    /// The step rule.
    pub rule: StepRule,
}

impl Default for HistoryOptions {
    fn default() -> Self {
        HistoryOptions {
            testbed: None,
            baselines_dir: PathBuf::from("baselines"),
            rule: StepRule::default(),
        }
    }
}

/// Runs `git -C repo ARGS` and returns its standard output.
fn git(repo: &Path, args: &[&str]) -> Result<String> {
    super::git::run(repo, args, "history reads baselines from git")
}

/// Commits from `git log --format=…` output: fields split by US, records by RS.
const LOG_FORMAT: &str = "--format=%H%x1f%h%x1f%cI%x1f%s%x1e";

fn parse_log(text: &str) -> Vec<Commit> {
    text.split('\x1e')
        .filter_map(|rec| {
            let mut f = rec.trim_start_matches('\n').split('\x1f');
            Some(Commit {
                sha: f.next().filter(|s| !s.is_empty())?.to_string(),
                short: f.next()?.to_string(),
                date: f.next()?.to_string(),
                subject: f.next()?.trim_end().to_string(),
            })
        })
        .collect()
}

fn machine_of(f: &Fingerprint) -> String {
    format!(
        "{}, {} cores, {} threads, {}",
        f.cpu, f.cores, f.threads, f.os
    )
}

/// A parsed version: its kind, header, log of accepted changes and per-series values.
struct Parsed {
    kind: Kind,
    saved_at: String,
    fingerprint: Fingerprint,
    log: Vec<Accepted>,
    values: BTreeMap<String, (f64, f64, f64)>,
}

fn parse_version(text: &str) -> std::result::Result<Parsed, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    match v.get("format").and_then(|f| f.as_str()) {
        Some(TIMING_FORMAT) => {
            let b: TimingBaseline = serde_json::from_value(v).map_err(|e| e.to_string())?;
            Ok(Parsed {
                kind: Kind::Timing,
                saved_at: b.saved_at,
                fingerprint: b.fingerprint,
                log: b.log,
                values: b
                    .benchmarks
                    .into_iter()
                    .map(|(id, t)| (id, (t.mean_s.estimate, t.mean_s.ci_low, t.mean_s.ci_high)))
                    .collect(),
            })
        }
        Some(ACCURACY_FORMAT) => {
            let b: AccuracyBaseline = serde_json::from_value(v).map_err(|e| e.to_string())?;
            Ok(Parsed {
                kind: Kind::Accuracy,
                saved_at: b.saved_at,
                fingerprint: b.fingerprint,
                log: b.log,
                values: b
                    .configs
                    .into_iter()
                    .map(|(id, c)| (id, (c.test_acc.mean, c.test_acc.ci_low, c.test_acc.ci_high)))
                    .collect(),
            })
        }
        Some(other) => Err(format!("unknown format '{other}'")),
        None => Err("no \"format\" field".into()),
    }
}

/// A file's readable versions, oldest first, with their parsed values and the file's kind.
struct ReadVersions {
    versions: Vec<Version>,
    parsed: Vec<Parsed>,
    kind: Option<Kind>,
}

/// The parsed text of `path` at `commit`; `None` (with a note) when unreadable or unparsable.
fn read_version(
    root: &Path,
    path: &str,
    commit: &Commit,
    notes: &mut Vec<String>,
) -> Option<Parsed> {
    let text = match git(root, &["show", &format!("{}:{path}", commit.sha)]) {
        Ok(t) => t,
        Err(e) => {
            notes.push(format!(
                "{path} at {}: not readable ({e}); skipped",
                commit.short
            ));
            return None;
        }
    };
    match parse_version(&text) {
        Ok(p) => Some(p),
        Err(e) => {
            notes.push(format!("{path} at {}: {e}; skipped", commit.short));
            None
        }
    }
}

/// Reads every committed version of `path`, oldest first; skips (with a note) versions that
/// cannot be read or change the file's kind.
fn read_versions(root: &Path, path: &str, notes: &mut Vec<String>) -> Result<ReadVersions> {
    let mut commits = parse_log(&git(
        root,
        &["log", LOG_FORMAT, "--diff-filter=ACMRT", "--", path],
    )?);
    commits.reverse();
    let mut versions: Vec<Version> = Vec::new();
    let mut parsed: Vec<Parsed> = Vec::new();
    let mut kind = None;
    for commit in commits {
        let Some(p) = read_version(root, path, &commit, notes) else {
            continue;
        };
        if kind.is_some_and(|k| k != p.kind) {
            notes.push(format!("{path} at {}: changed kind; skipped", commit.short));
            continue;
        }
        kind = Some(p.kind);
        let (since, machine_changes) = match (versions.last(), parsed.last()) {
            (Some(prev), Some(prev_p)) => {
                let range = format!("{}..{}", prev.commit.sha, commit.sha);
                let n = git(root, &["rev-list", "--count", &range])?
                    .trim()
                    .parse::<usize>()
                    .ok();
                (n, prev_p.fingerprint.machine_differences(&p.fingerprint))
            }
            _ => (None, Vec::new()),
        };
        versions.push(Version {
            commit,
            saved_at: p.saved_at.clone(),
            measured_at: p.fingerprint.git_sha.clone(),
            machine: machine_of(&p.fingerprint),
            commits_since_previous: since,
            machine_changes,
        });
        parsed.push(p);
    }
    Ok(ReadVersions {
        versions,
        parsed,
        kind,
    })
}

/// What the series of one file are built from: the file, its kind, versions and the rule.
struct SeriesContext<'a> {
    path: &'a str,
    kind: Kind,
    rule: &'a StepRule,
    versions: &'a [Version],
    parsed: &'a [Parsed],
}

impl SeriesContext<'_> {
    /// The series `id`: its points over the versions that have it, and the changes between them.
    fn series(&self, id: &str) -> Series {
        let points: Vec<Point> = self
            .parsed
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let &(estimate, ci_low, ci_high) = p.values.get(id)?;
                Some(Point {
                    version: i,
                    estimate,
                    ci_low,
                    ci_high,
                })
            })
            .collect();
        let changes = points
            .windows(2)
            .map(|w| self.change(id, w[0], w[1]))
            .collect();
        Series {
            id: id.to_string(),
            points,
            changes,
        }
    }

    /// The change of series `id` from point `a` to the next point `b`.
    fn change(&self, id: &str, a: Point, b: Point) -> Change {
        let (kind, rule) = (self.kind, self.rule);
        let v = &self.versions[b.version];
        let machine_changed =
            (a.version + 1..=b.version).any(|i| !self.versions[i].machine_changes.is_empty());
        Change {
            file: self.path.to_string(),
            series: id.to_string(),
            before: a,
            after: b,
            commit: v.commit.clone(),
            text: kind.change(a.estimate, b.estimate),
            size: rule.size(kind, &a, &b),
            disjoint: disjoint(&a, &b),
            step: rule.is_step(kind, &a, &b),
            worse: kind.worse(a.estimate, b.estimate),
            machine_changed,
        }
    }
}

/// Reads one file's history: its versions (oldest first) and series.
fn file_history(
    root: &Path,
    path: &str,
    testbed: &str,
    rule: &StepRule,
    notes: &mut Vec<String>,
) -> Result<Option<FileHistory>> {
    let read = read_versions(root, path, notes)?;
    let Some(kind) = read.kind else {
        return Ok(None);
    };
    let ids: BTreeSet<&String> = read.parsed.iter().flat_map(|p| p.values.keys()).collect();
    let cx = SeriesContext {
        path,
        kind,
        rule,
        versions: &read.versions,
        parsed: &read.parsed,
    };
    let series = ids.into_iter().map(|id| cx.series(id)).collect();
    let accepted = accepted_changes(&read);
    Ok(Some(FileHistory {
        path: path.to_string(),
        testbed: testbed.to_string(),
        kind,
        versions: read.versions,
        series,
        accepted,
    }))
}

/// The newest version's log, each entry with the first version that has it.
fn accepted_changes(read: &ReadVersions) -> Vec<AcceptedChange> {
    let Some(newest) = read.parsed.last() else {
        return Vec::new();
    };
    newest
        .log
        .iter()
        .map(|entry| AcceptedChange {
            entry: entry.clone(),
            recorded_in: read
                .parsed
                .iter()
                .position(|p| p.log.contains(entry))
                .map(|i| read.versions[i].commit.clone()),
        })
        .collect()
}

/// Reads the history of the baselines in the git repository containing `repo`.
///
/// Errors: not a git repository, git missing, or no baseline file (of `--testbed`) in the
/// history. A shallow clone is not an error: [`History::notes`] says what is missing.
pub fn read(repo: &Path, options: &HistoryOptions) -> Result<History> {
    let root = git(repo, &["rev-parse", "--show-toplevel"]).map_err(|e| {
        Error::Usage(format!(
            "'{}' is not inside a git repository: history reads the committed baselines' versions from git ({e})",
            repo.display()
        ))
    })?;
    let root = PathBuf::from(root.trim());
    let head = parse_log(&git(&root, &["log", "-1", LOG_FORMAT, "HEAD"])?)
        .pop()
        .ok_or_else(|| Error::Other("the repository has no commits".into()))?;
    let shallow = git(&root, &["rev-parse", "--is-shallow-repository"])?.trim() == "true";
    let base = options
        .baselines_dir
        .to_string_lossy()
        .trim_end_matches('/')
        .to_string();
    let spec = match &options.testbed {
        Some(tb) => format!("{base}/{tb}/"),
        None => format!("{base}/"),
    };
    let names = git(
        &root,
        &[
            "log",
            "--format=",
            "--name-only",
            "--diff-filter=ACMRT",
            "--",
            &spec,
        ],
    )?;
    let mut paths: BTreeMap<String, String> = BTreeMap::new();
    for name in names.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Some(rest) = name.strip_prefix(&format!("{base}/")) else {
            continue;
        };
        let parts: Vec<&str> = rest.split('/').collect();
        if let [testbed, file] = parts.as_slice()
            && file.ends_with(".json")
        {
            paths.insert(name.to_string(), testbed.to_string());
        }
    }
    if paths.is_empty() {
        let what = match &options.testbed {
            Some(tb) => format!("testbed '{tb}' has no {base}/{tb}/*.json"),
            None => format!("there is no {base}/<testbed>/*.json"),
        };
        let mut msg = format!("{what} in the git history of {}", root.display());
        if shallow {
            msg.push_str(" (a shallow clone: `git fetch --unshallow` fetches the full history)");
        }
        return Err(Error::Usage(msg));
    }
    let mut notes = Vec::new();
    if shallow {
        notes.push(
            "this is a shallow clone: git history stops at the clone depth, so older versions of the \
             baselines (and the steps between them) are missing. Run `git fetch --unshallow` for the \
             full history."
                .to_string(),
        );
    }
    let mut files = Vec::new();
    for (path, testbed) in &paths {
        if let Some(f) = file_history(&root, path, testbed, &options.rule, &mut notes)? {
            files.push(f);
        }
    }
    if shallow {
        for f in &files {
            if f.versions.len() == 1 {
                notes.push(format!(
                    "{}: only one version in this shallow clone; no changes to show",
                    f.path
                ));
            }
        }
    }
    Ok(History {
        format: HISTORY_FORMAT.to_string(),
        repo: root.display().to_string(),
        head,
        shallow,
        rule: options.rule,
        notes,
        files,
    })
}

/// The history as text for the terminal: per file its versions, then one table of changes
/// (every step, then the largest other changes) and the accepted changes with their reasons.
pub fn render_text(h: &History, top: usize) -> String {
    use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
    let mut out = format!(
        "baseline history of {} at {} ({} file{})\n",
        h.repo,
        h.head.short,
        h.files.len(),
        if h.files.len() == 1 { "" } else { "s" }
    );
    for f in &h.files {
        let first = f
            .versions
            .first()
            .map(|v| v.commit.short.as_str())
            .unwrap_or(MISSING);
        let last = f
            .versions
            .last()
            .map(|v| v.commit.short.as_str())
            .unwrap_or(MISSING);
        out.push_str(&format!(
            "  {}: {} version{} ({first} … {last}), {} {}\n",
            f.path,
            f.versions.len(),
            if f.versions.len() == 1 { "" } else { "s" },
            f.series.len(),
            match f.kind {
                Kind::Timing => "benchmarks",
                Kind::Accuracy => "configurations",
            }
        ));
    }
    let row = |f: &FileHistory, c: &Change| -> Vec<String> {
        vec![
            f.path.clone(),
            c.series.clone(),
            format!(
                "{} → {}",
                f.kind.value(c.before.estimate),
                f.kind.value(c.after.estimate)
            ),
            format!("{} ({})", c.text, c.direction(f.kind)),
            format!(
                "{}{}",
                if c.step { "step" } else { "" },
                if c.machine_changed {
                    " (machine changed)"
                } else {
                    ""
                }
            ),
            format!(
                "{} {}",
                c.commit.short,
                c.commit.subject.chars().take(60).collect::<String>()
            ),
        ]
    };
    let notable = h.notable(top);
    let steps = notable.iter().filter(|(_, c)| c.step).count();
    out.push_str(&format!(
        "\nchanges: {steps} step{} and the largest other changes ({}):\n",
        if steps == 1 { "" } else { "s" },
        h.rule.describe()
    ));
    if notable.is_empty() {
        out.push_str("  none: every file has a single version\n");
    } else {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED).set_header([
            "file",
            "benchmark / config",
            "estimate",
            "change",
            "step",
            "commit",
        ]);
        for (f, c) in notable {
            t.add_row(row(f, c));
        }
        out.push_str(&format!("{t}\n"));
    }
    out.push_str(&accepted_text(h));
    out
}

/// The accepted changes for the terminal, newest first, each with its measured changes
/// (nothing when there are none).
fn accepted_text(h: &History) -> String {
    let mut out = String::new();
    let accepted = h.accepted();
    if !accepted.is_empty() {
        out.push_str(&format!("\naccepted changes ({}):\n", accepted.len()));
        for (f, a) in accepted {
            let e = &a.entry;
            out.push_str(&format!(
                "  {} {}: {} — “{}”{}\n",
                e.date.chars().take(10).collect::<String>(),
                f.path,
                e.commit.chars().take(12).collect::<String>(),
                e.reason,
                a.recorded_in
                    .as_ref()
                    .map(|c| format!(" (recorded in {})", c.short))
                    .unwrap_or_else(|| " (not committed yet)".into())
            ));
            if let Some(m) = &e.measured {
                for c in &m.changes {
                    out.push_str(&format!("      {}\n", m.line(c)));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(version: usize, estimate: f64, lo: f64, hi: f64) -> Point {
        Point {
            version,
            estimate,
            ci_low: lo,
            ci_high: hi,
        }
    }

    #[test]
    fn a_step_needs_disjoint_intervals_and_a_large_enough_change() {
        let rule = StepRule::default();
        let a = p(0, 0.200, 0.198, 0.202);
        // +10%, intervals apart: a step.
        assert!(rule.is_step(Kind::Timing, &a, &p(1, 0.220, 0.218, 0.222)));
        // +10% but the intervals overlap: noise, not a step.
        assert!(!rule.is_step(Kind::Timing, &a, &p(1, 0.220, 0.190, 0.250)));
        // Intervals apart but only +2%: real, too small to matter.
        assert!(!rule.is_step(Kind::Timing, &a, &p(1, 0.204, 0.2035, 0.2045)));
        // Faster counts as well.
        assert!(rule.is_step(Kind::Timing, &a, &p(1, 0.150, 0.149, 0.151)));
        // Exactly at the threshold: a step.
        assert!(rule.is_step(Kind::Timing, &a, &p(1, 0.210, 0.209, 0.211)));
        // No interval (one seed): never a step.
        assert!(!rule.is_step(Kind::Timing, &a, &p(1, 0.3, f64::NAN, f64::NAN)));
        // Accuracies: points, not percent.
        let acc = p(0, 0.700, 0.695, 0.705);
        assert!(rule.is_step(Kind::Accuracy, &acc, &p(1, 0.685, 0.680, 0.690)));
        assert!(!rule.is_step(Kind::Accuracy, &acc, &p(1, 0.709, 0.7055, 0.712)));
        assert!((rule.size(Kind::Accuracy, &acc, &p(1, 0.685, 0.68, 0.69)) - 1.5).abs() < 1e-9);
        assert_eq!(Kind::Timing.change(0.2, 0.25), "+25.0%");
        assert_eq!(Kind::Accuracy.change(0.70, 0.685), "-1.50 pts");
        assert!(Kind::Timing.worse(0.2, 0.25) && Kind::Accuracy.worse(0.7, 0.6));
    }

    #[test]
    fn git_log_records_parse() {
        let text = "abc\x1fa\x1f2026-01-01T00:00:00+00:00\x1fFirst\x1e\ndef\x1fd\x1f2026-01-02T00:00:00+00:00\x1fSecond: with \x1e\n";
        let c = parse_log(text);
        assert_eq!(c.len(), 2);
        assert_eq!(c[1].sha, "def");
        assert_eq!(c[1].subject, "Second: with");
    }
}
