//! `trainbench history` on a git repository the test creates: a timing baseline committed
//! twice, one benchmark 30% slower in the second version. The step is found and attributed
//! to the right commit; a shallow clone works with a note; a folder outside git is a clear
//! error. `trainbench baseline accept` on such a repository: the accepted change and its
//! reason in the file and on the page.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use trainbench::baseline::Fingerprint;
use trainbench::baseline::history::{HistoryOptions, read};
use trainbench::baseline::timing::{BenchTiming, Estimate, TIMING_FORMAT, TimingBaseline};
use trainbench::report::html::page::fetchable_references;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.org"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn have_git() -> bool {
    Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A temp folder holding the repository of [`repo`], with the sha of its last commit; `None`
/// (the test is skipped) without git.
fn repo_fixture() -> Option<(tempfile::TempDir, String)> {
    if !have_git() {
        eprintln!("skipped: no git");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let sha = repo(dir.path());
    Some((dir, sha))
}

fn bench(mean: f64) -> BenchTiming {
    let e = Estimate {
        estimate: mean,
        ci_low: mean * 0.99,
        ci_high: mean * 1.01,
        level: 0.95,
    };
    BenchTiming {
        mean_s: e,
        median_s: e,
        throughput: None,
        samples_s: vec![mean; 10],
        git_sha: None,
    }
}

fn baseline(a: f64, b: f64) -> TimingBaseline {
    TimingBaseline {
        format: TIMING_FORMAT.into(),
        testbed: "box".into(),
        saved_at: "2026-01-01T00:00:00Z".into(),
        fingerprint: Fingerprint {
            cpu: "CPU".into(),
            cores: 2,
            threads: 1,
            backends: vec!["flex".into()],
            os: "OS".into(),
            trainbench_version: "0.1.0".into(),
            git_sha: None,
            burn_version: "0.22.1".into(),
        },
        ab_base: None,
        log: Vec::new(),
        benchmarks: BTreeMap::from([
            ("train_epoch/flex/a".to_string(), bench(a)),
            ("train_epoch/flex/b".to_string(), bench(b)),
        ]),
    }
}

/// A repository with two versions of baselines/box/timing.json and one unrelated commit in
/// between; returns the sha of the commit that made benchmark `a` 30% slower.
fn repo(dir: &Path) -> String {
    git(dir, &["init", "-q"]);
    let file = dir.join("baselines/box/timing.json");
    baseline(0.200, 0.100).save(&file).unwrap();
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "First baseline"]);
    std::fs::write(dir.join("README"), "x\n").unwrap();
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "Unrelated change"]);
    baseline(0.260, 0.1005).save(&file).unwrap();
    git(dir, &["commit", "-q", "-am", "Re-baseline: a got slower"]);
    git(dir, &["rev-parse", "HEAD"])
}

fn trainbench(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trainbench"))
        .args(args)
        .current_dir(dir)
        .env("GIT_CEILING_DIRECTORIES", dir.parent().unwrap_or(dir))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("runs")
}

