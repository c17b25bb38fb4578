//! Inputs that used to train garbage or exhaust the machine are refused up front with one
//! clear line (exit 2): BatchNorm at batch size 1, more threads than cores, plans and models
//! too large for the seed count or the memory, and `--jobs` beyond the work.

use std::path::Path;
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
    // Issue 27, reproduction 5: `data info` aborted (exit 134) on synth:99999999999999 and
    // ran synth:1000000000 at 4.4 GB; now refused up front like train and run (the estimate:
    // ~300 bytes a row, so 1e9 rows need ~280 GiB, refused where less is available).
    let mut specs = vec!["synth:99999999999999"];
    if available_gib() < 270.0 {
        specs.push("synth:1000000000");
    }
    for spec in specs {
        for command in [
            &["data", "info", spec][..],
            &["data", "export", spec, "--out", "/nonexistent/x.csv"],
        ] {
            let out = trainbench_within(2, command);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{command:?}: {err}");
            assert!(
                err.starts_with(&format!("error: preparing {spec}:1 ("))
                    && err.contains("GiB of memory; ")
                    && err.contains("GiB are available"),
                "{command:?}: {err}"
            );
        }
    }
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

/// `MemAvailable` in GiB (trainbench's memory checks compare with it).
fn available_gib() -> f64 {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("MemAvailable:"))
        .unwrap();
    let kib: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib / (1024.0 * 1024.0)
}

/// `trainbench ARGS` with its address space limited to `gib` GiB, so that a regression that
/// allocates what it should refuse fails here (an allocation failure, exit 134) instead of
/// exhausting the machine.
fn trainbench_within(gib: u64, args: &[&str]) -> Output {
    use std::os::unix::process::CommandExt;
    let mut c = Command::new(env!("CARGO_BIN_EXE_trainbench"));
    c.args(args)
        .env_remove("TRAINBENCH_BACKEND")
        .env_remove("TRAINBENCH_THREADS");
    let limit = libc::rlimit {
        rlim_cur: gib << 30,
        rlim_max: gib << 30,
    };
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        c.pre_exec(move || {
            if libc::setrlimit(libc::RLIMIT_AS, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    c.output().expect("runs")
}

/// Issue 27, reproduction 2: a 10,000 × 10,000 sweep's `--dry-run` grew to 23 GB building the
/// product, and 3,162 × 3,162 configurations × 1 seed (inside the trial limit) aborted with
/// "memory allocation failed". The configurations a sweep lists follow from its axis lengths,
/// so both are refused (exit 2, one line) before any is built, within 2 GiB.
#[test]
fn huge_sweeps_are_refused_before_the_product_is_built() {
    let tmp = tempfile::tempdir().unwrap();
    let axes = |n: usize| {
        let lrs: Vec<String> = (1..=n).map(|i| format!("{i}e-7")).collect();
        let epochs: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
        format!(
            "lr = [{}], epochs = [{}]",
            lrs.join(", "),
            epochs.join(", ")
        )
    };
    let out_dir = tmp.path().join("out");
    let out_dir = out_dir.to_str().unwrap();
    for (n, extra) in [
        (10_000, &["--dry-run"][..]),
        (3_162, &["--seeds", "1", "--out", out_dir]),
    ] {
        let s = study(tmp.path(), "1", &axes(n));
        let mut args = vec!["run", s.as_str()];
        args.extend(extra);
        let out = trainbench_within(2, &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{n}: {err}");
        let total = n * n;
        assert!(
            err.contains(&format!("list {total} configurations"))
                && err.contains(&format!("{n} lr × {n} epochs"))
                && err.contains("at most 100000"),
            "{err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
    assert!(
        !Path::new(out_dir).exists(),
        "a refused run creates nothing"
    );
}

/// Issue 27, reproduction 3: a trials.jsonl that is a symlink to /dev/zero made `run` grow to
/// 24 GB (OOM-killed); it, a FIFO or a directory made `status` say "0 records", exit 0. Each
/// is refused by `run`, `status` and `report` with one line naming it (exit 2), within 2 GiB
/// and without waiting for a FIFO's writer.
#[test]
fn a_trial_log_that_is_not_a_regular_file_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, kind) in [
        ("zero", "a character device"),
        ("fifo", "a FIFO (named pipe)"),
        ("dir", "a directory"),
    ] {
        let dir = tmp.path().join(name);
        std::fs::create_dir(&dir).unwrap();
        let log = dir.join("trials.jsonl");
        match name {
            "zero" => std::os::unix::fs::symlink("/dev/zero", &log).unwrap(),
            "fifo" => {
                let status = Command::new("mkfifo").arg(&log).status().unwrap();
                assert!(status.success());
            }
            _ => std::fs::create_dir(&log).unwrap(),
        }
        let d = dir.to_str().unwrap();
        for args in [
            &["run", SMOKE, "--out", d][..],
            &["status", d, "--study", SMOKE],
            &["report", d, "--study", SMOKE],
        ] {
            let out = trainbench_within(2, args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            let line = err.lines().last().unwrap_or_default();
            assert!(
                line.contains("trials.jsonl") && line.contains(&format!("is {kind}")),
                "{args:?}: {err}"
            );
        }
    }
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
