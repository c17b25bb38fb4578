//! `trainbench run --jobs N`: N processes on one machine, each training its own slice of the
//! plan (a `--shard I/N` of this run) with a few backend threads, merged into one run
//! directory at the end.
//!
//! Tiny models leave a second core idle: one replica group keeps about one core busy, and a
//! second thread inside the backend buys little. Separate processes (not threads) keep each
//! job's autodiff graph, thread pool and trial log its own. Job logs live in
//! `DIR/jobs/job-I-of-N/`; a rerun resumes them, and `DIR/trials.jsonl` is the merged result.

use super::interrupt::{install_ctrl_c, stopped};
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use trainbench::backend::BackendKind;
use trainbench::format::duration;
use trainbench::report::input::{Experiment, read_runs};
use trainbench::study::merge::{MergeOptions, merge_with};
use trainbench::study::{LogContents, RunDir, Session};
use trainbench::{Error, Result};

/// One job of a `--jobs` run: its run directory and its command line (after the program
/// name), from `RunArgs::child_args`.
pub struct Job {
    /// Where the job trains.
    pub dir: RunDir,
    /// Its arguments.
    pub args: Vec<OsString>,
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

/// Runs `session` as the `jobs` child processes on `backend` and merges their logs into the
/// session's run directory. Returns the exit code (0, or 130 when interrupted).
pub fn run(session: &Session, backend: BackendKind, jobs: &[Job], threads: usize) -> Result<i32> {
    if let Some(code) = train(session, jobs, threads)? {
        return Ok(code);
    }
    report(session, backend, jobs)?;
    Ok(0)
}

/// Runs the jobs and merges their logs into the run directory; `Some(130)` when interrupted.
pub fn train(session: &Session, jobs: &[Job], threads: usize) -> Result<Option<i32>> {
    let started = Instant::now();
    let count = jobs.len();
    let options = MergeOptions {
        allow_mixed_studies: session.allow_mixed_studies,
    };
    let out = &session.dir;
    // An earlier --jobs run killed before its merge (perhaps with another job count) left
    // trials only in its job logs: merge them first, so no job trains them again.
    let earlier: Vec<PathBuf> = out
        .job_dirs()?
        .iter()
        .map(|d| d.path().to_path_buf())
        .collect();
    if !earlier.is_empty() {
        merge_with(&earlier, out.path(), &options)?;
    }
    // Held while the jobs run: no second run may write to `out` meanwhile.
    let (lock, contents) = out.open_log()?;
    out.save_meta(&session.meta(), &session.study_text)?;
    if !contents.records.is_empty() {
        // Trials already merged into `out` are not trained again by any job.
        for job in jobs {
            merge_with(&[out.path().to_path_buf()], job.dir.path(), &options)?;
        }
    }
    errln!(
        "{count} jobs × {threads} thread(s): job logs in {}, merged into {} at the end",
        out.jobs().display(),
        out.log().display()
    );
    install_ctrl_c()?;
    let mut children = Vec::with_capacity(count);
    let mut forwarders = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        let (child, threads) = spawn(job, i + 1, count)?;
        children.push(child);
        forwarders.extend(threads);
    }
    let statuses = wait(&mut children);
    for f in forwarders {
        let _ = f.join(); // every job's last lines are out before the merge speaks
    }
    drop(lock);
    // A job that failed before opening its log (a bad flag, say) has nothing to merge.
    let logged: Vec<PathBuf> = jobs
        .iter()
        .filter(|j| j.dir.log().exists())
        .map(|j| j.dir.path().to_path_buf())
        .collect();
    let merged = merge_with(&logged, out.path(), &options)?;
    for w in &merged.warnings {
        errln!("warning: {w}");
    }
    check_statuses(&statuses, out)?;
    if statuses.contains(&Some(130)) || stopped() {
        errln!(
            "interrupted: finished trials are merged into {}; rerun the same command to resume",
            out.log().display()
        );
        return Ok(Some(130));
    }
    outln!(
        "{count} jobs done in {}; {} new trial(s) merged into {}",
        duration(started.elapsed().as_secs_f64()),
        merged.added,
        out.log().display()
    );
    Ok(None)
}

/// The experiment the jobs trained: the backend, and the data in their logs (the report and
/// an adaptive run's pilot are about it).
pub fn experiment(backend: BackendKind, jobs: &[Job]) -> Experiment {
    Experiment {
        backend: Some(backend.to_string()),
        fingerprint: jobs.iter().find_map(|j| {
            let log = LogContents::read(&j.dir.log()).ok()?;
            log.records.last().map(|r| r.data.fingerprint.clone())
        }),
    }
}

/// The report of the whole run directory after the jobs.
pub fn report(session: &Session, backend: BackendKind, jobs: &[Job]) -> Result<()> {
    let out = &session.dir;
    let input = read_runs(
        &[out.path().to_path_buf()],
        None,
        &experiment(backend, jobs),
    )?;
    super::report::report_run(&input, out.path())
}

/// An error naming every job that failed (exit code other than 0 or 130, or a signal).
fn check_statuses(statuses: &[Option<i32>], out: &RunDir) -> Result<()> {
    let count = statuses.len();
    let failed: Vec<String> = statuses
        .iter()
        .enumerate()
        .filter(|(_, s)| !matches!(s, Some(0) | Some(130)))
        .map(|(i, s)| match s {
            Some(code) => format!("job {} exited with {code}", i + 1),
            None => format!("job {} was killed by a signal", i + 1),
        })
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    Err(Error::Other(format!(
        "{} (its output is above, prefixed [job I/{count}]); finished trials are in {} — \
         rerun the same command to resume",
        failed.join(", "),
        out.log().display()
    )))
}

/// Starts job `index` of `count`: this program with the job's arguments, its output
/// forwarded line by line with a `[job I/N]` prefix. On Linux a job dies with its parent, so
/// no orphan keeps a job log locked.
fn spawn(job: &Job, index: usize, count: usize) -> Result<(Child, Vec<JoinHandle<()>>)> {
    let exe = std::env::current_exe()
        .map_err(|e| Error::io("could not find this program to start the jobs", e))?;
    let mut cmd = Command::new(exe);
    cmd.args(&job.args);
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
                errln!("{prefix} {line}");
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
        if stopped() && !forwarded {
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
