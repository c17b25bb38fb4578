//! End-to-end checks of `trainbench run` / `status` / `merge`: resume, torn lines, SIGKILL
//! and Ctrl-C mid-study, shards and merging, dry runs. Each test takes seconds.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const SMOKE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/studies/smoke.toml");
const LAB1: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/studies/lab1.toml");
/// Trials in studies/smoke.toml: 5 unique configurations × 3 seeds.
const SMOKE_TRIALS: usize = 15;

fn cmd(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trainbench"));
    c.args(args)
        .env_remove("TRAINBENCH_BACKEND")
        .env_remove("TRAINBENCH_THREADS")
        .env_remove("TRAINBENCH_SHARD_COUNT")
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX");
    c
}

fn trainbench(args: &[&str]) -> Output {
    cmd(args).output().expect("runs")
}

fn ok(args: &[&str]) -> Output {
    let out = trainbench(args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn log(dir: &Path) -> PathBuf {
    dir.join("trials.jsonl")
}

/// Every line of the log, parsed; panics on a line that is not complete JSON.
fn records(dir: &Path) -> Vec<Value> {
    let bytes = std::fs::read(log(dir)).unwrap();
    assert!(
        bytes.is_empty() || bytes.ends_with(b"\n"),
        "log ends mid-line"
    );
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("every line is a JSON record"))
        .collect()
}

type Key = (String, u64, String, String, bool);

fn key(r: &Value) -> Key {
    (
        r["config_id"].as_str().unwrap().to_string(),
        r["seed"].as_u64().unwrap(),
        r["provenance"]["backend"].as_str().unwrap().to_string(),
        r["data"]["fingerprint"].as_str().unwrap().to_string(),
        r["quick"].as_bool().unwrap_or(false),
    )
}

/// The log's keys, asserting there are no duplicates.
fn unique_keys(dir: &Path) -> BTreeSet<Key> {
    let all: Vec<Key> = records(dir).iter().map(key).collect();
    let set: BTreeSet<Key> = all.iter().cloned().collect();
    assert_eq!(set.len(), all.len(), "duplicate keys in {}", dir.display());
    set
}

fn run_smoke(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["run", SMOKE, "--out", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    ok(&args)
}

#[test]
fn smoke_runs_then_resumes_exactly_what_is_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let t0 = Instant::now();
    run_smoke(dir, &[]);
    assert!(t0.elapsed() < Duration::from_secs(60));
    let first = records(dir);
    assert_eq!(first.len(), SMOKE_TRIALS);
    for r in &first {
        assert_eq!(r["study"], "smoke");
        assert!(r["config_id"].as_str().unwrap().starts_with("bs="));
        assert_eq!(r["epochs"].as_array().unwrap().len(), 2);
        assert!(r["replicas"].as_u64().unwrap() >= 1);
        assert!(r.get("quick").is_none(), "full trials carry no quick flag");
    }
    let keys = unique_keys(dir);
    assert!(dir.join("study.toml").is_file() && dir.join("run.json").is_file());

    // Rerunning does nothing.
    let out = run_smoke(dir, &[]);
    assert!(
        text(&out.stdout).contains("nothing to do"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(records(dir).len(), SMOKE_TRIALS);

    // Deleting the last two lines redoes exactly those two.
    let lines: Vec<String> = std::fs::read_to_string(log(dir))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let kept = lines[..lines.len() - 2].join("\n") + "\n";
    std::fs::write(log(dir), &kept).unwrap();
    let out = run_smoke(dir, &[]);
    assert!(
        text(&out.stdout).contains("ran 2 trial(s)"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        std::fs::read_to_string(log(dir))
            .unwrap()
            .starts_with(&kept)
    );
    assert_eq!(unique_keys(dir), keys);

    let status = text(&ok(&["status", dir.to_str().unwrap()]).stdout);
    assert!(status.contains("15 (100%)"), "{status}");
}

#[test]
fn a_torn_last_line_is_reported_cut_and_rerun() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    run_smoke(dir, &[]);
    let full = std::fs::read_to_string(log(dir)).unwrap();
    let keys = unique_keys(dir);
    // The last record, half written.
    let last_start = full[..full.len() - 1].rfind('\n').unwrap() + 1;
    let torn = &full[..last_start + (full.len() - last_start) / 2];
    std::fs::write(log(dir), torn).unwrap();
    let status = trainbench(&["status", dir.to_str().unwrap()]);
    assert!(status.status.success());
    assert!(text(&status.stderr).contains("torn last line"));
    let out = run_smoke(dir, &[]);
    assert!(
        text(&out.stderr).contains("torn last line"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("ran 1 trial(s)"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(unique_keys(dir), keys);
}

/// A study whose trials take a noticeable fraction of a second each, one seed per group.
fn slow_study(dir: &Path) -> PathBuf {
    let path = dir.join("slow.toml");
    std::fs::write(
        &path,
        r#"
        name = "slow"
        seeds = 4
        [defaults]
        model = "jsc-toy-10x"
        batch_size = 32
        lr = 1e-3
        epochs = 2
        data = "synth:20000"
        [[sweep]]
        name = "lr"
        vary = { lr = [1e-2, 1e-3] }
        "#,
    )
    .unwrap();
    path
}

fn spawn_slow(study: &Path, out: &Path, extra: &[&str]) -> Child {
    let mut args = vec![
        "run",
        study.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--replicas",
        "1",
        "--threads",
        "1",
    ];
    args.extend_from_slice(extra);
    cmd(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns")
}

/// Sends SIGINT, as Ctrl-C does.
fn interrupt(child: &Child) {
    let pid = child.id().to_string();
    let sent = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(sent.success());
}

/// Waits until the log has at least `n` complete lines.
fn wait_for_lines(out: &Path, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let lines = std::fs::read(log(out))
            .map(|b| b.iter().filter(|&&c| c == b'\n').count())
            .unwrap_or(0);
        if lines >= n {
            return;
        }
        assert!(Instant::now() < deadline, "no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn sigkill_mid_study_loses_no_finished_trial_and_duplicates_none() {
    let tmp = tempfile::tempdir().unwrap();
    let study = slow_study(tmp.path());
    let out = tmp.path().join("run");
    let mut child = spawn_slow(&study, &out, &[]);
    wait_for_lines(&out, 2);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // Everything complete at the kill survives the rerun, byte for byte.
    let at_kill = std::fs::read(log(&out)).unwrap();
    let complete = &at_kill[..at_kill.iter().rposition(|&b| b == b'\n').unwrap() + 1];
    let finished = complete.iter().filter(|&&b| b == b'\n').count();
    assert!(finished < 8, "killed mid-study ({finished} of 8 written)");
    let out_str = out.to_str().unwrap();
    ok(&[
        "run",
        study.to_str().unwrap(),
        "--out",
        out_str,
        "--replicas",
        "1",
    ]);
    assert!(std::fs::read(log(&out)).unwrap().starts_with(complete));
    assert_eq!(unique_keys(&out).len(), 8);
}

#[test]
fn ctrl_c_stops_cleanly_with_a_resumable_log() {
    let tmp = tempfile::tempdir().unwrap();
    let study = slow_study(tmp.path());
    let out = tmp.path().join("run");
    let child = spawn_slow(&study, &out, &[]);
    wait_for_lines(&out, 1);
    interrupt(&child);
    let done = child.wait_with_output().unwrap();
    assert_eq!(done.status.code(), Some(130), "{}", text(&done.stderr));
    assert!(text(&done.stderr).contains("rerun the same command to resume"));
    let written = unique_keys(&out).len();
    assert!((1..8).contains(&written), "{written}");
    let again = ok(&[
        "run",
        study.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(text(&again.stdout).contains(&format!("skipped {written}")));
    assert_eq!(unique_keys(&out).len(), 8);
}

#[test]
fn shards_merge_to_exactly_the_unsharded_plan() {
    let tmp = tempfile::tempdir().unwrap();
    let p = |s: &str| tmp.path().join(s);
    run_smoke(&p("full"), &[]);
    run_smoke(&p("a"), &["--shard", "1/2"]);
    let slurm = cmd(&[
        "run",
        SMOKE,
        "--out",
        p("b").to_str().unwrap(),
        "--shard",
        "auto",
    ])
    .env("SLURM_ARRAY_TASK_ID", "1")
    .env("SLURM_ARRAY_TASK_COUNT", "2")
    .output()
    .unwrap();
    assert!(slurm.status.success(), "{}", text(&slurm.stderr));
    let (a, b) = (unique_keys(&p("a")), unique_keys(&p("b")));
    assert!(!a.is_empty() && !b.is_empty());
    assert!(a.is_disjoint(&b));

    let merged = p("merged");
    let m = merged.to_str().unwrap();
    ok(&[
        "merge",
        p("a").to_str().unwrap(),
        p("b").to_str().unwrap(),
        "--out",
        m,
    ]);
    assert_eq!(unique_keys(&merged), unique_keys(&p("full")));
    assert_eq!(records(&merged).len(), SMOKE_TRIALS);
    let status = text(&ok(&["status", m]).stdout);
    assert!(status.contains("15 (100%)"), "{status}");

    // Merging again adds nothing; the same trial with other results is refused.
    let again = text(&ok(&["merge", p("a").to_str().unwrap(), "--out", m]).stdout);
    assert!(again.contains("0 added"), "{again}");
    let mut forged = records(&p("a"));
    forged[0]["test_acc"] = Value::from(0.123456);
    std::fs::create_dir(p("forged")).unwrap();
    let line = serde_json::to_string(&forged[0]).unwrap() + "\n";
    std::fs::write(log(&p("forged")), line).unwrap();
    let refused = trainbench(&["merge", p("forged").to_str().unwrap(), "--out", m]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused.stderr).contains("different results"));
    assert_eq!(records(&merged).len(), SMOKE_TRIALS);
}

/// `test_acc` of every trial in `dir`, by key.
fn test_accs(dir: &Path) -> std::collections::BTreeMap<Key, f64> {
    records(dir)
        .iter()
        .map(|r| (key(r), r["test_acc"].as_f64().unwrap()))
        .collect()
}

#[test]
fn jobs_train_the_plan_in_parallel_processes_and_merge_it() {
    let tmp = tempfile::tempdir().unwrap();
    let p = |s: &str| tmp.path().join(s);
    run_smoke(&p("plain"), &[]);
    // Part of the plan first, in one process; the jobs then train only the rest.
    run_smoke(&p("jobs"), &["--sweep", "batch_size"]);
    let before = std::fs::read(log(&p("jobs"))).unwrap();
    let out = run_smoke(&p("jobs"), &["--jobs", "2"]);
    let err = text(&out.stderr);
    assert!(
        err.contains("[job 1/2]") && err.contains("[job 2/2]"),
        "{err}"
    );
    assert!(std::fs::read(log(&p("jobs"))).unwrap().starts_with(&before));
    assert_eq!(unique_keys(&p("jobs")), unique_keys(&p("plain")));
    assert!(p("jobs").join("report.md").exists());
    // Same trials, same results up to the replica grouping (1e-5 on the parameters).
    let (plain, jobs) = (test_accs(&p("plain")), test_accs(&p("jobs")));
    for (k, a) in &plain {
        assert!((a - jobs[k]).abs() < 0.01, "{k:?}: {a} vs {}", jobs[k]);
    }
    // Nothing left to do, with or without jobs.
    let again = text(&run_smoke(&p("jobs"), &["--jobs", "2"]).stdout);
    assert!(again.contains("0 new trial(s)"), "{again}");
    let plain_again = text(&run_smoke(&p("jobs"), &[]).stdout);
    assert!(plain_again.contains("nothing to do"), "{plain_again}");
}

#[test]
fn ctrl_c_stops_every_job_and_keeps_their_trials() {
    let tmp = tempfile::tempdir().unwrap();
    let study = slow_study(tmp.path());
    let out = tmp.path().join("run");
    let child = spawn_slow(&study, &out, &["--jobs", "2"]);
    wait_for_lines(&out.join("jobs").join("job-1-of-2"), 1);
    interrupt(&child);
    let done = child.wait_with_output().unwrap();
    assert_eq!(done.status.code(), Some(130), "{}", text(&done.stderr));
    let written = unique_keys(&out).len();
    assert!((1..8).contains(&written), "{written}");
    ok(&[
        "run",
        study.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--jobs",
        "2",
    ]);
    assert_eq!(unique_keys(&out).len(), 8);
}

#[test]
fn jobs_refuse_a_shard_and_a_zero_count() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().to_str().unwrap();
    for extra in [&["--jobs", "2", "--shard", "1/2"][..], &["--jobs", "0"]] {
        let mut args = vec!["run", SMOKE, "--out", out];
        args.extend_from_slice(extra);
        let r = trainbench(&args);
        assert_eq!(r.status.code(), Some(2), "{extra:?}: {}", text(&r.stderr));
        assert!(text(&r.stderr).contains("--jobs"));
    }
    // A backend that cannot open is one error before any job starts.
    let r = trainbench(&[
        "run",
        SMOKE,
        "--out",
        out,
        "--jobs",
        "2",
        "--backend",
        "tch-cuda:7",
    ]);
    assert!(!r.status.success());
    let err = text(&r.stderr);
    assert!(!err.contains("[job") && err.lines().count() <= 2, "{err}");
}

#[test]
fn quick_trials_are_labelled_and_never_mixed_with_full_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    run_smoke(dir, &["--quick", "--sweep", "batch_size"]);
    let quick = records(dir);
    assert_eq!(quick.len(), 2 * 3);
    assert!(quick.iter().all(|r| r["quick"] == true));
    let out = run_smoke(dir, &["--sweep", "batch_size", "--seeds", "2"]);
    assert!(
        text(&out.stdout).contains("ran 4 trial(s)"),
        "{}",
        text(&out.stdout)
    );
    let status = text(&ok(&["status", dir.to_str().unwrap()]).stdout);
    // The latest run (full, 2 seeds, batch_size only) is complete.
    assert!(status.contains("4 (100%)"), "{status}");
}

#[test]
fn dry_run_lists_every_sweep_and_the_trial_count() {
    let out = text(&ok(&["run", LAB1, "--dry-run"]).stdout);
    for sweep in [
        "batch_size",
        "epochs",
        "learning_rate",
        "bs_x_lr",
        "model_size",
    ] {
        assert!(out.contains(&format!("sweep {sweep}:")), "{sweep}: {out}");
    }
    // Stage 1 of the searched bs × lr sweep, and the rule for the rest.
    assert!(
        out.contains("46 unique configs × 10 seeds = 460 trials"),
        "{out}"
    );
    assert!(
        out.contains("sweep bs_x_lr: learning rate searched in 1e-5..1e0"),
        "{out}"
    );
    let quick = text(&ok(&["run", LAB1, "--dry-run", "--quick"]).stdout);
    assert!(
        quick.contains("QUICK") && quick.contains("× 3 seeds"),
        "{quick}"
    );
    let shard = text(&ok(&["run", LAB1, "--dry-run", "--shard", "2/3"]).stdout);
    assert!(shard.contains("shard 2/3"), "{shard}");
}

#[test]
fn bad_study_files_and_flags_are_usage_errors_with_the_key_path() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.toml");
    std::fs::write(
        &bad,
        "name = 'b'\n[[sweep]]\nname = 's'\nvary = { lr = [1e-3, -1.0] }\n",
    )
    .unwrap();
    let out = trainbench(&["run", bad.to_str().unwrap(), "--dry-run"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("sweep.s.vary.lr[1]"),
        "{}",
        text(&out.stderr)
    );
    for args in [
        vec!["run", SMOKE, "--dry-run", "--sweep", "nope"],
        vec!["run", SMOKE, "--dry-run", "--shard", "3/2"],
        vec!["run", SMOKE, "--dry-run", "--replicas", "0"],
        vec!["run", SMOKE, "--dry-run", "--shard", "auto"],
    ] {
        assert_eq!(trainbench(&args).status.code(), Some(2), "{args:?}");
    }
}

/// `trainbench report` on the smoke study: tables on stdout, report.md, report.json with the
/// documented schema, and every figure as PNG and SVG.
#[test]
fn report_on_the_smoke_study_writes_tables_markdown_json_and_figures() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let out = Command::new(env!("CARGO_BIN_EXE_trainbench"))
        .args(["run", "studies/smoke.toml", "--out", run.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("sweep batch_size") && stdout.contains("verdict"),
        "{stdout}"
    );
    assert!(run.join("report.md").is_file(), "run writes report.md");

    let rep = dir.path().join("rep");
    let out = Command::new(env!("CARGO_BIN_EXE_trainbench"))
        .args(["report", run.to_str().unwrap(), "--format", "json", "--out"])
        .arg(&rep)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["schema_version"], 4);
    let sweeps = json["sweeps"].as_array().unwrap();
    assert_eq!(sweeps.len(), 3);
    let metric = &sweeps[0]["metrics"][1];
    assert_eq!(metric["metric"], "test_acc");
    for key in [
        "config_id",
        "n",
        "mean",
        "sd",
        "ci_low",
        "ci_high",
        "median",
        "iqm",
        "min",
        "max",
    ] {
        assert!(
            metric["summaries"][0].get(key).is_some(),
            "summary lacks {key}"
        );
    }
    for key in [
        "a",
        "b",
        "test",
        "statistic",
        "df",
        "p_value",
        "difference",
        "p_holm",
        "hedges_g",
        "prob_superiority",
        "mde",
    ] {
        assert!(
            metric["comparisons"][0].get(key).is_some(),
            "comparison lacks {key}"
        );
    }
    // Every accuracy comparison of every sweep carries a numeric minimum detectable effect,
    // and report.md's "indistinguishable" says how large a difference it could have seen.
    let mut with_mde = 0;
    for sweep in sweeps {
        for m in sweep["metrics"].as_array().unwrap() {
            for c in m["comparisons"].as_array().unwrap() {
                let accuracy = m["metric"].as_str().unwrap().ends_with("_acc");
                if accuracy {
                    let mde = c["mde"].as_f64().unwrap_or(f64::NAN);
                    assert!(mde.is_finite() && mde >= 0.0, "{c}");
                    with_mde += 1;
                }
            }
        }
    }
    assert!(with_mde > 0);
    // The batch size × learning rate sweep carries the interaction test and the scaling fit
    // (a 2 × 2 grid: the optimum is at an edge, so the exponent is unresolved).
    let bs_lr = &sweeps[1];
    assert_eq!(bs_lr["name"], "bs_x_lr");
    assert_eq!(bs_lr["interaction"]["effects"][2]["term"], "batch_size:lr");
    assert_eq!(bs_lr["lr_scaling"]["verdict"], "unresolved");
    assert!(sweeps[0].get("interaction").is_none());
    let md = std::fs::read_to_string(rep.join("report.md")).unwrap();
    // smoke is not Lab 1: each sweep gets the generic answer, not Lab 1's questions.
    assert!(md.contains("## Sweep `bs_x_lr`") && md.contains("**Sweep batch_size.** "));
    assert!(!md.contains("Q1 — batch size"));
    for line in md
        .lines()
        .filter(|l| l.contains("indistinguishable from it:"))
    {
        assert!(line.contains("could detect ≥"), "{line}");
    }
    assert!(md.contains("The grid cannot resolve how the optimal learning rate scales"));
    assert!(md.contains("Selected by mean final validation accuracy: batch_size="));
    for stem in [
        "train_acc_BS",
        "val_acc_BS",
        "train_acc_Large",
        "val_acc_Large",
        "heatmap_bs_x_lr",
        "lr_opt_vs_bs_bs_x_lr",
        "time_per_epoch_BS",
    ] {
        let png = std::fs::read(rep.join(format!("{stem}.png"))).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{stem}");
        let svg = std::fs::read_to_string(rep.join(format!("{stem}.svg"))).unwrap();
        assert!(svg.contains("<svg"), "{stem}");
    }
}

/// Time metrics of `report.json`: (sweep, metric, number of comparisons, largest |t|).
fn time_comparisons(json: &Value) -> Vec<(String, String, usize, f64)> {
    let mut out = Vec::new();
    for sweep in json["sweeps"].as_array().unwrap() {
        for m in sweep["metrics"].as_array().unwrap() {
            let name = m["metric"].as_str().unwrap();
            if name != "train_seconds_per_epoch" && name != "total_seconds" {
                continue;
            }
            let cs = m["comparisons"].as_array().unwrap();
            let t = cs
                .iter()
                .filter_map(|c| c["statistic"].as_f64())
                .fold(0.0, |a: f64, t| a.max(t.abs()));
            out.push((sweep["name"].to_string(), name.to_string(), cs.len(), t));
        }
    }
    out
}

/// Seeds trained as one replica group share one wall time: no time comparison may be built
/// on one group per configuration; trained one seed at a time, the tests are kept.
#[test]
fn replica_groups_are_one_timing_measurement_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let grouped = dir.path().join("grouped");
    run_smoke(&grouped, &[]);
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(grouped.join("report.json")).unwrap())
            .unwrap();
    for (sweep, metric, n, _) in time_comparisons(&json) {
        assert_eq!(n, 0, "{sweep} {metric}: compared on one replica group each");
    }
    let md = std::fs::read_to_string(grouped.join("report.md")).unwrap();
    assert!(md.contains("one measurement"), "{md}");

    let single = dir.path().join("single");
    run_smoke(&single, &["--replicas", "1"]);
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(single.join("report.json")).unwrap())
            .unwrap();
    let times = time_comparisons(&json);
    assert!(
        times.iter().all(|(_, _, n, t)| *n > 0 && *t < 1e6),
        "{times:?}"
    );
}

/// Trials of one (configuration, seed) on other data are another experiment: a report never
/// pools them, whatever the order of its inputs, and the report at the end of a run is
/// about that run's data only.
#[test]
fn a_report_is_about_one_experiment() {
    let tmp = tempfile::tempdir().unwrap();
    let p = |s: &str| tmp.path().join(s);
    run_smoke(&p("a"), &[]);
    run_smoke(&p("b"), &["--data", "synth:2500"]);
    let report = |dirs: &[&Path], extra: &[&str]| {
        let mut args = vec!["report"];
        args.extend(dirs.iter().map(|d| d.to_str().unwrap()));
        args.extend_from_slice(&["--format", "json"]);
        args.extend_from_slice(extra);
        trainbench(&args)
    };
    for dirs in [[p("a"), p("b")], [p("b"), p("a")]] {
        let out = report(&[&dirs[0], &dirs[1]], &[]);
        assert_eq!(out.status.code(), Some(2), "mixing is refused");
        let err = text(&out.stderr);
        assert!(
            err.contains("several experiments") && err.contains("--data-fingerprint"),
            "{err}"
        );
    }
    let fp = records(&p("b"))[0]["data"]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let ab = report(&[&p("a"), &p("b")], &["--data-fingerprint", &fp]);
    let ba = report(&[&p("b"), &p("a")], &["--data-fingerprint", &fp]);
    assert!(ab.status.success(), "{}", text(&ab.stderr));
    let (ab, ba): (Value, Value) = (
        serde_json::from_slice(&ab.stdout).unwrap(),
        serde_json::from_slice(&ba.stdout).unwrap(),
    );
    assert_eq!(ab["trials"], SMOKE_TRIALS);
    assert_eq!(ab["sweeps"][0]["metrics"][1], ba["sweeps"][0]["metrics"][1]);

    // Run the other data into a's directory: the final report counts only that run's trials.
    let out = run_smoke(&p("a"), &["--data", "synth:2500"]);
    assert!(
        text(&out.stderr).contains("another backend or data set"),
        "{}",
        text(&out.stderr)
    );
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(p("a").join("report.json")).unwrap())
            .unwrap();
    assert_eq!(json["trials"], SMOKE_TRIALS);
}

/// A `--jobs` run killed before its merge leaves trials only in its job logs: status counts
/// them and a plain rerun does not train them again; SIGTERM (scancel, Kubernetes) stops a
/// run like Ctrl-C.
#[test]
fn a_killed_jobs_run_keeps_its_trials_visible_and_sigterm_is_graceful() {
    let tmp = tempfile::tempdir().unwrap();
    let study = slow_study(tmp.path());
    let out = tmp.path().join("run");
    let mut child = spawn_slow(&study, &out, &["--jobs", "2"]);
    wait_for_lines(&out.join("jobs").join("job-1-of-2"), 1);
    child.kill().unwrap(); // SIGKILL: the jobs die with their parent, nothing is merged
    child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let in_jobs: usize = (1..=2)
        .map(|i| {
            let d = out.join("jobs").join(format!("job-{i}-of-2"));
            if log(&d).exists() {
                records(&d).len()
            } else {
                0
            }
        })
        .sum();
    assert!(in_jobs >= 1);
    let status = ok(&["status", out.to_str().unwrap()]);
    let st = text(&status.stdout);
    assert!(!st.contains("0 (0%)"), "status sees the job logs: {st}");
    let rerun = ok(&[
        "run",
        study.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--replicas",
        "1",
    ]);
    let said = text(&rerun.stdout);
    assert!(said.contains(&format!("skipped {in_jobs}")), "{said}");
    assert_eq!(unique_keys(&out).len(), 8);

    // SIGTERM: finish the group, keep the log, exit as interrupted.
    let out2 = tmp.path().join("term");
    let child = spawn_slow(&study, &out2, &[]);
    wait_for_lines(&out2, 1);
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let done = child.wait_with_output().unwrap();
    assert_eq!(done.status.code(), Some(130), "{}", text(&done.stderr));
    assert!(text(&done.stderr).contains("rerun the same command to resume"));
}

/// `trainbench run … | head -1`: a closed stdout (and stderr) never kills a run; it keeps
/// training and logging, writes its report and exits quietly.
#[test]
fn a_closed_pipe_does_not_stop_a_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let mut child = cmd(&["run", SMOKE, "--out", out.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one line of stderr, then close both pipes while it trains.
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut err, &mut first).unwrap();
    drop(err);
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(unique_keys(&out).len(), SMOKE_TRIALS);
    assert!(out.join("report.md").exists());

    // Other commands exit quietly too (a dry run of Lab 1 prints many lines after the first;
    // before the fix it panicked with exit 101 here).
    let sh = format!(
        "{} run {LAB1} --dry-run | head -1 >/dev/null; echo ${{PIPESTATUS[0]}}",
        env!("CARGO_BIN_EXE_trainbench")
    );
    let o = Command::new("bash").args(["-c", &sh]).output().unwrap();
    assert_eq!(text(&o.stdout).trim(), "0", "{}", text(&o.stderr));
    assert!(!text(&o.stderr).contains("panicked"), "{}", text(&o.stderr));
}

/// Two studies never share a run directory by accident: the second is refused with one line
/// unless the user says they mean it.
#[test]
fn a_run_directory_holds_one_study() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    run_smoke(&out, &[]);
    let other = slow_study(tmp.path());
    let args = [
        "run",
        other.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    let refused = trainbench(&args);
    assert_eq!(refused.status.code(), Some(2));
    let err = text(&refused.stderr);
    assert!(
        err.contains("holds study 'smoke'") && err.trim_end().lines().count() == 1,
        "{err}"
    );
    let dry = trainbench(&[&args[..], &["--dry-run"]].concat());
    assert_eq!(dry.status.code(), Some(2), "{}", text(&dry.stderr));
    let study_copy = std::fs::read_to_string(out.join("study.toml")).unwrap();
    assert!(
        study_copy.contains("name = \"smoke\""),
        "the study copy is untouched"
    );
}

/// `--seeds MIN..MAX`: a pilot of MIN seeds, then each configuration gets the seeds its pilot
/// spread needs (here: SD 2 → a few seeds, SD 9 → capped at MAX). Every record names its
/// stage, the decision is saved and reported with its reasons, and a run cut short in stage 2
/// resumes to exactly the same trials.
#[test]
fn adaptive_seeds_add_seeds_where_the_pilot_spread_needs_them_and_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ad");
    let flags = ["--seeds", "3..12", "--target-mde", "8"];
    let first = run_smoke(&dir, &flags);
    // Stage 2 counts the pilot's 15 trials (5 configurations × seeds 0-2) in the log apart
    // from its own, in its plan line and its summary (it once said "0 already in").
    let (said, summary) = (text(&first.stderr), text(&first.stdout));
    let stage2 = said
        .lines()
        .filter(|l| l.starts_with("smoke: "))
        .nth(1)
        .expect("stage 2's plan line");
    assert!(
        stage2.contains("; 15 pilot trials in ") && !stage2.contains("0 already in"),
        "{stage2}"
    );
    let done = summary
        .lines()
        .filter(|l| l.starts_with("smoke: ran "))
        .nth(1)
        .expect("stage 2's summary");
    assert!(done.ends_with("; 15 pilot trials in the log"), "{done}");
    let decision: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("adaptive.json")).unwrap()).unwrap();
    assert!(
        decision["method"]
            .as_str()
            .unwrap()
            .contains("pilot variance only")
    );
    let decided: Vec<(String, u64)> = decision["configs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let id = c["config_id"].as_str().unwrap().to_string();
            (id, c["seeds"].as_u64().unwrap())
        })
        .collect();
    let counts: BTreeSet<u64> = decided.iter().map(|(_, n)| *n).collect();
    assert!(
        counts.len() > 1,
        "seed counts differ by spread: {decided:?}"
    );
    assert!(counts.contains(&12) && counts.iter().all(|n| (3..=12).contains(n)));
    let trials = records(&dir);
    for (id, n) in &decided {
        let mine: Vec<&Value> = trials.iter().filter(|r| r["config_id"] == **id).collect();
        assert_eq!(mine.len() as u64, *n, "{id}");
        for r in mine {
            let stage = if r["seed"].as_u64().unwrap() < 3 {
                1
            } else {
                2
            };
            assert_eq!(r["stage"], stage, "{id} seed {}", r["seed"]);
        }
    }
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("## Seeds per configuration (adaptive, `--seeds 3..12`)"));
    for (id, _) in &decided {
        assert!(
            md.contains(&format!("| {id} | 3 |")),
            "{id} not in the table"
        );
    }
    assert!(md.contains("capped at MAX"));
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["adaptive"]["configs"], decision["configs"]);

    // Cut the log short in stage 2 (a crash): the rerun trains exactly what is missing.
    let full = unique_keys(&dir);
    let text = std::fs::read_to_string(log(&dir)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(log(&dir), lines[..lines.len() - 7].join("\n") + "\n").unwrap();
    let out = run_smoke(&dir, &flags);
    assert!(self::text(&out.stdout).contains("skipped"), "resumed");
    assert_eq!(unique_keys(&dir), full);
    let again = std::fs::read_to_string(dir.join("adaptive.json")).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&again).unwrap(), decision);

    // With --jobs: the pilot in jobs, the decision from the merged pilot, stage 2 in jobs —
    // the same decision and the same trials as one process.
    let jobs_dir = tmp.path().join("jobs");
    let mut with_jobs = flags.to_vec();
    with_jobs.extend(["--jobs", "2"]);
    run_smoke(&jobs_dir, &with_jobs);
    let d2: Value =
        serde_json::from_str(&std::fs::read_to_string(jobs_dir.join("adaptive.json")).unwrap())
            .unwrap();
    assert_eq!(d2, decision);
    let strip = |keys: BTreeSet<Key>| -> BTreeSet<(String, u64)> {
        keys.into_iter().map(|k| (k.0, k.1)).collect()
    };
    assert_eq!(strip(unique_keys(&jobs_dir)), strip(full.clone()));
    for r in records(&jobs_dir) {
        let stage = if r["seed"].as_u64().unwrap() < 3 {
            1
        } else {
            2
        };
        assert_eq!(r["stage"], stage);
    }

    // What adaptive seeds cannot do is refused up front, in one line.
    for (args, needle) in [
        (vec!["--seeds", "3..12", "--shard", "1/2"], "--shard splits"),
        (vec!["--seeds", "5..3"], "MIN..MAX"),
        (
            vec!["--target-mde", "1"],
            "--target-mde needs adaptive seeds",
        ),
    ] {
        let mut all = vec!["run", SMOKE, "--out", dir.to_str().unwrap()];
        all.extend(args);
        let out = trainbench(&all);
        assert_eq!(out.status.code(), Some(2), "{all:?}");
        assert!(
            self::text(&out.stderr).contains(needle),
            "{}",
            self::text(&out.stderr)
        );
    }
}

