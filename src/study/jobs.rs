//! A study run split across processes: `trainbench run --jobs N` starts N child processes on
//! one machine, each training its own slice of the plan (a `--shard I/N` of this run) with a
//! few backend threads, and merges their logs into one run directory at the end; an adaptive
//! run's pilot and stage 2, and each round of a learning-rate search, go the same way, with
//! every decision taken here from the merged log ([`run`]). A job's own side of it is
//! [`limit_to_stage`]; which splits a run allows (`--shard`, a job's stage, with adaptive
//! seeds or a searched learning rate) is [`check_run`].
//!
//! Tiny models leave a second core idle: one replica group keeps about one core busy, and a
//! second thread inside the backend buys little. Separate processes (not threads) keep each
//! job's autodiff graph, thread pool and trial log its own. Job logs live in
//! `DIR/jobs/job-I-of-N/`; a rerun resumes them, and `DIR/trials.jsonl` is the merged result.
//!
//! A job is this program (`std::env::current_exe`) run with the command line of
//! [`JobCommand::args`] and [`JobStage::args`]. Nothing here prints: what happens is told as
//! [`JobEvent`]s (a job's output line by line among them), as [`Session`] runs tell
//! [`Event`](super::Event)s.

use super::adaptive::{AdaptiveSeeds, DECISION_FILE, Decision};
use super::experiment::Experiment;
use super::log::LogContents;
use super::lr_search::{Addition, SearchState, Step};
use super::merge::{MergeOptions, merge_with};
use super::rundir::RunDir;
use super::seeds::Seeds;
use super::session::Session;
use crate::backend::BackendKind;
use crate::{Error, Result};
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The most jobs `--quick` starts by itself: Lab 1's quick plan has about 20 replica groups,
/// and more jobs would cut them into thinner, slower groups, each job preparing the data again
/// (measured on 2 cores only: 2 jobs take Lab 1 --quick from 15 s to 10 s).
pub const QUICK_JOBS: usize = 4;

/// The jobs of a `--quick` look on the CPU when `--jobs` is not given: one per core, at most
/// [`QUICK_JOBS`] (a quick run is over in seconds and one training process keeps about one
/// core busy).
pub fn quick_jobs() -> usize {
    crate::backend::available_cores().min(QUICK_JOBS)
}

/// The flags of `run` that decide `--jobs` when it is not given ([`JobsDefault::jobs`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobsDefault<'a> {
    /// `--quick`.
    pub quick: bool,
    /// This process is a job of a `--jobs` run.
    pub job: bool,
    /// `--shard` is given.
    pub shard: bool,
    /// `--threads` is given (`TRAINBENCH_THREADS` counts).
    pub threads: bool,
    /// `--backend`, if given (`TRAINBENCH_BACKEND` counts).
    pub backend: Option<&'a str>,
}

impl JobsDefault<'_> {
    /// `--jobs` when it is not given: [`quick_jobs`] for a `--quick` look on the CPU, else 1.
    /// Not for a job of a `--jobs` run, a `--shard`, explicit threads or CUDA.
    pub fn jobs(self) -> usize {
        let cuda = self.backend.is_some_and(|b| b.starts_with("tch-cuda"));
        if self.quick && !self.job && !self.shard && !self.threads && !cuda {
            quick_jobs()
        } else {
            1
        }
    }
}

/// Parses `--jobs`: `auto` (one per core) or a count ≥ 1.
pub fn parse_jobs(s: &str) -> Result<usize> {
    match s {
        "auto" => Ok(crate::backend::available_cores()),
        n => match n.parse::<usize>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(Error::Usage(format!(
                "--jobs must be auto or a whole number ≥ 1, got '{s}'"
            ))),
        },
    }
}

/// Which job of a `--jobs` run this process is, if any: the internal flags it was given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Role {
    /// This process trains one adaptive stage for a `--jobs` parent (`--adaptive-stage`).
    pub adaptive_stage: bool,
    /// This process trains one round of a search for a `--jobs` parent (`--search-round`).
    pub search_round: bool,
}

