//! Building and running the criterion bench of one revision, for `trainbench baseline ab`.
//!
//! A revision other than the working tree is checked out as a git worktree under
//! `<target dir>/trainbench-ab/<sha>` (reused by later runs) and built with the same
//! `CARGO_TARGET_DIR` as the working tree, so dependencies compile once and only the
//! `trainbench` crate of each side is compiled again. A run of one side is one process of the
//! bench executable in criterion's quick mode (`--bench --quick --noplot FILTER`) with a fresh
//! `CRITERION_HOME`, whose per-iteration means are read back with
//! [`super::criterion::read_dir`]. Quick mode times each benchmark with 2 samples (n and
//! 2n iterations, n doubled until the two agree within 5% and 0.1 s has passed, at most
//! the group's measurement time), so one run of a few benchmarks takes seconds and the
//! rounds of [`super::ab`] carry the statistics.

use super::ab::stats::{ROUND_ORDER, Round, RunTimes, Side};
use super::criterion::read_dir;
use crate::{Error, Result};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The process groups of the children running now (a build, a bench run).
static CHILDREN: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// Starts `cmd` as the leader of a process group of its own, registered so that
/// [`stop_children`] can end it with everything it started (cargo's rustc processes, a
/// bench's threads); [`forget`] it once it has ended.
fn spawn(cmd: &mut Command) -> std::io::Result<Child> {
    // Held across the spawn: a signal handler waits, then sees the new child.
    let mut running = CHILDREN.lock().unwrap_or_else(|e| e.into_inner());
    let child = cmd.process_group(0).spawn()?;
    running.push(child.id());
    Ok(child)
}

/// Unregisters an ended child of [`spawn`].
fn forget(pid: u32) {
    CHILDREN
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|p| *p != pid);
}

/// Runs `cmd` to its end as a registered child ([`spawn`]). `cmd`'s stdout and stderr are
/// as its caller set them.
fn output(cmd: &mut Command) -> std::io::Result<Output> {
    let child = spawn(cmd)?;
    let pid = child.id();
    let out = child.wait_with_output();
    forget(pid);
    out
}

/// Ends every running child's process group (SIGTERM): called on Ctrl-C or SIGTERM, so that
/// no build or bench run outlives the command.
pub fn stop_children() {
    let running = CHILDREN.lock().unwrap_or_else(|e| e.into_inner());
    for &pid in running.iter() {
        // SAFETY: signalling a process group this process created.
        unsafe { libc::kill(-(pid as libc::pid_t), libc::SIGTERM) };
    }
}

/// The environment variable of the bench-only slowdown knob (`benches/training.rs`): a
/// fraction, e.g. `0.10`, by which every timed training epoch is stretched. Unset in normal
/// runs; `baseline ab --inject-slowdown PCT` sets it for the head side only.
pub const SLOWDOWN_ENV: &str = crate::bench::SLOWDOWN_ENV;

/// The bench target measured.
pub const BENCH: &str = "training";

/// git's trimmed output; a failure is a usage error (exit 2): a revision or checkout that
/// cannot be compared.
fn run_git(repo: &Path, args: &[&str]) -> Result<String> {
    super::git::run(repo, args, "baseline ab checks revisions out with git")
        .map(|out| out.trim().to_string())
        .map_err(|e| match e {
            Error::Other(why) => Error::Usage(why),
            other => other,
        })
}

/// The top directory of the git checkout holding `dir`.
pub fn repo_root(dir: &Path) -> Result<PathBuf> {
    run_git(dir, &["rev-parse", "--show-toplevel"])
        .map(PathBuf::from)
        .map_err(|e| Error::Usage(format!("not inside a git checkout: {e}")))
}

/// The full sha of revision `rev` (a branch, tag, sha or `HEAD~2`), or a usage error that
/// says so (and suggests unshallowing in a shallow clone).
pub fn resolve_rev(repo: &Path, rev: &str) -> Result<String> {
    run_git(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .map_err(|_| {
        let shallow =
            run_git(repo, &["rev-parse", "--is-shallow-repository"]).is_ok_and(|s| s == "true");
        Error::Usage(format!(
            "unknown revision '{rev}'{}",
            if shallow {
                " (this clone is shallow: `git fetch --unshallow` brings the history)"
            } else {
                ""
            }
        ))
    })
}

/// Whether revision `a` and revision `b` (`None`: the working tree's tracked files) have the
/// same files outside `baselines_dir` (`git diff --quiet`).
pub fn same_code(repo: &Path, a: &str, b: Option<&str>, baselines_dir: &Path) -> Result<bool> {
    let exclude = format!(
        ":(exclude){}",
        baselines_dir.to_string_lossy().trim_end_matches('/')
    );
    let mut args = vec!["diff", "--quiet", a];
    args.extend(b);
    args.extend(["--", ".", exclude.as_str()]);
    let status = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| Error::io("could not run git diff", e))?;
    Ok(status.success())
}