#[test]
fn a_step_is_found_with_the_commit_that_introduced_it() {
    let Some((dir, sha)) = repo_fixture() else {
        return;
    };

    let h = read(dir.path(), &HistoryOptions::default()).unwrap();
    assert!(!h.shallow);
    assert_eq!(h.head.sha, sha);
    assert_eq!(h.files.len(), 1);
    let f = &h.files[0];
    assert_eq!(f.path, "baselines/box/timing.json");
    assert_eq!(f.versions.len(), 2);
    assert_eq!(f.versions[1].commits_since_previous, Some(2));
    let steps = h.steps();
    assert_eq!(steps.len(), 1, "only a moved: {steps:?}");
    let (_, step) = steps[0];
    assert_eq!(step.series, "train_epoch/flex/a");
    assert_eq!(step.commit.sha, sha);
    assert_eq!(step.commit.subject, "Re-baseline: a got slower");
    assert_eq!(step.text, "+30.0%");
    assert!(step.worse && !step.machine_changed);
    // b moved +0.5% inside overlapping intervals: a change, not a step.
    let b = f.series.iter().find(|s| s.id.ends_with("/b")).unwrap();
    assert!(!b.changes[0].step);
    assert_eq!(h.largest(10).len(), 2);

    // The command: JSON on stdout, history.html + history.json written.
    let out_dir = dir.path().join("out");
    let out = trainbench(
        &[
            "history",
            "--format",
            "json",
            "--out",
            out_dir.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["format"], "trainbench-history/1");
    let changes = &json["files"][0]["series"][0]["changes"][0];
    assert_eq!(changes["step"], true);
    assert_eq!(changes["commit"]["sha"], sha.as_str());
    let html = std::fs::read_to_string(out_dir.join("history.html")).unwrap();
    assert_eq!(fetchable_references(&html), Vec::<String>::new());
    assert!(html.contains(&sha[..7]));
    assert!(html.contains("Re-baseline: a got slower"));
    assert!(html.contains("+30.0%"));
    assert!(out_dir.join("history.json").is_file());

    // The text summary names the step and its commit.
    let out = trainbench(
        &[
            "history",
            "--testbed",
            "box",
            "--out",
            out_dir.to_str().unwrap(),
        ],
        dir.path(),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("train_epoch/flex/a") && text.contains(&sha[..7]),
        "{text}"
    );

    // An unknown testbed is a usage error that says what exists.
    let out = trainbench(&["history", "--testbed", "nope"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("testbed 'nope'"));
}

#[test]
fn a_shallow_clone_says_history_is_missing() {
    if !have_git() {
        eprintln!("skipped: no git");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let origin = dir.path().join("origin");
    std::fs::create_dir(&origin).unwrap();
    repo(&origin);
    let url = format!("file://{}", origin.display());
    git(
        dir.path(),
        &["clone", "-q", "--depth", "1", &url, "shallow"],
    );
    let clone = dir.path().join("shallow");
    let out_dir = dir.path().join("out");
    let out = trainbench(
        &[
            "history",
            "--format",
            "json",
            "--out",
            out_dir.to_str().unwrap(),
        ],
        &clone,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("shallow clone"), "{stderr}");
    assert!(stderr.contains("git fetch --unshallow"), "{stderr}");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["shallow"], true);
    assert_eq!(json["files"][0]["versions"].as_array().unwrap().len(), 1);
    let html = std::fs::read_to_string(out_dir.join("history.html")).unwrap();
    assert!(html.contains("shallow clone"));
}

#[test]
fn outside_a_git_repository_is_a_clear_error() {
    if !have_git() {
        eprintln!("skipped: no git");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = trainbench(&["history"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not inside a git repository"), "{stderr}");
}

/// `trainbench baseline accept --reason` on a committed change: the base of `baseline ab`
/// moves to HEAD, the reason, the date and the last `ab` run's ratios are logged in the file,
/// and the `git commit` to make is printed; once committed, `trainbench history` shows the
/// accepted change with its reason. Refused (exit 2): a blank reason, uncommitted code,
/// accepting the same commit twice.
#[test]
fn an_accepted_change_moves_the_ab_base_and_shows_in_the_history() {
    use trainbench::baseline::ab::LastAb;
    use trainbench::baseline::log::{Measured, MeasuredChange};
    let Some((dir, _)) = repo_fixture() else {
        return;
    };
    let root = dir.path();
    // A package (for cargo's target folder) and the change being accepted.
    std::fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"box\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::create_dir(root.join("src")).unwrap();
    std::fs::write(root.join("src/lib.rs"), "pub fn slower() {}\n").unwrap();
    std::fs::write(root.join(".gitignore"), "target/\n").unwrap();
    git(root, &["add", "."]);
    git(
        root,
        &["commit", "-q", "-m", "Exact BatchNorm statistics (slower)"],
    );
    let head = git(root, &["rev-parse", "HEAD"]);
    // What `baseline ab` left: head 12% slower than base on one benchmark.
    let last = LastAb {
        date: "2026-12-01T10:00:00Z".into(),
        base: "0".repeat(40),
        head: head.clone(),
        head_dirty: false,
        measured: Measured {
            by: "baseline ab, 10 rounds".into(),
            unit: "ratio".into(),
            changes: vec![MeasuredChange {
                id: "train_epoch/flex/a".into(),
                value: 1.12,
                ci_low: 1.1,
                ci_high: 1.14,
                verdict: "regressed".into(),
            }],
        },
    };
    last.save(&root.join("target")).unwrap();

    let reason = "BatchNorm's exact statistics cost 12% at bs 32; agreed in review";
    let accept = |reason: &str| trainbench(&["baseline", "accept", "--reason", reason], root);
    let blank = accept("  ");
    assert_eq!(blank.status.code(), Some(2));
    let out = accept(reason);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = root.join("baselines/box/timing.json");
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved["ab_base"], head.as_str());
    let entry = &saved["log"][0];
    assert_eq!(entry["reason"], reason);
    assert_eq!(entry["commit"], head.as_str());
    assert_eq!(entry["measured"]["changes"][0]["value"], 1.12);
    assert!(stdout.contains("train_epoch/flex/a ×1.120 [1.100, 1.140] regressed"));
    // The printed command commits the baseline, and only it.
    let command = stdout
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("git commit -m "))
        .expect("the git commit to make");
    assert!(
        command.ends_with(" -- baselines/box/timing.json"),
        "{command}"
    );
    let ran = Command::new("sh")
        .args(["-c", command])
        .current_dir(root)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .envs([
            ("GIT_AUTHOR_NAME", "T"),
            ("GIT_AUTHOR_EMAIL", "t@t"),
            ("GIT_COMMITTER_NAME", "T"),
            ("GIT_COMMITTER_EMAIL", "t@t"),
        ])
        .output()
        .unwrap();
    assert!(ran.status.success(), "{command}: {ran:?}");
    assert_eq!(
        git(root, &["status", "--porcelain", "--untracked-files=no"]),
        ""
    );
    let subject = git(root, &["log", "-1", "--format=%s"]);
    assert!(
        subject.contains(reason) && subject.contains(&head[..12]),
        "{subject}"
    );

    // The history: the accepted change with its reason, on the page and in the text.
    let h = read(root, &HistoryOptions::default()).unwrap();
    let accepted = h.accepted();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].1.entry.reason, reason);
    let recorded = accepted[0].1.recorded_in.as_ref().expect("committed");
    assert_eq!(recorded.subject, subject);
    let out_dir = root.join("out");
    let out = trainbench(&["history", "--out", out_dir.to_str().unwrap()], root);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(reason));
    let html = std::fs::read_to_string(out_dir.join("history.html")).unwrap();
    assert!(html.contains("id=\"accepted\""));
    assert!(html.contains(&trainbench::report::html::page::escape(reason)));

    // Accepting HEAD again has nothing to accept; uncommitted code cannot be accepted.
    let again = accept("again");
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already stands for"));
    std::fs::write(root.join("src/lib.rs"), "pub fn slower() { }\n").unwrap();
    git(root, &["commit", "-q", "-am", "Another change"]);
    std::fs::write(root.join("src/lib.rs"), "pub fn slowest() {}\n").unwrap();
    let dirty = accept("uncommitted");
    assert_eq!(dirty.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&dirty.stderr);
    assert!(
        stderr.contains("uncommitted changes to src/lib.rs"),
        "{stderr}"
    );
}