/// Checks that the run's adaptive seeds, searched learning rate, `--budget` and shard (the
/// session's) go together for this process's `role`. Returns a note to show when they do but this process cannot finish the
/// run: a shard of a searched run trains its part of stage 1 only.
pub fn check_run(
    session: &Session,
    adaptive: Option<AdaptiveSeeds>,
    role: Role,
) -> Result<Option<String>> {
    let searched = !session.plan.searched(&session.study).is_empty();
    if searched && adaptive.is_some() {
        return Err(Error::Usage(
            "a searched learning rate (lr = { search = … }) decides its points from the \
             trials of fixed seeds: use seeds = N, not MIN..MAX (the search's stage 3 adds \
             seeds where they narrow an optimum most; --budget sets how many)"
                .into(),
        ));
    }
    let note = (searched && session.shard.is_some() && !role.search_round).then(|| {
        "a searched learning rate decides each later round from every batch size's trials, \
         which --shard splits across machines: this shard trains its part of stage 1 only; \
         merge the shards, then run the study into the merged directory on one machine (with \
         --jobs N) to continue the search"
            .to_string()
    });
    if session.budget.is_some() && !searched {
        return Err(Error::Usage(
            "--budget needs a searched learning rate (lr = { search = \"LO..HI\" } in a sweep)"
                .into(),
        ));
    }
    if adaptive.is_some() && session.shard.is_some() && !role.adaptive_stage {
        return Err(Error::Usage(
            "adaptive seeds (MIN..MAX) decide stage 2 from every configuration's pilot, which \
             --shard splits across machines: train the pilot with --seeds MIN on the shards, \
             merge, then run --seeds MIN..MAX (with --jobs N to use this machine's cores) into \
             the merged directory — the pilot is reused and only the added seeds train"
                .into(),
        ));
    }
    Ok(note)
}

/// Keeps, for one job of an adaptive `--jobs` run, the seeds of its `stage`: the pilot (1),
/// or (2) the seeds stage 2 adds by the parent's decision, saved in `decision_dir` [default:
/// the current directory]. Returns the stage, or `None` for a process that is no such job.
pub fn limit_to_stage(
    session: &mut Session,
    stage: Option<u8>,
    adaptive: Option<AdaptiveSeeds>,
    decision_dir: Option<&Path>,
) -> Result<Option<u8>> {
    let (stage, adaptive) = match (stage, adaptive) {
        (None, _) => return Ok(None),
        (Some(_), None) => {
            return Err(Error::Usage(
                "--adaptive-stage needs --seeds MIN..MAX".into(),
            ));
        }
        (Some(stage), Some(a)) => (stage, a),
    };
    if stage == 1 {
        session.limit_to_pilot(adaptive.range.min);
        return Ok(Some(stage));
    }
    let dir = decision_dir.unwrap_or(Path::new("."));
    let decision = Decision::load(dir)?
        .ok_or_else(|| Error::Usage(format!("no {DECISION_FILE} in '{}'", dir.display())))?;
    session.limit_to_stage_two(&decision);
    Ok(Some(stage))
}

/// What every job of a `--jobs` run is told, as the parent was given it: the flags of `run`
/// that reach the jobs unchanged.
#[derive(Debug, Clone, Default)]
pub struct JobCommand {
    /// The study file.
    pub study: PathBuf,
    /// `--seeds`.
    pub seeds: Option<Seeds>,
    /// `--sweep`, each.
    pub sweeps: Vec<String>,
    /// `--quick`.
    pub quick: bool,
    /// `--replicas`.
    pub replicas: String,
    /// `--group-by`.
    pub group_by: String,
    /// `--data`.
    pub data: Option<String>,
    /// `--backend`.
    pub backend: Option<String>,
}

impl JobCommand {
    /// The command line (after the program name) of job `index` of `count`, training into
    /// `dir` with `threads` threads.
    pub fn args(&self, dir: &Path, index: usize, count: usize, threads: usize) -> Vec<OsString> {
        let mut a: Vec<OsString> = vec!["run".into(), self.study.clone().into()];
        let mut flag = |name: &str, value: OsString| {
            a.push(format!("--{name}").into());
            a.push(value);
        };
        flag("out", dir.into());
        flag("shard", format!("{index}/{count}").into());
        flag("replicas", self.replicas.clone().into());
        flag("group-by", self.group_by.clone().into());
        flag("threads", threads.to_string().into());
        if let Some(n) = &self.seeds {
            flag("seeds", n.to_string().into());
        }
        for s in &self.sweeps {
            flag("sweep", s.into());
        }
        if let Some(d) = &self.data {
            flag("data", d.into());
        }
        if let Some(b) = &self.backend {
            flag("backend", b.into());
        }
        if self.quick {
            a.push("--quick".into());
        }
        a.push("--job".into());
        a
    }
}