/// Whether the tracked files of the checkout differ from its HEAD.
pub fn is_dirty(repo: &Path) -> Result<bool> {
    Ok(!run_git(repo, &["status", "--porcelain", "--untracked-files=no"])?.is_empty())
}

/// Cargo's target directory for the package at `repo` (honours `CARGO_TARGET_DIR` and
/// cargo's configuration).
pub fn target_dir(repo: &Path) -> Result<PathBuf> {
    let out = Command::new("cargo")
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(repo)
        .output()
        .map_err(|e| Error::io("could not run cargo metadata", e))?;
    if !out.status.success() {
        return Err(Error::Usage(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| Error::Other(e.to_string()))?;
    v["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| Error::Other("cargo metadata without target_directory".into()))
}

/// A git worktree of `sha` under `target/trainbench-ab/`, created or moved to `sha`.
pub fn worktree(repo: &Path, target: &Path, sha: &str) -> Result<PathBuf> {
    let path = target.join("trainbench-ab").join(&sha[..12.min(sha.len())]);
    let at = |p: &Path| run_git(p, &["rev-parse", "HEAD"]).ok();
    if path.join(".git").exists() {
        if at(&path).as_deref() != Some(sha) {
            run_git(&path, &["checkout", "--quiet", "--force", "--detach", sha])?;
        }
    } else {
        // A folder left by a removed worktree is pruned first, or `worktree add` refuses it.
        run_git(repo, &["worktree", "prune"])?;
        if path.exists() {
            std::fs::remove_dir_all(&path).map_err(|e| {
                Error::io(format!("could not remove stale '{}'", path.display()), e)
            })?;
        }
        let p = path.to_string_lossy().to_string();
        run_git(repo, &["worktree", "add", "--quiet", "--detach", &p, sha])?;
    }
    Ok(path)
}

/// A built bench executable.
#[derive(Debug, Clone)]
pub struct BenchExe {
    /// The executable.
    pub path: PathBuf,
    /// The source tree it was built from.
    pub source: PathBuf,
    /// Wall time of the build.
    pub build_time: Duration,
    /// The study its runs derive their benchmarks from (`TRAINBENCH_STUDY`); `None`: the
    /// bench's default (a bench older than study-driven benches ignores it).
    pub study: Option<PathBuf>,
}

/// How a build is going, for a heartbeat while cargo compiles.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildProgress {
    /// Seconds since the build started.
    pub elapsed: f64,
    /// Crates cargo has started compiling so far (its `Compiling …` lines).
    pub started: usize,
    /// Crates started and not finished yet, e.g. `burn-tensor v0.22.1`, oldest first; the
    /// last one started when cargo has not said that it finished (a crate's final target).
    pub compiling: Vec<String>,
}

/// Seconds between two heartbeats of a build.
pub const HEARTBEAT_S: u64 = 15;

/// Builds the `training` bench of the package at `dir` into `target` (`cargo bench --no-run`,
/// release profile), with `features` (comma-separated, may be empty), and copies the
/// executable to `keep`. While cargo compiles, `progress` is called every [`HEARTBEAT_S`]
/// seconds with the crate it compiles. A failed build is a usage error (exit 2) carrying the
/// end of cargo's output.
///
/// The copy matters: cargo leaves the hash of a workspace member's path out of its artifact
/// names, so the bench of another checkout of the same package is built to the *same* file
/// in a shared target directory, and the next build of either side overwrites it. (It also
/// overwrites the uplifted `target/release/trainbench`: build the working tree last.)
pub fn build(
    dir: &Path,
    target: &Path,
    features: &str,
    keep: &Path,
    progress: &mut dyn FnMut(&BuildProgress),
) -> Result<BenchExe> {
    let start = Instant::now();
    let mut cmd = Command::new("cargo");
    cmd.args([
        "bench",
        "--bench",
        BENCH,
        "--no-run",
        "--message-format=json",
    ])
    .current_dir(dir)
    .env("CARGO_TARGET_DIR", target)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    if !features.is_empty() {
        cmd.args(["--features", features]);
    }
    let every = Duration::from_secs(HEARTBEAT_S);
    let (ok, stdout, stderr) = run_with_heartbeat(&mut cmd, start, every, progress)
        .map_err(|e| Error::io("could not run cargo", e))?;
    if !ok {
        let tail: Vec<&str> = stderr.iter().rev().take(15).map(String::as_str).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(Error::Usage(format!(
            "the bench of '{}' does not build:\n{}",
            dir.display(),
            tail.join("\n")
        )));
    }
    let exe = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == BENCH)
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| {
            Error::Usage(format!("'{}' has no bench target '{BENCH}'", dir.display()))
        })?;
    if let Some(parent) = keep.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Error::io(format!("could not create '{}'", parent.display()), e))?;
    }
    // Remove first: a running copy of the old file must not be written into.
    let _ = std::fs::remove_file(keep);
    std::fs::copy(&exe, keep).map_err(|e| {
        Error::io(
            format!("could not copy '{}' to '{}'", exe.display(), keep.display()),
            e,
        )
    })?;
    Ok(BenchExe {
        path: keep.to_path_buf(),
        source: dir.to_path_buf(),
        build_time: start.elapsed(),
        study: None,
    })
}

