//! End-to-end checks of `trainbench baseline save-timing` and `check-timing` on criterion
//! result folders written here in criterion 0.8's exact on-disk shape.

use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output};

/// Runs trainbench in `dir`, with the environment that affects baselines removed.
fn trainbench(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trainbench"))
        .args(args)
        .current_dir(dir)
        .env_remove("TRAINBENCH_THREADS")
        .env_remove("CRITERION_HOME")
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("runs")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[track_caller]
fn assert_code(out: &Output, code: i32) {
    let (stdout, stderr) = text(out);
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

/// Deterministic noise in [-1, 1].
fn noise(i: usize, salt: u64) -> f64 {
    let x = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt.wrapping_mul(0xD6E8_FEB8);
    let x = (x ^ (x >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    ((x >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
}

/// (group, function, value, ns per iteration, Flat sampling?, rows per iteration)
const BENCHES: [(&str, &str, &str, f64, bool, u64); 4] = [
    ("train_epoch", "flex/jsc-tiny", "bs32", 2.0e8, true, 50_000),
    ("train_epoch", "flex/jsc-tiny", "bs64", 1.1e8, true, 50_000),
    ("eval", "flex", "jsc-tiny", 2.8e5, false, 5_556),
    ("eval", "flex", "jsc-toy", 3.9e5, false, 5_556),
];

fn full_id(b: &(&str, &str, &str, f64, bool, u64)) -> String {
    format!("{}/{}/{}", b.0, b.1, b.2)
}

/// Writes what criterion 0.8 writes for a run: per benchmark
/// `<group>/<function with '/'→'_'>/<value>/new/{benchmark,estimates,sample,tukey}.json`
/// (plus a `base/` copy, which must be ignored). Benchmarks named in `slow` take `factor`
/// times as long.
fn write_criterion(root: &Path, salt: u64, slow: &[&str], factor: f64, skip: &[&str]) {
    for (k, b) in BENCHES.iter().enumerate() {
        let id = full_id(b);
        if skip.contains(&id.as_str()) {
            continue;
        }
        let scale = if slow.contains(&id.as_str()) {
            factor
        } else {
            1.0
        };
        let (group, function, value, ns, flat, rows) = *b;
        let dir_name = format!("{group}/{}/{value}", function.replace('/', "_"));
        let iters: Vec<f64> = (1..=10)
            .map(|i| if flat { 1.0 } else { (i * 64) as f64 })
            .collect();
        let per_iter: Vec<f64> = (0..10)
            .map(|i| ns * scale * (1.0 + 0.01 * noise(i, salt * 10 + k as u64)))
            .collect();
        let times: Vec<f64> = iters.iter().zip(&per_iter).map(|(n, t)| n * t).collect();
        let m = per_iter.iter().sum::<f64>() / 10.0;
        let est = |p: f64| {
            json!({"confidence_interval": {"confidence_level": 0.95, "lower_bound": p * 0.99,
                   "upper_bound": p * 1.01}, "point_estimate": p, "standard_error": p * 0.005})
        };
        let slope = if flat { Value::Null } else { est(m) };
        let files = [
            (
                "benchmark.json",
                json!({"group_id": group, "function_id": function, "value_str": value,
                       "throughput": {"Elements": rows}, "full_id": id,
                       "directory_name": dir_name, "title": id}),
            ),
            (
                "estimates.json",
                json!({"mean": est(m), "median": est(m), "median_abs_dev": est(m * 0.01),
                       "slope": slope, "std_dev": est(m * 0.01)}),
            ),
            (
                "sample.json",
                json!({"sampling_mode": if flat { "Flat" } else { "Linear" },
                       "iters": iters, "times": times}),
            ),
            ("tukey.json", json!([m * 0.9, m * 0.95, m * 1.05, m * 1.1])),
        ];
        for sub in ["new", "base"] {
            let dir = root.join(&dir_name).join(sub);
            std::fs::create_dir_all(&dir).unwrap();
            for (name, value) in &files {
                std::fs::write(dir.join(name), value.to_string()).unwrap();
            }
        }
    }
}

/// (benchmark, verdict) of each table row.
fn verdicts(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .filter(|l| l.contains('┆') && !l.contains("verdict"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('│').split('┆').map(str::trim).collect();
            (cells[0].to_string(), cells[cells.len() - 1].to_string())
        })
        .collect()
}

/// How many rows have `verdict`.
fn count(stdout: &str, verdict: &str) -> usize {
    verdicts(stdout)
        .iter()
        .filter(|(_, v)| v == verdict)
        .count()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `baseline save-timing` of the criterion folder `crit` as testbed `box`.
fn save_timing(crit: &str) -> [&str; 6] {
    [
        "baseline",
        "save-timing",
        "--testbed",
        "box",
        "--criterion-dir",
        crit,
    ]
}

/// A temp dir with `crit/` (one run) saved as `baselines/box/timing.json`.
fn saved() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_criterion(&dir.path().join("crit"), 1, &[], 1.0, &[]);
    assert_code(&trainbench(dir.path(), &save_timing("crit")), 0);
    dir
}

const AGAINST: &[&str] = &[
    "baseline",
    "check-timing",
    "--against",
    "baselines/box/timing.json",
];

fn check(dir: &Path, extra: &[&str]) -> Output {
    let args: Vec<&str> = AGAINST.iter().chain(extra).copied().collect();
    trainbench(dir, &args)
}

#[test]
fn saved_file_has_the_documented_shape() {
    let dir = saved();
    let v = read_json(&dir.path().join("baselines/box/timing.json"));
    assert_eq!(v["format"], "trainbench-timing-baseline/1");
    assert_eq!(v["testbed"], "box");
    assert_eq!(v["fingerprint"]["backends"], json!(["flex"]));
    let ids: Vec<&String> = v["benchmarks"].as_object().unwrap().keys().collect();
    let mut want: Vec<String> = BENCHES.iter().map(full_id).collect();
    want.sort();
    assert_eq!(ids, want.iter().collect::<Vec<_>>());
    let bench = &v["benchmarks"]["eval/flex/jsc-tiny"];
    let samples = bench["samples_s"].as_array().unwrap();
    assert_eq!(samples.len(), 10);
    // Per-iteration seconds: around 280 µs despite 64…640 iterations per sample.
    for s in samples {
        assert!((s.as_f64().unwrap() - 2.8e-4).abs() < 2.8e-4 * 0.011, "{s}");
    }
    assert_eq!(bench["throughput"]["per_iteration"], 5556);
    let mean = bench["mean_s"]["estimate"].as_f64().unwrap();
    let rate = bench["throughput"]["per_second"].as_f64().unwrap();
    assert!((rate * mean - 5556.0).abs() < 1e-6);
    assert_eq!(bench["mean_s"]["level"], 0.95);
}

#[test]
fn a_run_checked_against_itself_or_a_rerun_has_no_change() {
    let dir = saved();
    let out = check(dir.path(), &["--criterion-dir", "crit"]);
    assert_code(&out, 0);
    let (stdout, _) = text(&out);
    assert_eq!(count(&stdout, "no change"), 4, "{stdout}");
    assert!(stdout.contains("0 of 4 benchmarks regressed"), "{stdout}");
    // A fresh run with the same speed but other noise.
    write_criterion(&dir.path().join("rerun"), 2, &[], 1.0, &[]);
    let out = check(dir.path(), &["--criterion-dir", "rerun"]);
    assert_code(&out, 0);
    assert_eq!(count(&text(&out).0, "regressed"), 0);
}

#[test]
fn slowed_benchmarks_are_named_as_regressed() {
    let dir = saved();
    let slow = ["eval/flex/jsc-toy", "train_epoch/flex/jsc-tiny/bs32"];
    write_criterion(&dir.path().join("slow"), 2, &slow, 1.3, &[]);
    let out = check(dir.path(), &["--criterion-dir", "slow"]);
    assert_code(&out, 1);
    let (stdout, stderr) = text(&out);
    let rows = verdicts(&stdout);
    assert_eq!(rows.len(), 4, "{stdout}");
    for (id, verdict) in rows {
        assert_eq!(
            verdict == "regressed",
            slow.contains(&id.as_str()),
            "{stdout}"
        );
    }
    for line in stdout
        .lines()
        .filter(|l| slow.iter().any(|id| l.contains(id)))
    {
        let change: f64 = line
            .split('┆')
            .nth(3)
            .unwrap()
            .trim()
            .trim_end_matches('%')
            .parse()
            .unwrap();
        assert!((28.0..32.0).contains(&change), "{line}");
    }
    assert!(stderr.contains("2 of 4 benchmarks regressed"), "{stderr}");
    for id in slow {
        assert!(stderr.contains(id), "{stderr}");
    }
    assert!(!stderr.contains("jsc-tiny/bs64"), "{stderr}");
    // Report-only: same table, exit 0.
    let out = check(dir.path(), &["--criterion-dir", "slow", "--report-only"]);
    assert_code(&out, 0);
    assert_eq!(count(&text(&out).0, "regressed"), 2);
    // A threshold above the slowdown: significant but small → "slower", exit 0.
    let out = check(
        dir.path(),
        &["--criterion-dir", "slow", "--threshold", "40"],
    );
    assert_code(&out, 0);
    assert_eq!(count(&text(&out).0, "slower"), 2);
    // The same comparison between two saved files.
    let out = trainbench(
        dir.path(),
        &[
            "baseline",
            "save-timing",
            "--testbed",
            "slowbox",
            "--criterion-dir",
            "slow",
        ],
    );
    assert_code(&out, 0);
    let out = check(dir.path(), &["--new", "baselines/slowbox/timing.json"]);
    assert_code(&out, 1);
    // And the other way round: faster.
    let out = trainbench(
        dir.path(),
        &[
            "baseline",
            "check-timing",
            "--against",
            "baselines/slowbox/timing.json",
            "--new",
            "baselines/box/timing.json",
        ],
    );
    assert_code(&out, 0);
    assert_eq!(count(&text(&out).0, "faster"), 2);
}

#[test]
fn a_different_machine_is_invalid_unless_allowed() {
    let dir = saved();
    let path = dir.path().join("baselines/box/timing.json");
    let mut v = read_json(&path);
    v["fingerprint"]["cpu"] = json!("Some Other CPU 9000");
    v["fingerprint"]["burn_version"] = json!("0.99.0");
    std::fs::write(dir.path().join("other.json"), v.to_string()).unwrap();
    let out = check(dir.path(), &["--new", "other.json"]);
    assert_code(&out, 2);
    let (stdout, stderr) = text(&out);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("Some Other CPU 9000"), "{stderr}");
    assert!(stderr.contains("--allow-different-machine"), "{stderr}");
    let out = check(
        dir.path(),
        &["--new", "other.json", "--allow-different-machine"],
    );
    assert_code(&out, 0);
    let (_, stderr) = text(&out);
    assert!(stderr.contains("different machine allowed"), "{stderr}");
    assert!(stderr.contains("burn: "), "{stderr}");
    // Only a version change: valid, with a note.
    v["fingerprint"]["cpu"] = read_json(&path)["fingerprint"]["cpu"].clone();
    std::fs::write(dir.path().join("upgraded.json"), v.to_string()).unwrap();
    let out = check(dir.path(), &["--new", "upgraded.json"]);
    assert_code(&out, 0);
    let stderr = text(&out).1;
    assert!(stderr.contains("versions changed"), "{stderr}");
    let notes: Vec<&str> = stderr.lines().filter(|l| l.starts_with("note:")).collect();
    let mut unique = notes.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(
        notes.len(),
        unique.len(),
        "each note is printed once: {notes:?}"
    );
}

/// A benchmark of the baseline that the run did not measure is listed as not measured (an
/// invalid comparison only with `--require-all`); unreadable or empty inputs are invalid.
#[test]
fn a_missing_benchmark_or_unreadable_file_is_invalid() {
    let dir = saved();
    let gone = "train_epoch/flex/jsc-tiny/bs64";
    write_criterion(&dir.path().join("partial"), 2, &[], 1.0, &[gone]);
    let out = check(dir.path(), &["--criterion-dir", "partial"]);
    assert_code(&out, 0);
    let (stdout, stderr) = text(&out);
    assert!(
        stderr.contains("not measured by this run") && stderr.contains(gone),
        "{stderr}"
    );
    assert_eq!(verdicts(&stdout).len(), 3, "{stdout}");
    let out = check(dir.path(), &["--criterion-dir", "partial", "--require-all"]);
    assert_code(&out, 2);
    let (_, stderr) = text(&out);
    assert!(
        stderr.contains("missing") && stderr.contains(gone),
        "{stderr}"
    );
    // Unreadable baseline, unreadable new file, empty criterion folder.
    std::fs::write(dir.path().join("broken.json"), "{ not json").unwrap();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    for args in [
        vec![
            "baseline",
            "check-timing",
            "--against",
            "nope.json",
            "--criterion-dir",
            "crit",
        ],
        vec![
            "baseline",
            "check-timing",
            "--against",
            "broken.json",
            "--criterion-dir",
            "crit",
        ],
        [AGAINST, &["--new", "broken.json"]].concat(),
        [AGAINST, &["--criterion-dir", "empty"]].concat(),
    ] {
        let out = trainbench(dir.path(), &args);
        assert_code(&out, 2);
        assert!(!text(&out).1.is_empty());
    }
}

/// The cores of this machine, as a bench run records its default threads.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Records in `crit/trainbench-bench.json` that the last bench run measured only `ids`, with
/// this machine's cores as its threads.
fn measured_only(crit: &Path, ids: &[&str]) {
    let record = json!({"threads": cores(), "study": "studies/lab1.toml", "measured": ids});
    std::fs::write(crit.join("trainbench-bench.json"), record.to_string()).unwrap();
}

/// A filtered bench run (`cargo bench -- FILTER`) over the results of an earlier full run:
/// `check-timing` compares what the last run measured — the older result of a slowed
/// benchmark it did not measure is not read — and lists the rest as not measured; exit 0.
/// `save-timing --merge` updates only what ran; a plain save keeps only what ran.
#[test]
fn a_filtered_run_is_checked_and_merged_on_what_it_measured() {
    let dir = saved();
    let ran = "train_epoch/flex/jsc-tiny/bs64";
    let stale = "train_epoch/flex/jsc-tiny/bs32";
    let run = dir.path().join("run");
    write_criterion(&run, 3, &[stale], 3.0, &[]);
    measured_only(&run, &[ran]);
    let out = check(dir.path(), &["--criterion-dir", "run"]);
    assert_code(&out, 0);
    let (stdout, stderr) = text(&out);
    assert_eq!(
        verdicts(&stdout),
        vec![(ran.to_string(), "no change".to_string())]
    );
    assert!(stderr.contains("3 of 4 baseline benchmarks"), "{stderr}");
    for id in [stale, "eval/flex/jsc-tiny", "eval/flex/jsc-toy"] {
        assert!(stderr.contains(&format!("  {id}\n")), "{stderr}");
    }
    assert!(stdout.contains("0 of 1 benchmarks regressed"), "{stdout}");
    assert!(stdout.contains("3 not measured"), "{stdout}");
    assert_code(
        &check(dir.path(), &["--criterion-dir", "run", "--require-all"]),
        2,
    );
    // A run that measured none of the baseline's benchmarks compares nothing: invalid.
    measured_only(&run, &[]);
    assert_code(&check(dir.path(), &["--criterion-dir", "run"]), 2);

    // --merge: the measured benchmark replaced (3× slower now), the others kept as saved,
    // with the sha they were measured at.
    write_criterion(&run, 4, &[ran], 3.0, &[]);
    measured_only(&run, &[ran]);
    // As if the saved file had been measured at another commit.
    let file = dir.path().join("baselines/box/timing.json");
    let mut before = read_json(&file);
    before["fingerprint"]["git_sha"] = json!("0123456789ab");
    std::fs::write(&file, serde_json::to_string_pretty(&before).unwrap()).unwrap();
    let save = save_timing("run");
    let out = trainbench(dir.path(), &[&save[..], &["--merge"]].concat());
    assert_code(&out, 0);
    assert!(
        text(&out).0.contains("1 updated, 0 added, 3 kept"),
        "{}",
        text(&out).0
    );
    let after = read_json(&dir.path().join("baselines/box/timing.json"));
    let mean = |v: &Value, id: &str| v["benchmarks"][id]["mean_s"]["estimate"].as_f64().unwrap();
    assert!((mean(&after, ran) / mean(&before, ran) - 3.0).abs() < 0.1);
    assert_eq!(mean(&after, stale), mean(&before, stale));
    assert_eq!(
        after["benchmarks"][stale]["git_sha"], "0123456789ab",
        "a kept benchmark names the sha it was measured at"
    );
    assert!(after["benchmarks"][ran].get("git_sha").is_none());
    assert_ne!(after["fingerprint"]["git_sha"], "0123456789ab");
    assert_eq!(
        after["ab_base"], "0123456789ab",
        "a merge does not move the base of `baseline ab`"
    );
    assert_eq!(after["benchmarks"].as_object().unwrap().len(), 4);
    // Without --merge the file holds what the run measured, and says what it dropped.
    let out = trainbench(dir.path(), &save);
    assert_code(&out, 0);
    assert!(text(&out).1.contains("3 benchmark(s)"), "{}", text(&out).1);
    let only = read_json(&dir.path().join("baselines/box/timing.json"));
    assert_eq!(only["benchmarks"].as_object().unwrap().len(), 1);
}

/// `baselines/box/timing.json` of `dir` with `edit` applied, written as `name`.
fn edited(dir: &Path, name: &str, edit: impl FnOnce(&mut Value)) {
    let mut v = read_json(&dir.join("baselines/box/timing.json"));
    edit(&mut v);
    std::fs::write(dir.join(name), v.to_string()).unwrap();
}

/// Exit code 2 with one line on stderr that contains every one of `needles`.
#[track_caller]
fn assert_refused(out: &Output, needles: &[&str]) {
    assert_code(out, 2);
    let stderr = text(out).1;
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "expected '{n}' in: {stderr}");
    }
}

#[test]
fn broken_timing_baselines_are_invalid() {
    let dir = saved();
    let d = dir.path();
    let id = "eval/flex/jsc-tiny";
    edited(d, "empty.json", |v| v["benchmarks"] = json!({}));
    edited(d, "huge.json", |v| {
        v["benchmarks"][id]["samples_s"][3] = json!(1e308)
    });
    edited(d, "negative.json", |v| {
        v["benchmarks"][id]["samples_s"][0] = json!(-0.00028)
    });
    edited(d, "zero.json", |v| {
        v["benchmarks"][id]["mean_s"]["estimate"] = json!(0.0)
    });
    // Nothing to compare is not a pass.
    let out = check(d, &["--new", "empty.json"]);
    assert_code(&out, 2);
    let out = trainbench(
        d,
        &[
            "baseline",
            "check-timing",
            "--against",
            "empty.json",
            "--new",
            "empty.json",
        ],
    );
    assert_refused(&out, &["empty.json", "no benchmarks"]);
    for (file, value) in [
        ("huge.json", "1e308"),
        ("negative.json", "-0.00028"),
        ("zero.json", "mean_s"),
    ] {
        // As the new run, and as the baseline.
        assert_refused(&check(d, &["--new", file]), &[file, id, value]);
        let out = trainbench(
            d,
            &[
                "baseline",
                "check-timing",
                "--against",
                file,
                "--criterion-dir",
                "crit",
            ],
        );
        assert_refused(&out, &[file, id, value]);
    }
    // Criterion results with an impossible time: neither saved nor compared.
    let sample = d.join("crit/eval/flex/jsc-tiny/new/sample.json");
    let mut v = read_json(&sample);
    v["times"][2] = json!(-1000.0);
    std::fs::write(&sample, v.to_string()).unwrap();
    let out = trainbench(
        d,
        &[
            "baseline",
            "save-timing",
            "--testbed",
            "box2",
            "--criterion-dir",
            "crit",
        ],
    );
    assert_refused(&out, &["sample.json", "times[2]"]);
    assert!(!d.join("baselines/box2").exists());
    assert_refused(&check(d, &["--criterion-dir", "crit"]), &["times[2]"]);
}

#[test]
fn invalid_arguments_exit_2() {
    let dir = saved();
    for extra in [
        &["--alpha", "1.5"][..],
        &["--threshold=-1"],
        &["--new", "x.json", "--criterion-dir", "crit"],
    ] {
        assert_code(&check(dir.path(), extra), 2);
    }
    let out = trainbench(
        dir.path(),
        &[
            "baseline",
            "save-timing",
            "--testbed",
            "../escape",
            "--criterion-dir",
            "crit",
        ],
    );
    assert_code(&out, 2);
}

/// Accuracy baselines end to end on the smoke study: an unchanged tree passes; a baseline
/// altered to claim 50 points more for one configuration makes that configuration regress
/// (exit 1, named); a baseline from another machine is an invalid comparison (exit 2).
#[test]
fn accuracy_baseline_gate_passes_unchanged_and_flags_regressions() {
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let study = root.join("studies/smoke.toml");
    let study = study.to_str().unwrap();
    for run in ["a", "b"] {
        let out = trainbench(tmp.path(), &["run", study, "--out", run]);
        assert_code(&out, 0);
    }
    let out = trainbench(
        tmp.path(),
        &[
            "baseline",
            "save-accuracy",
            "a",
            "--testbed",
            "here",
            "--baselines-dir",
            "bl",
        ],
    );
    assert_code(&out, 0);
    let saved = tmp.path().join("bl/here/smoke.json");
    let check = |against: &str, extra: &[&str]| {
        let mut args = vec!["baseline", "check-accuracy", "b", "--against", against];
        args.extend_from_slice(extra);
        trainbench(tmp.path(), &args)
    };
    // Against itself (another run of the same tree): every configuration equivalent.
    let out = check("bl/here/smoke.json", &[]);
    assert_code(&out, 0);
    let stdout = text(&out).0;
    assert_eq!(stdout.matches("equivalent").count(), 5, "{stdout}");
    assert!(stdout.contains("paired (3)"), "{stdout}");

    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    let victim = "bs=64,lr=1e-2,model=jsc-tiny,epochs=2";
    let shifted = |doc: &Value, by: &dyn Fn(usize, f64) -> f64, only: Option<&str>| {
        let mut doc = doc.clone();
        for (id, c) in doc["configs"].as_object_mut().unwrap() {
            if only.is_some_and(|o| o != id) {
                continue;
            }
            let seeds = c["seeds"].as_object_mut().unwrap();
            for (i, seed) in seeds.values_mut().enumerate() {
                let acc = seed["test_acc"].as_f64().unwrap();
                seed["test_acc"] = json!(by(i, acc).clamp(0.0, 1.0));
            }
        }
        doc
    };
    // The run 2 points worse than its baseline on one configuration → regressed, exit 1.
    let up2 = shifted(&doc, &|_, a| a + 0.02, Some(victim));
    std::fs::write(tmp.path().join("up2.json"), up2.to_string()).unwrap();
    let out = check("up2.json", &[]);
    assert_code(&out, 1);
    assert_eq!(text(&out).0.matches("regressed").count(), 1);
    assert!(text(&out).1.contains(victim));
    // The CI gate's study against its committed baseline: every configuration equivalent
    // (training is deterministic per seed); the baseline made 5 points better everywhere →
    // every configuration regressed, exit 1.
    let gate = root.join("studies/ci-gate.toml");
    assert_code(
        &trainbench(tmp.path(), &["run", gate.to_str().unwrap(), "--out", "g"]),
        0,
    );
    let committed = root.join("baselines/ci-2core/ci-gate.json");
    let gate_check = |against: &str, extra: &[&str]| {
        let mut args = vec!["baseline", "check-accuracy", "g", "--against", against];
        args.extend_from_slice(extra);
        trainbench(tmp.path(), &args)
    };
    let out = gate_check(committed.to_str().unwrap(), &["--strict"]);
    assert_code(&out, 0);
    assert_eq!(
        text(&out).0.matches("equivalent").count(),
        4,
        "{}",
        text(&out).0
    );
    let ci: Value = serde_json::from_str(&std::fs::read_to_string(&committed).unwrap()).unwrap();
    let up5 = shifted(&ci, &|_, a| a + 0.05, None);
    std::fs::write(tmp.path().join("up5.json"), up5.to_string()).unwrap();
    let out = gate_check("up5.json", &[]);
    assert_code(&out, 1);
    assert_eq!(
        text(&out).0.matches("regressed").count(),
        4,
        "{}",
        text(&out).0
    );
    // Seeds of one configuration moved by ±6 points: the interval spans the margin →
    // inconclusive, with the seeds a decision needs; exit 0, or 1 with --strict.
    let noisy = shifted(&doc, &|i, a| a + [0.06, -0.06, 0.06][i % 3], Some(victim));
    std::fs::write(tmp.path().join("noisy.json"), noisy.to_string()).unwrap();
    let out = check("noisy.json", &[]);
    assert_code(&out, 0);
    let (stdout, stderr) = text(&out);
    assert!(stdout.contains("inconclusive (≈"), "{stdout}");
    assert!(
        stderr.contains("1 of 5 configurations inconclusive"),
        "{stderr}"
    );
    assert_code(&check("noisy.json", &["--strict"]), 1);
    for seed in doc["configs"][victim]["seeds"]
        .as_object_mut()
        .unwrap()
        .values_mut()
    {
        let acc = seed["test_acc"].as_f64().unwrap();
        seed["test_acc"] = json!((acc + 0.5).min(1.0));
    }
    std::fs::write(tmp.path().join("altered.json"), doc.to_string()).unwrap();
    let out = check("altered.json", &[]);
    assert_code(&out, 1);
    let (stdout, stderr) = text(&out);
    assert!(stderr.contains(victim), "{stderr}");
    assert_eq!(stdout.matches("regressed").count(), 1, "{stdout}");

    // Another machine or kernel build never invalidates an accuracy comparison: it is noted,
    // and the regression is still found.
    doc["fingerprint"]["cpu"] = json!("Some Other CPU");
    doc["fingerprint"]["os"] = json!("Debian GNU/Linux 12 (bookworm) (Linux 6.18.44-fc-v769)");
    std::fs::write(tmp.path().join("other.json"), doc.to_string()).unwrap();
    let out = check("other.json", &[]);
    assert_code(&out, 1);
    let stderr = text(&out).1;
    assert!(
        stderr.contains("Some Other CPU") && stderr.contains("fc-v769"),
        "{stderr}"
    );
    assert_code(&check("missing.json", &[]), 2);

    // Broken baselines are invalid, not passed or judged: no configuration, an accuracy
    // outside [0, 1], a missing accuracy for a seed that did not diverge.
    let mut empty = doc.clone();
    empty["configs"] = json!({});
    std::fs::write(tmp.path().join("empty.json"), empty.to_string()).unwrap();
    let seed = doc["configs"][victim]["seeds"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    let mut above = doc.clone();
    above["configs"][victim]["seeds"][&seed]["test_acc"] = json!(1.5);
    std::fs::write(tmp.path().join("above.json"), above.to_string()).unwrap();
    let mut below = doc.clone();
    below["configs"][victim]["seeds"][&seed]["final_val_acc"] = json!(-0.25);
    std::fs::write(tmp.path().join("below.json"), below.to_string()).unwrap();
    let mut missing = doc.clone();
    missing["configs"][victim]["seeds"][&seed]["test_acc"] = Value::Null;
    std::fs::write(tmp.path().join("null.json"), missing.to_string()).unwrap();
    let cases: [(&str, &[&str]); 4] = [
        ("empty.json", &["no configurations"]),
        ("above.json", &[victim, &seed, "test_acc", "1.5"]),
        ("below.json", &[victim, &seed, "final_val_acc", "-0.25"]),
        ("null.json", &[victim, &seed, "test_acc", "diverged"]),
    ];
    for (file, needles) in cases {
        let out = check(file, &["--allow-different-machine"]);
        assert_refused(&out, &[&[file][..], needles].concat());
    }
}

/// A configuration that diverges in more seeds than in its baseline is a regression, even
/// when its surviving seeds look as good (issue: the gate used to say "no change").
#[test]
fn accuracy_gate_fails_a_configuration_that_diverges_more_than_its_baseline() {
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let study = root.join("studies/smoke.toml");
    let out = trainbench(tmp.path(), &["run", study.to_str().unwrap(), "--out", "a"]);
    assert_code(&out, 0);
    let save = [
        "baseline",
        "save-accuracy",
        "a",
        "--testbed",
        "here",
        "--baselines-dir",
        "bl",
    ];
    assert_code(&trainbench(tmp.path(), &save), 0);
    let victim = "bs=64,lr=1e-2,model=jsc-tiny,epochs=2";
    for diverged_seeds in [3, 2] {
        let dir = tmp.path().join(format!("d{diverged_seeds}"));
        std::fs::create_dir_all(&dir).unwrap();
        for f in ["study.toml", "run.json"] {
            std::fs::copy(tmp.path().join("a").join(f), dir.join(f)).unwrap();
        }
        let log = std::fs::read_to_string(tmp.path().join("a/trials.jsonl")).unwrap();
        let mut lines = Vec::new();
        for line in log.lines() {
            let mut r: Value = serde_json::from_str(line).unwrap();
            if r["config_id"] == victim && r["seed"].as_u64().unwrap() < diverged_seeds {
                r["diverged"] = json!(true);
            }
            lines.push(r.to_string());
        }
        std::fs::write(dir.join("trials.jsonl"), lines.join("\n") + "\n").unwrap();
        let out = trainbench(
            tmp.path(),
            &[
                "baseline",
                "check-accuracy",
                dir.to_str().unwrap(),
                "--against",
                "bl/here/smoke.json",
            ],
        );
        assert_code(&out, 1);
        let (stdout, stderr) = text(&out);
        assert!(stderr.contains(victim), "{stderr}");
        assert!(stderr.contains("diverged"), "{stderr}");
        assert_eq!(stdout.matches("regressed").count(), 1, "{stdout}");
    }
}

/// The threads of a timing baseline are the bench run's own (recorded next to criterion's
/// results), not the shell's at save or check time; a bench run with other threads is an
/// invalid comparison.
#[test]
fn timing_threads_come_from_the_bench_run() {
    let dir = tempfile::tempdir().unwrap();
    write_criterion(&dir.path().join("crit"), 1, &[], 1.0, &[]);
    std::fs::write(
        dir.path().join("crit/trainbench-bench.json"),
        r#"{"threads":1}"#,
    )
    .unwrap();
    assert_code(&trainbench(dir.path(), &save_timing("crit")), 0);
    let saved = read_json(&dir.path().join("baselines/box/timing.json"));
    assert_eq!(saved["fingerprint"]["threads"], 1);
    write_criterion(&dir.path().join("two"), 2, &[], 1.0, &[]);
    std::fs::write(
        dir.path().join("two/trainbench-bench.json"),
        r#"{"threads":2}"#,
    )
    .unwrap();
    let out = check(dir.path(), &["--criterion-dir", "two"]);
    assert_code(&out, 2);
    assert!(
        text(&out).1.contains("threads: '1' → '2'"),
        "{}",
        text(&out).1
    );
}

/// `baseline ab` refuses, with exit 2 and before building anything, what it cannot compare.
/// (Its measurement is exercised by the CI gate and the calibration runs of
/// docs/baselines.md: building two benches inside `cargo test` would wait on cargo's lock.)
#[test]
fn ab_refuses_what_it_cannot_compare() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = trainbench(repo, &["baseline", "ab", "--base", "no-such-revision-42"]);
    assert_refused(&out, &["unknown revision 'no-such-revision-42'"]);
    let out = trainbench(repo, &["baseline", "ab", "--base", "HEAD", "--rounds", "1"]);
    assert_refused(&out, &["--rounds must be between 2 and"]);
    let out = trainbench(
        repo,
        &["baseline", "ab", "--base", "HEAD", "--inject-slowdown=-5"],
    );
    assert_refused(&out, &["--inject-slowdown"]);
    let elsewhere = tempfile::tempdir().unwrap();
    let out = trainbench(elsewhere.path(), &["baseline", "ab", "--base", "HEAD"]);
    assert_refused(&out, &["not inside a git checkout"]);
    // No --base and no timing baseline to name one.
    let out = trainbench(
        repo,
        &[
            "baseline",
            "ab",
            "--baselines-dir",
            elsewhere.path().to_str().unwrap(),
        ],
    );
    assert_refused(&out, &["no --base given", "--testbed"]);
}

/// Flags that would fail only after a build of minutes — absurd rounds, a filter that is no
/// regex, more threads than cores — are refused first: outside any git checkout, the error
/// names the flag, not the missing checkout.
#[test]
fn ab_checks_its_flags_before_git_or_cargo() {
    let elsewhere = tempfile::tempdir().unwrap();
    for (flag, value, needle) in [
        (
            "--rounds",
            "1000000000000000000",
            "--rounds must be between 2 and",
        ),
        ("--filter", "(", "--filter '(' is not a valid regex"),
        ("--threads", "999", "--threads must be between 1 and"),
    ] {
        let out = trainbench(
            elsewhere.path(),
            &["baseline", "ab", "--base", "HEAD", flag, value],
        );
        assert_refused(&out, &[needle]);
    }
}

/// SIGTERM while `baseline ab` builds ends the build — the child cargo and everything it
/// started — and the command exits 130. The build is a stand-in `cargo` first on PATH that
/// starts a grandchild and waits.
#[test]
fn sigterm_during_the_ab_build_ends_the_child_cargo() {
    use std::os::unix::fs::PermissionsExt;
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@t"])
            .args(args)
            .current_dir(&repo)
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["commit", "-q", "--allow-empty", "-m", "one"]);
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let pids = dir.path().join("pids");
    let cargo = bin.join("cargo");
    std::fs::write(
        &cargo,
        format!(
            "#!/bin/sh\ncase \"$1\" in\n  metadata) echo '{{\"target_directory\":\"{}\"}}' ;;\n  \
             *) sleep 300 & echo \"$$ $!\" > {} ; wait ;;\nesac\n",
            dir.path().join("target").display(),
            pids.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let mut child = Command::new(env!("CARGO_BIN_EXE_trainbench"))
        .args(["baseline", "ab", "--base", "HEAD"])
        .current_dir(&repo)
        .env("PATH", path)
        .env_remove("CARGO_TARGET_DIR")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let running: Vec<i32> = loop {
        if let Ok(s) = std::fs::read_to_string(&pids)
            && s.ends_with('\n')
        {
            break s.split_whitespace().map(|p| p.parse().unwrap()).collect();
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the build never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let alive = |pid: i32| {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "))
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while running.iter().any(|&p| alive(p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    for pid in running {
        assert!(
            !alive(pid),
            "process {pid} of the build outlived the command"
        );
    }
}
