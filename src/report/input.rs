//! What a report reads: one or more run directories (their trial logs, and the study file and
//! plan options `trainbench run` saved next to them).

use crate::record::TrialRecord;
use crate::study::rundir::{RunMeta, STUDY_COPY};
use crate::study::{LOG_FILE, LogContents, Plan, Study, TrialKey};
use crate::{Error, Result};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Trials to report on, with the study layout they belong to.
pub struct RunInput {
    /// The study (from `--study` or the first directory's saved copy).
    pub study: Study,
    /// The plan of the first directory's latest run.
    pub plan: Plan,
    /// The records of the plan's configurations (quick or full, as the plan), each trial key
    /// once.
    pub records: Vec<TrialRecord>,
    /// Things the user should know (torn lines, records left out, mixed backends or data).
    pub warnings: Vec<String>,
}

impl RunInput {
    /// Prints the warnings to stderr and analyses the records over the plan's sweeps.
    pub fn report(&self, options: super::analysis::AnalysisOptions) -> super::Report {
        for w in &self.warnings {
            eprintln!("warning: {w}");
        }
        super::Report::build(
            &self.plan.study,
            &super::views(&self.study, &self.plan),
            &self.records,
            options,
        )
    }
}

/// Reads `dirs` (at least one). `study` overrides the saved study file.
pub fn read_runs(dirs: &[PathBuf], study: Option<&Path>) -> Result<RunInput> {
    let first = dirs
        .first()
        .ok_or_else(|| Error::Usage("report: give at least one run directory".into()))?;
    let study_path = study
        .map(Path::to_path_buf)
        .unwrap_or_else(|| first.join(STUDY_COPY));
    if !study_path.is_file() {
        return Err(Error::Usage(format!(
            "no study file at '{}': is '{}' a run directory? (or pass --study FILE)",
            study_path.display(),
            first.display()
        )));
    }
    let study = Study::load(&study_path)?;
    let options = RunMeta::load(first)?
        .map(|m| m.options())
        .unwrap_or_default();
    let plan = Plan::new(&study, &options)?;
    let mut warnings = Vec::new();
    let mut seen = HashSet::new();
    let mut records = Vec::new();
    let mut skipped = 0;
    for dir in dirs {
        let log = dir.join(LOG_FILE);
        if !log.is_file() {
            return Err(Error::Usage(format!("no trial log at '{}'", log.display())));
        }
        let contents = LogContents::read(&log)?;
        warnings.extend(contents.warnings(&log));
        for r in contents.records {
            let in_plan = r.quick == plan.quick
                && r.config_id
                    .as_deref()
                    .is_some_and(|id| plan.find(id).is_some());
            if !in_plan {
                skipped += 1;
            } else if seen.insert(TrialKey::of(&r)) {
                records.push(r);
            }
        }
    }
    if skipped > 0 {
        warnings.push(format!(
            "{skipped} record(s) left out: not in the plan of the latest run ({} mode, {} sweeps)",
            if plan.quick { "quick" } else { "full" },
            plan.sweeps.len()
        ));
    }
    let distinct = |f: fn(&TrialRecord) -> String| {
        let mut v: Vec<String> = records.iter().map(f).collect();
        v.sort();
        v.dedup();
        v
    };
    for (what, values) in [
        ("backends", distinct(|r| r.provenance.backend.clone())),
        (
            "data fingerprints",
            distinct(|r| r.data.fingerprint.clone()),
        ),
    ] {
        if values.len() > 1 {
            warnings.push(format!(
                "the trials mix {what} ({}): seeds of one configuration are pooled across them",
                values.join(", ")
            ));
        }
    }
    Ok(RunInput {
        study,
        plan,
        records,
        warnings,
    })
}
