//! End-to-end checks that hostile input is refused, not silently accepted: each test runs the
//! `trainbench` binary as a user would and checks the exit code (2 for input the user can
//! fix) and that the one-line message names what is wrong.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use trainbench::data::{CLASS_NAMES, FEATURE_NAMES};

/// Runs trainbench in `dir`, with its data cache under `dir/cache`.
fn trainbench(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trainbench"))
        .args(args)
        .current_dir(dir)
        .env("TRAINBENCH_CACHE", dir.join("cache"))
        .env_remove("TRAINBENCH_BACKEND")
        .env_remove("TRAINBENCH_THREADS")
        .env_remove("TRAINBENCH_SHARD_COUNT")
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX")
        .output()
        .expect("runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[track_caller]
fn assert_code(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

/// Exit code 2 and exactly one line on stderr, which contains every one of `needles`.
#[track_caller]
fn assert_refused(out: &Output, needles: &[&str]) {
    assert_code(out, 2);
    let err = stderr(out);
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    for n in needles {
        assert!(err.contains(n), "expected '{n}' in: {err}");
    }
}

// ---------------------------------------------------------------------------------------
// CSV files

/// A JSC CSV of `rows` distinct rows with a `class` column (names) and, if `one_hot`, the
/// five one-hot columns agreeing with it.
fn jsc_csv(rows: usize, one_hot: bool) -> String {
    let mut s = FEATURE_NAMES.join(",") + ",class";
    if one_hot {
        s.push_str(",j_g,j_q,j_w,j_z,j_t");
    }
    s.push('\n');
    for r in 0..rows {
        let cells: Vec<String> = (0..16)
            .map(|c| format!("{:.3}", ((r * 31 + c * 7) % 97) as f64 * 0.37 + r as f64))
            .collect();
        s.push_str(&cells.join(","));
        s.push(',');
        s.push_str(CLASS_NAMES[r % 5]);
        if one_hot {
            for k in 0..5 {
                s.push_str(if k == r % 5 { ",1" } else { ",0" });
            }
        }
        s.push('\n');
    }
    s
}

/// A data file that is missing or malformed is input the user can fix: exit 2.
#[test]
fn missing_or_malformed_data_files_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("short.csv"), "a,b\n1,2\n").unwrap();
    std::fs::write(dir.join("junk.h5"), "not hdf5").unwrap();
    let mut bad_cell = jsc_csv(20, false);
    bad_cell = bad_cell.replacen(",q\n", ",x\n", 1);
    std::fs::write(dir.join("cell.csv"), bad_cell).unwrap();
    for (file, needle) in [
        ("missing.csv", "missing.csv"),
        ("missing.h5", "missing.h5"),
        ("short.csv", "missing feature column"),
        ("junk.h5", "junk.h5"),
        ("cell.csv", "line 3"),
    ] {
        let out = trainbench(dir, &["data", "info", file]);
        assert_refused(&out, &[file, needle]);
    }
}

/// A `class` column and one-hot columns that disagree are an error naming the line;
/// agreeing ones are fine.
#[test]
fn class_and_one_hot_columns_must_agree() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let good = jsc_csv(40, true);
    std::fs::write(dir.join("both.csv"), &good).unwrap();
    assert_code(&trainbench(dir, &["data", "info", "both.csv"]), 0);
    // Line 4 is row 2 (class w): its one-hot columns say z.
    let mut lines: Vec<String> = good.lines().map(str::to_string).collect();
    assert!(lines[3].ends_with(",w,0,0,1,0,0"), "{}", lines[3]);
    lines[3] = lines[3].replace(",w,0,0,1,0,0", ",w,0,0,0,1,0");
    std::fs::write(dir.join("disagree.csv"), lines.join("\n") + "\n").unwrap();
    let out = trainbench(dir, &["data", "info", "disagree.csv"]);
    assert_refused(&out, &["disagree.csv", "line 4", "class", "j_z"]);
}

/// The data cache is keyed on the file's content: an edit that keeps the size and
/// restores the modification time is still seen.
#[test]
fn a_same_size_edit_with_the_mtime_restored_is_not_a_cache_hit() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let path = dir.join("jets.csv");
    let text = jsc_csv(60, false);
    std::fs::write(&path, &text).unwrap();
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    let first = trainbench(dir, &["data", "info", "jets.csv"]);
    assert_code(&first, 0);
    // Relabel every t jet as g: same size, other class counts.
    let edited = text.replace(",t\n", ",g\n");
    assert_eq!(edited.len(), text.len());
    std::fs::write(&path, &edited).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), mtime);
    let second = trainbench(dir, &["data", "info", "jets.csv"]);
    assert_code(&second, 0);
    assert_ne!(stdout(&first), stdout(&second), "stale cache hit");
    // What a cold load of the edited file says.
    std::fs::remove_dir_all(dir.join("cache")).unwrap();
    let cold = trainbench(dir, &["data", "info", "jets.csv"]);
    assert_eq!(stdout(&cold), stdout(&second));
}

// ---------------------------------------------------------------------------------------
// Study files

