//! `trainbench run --jobs N`: N processes on one machine, each training its own slice of the
//! plan (a `--shard I/N` of this run) with a few backend threads, merged into one run
//! directory at the end.
//!
//! Tiny models leave a second core idle: one replica group keeps about one core busy, and a
//! second thread inside the backend buys little. Separate processes (not threads) keep each
//! job's autodiff graph, thread pool and trial log its own. Job logs live in
//! `DIR/jobs/job-I-of-N/`; a rerun resumes them, and `DIR/trials.jsonl` is the merged result.

use super::run::{RunArgs, STOP, install_ctrl_c, report};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use trainbench::study::cost::human;
use trainbench::study::merge::merge;
use trainbench::study::rundir::RunMeta;
use trainbench::study::{LOG_FILE, TrialLog};
use trainbench::{Error, Result};

/// `dir/trials.jsonl`.
fn log_path(dir: &Path) -> PathBuf {
    dir.join(LOG_FILE)
}

/// Parses `--jobs`: `auto` (one per core) or a count ≥ 1.
pub fn parse(s: &str) -> Result<usize> {
    match s {
        "auto" => Ok(trainbench::backend::available_cores()),
        n => match n.parse::<usize>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(Error::Usage(format!(
                "--jobs must be auto or a whole number ≥ 1, got '{s}'"
            ))),
        },
    }
}

/// The directory of job `index` (1-based) of `count` under the run directory `out`.
pub fn job_dir(out: &Path, index: usize, count: usize) -> PathBuf {
    out.join("jobs").join(format!("job-{index}-of-{count}"))
}

/// Runs the study as `count` child processes and merges their logs into `out`.
/// Returns the exit code (0, or 130 when interrupted).
pub fn run(args: &RunArgs, count: usize, out: &Path, meta: &RunMeta, text: &str) -> Result<i32> {
    let started = Instant::now();
    // Held while the jobs run: no second run may write to `out` meanwhile.
    let (lock, contents) = TrialLog::open(out)?;
    meta.save(out, text)?;
    let threads = args
        .backend
        .threads
        .unwrap_or_else(|| (trainbench::backend::available_cores() / count).max(1));
    let dirs: Vec<PathBuf> = (1..=count).map(|i| job_dir(out, i, count)).collect();
    if !contents.records.is_empty() {
        // Trials already merged into `out` are not trained again by any job.
        for dir in &dirs {
            merge(&[out.to_path_buf()], dir)?;
        }
    }
    eprintln!(
        "{count} jobs × {threads} thread(s): job logs in {}, merged into {} at the end",
        out.join("jobs").display(),
        log_path(out).display()
    );
    install_ctrl_c()?;
    let mut children = Vec::with_capacity(count);
    let mut forwarders = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        let (child, threads) = spawn(args, i + 1, count, dir, threads)?;
        children.push(child);
        forwarders.extend(threads);
    }
    let statuses = wait(&mut children);
    for f in forwarders {
        let _ = f.join(); // every job's last lines are out before the merge speaks
    }
    drop(lock);
    // A job that failed before opening its log (a bad flag, say) has nothing to merge.
    let logged: Vec<PathBuf> = dirs
        .iter()
        .filter(|d| log_path(d).exists())
        .cloned()
        .collect();
    let merged = merge(&logged, out)?;
    for w in &merged.warnings {
        eprintln!("warning: {w}");
    }
    let failed: Vec<String> = statuses
        .iter()
        .enumerate()
        .filter(|(_, s)| !matches!(s, Some(0) | Some(130)))
        .map(|(i, s)| match s {
            Some(code) => format!("job {} exited with {code}", i + 1),
            None => format!("job {} was killed by a signal", i + 1),
        })
        .collect();
    if !failed.is_empty() {
        return Err(Error::Other(format!(
            "{} (its output is above, prefixed [job I/{count}]); finished trials are in {} — \
             rerun the same command to resume",
            failed.join(", "),
            log_path(out).display()
        )));
    }
    if statuses.contains(&Some(130)) || STOP.load(Ordering::SeqCst) {
        eprintln!(
            "interrupted: finished trials are merged into {}; rerun the same command to resume",
            log_path(out).display()
        );
        return Ok(130);
    }
    println!(
        "{count} jobs done in {}; {} new trial(s) merged into {}",
        human(started.elapsed().as_secs_f64()),
        merged.added,
        log_path(out).display()
    );
    report(out)?;
    Ok(0)
}

/// Starts job `index` of `count`: this program's `run` on one shard, its output forwarded
/// line by line with a `[job I/N]` prefix. On Linux a job dies with its parent, so no
/// orphan keeps a job log locked.
fn spawn(
    args: &RunArgs,
    index: usize,
    count: usize,
    dir: &Path,
    threads: usize,
) -> Result<(Child, Vec<JoinHandle<()>>)> {
    let exe = std::env::current_exe()
        .map_err(|e| Error::io("could not find this program to start the jobs", e))?;
    let mut cmd = Command::new(exe);
    cmd.arg("run")
        .arg(&args.study)
        .arg("--out")
        .arg(dir)
        .arg("--shard")
        .arg(format!("{index}/{count}"))
        .arg("--replicas")
        .arg(&args.replicas)
        .arg("--threads")
        .arg(threads.to_string())
        .arg("--job");
    if let Some(n) = args.seeds {
        cmd.arg("--seeds").arg(n.to_string());
    }
    for s in &args.sweeps {
        cmd.arg("--sweep").arg(s);
    }
    if args.quick {
        cmd.arg("--quick");
    }
    if let Some(d) = &args.data {
        cmd.arg("--data").arg(d);
    }
    if let Some(b) = &args.backend.backend {
        cmd.arg("--backend").arg(b);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::io(format!("could not start job {index} of {count}"), e))?;
    let prefix = format!("[job {index}/{count}]");
    let forwarders = [
        forward(child.stdout.take(), prefix.clone()),
        forward(child.stderr.take(), prefix),
    ];
    Ok((child, forwarders.into_iter().flatten().collect()))
}

/// Copies a child's output to our stderr, one prefixed line at a time.
fn forward(stream: Option<impl Read + Send + 'static>, prefix: String) -> Option<JoinHandle<()>> {
    stream.map(|stream| {
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(|l| l.ok()) {
                eprintln!("{prefix} {line}");
            }
        })
    })
}

/// Waits for every job; on our first interrupt, passes it on (a job then finishes its
/// current group and stops). Returns each job's exit code (None: killed by a signal).
fn wait(children: &mut [Child]) -> Vec<Option<i32>> {
    let mut statuses: Vec<Option<Option<i32>>> = vec![None; children.len()];
    let mut forwarded = false;
    while statuses.iter().any(Option::is_none) {
        if STOP.load(Ordering::SeqCst) && !forwarded {
            forwarded = true;
            for (child, status) in children.iter().zip(&statuses) {
                if status.is_none() {
                    // SAFETY: sending a signal to our own child process.
                    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
                }
            }
        }
        for (child, status) in children.iter_mut().zip(statuses.iter_mut()) {
            if status.is_none()
                && let Ok(Some(s)) = child.try_wait()
            {
                *status = Some(s.code());
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    statuses
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect()
}