/// A confidence level is printed with its real digits, and one above 0.999 is refused (it
/// was labelled "100% CI" with bounds of ±64 million %). Every comparison carries its
/// difference with an interval at the report's level, in report.json and the terminal table.
#[test]
fn levels_have_their_digits_and_differences_their_intervals() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ms");
    let table = text(&run_smoke(&dir, &["--sweep", "model_size"]).stdout);
    assert!(table.contains("vs selected (95% CI)"), "{table}");
    let d = dir.to_str().unwrap();
    let out = trainbench(&["report", d, "--level", "0.9999999"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--level 0.9999999 is above 0.999"));
    let md = text(&ok(&["report", d, "--level", "0.975", "--format", "markdown"]).stdout);
    assert!(md.contains("test acc (97.5% CI)") && md.contains("(97.5% CI, paired over 3 seeds"));
    assert!(!md.contains("98% CI"), "{md}");
    let json: Value =
        serde_json::from_str(&text(&ok(&["report", d, "--format", "json"]).stdout)).unwrap();
    assert_eq!(json["schema_version"], 4);
    let test = &json["sweeps"][0]["metrics"][1];
    assert_eq!(test["metric"], "test_acc");
    let diff = &test["comparisons"][0]["difference"];
    assert_eq!(diff["scale"], "difference");
    let (lo, est, hi) = (
        diff["ci_low"].as_f64().unwrap(),
        diff["estimate"].as_f64().unwrap(),
        diff["ci_high"].as_f64().unwrap(),
    );
    assert!(lo < est && est < hi && lo >= -1.0 && hi <= 1.0, "{diff}");
}
