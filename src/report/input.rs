//! What a report reads: one or more run directories (their trial logs, and the study file and
//! plan options `trainbench run` saved next to them).

use crate::record::TrialRecord;
pub use crate::study::experiment::Experiment;
use crate::study::experiment::{Membership, RunScope};
use crate::study::{Plan, Ready, RunDir, Study, TrialKey};
use crate::{Error, Result};
use std::collections::HashMap;
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
    /// The seed decision of an adaptive run (`--seeds MIN..MAX`), from the first directory.
    pub adaptive: Option<crate::study::adaptive::Decision>,
}

impl RunInput {
    /// Analyses the records over the plan's sweeps (the caller prints [`RunInput::warnings`]).
    pub fn report(&self, options: super::analysis::AnalysisOptions) -> super::Report {
        super::Report::build_with(
            &self.plan.name,
            &super::views(&self.study, &self.plan),
            &self.records,
            options,
            self.plan.quick_caveats(),
            self.adaptive.clone(),
        )
    }
}

/// Reads `dirs` (at least one), with the trials of `--jobs` slices not merged yet. `study`
/// overrides the saved study file; `experiment` picks one experiment when the logs hold
/// several (otherwise that is an error naming them).
pub fn read_runs(
    dirs: &[PathBuf],
    study: Option<&Path>,
    experiment: &Experiment,
) -> Result<RunInput> {
    let first = dirs
        .first()
        .ok_or_else(|| Error::Usage("report: give at least one run directory".into()))?;
    let (study, plan) = RunDir::new(first).load_plan(study, |_| {})?;
    let mut warnings = Vec::new();
    let mut records = Vec::new();
    for dir in dirs {
        let dir = RunDir::new(dir);
        let contents = dir.read_all()?;
        warnings.extend(contents.warnings(&dir.log()));
        records.extend(contents.records);
    }
    let mut input = RunInput::new(study, plan, records, experiment)?;
    input.adaptive = crate::study::adaptive::Decision::load(first)?;
    warnings.append(&mut input.warnings);
    input.warnings = warnings;
    Ok(input)
}

/// The report's input at the end of a run in this process: every trial of `ready`'s run,
/// without reading the log back, of its experiment (its backend and data), with the run
/// directory's adaptive decision.
pub fn of_run(ready: Ready) -> Result<RunInput> {
    let dir = ready.dir().clone();
    let experiment = ready.experiment();
    let (study, plan, records) = ready.into_trials();
    let mut input = RunInput::new(study, plan, records, &experiment)?;
    input.adaptive = crate::study::adaptive::Decision::load(dir.path())?;
    Ok(input)
}

impl RunInput {
    /// The records of `plan`'s configurations and seeds (quick or full, as the plan) among
    /// `records`, of one experiment (backend and data): `experiment` narrows them down, and
    /// if several remain that is a usage error listing them. Each trial key appears once;
    /// two records of one key with different results are an error.
    pub fn new(
        study: Study,
        plan: Plan,
        records: impl IntoIterator<Item = TrialRecord>,
        experiment: &Experiment,
    ) -> Result<RunInput> {
        let mut warnings = Vec::new();
        let mut kept: Vec<TrialRecord> = Vec::new();
        let mut index: HashMap<TrialKey, usize> = HashMap::new();
        let (mut skipped, mut other_experiment) = (0, 0);
        let scope = RunScope::new(&plan, experiment);
        for r in records {
            match scope.membership(&r) {
                Membership::OutsidePlan => {
                    skipped += 1;
                    continue;
                }
                Membership::OtherExperiment => {
                    other_experiment += 1;
                    continue;
                }
                Membership::Member => {}
            }
            let key = TrialKey::of(&r);
            match index.get(&key) {
                Some(&i) if !same_results(&kept[i], &r) => {
                    return Err(Error::Usage(format!(
                        "two records of {key} have different results: the logs were written \
                         by different code or machines; keep one (trainbench merge refuses \
                         such conflicts) or report them separately"
                    )));
                }
                Some(_) => {}
                None => {
                    index.insert(key, kept.len());
                    kept.push(r);
                }
            }
        }
        check_one_experiment(&kept)?;
        if skipped > 0 {
            warnings.push(format!(
                "{skipped} record(s) left out: not in the plan of the latest run ({} mode, {} \
                 sweeps, {} seeds)",
                if plan.quick { "quick" } else { "full" },
                plan.sweeps.len(),
                plan.seeds.len()
            ));
        }
        if other_experiment > 0 {
            warnings.push(format!(
                "{other_experiment} record(s) of another backend or data set left out of this \
                 report"
            ));
        }
        Ok(RunInput {
            study,
            plan,
            records: kept,
            warnings,
            adaptive: None,
        })
    }
}

/// An error when `records` come from more than one (backend, data) experiment.
fn check_one_experiment(records: &[TrialRecord]) -> Result<()> {
    let mut seen: Vec<((String, String), usize)> = Vec::new();
    for r in records {
        let key = (r.provenance.backend.clone(), r.data.fingerprint.clone());
        match seen.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => seen.push((key, 1)),
        }
    }
    if seen.len() <= 1 {
        return Ok(());
    }
    let list: Vec<String> = seen
        .iter()
        .map(|((b, f), n)| format!("backend {b} on data {f} ({n} trials)"))
        .collect();
    Err(Error::Usage(format!(
        "the logs hold several experiments — {} — and a report is about one: pick it with \
         --backend and/or --data-fingerprint",
        list.join("; ")
    )))
}

/// Results compared with JSON semantics, timings and machine aside (see `merge`).
fn same_results(a: &TrialRecord, b: &TrialRecord) -> bool {
    crate::study::merge::same_results(a, b)
}
