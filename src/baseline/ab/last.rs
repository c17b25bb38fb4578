//! The record every `baseline ab` run keeps of itself for `baseline accept`: the ratios it
//! measured and what it compared ([`LastAb`], `<target dir>/trainbench-ab/last-run.json`).

use super::AbRun;
use crate::baseline::compare::Direction;
use crate::baseline::log::{Measured, MeasuredChange};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The last `baseline ab` run of a checkout, as kept in
/// `<target dir>/trainbench-ab/last-run.json` for `baseline accept`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastAb {
    /// When it finished (UTC, RFC 3339).
    pub date: String,
    /// The base side's sha.
    pub base: String,
    /// The head side's sha.
    pub head: String,
    /// The head side was the working tree with uncommitted changes.
    pub head_dirty: bool,
    /// The ratios.
    pub measured: Measured,
}

/// The file of [`LastAb`] under the target directory.
pub const LAST_AB: &str = "trainbench-ab/last-run.json";

impl LastAb {
    /// The record of a finished `ab` run.
    pub fn of(run: &AbRun) -> LastAb {
        let dirty = if run.head.dirty {
            " + uncommitted changes"
        } else {
            ""
        };
        let date = now();
        LastAb {
            measured: Measured {
                by: format!(
                    "baseline ab, {} rounds, {} thread(s): base {} vs head {}{dirty}, {date}",
                    run.rounds,
                    run.threads,
                    &run.base.sha[..12],
                    &run.head.sha[..12],
                ),
                unit: "ratio".into(),
                changes: run
                    .result
                    .rows
                    .iter()
                    .map(|r| {
                        let verdict = r.verdict.label(Direction::HigherIsWorse);
                        MeasuredChange::new(&r.id, r.ratio, r.ci, verdict)
                    })
                    .collect(),
            },
            date,
            base: run.base.sha.clone(),
            head: run.head.sha.clone(),
            head_dirty: run.head.dirty,
        }
    }

    /// Writes the record under `target` (cargo's target directory).
    pub fn save(&self, target: &Path) -> Result<()> {
        let path = target.join(LAST_AB);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::io(format!("could not create '{}'", dir.display()), e))?;
        }
        let text = serde_json::to_string_pretty(self).map_err(|e| Error::Other(e.to_string()))?;
        std::fs::write(&path, text + "\n")
            .map_err(|e| Error::io(format!("could not write '{}'", path.display()), e))
    }

    /// The record under `target`, if an `ab` run left one.
    pub fn load(target: &Path) -> Result<Option<LastAb>> {
        crate::jsonfile::read_if_exists(&target.join(LAST_AB))
    }
}

/// Now, UTC, RFC 3339 to the second.
fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
