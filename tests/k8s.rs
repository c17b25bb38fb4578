//! Keeps the Kubernetes example (docs/k8s-lab1-job.yaml) consistent with the code, without a
//! cluster: the command line it holds uses only flags of `trainbench run`, its env names are
//! ones `run` reads, the shard count matches the Job's completions, the output lands on the
//! volume — and the command itself, run as a dry run in a pod's environment, takes the slice
//! that Kubernetes' JOB_COMPLETION_INDEX names.
//!
//! The YAML is read line by line (no YAML dependency): keep `command` a one-line flow list.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

const YAML: &str = include_str!("../docs/k8s-lab1-job.yaml");

/// The value of the first `key: value` line (comments and quotes stripped), also inside a flow
/// map such as `{ name: runs, mountPath: /work/runs }`.
fn value(key: &str) -> String {
    let needle = format!("{key}:");
    for line in YAML.lines() {
        let line = line.split(" #").next().unwrap_or("");
        if line.trim_start().starts_with('#') {
            continue;
        }
        if let Some(at) = line.find(&needle) {
            let before = line[..at].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue; // part of a longer key
            }
            let rest = &line[at + needle.len()..];
            let end = rest.find([',', '}']).unwrap_or(rest.len());
            return rest[..end].trim().trim_matches('"').to_string();
        }
    }
    panic!("docs/k8s-lab1-job.yaml has no `{key}:`");
}

/// The container's command line.
fn command() -> Vec<String> {
    let line = YAML
        .lines()
        .find(|l| l.trim_start().starts_with("command:"))
        .expect("a command: line");
    let list = line.trim_start()["command:".len()..].trim();
    serde_json::from_str(list).unwrap_or_else(|e| {
        panic!("command must be a one-line [\"...\", ...] list, not {list}: {e}")
    })
}

/// The container's env entries: `- name: X` followed by `value: "Y"`.
fn env() -> Vec<(String, String)> {
    let lines: Vec<&str> = YAML.lines().map(str::trim).collect();
    lines
        .windows(2)
        .filter_map(|w| {
            let name = w[0].strip_prefix("- name:")?.trim();
            let value = w[1].strip_prefix("value:")?.trim().trim_matches('"');
            Some((name.to_string(), value.to_string()))
        })
        .collect()
}

fn trainbench(args: &[String], envs: &[(String, String)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trainbench"));
    c.args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("TRAINBENCH_BACKEND")
        .env_remove("TRAINBENCH_THREADS")
        .env_remove("TRAINBENCH_SHARD_COUNT")
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX");
    for (k, v) in envs {
        c.env(k, v);
    }
    c.output().expect("runs")
}

fn run_help() -> String {
    let out = trainbench(&["run".into(), "--help".into()], &[]);
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_job_runs_trainbench_run_with_flags_it_has() {
    let cmd = command();
    assert_eq!(
        cmd[..2],
        ["trainbench", "run"],
        "the container runs `trainbench run`"
    );
    let help = run_help();
    let flags: BTreeSet<&str> = help
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| w.starts_with("--"))
        .collect();
    for arg in cmd.iter().filter(|a| a.starts_with("--")) {
        let flag = arg.split('=').next().unwrap();
        assert!(
            flags.contains(flag),
            "docs/k8s-lab1-job.yaml uses {flag}, which `trainbench run --help` does not list \
             ({flags:?})"
        );
    }
    assert!(
        cmd.windows(2).any(|w| w == ["--shard", "auto"]),
        "each pod takes its slice from the environment: --shard auto"
    );
    let study = &cmd[2];
    assert!(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(study).is_file(),
        "the study {study} (relative to workingDir) is in the repository"
    );
}

#[test]
fn env_names_are_read_by_run_and_the_count_matches_the_job() {
    let help = run_help();
    let env = env();
    assert!(!env.is_empty(), "the example sets TRAINBENCH_SHARD_COUNT");
    for (name, _) in &env {
        assert!(
            help.contains(&format!("[env: {name}=")),
            "docs/k8s-lab1-job.yaml sets {name}, which `trainbench run` does not read"
        );
    }
    let count = env
        .iter()
        .find(|(k, _)| k == "TRAINBENCH_SHARD_COUNT")
        .map(|(_, v)| v.clone())
        .expect("TRAINBENCH_SHARD_COUNT: --shard auto needs the count on Kubernetes");
    assert_eq!(count, value("completions"), "shard count = completions");
    assert_eq!(count, value("parallelism"), "shard count = parallelism");
    assert_eq!(
        value("completionMode"),
        "Indexed",
        "JOB_COMPLETION_INDEX needs Indexed"
    );
    // The default output directory, runs/<study>/shard-I-of-N/, relative to workingDir,
    // must be on the shared volume.
    assert_eq!(
        value("mountPath"),
        format!("{}/runs", value("workingDir")),
        "the volume holds workingDir/runs"
    );
}

#[test]
fn the_command_takes_the_slice_kubernetes_names() {
    let mut cmd = command();
    cmd.remove(0); // the binary
    cmd.push("--dry-run".into());
    let count: usize = value("completions").parse().unwrap();
    for index in [0, count - 1] {
        let mut envs = env();
        envs.push(("JOB_COMPLETION_INDEX".into(), index.to_string()));
        let out = trainbench(&cmd, &envs);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{cmd:?} with JOB_COMPLETION_INDEX={index}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let want = format!("shard {}/{count}", index + 1);
        assert!(stdout.contains(&want), "expected {want} in: {stdout}");
    }
    // Without the Job's index, --shard auto refuses rather than running everything.
    let out = trainbench(&cmd, &env());
    assert_eq!(out.status.code(), Some(2));
}
