//! `merge`: the union of several trial logs into one, without duplicates and without
//! silently choosing between conflicting results.

use super::log::{LOG_FILE, LogContents, TrialKey, TrialLog};
use super::rundir::{RUN_META, STUDY_COPY};
use crate::record::TrialRecord;
use crate::{Error, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What a merge did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MergeReport {
    /// Records already in the output log.
    pub existing: usize,
    /// Records read from each input.
    pub read: Vec<(PathBuf, usize)>,
    /// Records appended to the output log.
    pub added: usize,
    /// Records dropped because the output already had the same trial with the same results.
    pub duplicates: usize,
    /// Problems found in the inputs (torn or unparseable lines), already skipped.
    pub warnings: Vec<String>,
}

/// A record with everything that may differ between two runs of the same trial (wall times,
/// provenance, replica grouping) blanked, for comparing results.
fn results_only(r: &TrialRecord) -> TrialRecord {
    let mut r = r.clone();
    r.outcome.total_seconds = 0.0;
    r.outcome.replicas = 0;
    for e in &mut r.outcome.epochs {
        e.train_seconds = 0.0;
        e.eval_seconds = 0.0;
    }
    r.provenance.started_at.clear();
    r.provenance.hostname.clear();
    r.provenance.cpu.clear();
    r.provenance.os.clear();
    r.provenance.cores = 0;
    r.provenance.threads = 0;
    r.provenance.device.clear();
    r.group = None;
    r
}

/// `p` as a log path: a directory means its `trials.jsonl`.
fn log_path(p: &Path) -> PathBuf {
    if p.is_dir() {
        p.join(LOG_FILE)
    } else {
        p.to_path_buf()
    }
}

/// True if two records of one trial have the same results (wall times, provenance and
/// replica grouping aside). Compared with JSON semantics, so a NaN metric equals a NaN metric.
pub fn same_results(a: &TrialRecord, b: &TrialRecord) -> bool {
    serde_json::to_value(results_only(a)).ok() == serde_json::to_value(results_only(b)).ok()
}

/// Merges the logs of `inputs` (run directories or `.jsonl` files) into `out/trials.jsonl`.
///
/// Trials are matched by key. A trial already present with the same results (timings and
/// machine aside) is a duplicate and is dropped; one with different results is a conflict:
/// the merge then writes nothing and fails, naming the keys. New trials are appended in
/// input order. `study.toml` / `run.json` are copied from the first input that has them when
/// `out` has none.
pub fn merge(inputs: &[PathBuf], out: &Path) -> Result<MergeReport> {
    let mut report = MergeReport::default();
    let (mut log, contents) = TrialLog::open(out)?;
    report.warnings.extend(contents.warnings(log.path()));
    report.existing = contents.records.len();
    let mut seen: HashMap<TrialKey, TrialRecord> = HashMap::new();
    for r in contents.records {
        seen.entry(TrialKey::of(&r)).or_insert(r);
    }
    let mut new: Vec<TrialRecord> = Vec::new();
    let mut conflicts: Vec<String> = Vec::new();
    for input in inputs {
        let path = log_path(input);
        if !path.exists() {
            return Err(Error::Usage(format!(
                "merge: '{}' has no trial log",
                input.display()
            )));
        }
        let c = LogContents::read(&path)?;
        report.warnings.extend(c.warnings(&path));
        report.read.push((input.clone(), c.records.len()));
        for r in c.records {
            let key = TrialKey::of(&r);
            match seen.get(&key) {
                Some(prev) if same_results(prev, &r) => report.duplicates += 1,
                Some(_) => conflicts.push(format!("{key} (in {})", input.display())),
                None => {
                    seen.insert(key, r.clone());
                    new.push(r);
                }
            }
        }
    }
    if !conflicts.is_empty() {
        let shown: Vec<&str> = conflicts.iter().take(5).map(String::as_str).collect();
        return Err(Error::Other(format!(
            "merge refused: {} trial(s) appear twice with different results, nothing was \
             written: {}{}",
            conflicts.len(),
            shown.join("; "),
            if conflicts.len() > 5 { "; ..." } else { "" }
        )));
    }
    for r in &new {
        log.append(r)?;
    }
    report.added = new.len();
    for name in [STUDY_COPY, RUN_META] {
        let target = out.join(name);
        if target.exists() {
            continue;
        }
        if let Some(src) = inputs.iter().map(|i| i.join(name)).find(|p| p.is_file()) {
            std::fs::copy(&src, &target)
                .map_err(|e| Error::io(format!("could not copy '{}'", src.display()), e))?;
        }
    }
    Ok(report)
}