/// `name vVERSION` of the package of a cargo JSON message, as cargo's `Compiling` line
/// names it: from `…#name@1.2.3`, or `…/name#1.2.3` when the id leaves the name to the path.
fn package_of(message: &serde_json::Value) -> Option<String> {
    let id = message["package_id"].as_str()?;
    let (url, fragment) = id.rsplit_once('#')?;
    Some(match fragment.split_once('@') {
        Some((name, version)) => format!("{name} v{version}"),
        None => format!("{} v{fragment}", url.rsplit('/').next()?),
    })
}

/// What cargo says while it builds: a line of its stderr, or a JSON message of its stdout.
enum CargoSays {
    Err(String),
    Out(String),
}

/// The crates in [`BuildProgress`]: started by a `Compiling` line on stderr, finished by
/// their first artifact other than a build script on stdout.
#[derive(Default)]
struct Crates {
    started: Vec<String>,
    finished: Vec<String>,
}

impl Crates {
    fn hear(&mut self, says: &CargoSays) {
        match says {
            CargoSays::Err(line) => {
                if let Some(krate) = line.trim_start().strip_prefix("Compiling ") {
                    let krate = krate.split(" (").next().unwrap_or(krate);
                    self.started.push(krate.to_string());
                }
            }
            CargoSays::Out(line) => {
                let Ok(m) = serde_json::from_str::<serde_json::Value>(line) else {
                    return;
                };
                let build_script = m["target"]["kind"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == "custom-build"));
                if m["reason"] == "compiler-artifact"
                    && !build_script
                    && let Some(p) = package_of(&m)
                {
                    self.finished.push(p);
                }
            }
        }
    }

    fn progress(&self, elapsed: f64) -> BuildProgress {
        let mut compiling: Vec<String> = self
            .started
            .iter()
            .filter(|c| !self.finished.contains(c))
            .cloned()
            .collect();
        if compiling.is_empty()
            && let Some(last) = self.started.last()
        {
            compiling.push(last.clone());
        }
        BuildProgress {
            elapsed,
            started: self.started.len(),
            compiling,
        }
    }
}

