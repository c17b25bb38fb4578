//! End-to-end checks of the `trainbench` binary.

use serde_json::Value;
use std::process::{Command, Output};

fn trainbench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trainbench"))
        .args(args)
        .env_remove("TRAINBENCH_BACKEND")
        .env_remove("TRAINBENCH_THREADS")
        .output()
        .expect("runs")
}

const TRAIN: &[&str] = &[
    "train",
    "--model",
    "jsc-tiny",
    "--epochs",
    "2",
    "--lr",
    "1e-3",
    "--batch-size",
    "256",
    "--seed",
    "0",
    "--data",
    "synth:4000",
    "--json",
];

/// Drops the fields that legitimately differ between two runs: wall times and start time.
fn strip_timings(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for key in [
                "train_seconds",
                "eval_seconds",
                "total_seconds",
                "started_at",
            ] {
                map.remove(key);
            }
            map.values_mut().for_each(strip_timings);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_timings),
        _ => {}
    }
}

#[test]
fn train_json_is_complete_and_reproducible() {
    let runs: Vec<Value> = (0..2)
        .map(|_| {
            let out = trainbench(TRAIN);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            serde_json::from_slice(&out.stdout).expect("one JSON object")
        })
        .collect();
    let first = &runs[0];
    for key in [
        "config",
        "data",
        "seed",
        "epochs",
        "test_loss",
        "test_acc",
        "diverged",
    ] {
        assert!(first.get(key).is_some(), "missing {key}");
    }
    let epochs = first["epochs"].as_array().unwrap();
    assert_eq!(epochs.len(), 2);
    for key in [
        "epoch",
        "lr",
        "train_loss",
        "train_acc",
        "val_loss",
        "val_acc",
    ] {
        assert!(epochs[1].get(key).is_some(), "epoch record lacks {key}");
    }
    let p = &first["provenance"];
    for key in [
        "trainbench_version",
        "git_sha",
        "burn_version",
        "backend",
        "device",
        "threads",
        "cpu",
        "os",
        "hostname",
        "started_at",
    ] {
        assert!(p.get(key).is_some(), "provenance lacks {key}");
    }
    assert_eq!(p["backend"], "flex");
    let (mut a, mut b) = (runs[0].clone(), runs[1].clone());
    strip_timings(&mut a);
    strip_timings(&mut b);
    assert_eq!(
        a, b,
        "same seed, same backend: identical apart from timings"
    );
}