/// history.html for triage: one table of changes (steps first), coloured by direction
/// (slower red, faster green, in the table and as the ring of a step in a chart), chart
/// titles that name the series on one line and what happened on the next.
#[test]
fn the_history_page_colours_steps_by_direction_in_one_table() {
    let Some((dir, _)) = repo_fixture() else {
        return;
    };
    let file = dir.path().join("baselines/box/timing.json");
    // A third version: `a` back 30% faster, `b` unchanged.
    baseline(0.200, 0.1005).save(&file).unwrap();
    git(dir.path(), &["commit", "-q", "-am", "a is fast again"]);
    let h = read(dir.path(), &HistoryOptions::default()).unwrap();
    let notable = h.notable(20);
    assert!(notable.iter().take(2).all(|(_, c)| c.step));
    let html = trainbench::report::html::history::render(&h, 20);
    assert_eq!(
        html.matches("<table class=\"sortable").count(),
        2,
        "changes + one versions table"
    );
    assert!(!html.contains("Largest changes"));
    assert!(
        html.contains("<span class=\"worse\">+30.0%</span>"),
        "slower in red"
    );
    assert!(
        html.contains("<span class=\"better\">-23.1%</span>"),
        "faster in green"
    );
    assert!(html.contains("step, slower") && html.contains("step, faster"));
    // Each step is ringed in its direction's colour: vermillion and green marks.
    let marks: Vec<&str> = html
        .split("<circle class=\"pt mark\"")
        .skip(1)
        .map(|rest| rest.split('>').next().unwrap())
        .collect();
    assert_eq!(marks.len(), 2, "{marks:?}");
    assert!(marks.iter().any(|m| m.contains("fill=\"#D55E00\"")));
    assert!(marks.iter().any(|m| m.contains("fill=\"#009E73\"")));
    assert!(html.contains("svg .pt.mark[fill=\"#009E73\"]"));
    // The title: the id, then on its own line what happened.
    assert!(
        html.contains("<figcaption>train_epoch/flex/a\n1 step slower · 1 step faster</figcaption>"),
        "{}",
        &html[html.find("<figcaption>").unwrap()..][..200]
    );
    assert!(html.contains("word-break: normal"));
}