/// Runs cargo (`cmd`, stdout and stderr piped) to its end as a registered child, reading
/// both as they come: `every` so often `progress` hears how long the build has taken and the
/// crates being compiled. Returns whether it succeeded, its stdout and its stderr lines.
fn run_with_heartbeat(
    cmd: &mut Command,
    start: Instant,
    every: Duration,
    progress: &mut dyn FnMut(&BuildProgress),
) -> std::io::Result<(bool, String, Vec<String>)> {
    let mut child = spawn(cmd)?;
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel::<CargoSays>();
    let out = child.stdout.take().expect("piped stdout");
    let err = child.stderr.take().expect("piped stderr");
    let readers = [
        forward(out, tx.clone(), CargoSays::Out),
        forward(err, tx, CargoSays::Err),
    ];
    let mut crates = Crates::default();
    let (mut stdout, mut stderr) = (String::new(), Vec::new());
    let mut next = start + every;
    loop {
        let wait = next.saturating_duration_since(Instant::now());
        match rx.recv_timeout(wait) {
            Ok(says) => {
                crates.hear(&says);
                match says {
                    CargoSays::Out(line) => {
                        stdout.push_str(&line);
                        stdout.push('\n');
                    }
                    CargoSays::Err(line) => stderr.push(line),
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
        if Instant::now() >= next {
            progress(&crates.progress(start.elapsed().as_secs_f64()));
            next += every;
        }
    }
    let status = child.wait();
    forget(pid);
    for r in readers {
        let _ = r.join();
    }
    Ok((status?.success(), stdout, stderr))
}

/// A thread sending each line of `from` as `wrap(line)` until it ends.
fn forward(
    from: impl Read + Send + 'static,
    to: std::sync::mpsc::Sender<CargoSays>,
    wrap: fn(String) -> CargoSays,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines().map_while(|l| l.ok()) {
            if to.send(wrap(line)).is_err() {
                break;
            }
        }
    })
}

impl BenchExe {
    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.path);
        // Criterion benches run from the package root under `cargo bench`.
        cmd.current_dir(&self.source).stdin(Stdio::null());
        match &self.study {
            Some(study) => cmd.env(crate::bench::STUDY_ENV, study),
            None => cmd.env_remove(crate::bench::STUDY_ENV),
        };
        cmd
    }

    /// The benchmark ids matching `filter` (criterion's `--list`).
    pub fn list(&self, filter: &str) -> Result<Vec<String>> {
        let mut cmd = self.command();
        cmd.args(["--bench", "--list", filter])
            .env(
                "CRITERION_HOME",
                std::env::temp_dir().join("trainbench-ab-list"),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let out = output(&mut cmd)
            .map_err(|e| Error::io(format!("could not run '{}'", self.path.display()), e))?;
        if !out.status.success() {
            return Err(Error::Usage(format!(
                "'{} --list' failed: {}",
                self.path.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        let mut ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.strip_suffix(": benchmark"))
            .map(str::to_string)
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// One quick run of the benchmarks matching `filter`, with criterion's files in a fresh
    /// `home` and `env` added: each benchmark's mean per-iteration time, in seconds.
    pub fn measure(&self, filter: &str, home: &Path, env: &[(&str, String)]) -> Result<RunTimes> {
        if home.exists() {
            std::fs::remove_dir_all(home)
                .map_err(|e| Error::io(format!("could not clear '{}'", home.display()), e))?;
        }
        let mut cmd = self.command();
        cmd.args(["--bench", "--quick", "--noplot", filter])
            .env("CRITERION_HOME", home)
            .env_remove(SLOWDOWN_ENV)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = output(&mut cmd)
            .map_err(|e| Error::io(format!("could not run '{}'", self.path.display()), e))?;
        if !out.status.success() {
            return Err(Error::Other(format!(
                "'{}' failed ({}): {}",
                self.path.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(read_dir(home)?
            .into_iter()
            .map(|r| (r.id, r.mean.point))
            .collect())
    }
}

/// Measures `rounds` A/B rounds of the benchmarks matching `filter`, each in the order of
/// [`super::ab::ROUND_ORDER`]; `env[0]` is added to the base side's runs, `env[1]` to the
/// head side's.
/// `progress(round, side, seconds)` is called after every run.
pub fn run_rounds(
    base: &BenchExe,
    head: &BenchExe,
    filter: &str,
    rounds: usize,
    env: [&[(&str, String)]; 2],
    scratch: &Path,
    mut progress: impl FnMut(usize, Side, f64),
) -> Result<Vec<Round>> {
    let mut out = Vec::with_capacity(rounds);
    for r in 0..rounds {
        let mut round = Round::default();
        for (i, side) in ROUND_ORDER.into_iter().enumerate() {
            let (exe, env) = match side {
                Side::Base => (base, env[0]),
                Side::Head => (head, env[1]),
            };
            let start = Instant::now();
            let times = exe.measure(filter, &scratch.join(format!("r{r}-{i}")), env)?;
            progress(r, side, start.elapsed().as_secs_f64());
            round.push(side, times);
        }
        out.push(round);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A git repository with one commit and one tracked file.
    fn repo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            let out = Command::new("git")
                .args(["-c", "user.name=t", "-c", "user.email=t@t"])
                .args(args)
                .current_dir(dir.path())
                .output()
                .unwrap();
            assert!(out.status.success(), "git {args:?}");
        };
        git(&["init", "-q"]);
        std::fs::write(dir.path().join("f"), "1").unwrap();
        git(&["add", "f"]);
        git(&["commit", "-q", "-m", "one"]);
        dir
    }

    /// Revisions resolve to full shas, an unknown one is a usage error, and an edit of a
    /// tracked file makes the tree dirty.
    #[test]
    fn revisions_resolve_and_edits_make_the_tree_dirty() {
        let dir = repo();
        let root = repo_root(dir.path()).unwrap();
        let sha = resolve_rev(&root, "HEAD").unwrap();
        assert_eq!(sha.len(), 40);
        assert!(!is_dirty(&root).unwrap());
        std::fs::write(root.join("f"), "2").unwrap();
        assert!(is_dirty(&root).unwrap());
        let e = resolve_rev(&root, "no-such-rev").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.to_string().contains("unknown revision 'no-such-rev'"),
            "{e}"
        );
    }

    /// The tests that register children: one at a time, since stopping the children stops
    /// every registered one.
    static CHILD_TESTS: Mutex<()> = Mutex::new(());

    /// While a build runs, the heartbeat names the crate cargo compiles and how long the build
    /// has taken; stdout and every stderr line come back at the end.
    #[test]
    fn a_long_build_reports_the_crate_it_compiles() {
        let _one = CHILD_TESTS.lock().unwrap_or_else(|e| e.into_inner());
        let artifact = r#"{"reason":"compiler-artifact","package_id":"registry+https://github.com/rust-lang/crates.io-index#burn-tensor@0.22.1","target":{"kind":["lib"]}}"#;
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            &format!(
                "echo '   Compiling burn-tensor v0.22.1' >&2; sleep 1; \
                 echo '   Compiling trainbench v0.1.0 (/w)' >&2; echo '{artifact}'; sleep 1; \
                 exit 3"
            ),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut beats = Vec::new();
        let start = Instant::now();
        let (ok, stdout, lines) =
            run_with_heartbeat(&mut cmd, start, Duration::from_millis(300), &mut |p| {
                beats.push(p.clone())
            })
            .unwrap();
        assert!(!ok);
        assert_eq!(stdout, format!("{artifact}\n"));
        assert_eq!(lines.len(), 2);
        assert!(beats.len() >= 4, "{beats:?}");
        assert!(beats.windows(2).all(|w| w[0].elapsed < w[1].elapsed));
        let first = beats.iter().find(|b| b.elapsed < 0.9).unwrap();
        assert_eq!(first.started, 1);
        assert_eq!(first.compiling, ["burn-tensor v0.22.1"]);
        let last = beats.last().unwrap();
        assert_eq!(last.started, 2);
        assert_eq!(
            last.compiling,
            ["trainbench v0.1.0"],
            "burn-tensor finished"
        );
        // Package ids in both of cargo's spellings.
        let id = |s: &str| package_of(&serde_json::json!({ "package_id": s }));
        assert_eq!(
            id("path+file:///w/x#trainbench@0.1.0").unwrap(),
            "trainbench v0.1.0"
        );
        assert_eq!(
            id("path+file:///w/trainbench#0.1.0").unwrap(),
            "trainbench v0.1.0"
        );
    }

    /// A running child and what it started end when the children are stopped.
    #[test]
    fn stopping_the_children_ends_their_process_groups() {
        let _one = CHILD_TESTS.lock().unwrap_or_else(|e| e.into_inner());
        let handle = std::thread::spawn(|| {
            let mut cmd = Command::new("sh");
            cmd.args(["-c", "sleep 30 & wait"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            output(&mut cmd).unwrap()
        });
        let started = Instant::now();
        while CHILDREN.lock().unwrap().is_empty() {
            assert!(started.elapsed() < Duration::from_secs(10), "never started");
            std::thread::sleep(Duration::from_millis(10));
        }
        stop_children();
        let out = handle.join().unwrap();
        assert!(!out.status.success());
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the sleep ran on"
        );
        assert!(CHILDREN.lock().unwrap().is_empty());
    }
}
