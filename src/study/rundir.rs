//! A run directory and every path in it: `trials.jsonl` (the log), `study.toml` (a copy of the
//! study file), `run.json` (the plan options of the latest run), `jobs/job-I-of-N/` (the
//! slices of a `--jobs` run) and the report files. [`RunDir::load_plan`] recomputes the plan
//! of the latest run, so `status` and `report` need not be told how the run was started.

use super::file::Study;
use super::log::{LOG_FILE, LogContents, TrialKey, TrialLog, log_exists};
use super::plan::{Plan, PlanOptions};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The copy of the study file in a run directory.
pub const STUDY_COPY: &str = "study.toml";
/// The plan options of the latest run in a run directory.
pub const RUN_META: &str = "run.json";
/// The folder of the job slices of a `--jobs` run.
pub const JOBS_DIR: &str = "jobs";

/// How the latest run in a directory was planned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunMeta {
    /// The study file it was started with.
    pub study_file: String,
    /// Seeds per configuration.
    pub seeds: usize,
    /// Quick mode.
    pub quick: bool,
    /// The selected sweeps (empty = all).
    pub sweeps: Vec<String>,
}

impl RunMeta {
    /// The plan options this run used.
    pub fn options(&self) -> PlanOptions {
        PlanOptions {
            seeds: Some(self.seeds),
            sweeps: self.sweeps.clone(),
            quick: self.quick,
        }
    }
}

/// A run directory (it need not exist yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunDir {
    path: PathBuf,
}

impl RunDir {
    /// The run directory at `path`.
    pub fn new(path: impl Into<PathBuf>) -> RunDir {
        RunDir { path: path.into() }
    }

    /// The default output directory of a study: `runs/<study>/`, or
    /// `runs/<study>/shard-I-of-N/` for a shard (so shards never share a log; merge them
    /// afterwards).
    pub fn default_for(study: &str, shard: Option<(usize, usize)>) -> RunDir {
        let base = Path::new("runs").join(study);
        RunDir::new(match shard {
            Some((i, n)) => base.join(format!("shard-{i}-of-{n}")),
            None => base,
        })
    }

    /// The directory itself.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `DIR/trials.jsonl`.
    pub fn log(&self) -> PathBuf {
        self.path.join(LOG_FILE)
    }

    /// `DIR/study.toml`.
    pub fn study_copy(&self) -> PathBuf {
        self.path.join(STUDY_COPY)
    }

    /// `DIR/run.json`.
    pub fn meta_path(&self) -> PathBuf {
        self.path.join(RUN_META)
    }

    /// `DIR/jobs/`.
    pub fn jobs(&self) -> PathBuf {
        self.path.join(JOBS_DIR)
    }

    /// The run directory of job `index` (1-based) of `count`: `DIR/jobs/job-I-of-N/`.
    pub fn job(&self, index: usize, count: usize) -> RunDir {
        RunDir::new(self.jobs().join(format!("job-{index}-of-{count}")))
    }

    /// Opens and locks the trial log for appending (creating the directory), with what it
    /// already holds.
    pub fn open_log(&self) -> Result<(TrialLog, LogContents)> {
        TrialLog::open(&self.path)
    }

    /// Reads the trial log (which must exist, as a regular file).
    pub fn read_log(&self) -> Result<LogContents> {
        let log = self.log();
        if !log_exists(&log)? {
            return Err(Error::Usage(format!("no trial log at '{}'", log.display())));
        }
        LogContents::read(&log)
    }

    /// The trial log with the unmerged trials of `--jobs` slices ([`RunDir::read_all`]), or an
    /// empty log when the directory has none yet; a log that is not a regular file is an error.
    pub fn read_all_if_any(&self) -> Result<LogContents> {
        if log_exists(&self.log())? {
            self.read_all()
        } else {
            Ok(LogContents::default())
        }
    }

    /// The run directories of the `--jobs` slices under `DIR/jobs/` that have a trial log.
    pub fn job_dirs(&self) -> Result<Vec<RunDir>> {
        let jobs = self.jobs();
        let entries = match std::fs::read_dir(&jobs) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(format!("could not list '{}'", jobs.display()), e)),
        };
        let mut dirs: Vec<RunDir> = entries
            .filter_map(|e| e.ok())
            .map(|e| RunDir::new(e.path()))
            .filter(|d| d.log().exists())
            .collect();
        dirs.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(dirs)
    }

    /// The trial log (which must exist) together with the trials of `--jobs` slices that
    /// were not merged into it yet (a `--jobs` run killed before its merge leaves them only
    /// in `DIR/jobs/*/`). A job's trial whose key is already in the log is not repeated.
    pub fn read_all(&self) -> Result<LogContents> {
        let mut contents = self.read_log()?;
        let mut keys: HashSet<TrialKey> = contents.records.iter().map(TrialKey::of).collect();
        for job in self.job_dirs()? {
            let c = LogContents::read(&job.log())?;
            for r in c.records {
                if keys.insert(TrialKey::of(&r)) {
                    contents.records.push(r);
                }
            }
        }
        Ok(contents)
    }

    /// Reads `DIR/run.json`, if present.
    pub fn load_meta(&self) -> Result<Option<RunMeta>> {
        let path = self.meta_path();
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| Error::data(&path, e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::input(
                format!("could not read '{}'", path.display()),
                e,
            )),
        }
    }

    /// Writes `DIR/run.json` and `DIR/study.toml` (`study_text`), each replaced whole.
    pub fn save_meta(&self, meta: &RunMeta, study_text: &str) -> Result<()> {
        let json = serde_json::to_string_pretty(meta).map_err(|e| Error::Other(e.to_string()))?;
        write_replace(&self.meta_path(), json.as_bytes())?;
        write_replace(&self.study_copy(), study_text.as_bytes())
    }

    /// The study (`study`, else the saved copy) and the plan of the latest run, with
    /// `adjust` applied to the saved plan options first (command-line overrides).
    pub fn load_plan(
        &self,
        study: Option<&Path>,
        adjust: impl FnOnce(&mut PlanOptions),
    ) -> Result<(Study, Plan)> {
        let study_path = study
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.study_copy());
        if !study_path.is_file() {
            return Err(Error::Usage(format!(
                "no study file at '{}': is '{}' a run directory? (or pass --study FILE)",
                study_path.display(),
                self.path.display()
            )));
        }
        let study = Study::load(&study_path)?;
        let mut options = self.load_meta()?.map(|m| m.options()).unwrap_or_default();
        adjust(&mut options);
        let mut plan = Plan::new(&study, &options)?;
        // What a learning-rate search added in later rounds.
        if let Some(state) = super::lr_search::SearchState::load(&self.path)? {
            plan.apply_search(&study, &state);
        }
        Ok((study, plan))
    }
}

pub use crate::jsonfile::write_replace;