/// Which part of the run the jobs train, told to each on its command line after
/// [`JobCommand::args`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStage<'a> {
    /// All of its slice.
    All,
    /// Stage 1 of adaptive seeds: the pilot.
    Pilot,
    /// Stage 2 of adaptive seeds, by the decision saved in the parent's run directory.
    StageTwo {
        /// The parent's run directory.
        decision: &'a Path,
    },
    /// One round of a learning-rate search, decided in the parent's run directory.
    SearchRound {
        /// The round.
        round: usize,
        /// The parent's run directory (its `lr_search.json`).
        state: &'a Path,
    },
}

impl JobStage<'_> {
    /// The flags that tell a job this stage.
    pub fn args(self) -> Vec<OsString> {
        let dir = |d: &Path| OsString::from(d.to_string_lossy().to_string());
        match self {
            JobStage::All => vec![],
            JobStage::Pilot => vec!["--adaptive-stage".into(), "1".into()],
            JobStage::StageTwo { decision } => vec![
                "--adaptive-stage".into(),
                "2".into(),
                "--adaptive-decision".into(),
                dir(decision),
            ],
            JobStage::SearchRound { round, state } => vec![
                "--search-round".into(),
                round.to_string().into(),
                "--search-state".into(),
                dir(state),
            ],
        }
    }
}

/// The jobs of a `--jobs` run.
#[derive(Debug, Clone)]
pub struct Jobs {
    /// How many.
    pub count: usize,
    /// Backend threads of each [default: cores / jobs, at least 1].
    pub threads: Option<usize>,
    /// What each is told.
    pub command: JobCommand,
}

/// What a `--jobs` run reports while it goes.
#[derive(Debug)]
pub enum JobEvent<'a> {
    /// The jobs start training the pilot (stage 1) of adaptive seeds: seeds `0..seeds`.
    Pilot {
        /// Seeds of the pilot.
        seeds: usize,
    },
    /// Stage 2 of adaptive seeds was decided from the merged pilot (saved as
    /// `adaptive.json`).
    Decided(&'a Decision),
    /// The jobs start round 1 of a learning-rate search: stage 1's grid.
    Grid,
    /// A learning-rate search decided its next round (saved as `lr_search.json`).
    Searched {
        /// The round to train next.
        round: usize,
        /// What was added: (sweep, cell, addition).
        additions: &'a [(String, String, Addition)],
    },
    /// The jobs of a stage start.
    Started {
        /// How many.
        count: usize,
        /// Backend threads of each.
        threads: usize,
        /// Where their logs are.
        jobs: PathBuf,
        /// The log they are merged into.
        log: PathBuf,
    },
    /// A line a job wrote (on its standard output or error).
    Output {
        /// The job, from 1.
        job: usize,
        /// Jobs in all.
        count: usize,
        /// The line.
        line: &'a str,
    },
    /// Something the merge of the job logs warns about.
    Warning(&'a str),
    /// The jobs stopped on request; what they finished is merged into `log`.
    Interrupted {
        /// The merged log.
        log: PathBuf,
    },
    /// Every job of a stage finished and their trials are merged.
    Done {
        /// Jobs in all.
        count: usize,
        /// Wall seconds of the stage.
        seconds: f64,
        /// Trials the merge added to the log.
        added: usize,
        /// The merged log.
        log: PathBuf,
    },
}

/// How a `--jobs` run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum JobsEnd {
    /// Every stage trained and merged: the experiment the report is about (the backend, and
    /// the data in the job logs).
    Done(Experiment),
    /// Stopped on request (exit code 130); a rerun resumes.
    Interrupted,
}

/// Runs `session` as `jobs` child processes on `backend` and merges their logs into the
/// session's run directory: an adaptive run's pilot, the decision here from the merged pilot,
/// then stage 2; a searched learning rate's rounds, each decided here; else the plan once.
/// Checks `stop` before every stage and passes it on to the jobs while they run.
pub fn run(
    session: &mut Session,
    backend: BackendKind,
    jobs: &Jobs,
    adaptive: Option<AdaptiveSeeds>,
    stop: &AtomicBool,
    mut on_event: impl FnMut(JobEvent),
) -> Result<JobsEnd> {
    let threads = jobs
        .threads
        .unwrap_or_else(|| (crate::backend::available_cores() / jobs.count).max(1));
    let mut run = JobRun {
        specs: (1..=jobs.count)
            .map(|i| {
                let dir = session.dir.job(i, jobs.count);
                let args = jobs.command.args(dir.path(), i, jobs.count, threads);
                (dir, args)
            })
            .collect(),
        threads,
        stop,
        on_event: &mut on_event,
    };
    let done = if !session.plan.searched(&session.study).is_empty() {
        run.search(session, backend)?
    } else if let Some(adaptive) = adaptive {
        run.adaptive(session, backend, adaptive)?
    } else {
        run.train(session, JobStage::All)?
    };
    Ok(if done {
        JobsEnd::Done(run.experiment(backend))
    } else {
        JobsEnd::Interrupted
    })
}

