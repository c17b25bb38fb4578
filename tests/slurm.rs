//! `scripts/slurm/submit.sh` without a cluster: `sbatch` and `squeue` are stand-ins on PATH
//! that record their arguments and hand out job ids, and the real binary plans the study. The
//! real cluster is `scripts/slurm/test-local.sh`'s (run by .ci/run).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SUBMIT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/slurm/submit.sh");
const SMOKE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/studies/smoke.toml");

/// A folder with stand-in `sbatch` (appends its arguments to `sbatch.args`, prints job ids
/// 101, 102, …) and `squeue` (no jobs).
fn fake_slurm(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = dir.join("sbatch.args");
    let scripts = [
        (
            "sbatch",
            format!(
                "#!/bin/sh\necho \"$*\" >> '{}'\necho $((100 + $(wc -l < '{}')))\n",
                log.display(),
                log.display()
            ),
        ),
        ("squeue", "#!/bin/sh\nexit 0\n".to_string()),
    ];
    for (name, text) in scripts {
        let path = bin.join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

/// Runs submit.sh with `args` in `dir`, the stand-ins first on PATH.
fn submit(dir: &Path, args: &[&str]) -> Output {
    let path = format!(
        "{}:{}",
        fake_slurm(dir).display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new(SUBMIT)
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env("TRAINBENCH", env!("CARGO_BIN_EXE_trainbench"))
        .output()
        .expect("submit.sh runs")
}

/// Issue 27, reproduction 7: without --out, a `--quick` submission named its output
/// `runs/smoke (QUICK/` and its jobs `tb-smoke (QUICK`; the name is the study file's `name`.
#[test]
fn submit_names_runs_and_jobs_after_the_study_s_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = submit(dir.path(), &[SMOKE, "--slices", "3", "--", "--quick"]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.starts_with("study smoke: "), "{stdout}");
    let runs: Vec<String> = std::fs::read_dir(dir.path().join("runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(runs, ["smoke"], "{stdout}");
    let calls = std::fs::read_to_string(dir.path().join("sbatch.args")).unwrap();
    let calls: Vec<&str> = calls.lines().collect();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(calls[0].contains("--job-name=tb-smoke "), "{}", calls[0]);
    assert!(calls[0].ends_with("--quick"), "{}", calls[0]);
    assert!(
        calls[1].contains("--job-name=tb-smoke-merge "),
        "{}",
        calls[1]
    );
    assert!(
        calls[1].contains("--dependency=afterok:101"),
        "{}",
        calls[1]
    );

    // The name is the file's `name`, not its file name; a comment after it is not part of it.
    let study = std::fs::read_to_string(SMOKE)
        .unwrap()
        .replace("name = \"smoke\"", "name = 'lab-2b' # renamed");
    std::fs::write(dir.path().join("s.toml"), study).unwrap();
    let out = submit(dir.path(), &["s.toml", "--slices", "2"]);
    assert!(out.status.success(), "{out:?}");
    assert!(dir.path().join("runs/lab-2b/slurm").is_dir(), "{out:?}");
}

/// `--help` prints the usage (not script source) and exits 0; no study is exit 2.
#[test]
fn submit_help_is_the_usage_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let out = submit(dir.path(), &["--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        help.contains("scripts/slurm/submit.sh STUDY.toml"),
        "{help}"
    );
    assert!(help.contains("-h, --help"), "{help}");
    assert!(
        !help.contains("set -euo") && !help.contains("here=$("),
        "{help}"
    );
    let out = submit(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("STUDY.toml"));
}