/// A TOML syntax error is one line: `FILE:LINE:COLUMN: message`, exit 2.
#[test]
fn a_toml_syntax_error_is_one_line_with_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("x.toml"),
        "name = \"x\"\n[defaults]\nlr = = 1e-3\n[[sweep]]\nname = \"a\"\nvary = { epochs = [1] }\n",
    )
    .unwrap();
    let out = trainbench(dir, &["run", "x.toml", "--dry-run"]);
    assert_refused(&out, &["x.toml:3:6: "]);
    std::fs::create_dir(dir.join("d")).unwrap();
    let out = trainbench(dir, &["status", "d", "--study", "x.toml"]);
    assert_refused(&out, &["x.toml:3:6: "]);
}

// ---------------------------------------------------------------------------------------
// Trial logs

/// A study of one configuration × 2 seeds that trains in a second or two; the learning
/// rate depends on the name, so two such studies have different configurations.
fn tiny_study(dir: &Path, name: &str) -> PathBuf {
    let lr = if name == "beta" { "1e-2" } else { "1e-3" };
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "name = \"{name}\"\nseeds = 2\n[defaults]\nmodel = \"jsc-tiny\"\nepochs = 1\n\
             batch_size = 256\nlr = 1e-3\ndata = \"synth:2000\"\n[[sweep]]\nname = \"one\"\n\
             vary = {{ lr = [{lr}] }}\n"
        ),
    )
    .unwrap();
    path
}

/// Runs the tiny study `name` into `dir/<out>`.
fn run_tiny(dir: &Path, name: &str, out: &str) -> PathBuf {
    let study = tiny_study(dir, name);
    let res = trainbench(dir, &["run", study.to_str().unwrap(), "--out", out]);
    assert_code(&res, 0);
    dir.join(out)
}

/// A complete last record without its newline is kept, not retrained.
#[test]
fn a_complete_last_line_without_newline_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let run = run_tiny(dir, "tiny", "r");
    let log = run.join("trials.jsonl");
    let bytes = std::fs::read(&log).unwrap();
    assert!(bytes.ends_with(b"\n"));
    std::fs::write(&log, &bytes[..bytes.len() - 1]).unwrap();
    let status = trainbench(dir, &["status", "r"]);
    assert_code(&status, 0);
    assert!(stdout(&status).contains("2 records"), "{}", stdout(&status));
    assert!(!stderr(&status).contains("torn"), "{}", stderr(&status));
    let study = dir.join("tiny.toml");
    let again = trainbench(dir, &["run", study.to_str().unwrap(), "--out", "r"]);
    assert_code(&again, 0);
    assert!(
        stdout(&again).contains("nothing to do"),
        "{}",
        stdout(&again)
    );
    assert_eq!(
        std::fs::read(&log).unwrap(),
        bytes,
        "the newline is restored"
    );
}

fn log_lines(run: &Path) -> Vec<String> {
    std::fs::read_to_string(run.join("trials.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Merge refuses what is not a trial log, a missing input (creating nothing), and
/// logs of different studies unless `--allow-mixed-studies`.
#[test]
fn merge_refuses_non_logs_missing_inputs_and_mixed_studies() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let a = run_tiny(dir, "alpha", "a");
    let b = run_tiny(dir, "beta", "b");
    assert_eq!(log_lines(&a).len(), 2);

    // A study file is not a trial log.
    let out = trainbench(dir, &["merge", "alpha.toml", "--out", "m1"]);
    assert_refused(&out, &["alpha.toml", "not a trial log"]);
    assert!(!dir.join("m1").exists());
    // A missing input, alone or after a good one: nothing is created.
    let out = trainbench(dir, &["merge", "nowhere", "--out", "m2"]);
    assert_refused(&out, &["nowhere"]);
    assert!(!dir.join("m2").exists());
    let out = trainbench(dir, &["merge", "a", "nowhere", "--out", "m3"]);
    assert_refused(&out, &["nowhere"]);
    assert!(!dir.join("m3").exists());

    // Two studies.
    let out = trainbench(dir, &["merge", "a", "b", "--out", "m4"]);
    assert_refused(&out, &["alpha", "beta", "--allow-mixed-studies"]);
    assert!(!dir.join("m4").exists());
    let out = trainbench(
        dir,
        &["merge", "a", "b", "--out", "m4", "--allow-mixed-studies"],
    );
    assert_code(&out, 0);
    assert_eq!(log_lines(&dir.join("m4")).len(), 4);
    // Into a directory of another study.
    let before = std::fs::read(b.join("trials.jsonl")).unwrap();
    let out = trainbench(dir, &["merge", "a", "--out", "b"]);
    assert_refused(&out, &["alpha", "beta", "--allow-mixed-studies"]);
    assert_eq!(std::fs::read(b.join("trials.jsonl")).unwrap(), before);
    // Only a study.toml there (no log yet) counts too.
    std::fs::create_dir(dir.join("m5")).unwrap();
    std::fs::copy(b.join("study.toml"), dir.join("m5/study.toml")).unwrap();
    let out = trainbench(dir, &["merge", "a", "--out", "m5"]);
    assert_refused(&out, &["alpha", "beta"]);
    assert!(!dir.join("m5/trials.jsonl").exists());
    // The same study merges as before.
    let out = trainbench(dir, &["merge", "a", "--out", "m6"]);
    assert_code(&out, 0);
    assert_eq!(log_lines(&dir.join("m6")), log_lines(&a));
}