/// The jobs of one `--jobs` run, trained stage by stage.
struct JobRun<'a, F: FnMut(JobEvent)> {
    /// Each job's run directory and command line before its stage's flags.
    specs: Vec<(RunDir, Vec<OsString>)>,
    threads: usize,
    stop: &'a AtomicBool,
    on_event: &'a mut F,
}

impl<F: FnMut(JobEvent)> JobRun<'_, F> {
    /// The pilot in the jobs, the decision here from the merged pilot, then stage 2 in the
    /// jobs. False when interrupted.
    fn adaptive(
        &mut self,
        session: &Session,
        backend: BackendKind,
        adaptive: AdaptiveSeeds,
    ) -> Result<bool> {
        (self.on_event)(JobEvent::Pilot {
            seeds: adaptive.range.min,
        });
        if !self.train(session, JobStage::Pilot)? {
            return Ok(false);
        }
        let decision = session.decide_stage_two(&self.experiment(backend), adaptive)?;
        decision.save(session.dir.path())?;
        (self.on_event)(JobEvent::Decided(&decision));
        let dir = session.dir.path().to_path_buf();
        self.train(session, JobStage::StageTwo { decision: &dir })
    }

    /// A learning-rate search: the jobs train each round (stage 1's grid, then each decided
    /// round), and this process decides every next round from the merged log. False when
    /// interrupted.
    fn search(&mut self, session: &mut Session, backend: BackendKind) -> Result<bool> {
        let dir = session.dir.path().to_path_buf();
        (self.on_event)(JobEvent::Grid);
        let stage = |round| JobStage::SearchRound { round, state: &dir };
        if !self.train(session, stage(1))? {
            return Ok(false);
        }
        let experiment = self.experiment(backend);
        let mut state = SearchState::default();
        let (mut round, mut extending) = (1, true);
        for step in Step::sequence() {
            if step == Step::Extend && !extending {
                continue;
            }
            let additions = session.search_step(&experiment, &mut state, step, round + 1)?;
            if additions.is_empty() {
                extending &= step != Step::Extend;
                continue;
            }
            round += 1;
            (self.on_event)(JobEvent::Searched {
                round,
                additions: &additions,
            });
            if !self.train(session, stage(round))? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Runs the jobs on `stage` and merges their logs into the run directory. False when
    /// interrupted.
    fn train(&mut self, session: &Session, stage: JobStage) -> Result<bool> {
        let started = Instant::now();
        let count = self.specs.len();
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
            for (dir, _) in &self.specs {
                merge_with(&[out.path().to_path_buf()], dir.path(), &options)?;
            }
        }
        (self.on_event)(JobEvent::Started {
            count,
            threads: self.threads,
            jobs: out.jobs(),
            log: out.log(),
        });
        // Stopped before the jobs start: none starts (it would only be told to stop).
        let statuses = if self.stop.load(Ordering::SeqCst) {
            vec![Some(130); count]
        } else {
            self.spawn_and_wait(stage)?
        };
        drop(lock);
        // A job that failed before opening its log (a bad flag, say) has nothing to merge.
        let logged: Vec<PathBuf> = (self.specs.iter())
            .filter(|(dir, _)| dir.log().exists())
            .map(|(dir, _)| dir.path().to_path_buf())
            .collect();
        let merged = merge_with(&logged, out.path(), &options)?;
        for w in &merged.warnings {
            (self.on_event)(JobEvent::Warning(w));
        }
        check_statuses(&statuses, out)?;
        if statuses.contains(&Some(130)) || self.stop.load(Ordering::SeqCst) {
            (self.on_event)(JobEvent::Interrupted { log: out.log() });
            return Ok(false);
        }
        (self.on_event)(JobEvent::Done {
            count,
            seconds: started.elapsed().as_secs_f64(),
            added: merged.added,
            log: out.log(),
        });
        Ok(true)
    }

    /// Starts every job on `stage`, tells their output line by line and waits for them all
    /// (on our first interrupt, passing it on: a job then finishes its current group and
    /// stops). Returns each job's exit code (None: killed by a signal).
    fn spawn_and_wait(&mut self, stage: JobStage) -> Result<Vec<Option<i32>>> {
        let count = self.specs.len();
        let (lines, received) = channel();
        let mut children = Vec::with_capacity(count);
        let mut forwarders = Vec::new();
        for (i, (_, args)) in self.specs.iter().enumerate() {
            let mut args = args.clone();
            args.extend(stage.args());
            let (child, threads) = spawn(&args, i + 1, count, &lines)?;
            children.push(child);
            forwarders.extend(threads);
        }
        drop(lines);
        let statuses = self.wait(&mut children, &received);
        // Every job's last lines are out before the merge speaks.
        for (job, line) in received {
            (self.on_event)(JobEvent::Output {
                job,
                count,
                line: &line,
            });
        }
        for f in forwarders {
            let _ = f.join();
        }
        Ok(statuses)
    }

    /// Waits for every job, telling their lines as they come; on the first interrupt,
    /// passes it on. Returns each job's exit code (None: killed by a signal).
    fn wait(
        &mut self,
        children: &mut [Child],
        lines: &Receiver<(usize, String)>,
    ) -> Vec<Option<i32>> {
        let count = children.len();
        let mut statuses: Vec<Option<Option<i32>>> = vec![None; count];
        let mut forwarded = false;
        while statuses.iter().any(Option::is_none) {
            if self.stop.load(Ordering::SeqCst) && !forwarded {
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
            match lines.recv_timeout(Duration::from_millis(50)) {
                Ok((job, line)) => (self.on_event)(JobEvent::Output {
                    job,
                    count,
                    line: &line,
                }),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    std::thread::sleep(Duration::from_millis(50))
                }
            }
        }
        statuses
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect()
    }

    /// The experiment the jobs trained: the backend, and the data in their logs (the report
    /// and an adaptive run's pilot are about it).
    fn experiment(&self, backend: BackendKind) -> Experiment {
        Experiment {
            backend: Some(backend.to_string()),
            fingerprint: self.specs.iter().find_map(|(dir, _)| {
                let log = LogContents::read(&dir.log()).ok()?;
                log.records.last().map(|r| r.data.fingerprint.clone())
            }),
        }
    }
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

/// Starts job `index` of `count`: this program with `args`, each line of its output sent to
/// `lines` as `(index, line)`. On Linux a job dies with its parent, so no orphan keeps a job
/// log locked.
fn spawn(
    args: &[OsString],
    index: usize,
    count: usize,
    lines: &Sender<(usize, String)>,
) -> Result<(Child, Vec<JoinHandle<()>>)> {
    let exe = std::env::current_exe()
        .map_err(|e| Error::io("could not find this program to start the jobs", e))?;
    let mut cmd = Command::new(exe);
    cmd.args(args);
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
    let forwarders = [
        forward(child.stdout.take(), index, lines.clone()),
        forward(child.stderr.take(), index, lines.clone()),
    ];
    Ok((child, forwarders.into_iter().flatten().collect()))
}

/// Sends a child's output to `lines`, one line at a time, tagged with its job.
fn forward(
    stream: Option<impl Read + Send + 'static>,
    job: usize,
    lines: Sender<(usize, String)>,
) -> Option<JoinHandle<()>> {
    stream.map(|stream| {
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(|l| l.ok()) {
                if lines.send((job, line)).is_err() {
                    break;
                }
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--quick` alone trains one job per core; without `--quick`, as a job of a `--jobs` run,
    /// as a shard, with explicit threads or on CUDA it trains in one process.
    #[test]
    fn quick_defaults_to_one_job_per_core_on_the_cpu() {
        let quick = JobsDefault {
            quick: true,
            ..JobsDefault::default()
        };
        let cores = crate::backend::available_cores().min(QUICK_JOBS);
        assert_eq!(quick.jobs(), cores);
        let flex = JobsDefault {
            backend: Some("flex"),
            ..quick
        };
        assert_eq!(flex.jobs(), cores);
        for other in [
            JobsDefault::default(),
            JobsDefault {
                threads: true,
                ..quick
            },
            JobsDefault {
                shard: true,
                ..quick
            },
            JobsDefault { job: true, ..quick },
            JobsDefault {
                backend: Some("tch-cuda:0"),
                ..quick
            },
        ] {
            assert_eq!(other.jobs(), 1, "{other:?}");
        }
    }
}
