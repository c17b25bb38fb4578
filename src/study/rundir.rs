//! A run directory: `trials.jsonl` (the log), plus `study.toml` (a copy of the study file)
//! and `run.json` (the plan options of the latest run), so `trainbench status DIR` can
//! recompute the plan without being told how the run was started.

use super::plan::PlanOptions;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The copy of the study file in a run directory.
pub const STUDY_COPY: &str = "study.toml";
/// The plan options of the latest run in a run directory.
pub const RUN_META: &str = "run.json";

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

    /// Reads `dir/run.json`, if present.
    pub fn load(dir: &Path) -> Result<Option<RunMeta>> {
        let path = dir.join(RUN_META);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| Error::Other(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(format!("could not read '{}'", path.display()), e)),
        }
    }

    /// Writes `dir/run.json` and `dir/study.toml` (`study_text`), each replaced whole.
    pub fn save(&self, dir: &Path, study_text: &str) -> Result<()> {
        let json = serde_json::to_string_pretty(self).map_err(|e| Error::Other(e.to_string()))?;
        write_replace(&dir.join(RUN_META), json.as_bytes())?;
        write_replace(&dir.join(STUDY_COPY), study_text.as_bytes())
    }
}

/// Writes `path` via a temporary file and a rename, so readers never see half a file.
pub fn write_replace(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| Error::io(format!("could not write '{}'", path.display()), e))
}

/// The default output directory: `runs/<study>/`, or `runs/<study>/shard-I-of-N/` for a
/// shard (so shards never share a log; merge them afterwards).
pub fn default_out(study: &str, shard: Option<(usize, usize)>) -> PathBuf {
    let base = Path::new("runs").join(study);
    match shard {
        Some((i, n)) => base.join(format!("shard-{i}-of-{n}")),
        None => base,
    }
}
