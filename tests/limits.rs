//! Inputs that used to train garbage or exhaust the machine are refused up front with one
//! clear line (exit 2): BatchNorm at batch size 1, more threads than cores, plans and models
//! too large for the seed count or the memory, and `--jobs` beyond the work.

use std::process::{Command, Output};

const SMOKE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/studies/smoke.toml");

fn trainbench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trainbench"))
        .args(args)
        .env_remove("TRAINBENCH_BACKEND")
        .env_remove("TRAINBENCH_THREADS")
        .output()
        .expect("runs")
}

/// Exit 2 with one line on stderr containing `needle`.
fn refused(args: &[&str], needle: &str) {
    let out = trainbench(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(needle), "{args:?}: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{args:?}: one line, got {err}"
    );
}

fn study(dir: &std::path::Path, seeds: &str, vary: &str) -> String {
    let path = dir.join("s.toml");
    std::fs::write(
        &path,
        format!(
            "name = \"s\"\nseeds = {seeds}\n[defaults]\ndata = \"synth:2000\"\nepochs = 1\n\
             [[sweep]]\nname = \"a\"\nvary = {{ {vary} }}\n"
        ),
    )
    .unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn batch_norm_at_batch_size_one_is_refused_everywhere() {
    refused(
        &[
            "train",
            "--batch-size",
            "1",
            "--epochs",
            "1",
            "--data",
            "synth:2000",
        ],
        "BatchNorm",
    );
    let tmp = tempfile::tempdir().unwrap();
    let s = study(tmp.path(), "2", "batch_size = [1, 8]");
    refused(&["run", &s, "--dry-run"], "batch size 1 with jsc-tiny");
    refused(
        &["run", &s, "--out", tmp.path().to_str().unwrap()],
        "BatchNorm",
    );
}

#[test]
fn resources_are_bounded_before_anything_is_allocated() {
    refused(&["train", "--threads", "100000"], "core(s) available");
    refused(&["train", "--model", "mlp:16-99999999-5"], "GiB of memory");
    refused(&["train", "--data", "synth:99999999999"], "GiB of memory");
    refused(
        &["run", SMOKE, "--dry-run", "--data", "synth:99999999999"],
        "GiB of memory",
    );
    let tmp = tempfile::tempdir().unwrap();
    let s = study(tmp.path(), "99999999999999", "batch_size = [8, 16]");
    refused(&["run", &s, "--dry-run"], "seeds per configuration");
    // --jobs beyond the cores and the trials is bounded, not obeyed.
    let s = study(tmp.path(), "1", "batch_size = [64]");
    let out = trainbench(&[
        "run",
        &s,
        "--jobs",
        "40",
        "--out",
        tmp.path().to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("--jobs 40 bounded to 1"), "{err}");
}

/// A loss that explodes to a huge finite value and stays there is divergence, not a
/// result; a spike that recovers is not. (lr 10, one epoch: 89,068 nats; with three epochs
/// the loss comes back to ~3.)
#[test]
fn an_exploding_loss_counts_as_diverged() {
    let train = |epochs: &str| -> serde_json::Value {
        let out = trainbench(&[
            "train",
            "--model",
            "mlp:16-64-5",
            "--lr",
            "10",
            "--scheduler",
            "constant",
            "--epochs",
            epochs,
            "--data",
            "synth:3000",
            "--json",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let one = train("1");
    let loss = one["epochs"][0]["train_loss"].as_f64().unwrap();
    assert!(loss.is_finite() && loss > 1e3, "{loss}");
    assert_eq!(one["diverged"], true);
    let three = train("3");
    let last = three["epochs"][2]["train_loss"].as_f64().unwrap();
    assert!(last < 1e3, "{last}");
    assert_eq!(three["diverged"], false);
}
