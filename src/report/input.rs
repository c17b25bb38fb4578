//! What a report reads: one or more run directories (their trial logs, and the study file and
//! plan options `trainbench run` saved next to them).

use crate::record::TrialRecord;
use crate::study::{Plan, RunDir, Study, TrialKey};
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
    /// Analyses the records over the plan's sweeps (the caller prints [`RunInput::warnings`]).
    pub fn report(&self, options: super::analysis::AnalysisOptions) -> super::Report {
        super::Report::build(
            &self.plan.name,
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
    let (study, plan) = RunDir::new(first).load_plan(study, |_| {})?;
    let mut warnings = Vec::new();
    let mut records = Vec::new();
    for dir in dirs {
        let dir = RunDir::new(dir);
        let contents = dir.read_log()?;
        warnings.extend(contents.warnings(&dir.log()));
        records.extend(contents.records);
    }
    let mut input = RunInput::new(study, plan, records);
    warnings.append(&mut input.warnings);
    input.warnings = warnings;
    Ok(input)
}

impl RunInput {
    /// The records of `plan`'s configurations (quick or full, as the plan) among `records`,
    /// each trial key once (the first wins), with warnings about what was left out or mixed.
    pub fn new(
        study: Study,
        plan: Plan,
        records: impl IntoIterator<Item = TrialRecord>,
    ) -> RunInput {
        let mut warnings = Vec::new();
        let mut seen = HashSet::new();
        let mut kept = Vec::new();
        let mut skipped = 0;
        for r in records {
            let in_plan = r.quick == plan.quick
                && r.config_id
                    .as_deref()
                    .is_some_and(|id| plan.find(id).is_some());
            if !in_plan {
                skipped += 1;
            } else if seen.insert(TrialKey::of(&r)) {
                kept.push(r);
            }
        }
        if skipped > 0 {
            warnings.push(format!(
                "{skipped} record(s) left out: not in the plan of the latest run ({} mode, {} \
                 sweeps)",
                if plan.quick { "quick" } else { "full" },
                plan.sweeps.len()
            ));
        }
        warnings.extend(mix_warnings(&kept));
        RunInput {
            study,
            plan,
            records: kept,
            warnings,
        }
    }
}

/// Warnings when `records` come from more than one backend or data set.
fn mix_warnings(records: &[TrialRecord]) -> Vec<String> {
    let distinct = |f: fn(&TrialRecord) -> String| {
        let mut v: Vec<String> = records.iter().map(f).collect();
        v.sort();
        v.dedup();
        v
    };
    let mut warnings = Vec::new();
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
    warnings
}