#[test]
fn bad_arguments_exit_2_with_one_line() {
    let cases: &[(&[&str], &str)] = &[
        (&["train", "--batch-size", "0"], "batch size"),
        (&["train", "--lr", "0"], "learning rate"),
        (&["train", "--lr", "-1"], "learning rate"),
        (&["train", "--model", "jsc-huge"], "unknown model"),
        (&["train", "--backend", "wgpu"], "unknown backend"),
        (&["train", "--data", "nowhere.parquet"], "data spec"),
        (&["train", "--val", "sometimes"], "validation mode"),
        (&["train", "--epochs", "x"], "--epochs"),
    ];
    for (args, needle) in cases {
        let out = trainbench(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[cfg(not(feature = "tch"))]
#[test]
fn asking_for_a_backend_not_compiled_in_names_the_feature() {
    let out = trainbench(&["train", "--backend", "tch-cuda:1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--features tch"), "{err}");
}

#[test]
fn models_lists_exact_parameter_counts() {
    let out = trainbench(&["models"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for (name, count) in [
        ("jsc-tiny ", "127"),
        ("jsc-tiny-v2", "117"),
        ("jsc-toy ", "327"),
        ("jsc-s", "5,615"),
        ("jsc-tiny-10x", "1,295"),
        ("jsc-toy-10x", "3,317"),
    ] {
        let line = text
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} missing:\n{text}"));
        assert!(line.contains(count), "{line}");
    }
}

#[test]
fn data_export_is_byte_identical_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<_> = (0..2)
        .map(|i| dir.path().join(format!("{i}.csv")))
        .collect();
    for p in &paths {
        let out = trainbench(&[
            "data",
            "export",
            "synth:2000:3",
            "--out",
            p.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let a = std::fs::read(&paths[0]).unwrap();
    assert_eq!(a, std::fs::read(&paths[1]).unwrap());
    let text = String::from_utf8(a).unwrap();
    let header = text.lines().next().unwrap();
    assert!(header.starts_with("split,j_zlogz,") && header.ends_with(",class"));
    // 2,000 generated rows minus duplicates, each in exactly one split.
    let rows = text.lines().count() - 1;
    assert!(rows > 1_900 && rows <= 2_000, "{rows}");
}

#[test]
fn data_info_shows_balanced_classes_and_feature_names() {
    let out = trainbench(&["data", "info", "synth:20000"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for name in trainbench::data::FEATURE_NAMES {
        assert!(text.contains(name), "{name}");
    }
    for split in ["train", "val", "test"] {
        let line = text
            .lines()
            .find(|l| l.contains(&format!(" {split} ")) && l.contains('%'))
            .unwrap_or_else(|| panic!("no {split} row:\n{text}"));
        assert_eq!(line.matches('%').count(), 5, "{line}");
    }
}

/// Runs trainbench with stdout on `/dev/full` (every write fails with ENOSPC), then with
/// stdout a pipe whose reader is gone.
fn full_disk_and_closed_pipe(args: &[&str]) -> (Output, std::process::ExitStatus) {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let to_full = Command::new(env!("CARGO_BIN_EXE_trainbench"))
        .args(args)
        .env_remove("TRAINBENCH_BACKEND")
        .env_remove("TRAINBENCH_THREADS")
        .stdout(full)
        .output()
        .expect("runs");
    let mut piped = Command::new(env!("CARGO_BIN_EXE_trainbench"))
        .args(args)
        .env_remove("TRAINBENCH_BACKEND")
        .env_remove("TRAINBENCH_THREADS")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("runs");
    drop(piped.stdout.take());
    (to_full, piped.wait().expect("waits"))
}

/// Output to a full disk is a failure (exit 1, one line saying so); a closed pipe is not
/// (`… | head` exits 0, no panic) — for every command that writes to stdout.
#[test]
fn a_full_disk_fails_every_command_and_a_closed_pipe_none() {
    let dir = tempfile::tempdir().unwrap();
    let d = |p: &str| dir.path().join(p).to_string_lossy().into_owned();
    let smoke = concat!(env!("CARGO_MANIFEST_DIR"), "/studies/smoke.toml");
    let run = trainbench(&["run", smoke, "--sweep", "batch_size", "--out", &d("run")]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let saved = trainbench(&[
        "baseline",
        "save-accuracy",
        &d("run"),
        "--testbed",
        "t",
        "--baselines-dir",
        &d("baselines"),
    ]);
    assert!(saved.status.success());
    let repo = env!("CARGO_MANIFEST_DIR");
    let (run_dir, against, history) = (d("run"), d("baselines/t/smoke.json"), d("h"));
    let commands: Vec<Vec<&str>> = vec![
        vec!["report", &run_dir],
        vec!["report", &run_dir, "--format", "json"],
        vec!["report", &run_dir, "--format", "markdown"],
        vec!["status", &run_dir],
        TRAIN.to_vec(),
        vec!["data", "info", "synth:2000"],
        vec!["models"],
        vec![
            "baseline",
            "check-accuracy",
            &run_dir,
            "--against",
            &against,
        ],
        vec![
            "history", "--format", "json", "--repo", repo, "--out", &history,
        ],
    ];
    for args in &commands {
        let (full, piped) = full_disk_and_closed_pipe(args);
        let err = String::from_utf8_lossy(&full.stderr);
        assert_eq!(full.status.code(), Some(1), "{args:?} to /dev/full: {err}");
        assert!(
            err.lines().last().is_some_and(
                |l| l.starts_with("error: could not write to standard output: No space left")
            ),
            "{args:?}: {err}"
        );
        assert_eq!(piped.code(), Some(0), "{args:?} into a closed pipe");
    }
}
