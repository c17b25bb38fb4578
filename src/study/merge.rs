//! `merge`: the union of several trial logs into one, without duplicates and without
//! silently choosing between conflicting results.
//!
//! Everything is checked before the output is created or opened: every input must exist
//! and be a trial log (a file with lines but not one trial record — a study file, say — is
//! refused), the trials must all belong to one study (the records' `study`, and the
//! output directory's `study.toml`) unless [`MergeOptions::allow_mixed_studies`], and no
//! trial may appear twice with different results. A refused merge creates nothing.

use super::log::{LOG_FILE, LogContents, TrialKey, TrialLog, log_exists};
use super::rundir::{RUN_META, STUDY_COPY};
use crate::record::TrialRecord;
use crate::{Error, Result};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Options of a merge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MergeOptions {
    /// Merge trials of different studies into one log (refused by default: a report of the
    /// result would put unrelated studies' configurations side by side).
    pub allow_mixed_studies: bool,
}

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

/// Merges the logs of `inputs` (run directories or `.jsonl` files) into `out/trials.jsonl`,
/// refusing logs of different studies; see [`merge_with`].
pub fn merge(inputs: &[PathBuf], out: &Path) -> Result<MergeReport> {
    merge_with(inputs, out, &MergeOptions::default())
}

/// The name in the study file `path`, if it is readable TOML with a `name`.
fn study_name(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let table: toml::Table = text.parse().ok()?;
    table.get("name")?.as_str().map(str::to_string)
}

/// Reads every input's log, checking first that each exists, then that each is a trial
/// log: [`Error::Usage`] naming the first that is not.
fn read_inputs(inputs: &[PathBuf]) -> Result<Vec<LogContents>> {
    for input in inputs {
        if !log_exists(&log_path(input))? {
            return Err(Error::Usage(if input.exists() {
                format!(
                    "merge: '{}' has no trial log ({LOG_FILE}); nothing was written",
                    input.display()
                )
            } else {
                format!(
                    "merge: '{}' does not exist; nothing was written",
                    input.display()
                )
            }));
        }
    }
    let mut all = Vec::with_capacity(inputs.len());
    for input in inputs {
        let path = log_path(input);
        let c = LogContents::read(&path)?;
        if c.records.is_empty() && !c.bad_lines.is_empty() {
            return Err(Error::Usage(format!(
                "merge: '{}' is not a trial log: none of its {} line(s) is a trial record; \
                 nothing was written",
                path.display(),
                c.bad_lines.len() + usize::from(c.torn_bytes.is_some())
            )));
        }
        all.push(c);
    }
    Ok(all)
}

/// Refuses (with one line naming each study and where it was found) trials of more than one
/// study: in the output's `study.toml`, its log, or the inputs.
fn check_one_study(
    out: &Path,
    existing: &LogContents,
    inputs: &[PathBuf],
    contents: &[LogContents],
) -> Result<()> {
    let mut studies: BTreeMap<String, String> = BTreeMap::new();
    let study_copy = out.join(STUDY_COPY);
    if let Some(name) = study_name(&study_copy) {
        studies.insert(name, study_copy.display().to_string());
    }
    let logs = std::iter::once((out.join(LOG_FILE), existing))
        .chain(inputs.iter().map(|i| i.to_path_buf()).zip(contents));
    for (place, c) in logs {
        for name in c.records.iter().filter_map(|r| r.study.as_ref()) {
            studies
                .entry(name.clone())
                .or_insert_with(|| place.display().to_string());
        }
    }
    if studies.len() > 1 {
        let list: Vec<String> = studies
            .iter()
            .map(|(name, place)| format!("'{name}' (in {place})"))
            .collect();
        return Err(Error::Usage(format!(
            "merge refused: trials of {} different studies would be mixed: {}; nothing was \
             written (pass --allow-mixed-studies to merge them anyway)",
            studies.len(),
            list.join(", ")
        )));
    }
    Ok(())
}

/// The records of `contents` (the logs of `inputs`) that `existing` lacks, in input order,
/// and how many are duplicates (the same trial with the same results); a trial that appears
/// twice with different results refuses the merge (naming up to 5 of them).
fn additions<'a>(
    existing: &[TrialRecord],
    inputs: &[PathBuf],
    contents: &'a [LogContents],
) -> Result<(Vec<&'a TrialRecord>, usize)> {
    let mut seen: HashMap<TrialKey, &TrialRecord> = HashMap::new();
    for r in existing {
        seen.entry(TrialKey::of(r)).or_insert(r);
    }
    let (mut new, mut duplicates, mut conflicts) = (Vec::new(), 0, Vec::new());
    for (input, c) in inputs.iter().zip(contents) {
        for r in &c.records {
            let key = TrialKey::of(r);
            match seen.get(&key) {
                Some(prev) if same_results(prev, r) => duplicates += 1,
                Some(_) => conflicts.push(format!("{key} (in {})", input.display())),
                None => {
                    seen.insert(key, r);
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
    Ok((new, duplicates))
}

/// Merges the logs of `inputs` (run directories or `.jsonl` files) into `out/trials.jsonl`.
///
/// First, before `out` is created or opened, every input must exist and be a trial log
/// (one with lines but no trial record is not), and — unless
/// [`MergeOptions::allow_mixed_studies`] — all trials (the inputs', those already in `out`,
/// and the study named by `out/study.toml`) must belong to one study; else
/// [`Error::Usage`] and nothing is written or created.
///
/// Trials are matched by key. A trial already present with the same results (timings and
/// machine aside) is a duplicate and is dropped; one with different results is a conflict:
/// the merge then writes nothing, creates nothing, and fails, naming the keys. New trials are appended in
/// input order. `study.toml` / `run.json` are copied from the first input that has them when
/// `out` has none.
pub fn merge_with(inputs: &[PathBuf], out: &Path, options: &MergeOptions) -> Result<MergeReport> {
    let inputs_read = read_inputs(inputs)?;
    let existing = LogContents::read(&out.join(LOG_FILE))?;
    if !options.allow_mixed_studies {
        check_one_study(out, &existing, inputs, &inputs_read)?;
    }
    // Conflicts refuse the merge before `out` is created or opened...
    additions(&existing.records, inputs, &inputs_read)?;
    let mut report = MergeReport::default();
    let (mut log, contents) = TrialLog::open(out)?;
    report.warnings.extend(contents.warnings(log.path()));
    report.existing = contents.records.len();
    // ...and again against the log as locked (a writer may have appended in between).
    let (new, duplicates) = additions(&contents.records, inputs, &inputs_read)?;
    for (input, c) in inputs.iter().zip(&inputs_read) {
        report.warnings.extend(c.warnings(&log_path(input)));
        report.read.push((input.clone(), c.records.len()));
    }
    report.duplicates = duplicates;
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

#[cfg(test)]
mod tests {
    use super::super::log::testing::{lines, record};
    use super::*;

    fn write_log(dir: &Path, name: &str, records: &[TrialRecord]) -> PathBuf {
        let d = dir.join(name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(LOG_FILE), lines(records)).unwrap();
        d
    }

    fn usage(r: Result<MergeReport>) -> String {
        match r {
            Err(e @ Error::Usage(_)) => e.to_string(),
            other => panic!("expected a usage error, got {other:?}"),
        }
    }

    #[test]
    fn inputs_are_checked_before_the_output_is_created() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let good = write_log(dir, "good", &[record(Some("s"), "a", 0, 0.5)]);
        let toml = dir.join("s.toml");
        std::fs::write(&toml, "name = \"s\"\n[[sweep]]\nname = \"x\"\n").unwrap();
        let out = dir.join("out");
        let msg = usage(merge(&[good.clone(), toml], &out));
        assert!(msg.contains("s.toml' is not a trial log"), "{msg}");
        assert!(msg.contains("none of its 3 line(s)"), "{msg}");
        let msg = usage(merge(&[good.clone(), dir.join("nowhere")], &out));
        assert!(msg.contains("nowhere' does not exist"), "{msg}");
        std::fs::create_dir(dir.join("empty")).unwrap();
        let msg = usage(merge(&[dir.join("empty"), good.clone()], &out));
        assert!(msg.contains("empty' has no trial log"), "{msg}");
        assert!(!out.exists());
        // An empty log, or one with some bad lines beside records, is still a log.
        std::fs::write(dir.join("empty").join(LOG_FILE), "").unwrap();
        let mut mixed = lines(&[record(Some("s"), "a", 1, 0.5)]);
        mixed.extend(b"garbage\n");
        std::fs::write(dir.join("mixed.jsonl"), mixed).unwrap();
        let report = merge(&[dir.join("empty"), good, dir.join("mixed.jsonl")], &out).unwrap();
        assert_eq!(report.added, 2);
        assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    }

    /// Issue 27, reproduction 9: a merge refused for conflicting results said "nothing was
    /// written" but had created `OUT/` with an empty trials.jsonl.
    #[test]
    fn a_merge_refused_for_conflicts_creates_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let a = write_log(dir, "a", &[record(Some("s"), "x", 0, 0.5)]);
        let b = write_log(dir, "b", &[record(Some("s"), "x", 0, 0.6)]);
        let out = dir.join("out");
        let e = merge(&[a.clone(), b.clone()], &out).unwrap_err();
        assert!(
            e.to_string()
                .contains("1 trial(s) appear twice with different results, nothing was written"),
            "{e}"
        );
        assert!(!out.exists(), "a refused merge created {}", out.display());
        // Into an existing log: refused the same way, the log untouched.
        let before = std::fs::read(a.join(LOG_FILE)).unwrap();
        assert!(merge(std::slice::from_ref(&b), &a).is_err());
        assert_eq!(std::fs::read(a.join(LOG_FILE)).unwrap(), before);
    }

    #[test]
    fn trials_of_different_studies_are_not_mixed_unless_allowed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let a = write_log(dir, "a", &[record(Some("alpha"), "x", 0, 0.5)]);
        let b = write_log(dir, "b", &[record(Some("beta"), "y", 0, 0.5)]);
        let out = dir.join("out");
        let msg = usage(merge(&[a.clone(), b.clone()], &out));
        assert!(
            msg.contains("'alpha' (in ") && msg.contains("'beta' (in "),
            "{msg}"
        );
        assert!(msg.contains("--allow-mixed-studies"), "{msg}");
        assert!(!out.exists());
        let allow = MergeOptions {
            allow_mixed_studies: true,
        };
        let report = merge_with(&[a.clone(), b.clone()], &out, &allow).unwrap();
        assert_eq!(report.added, 2);
        // Into a directory of another study: its log, or only its study.toml.
        let before = std::fs::read(b.join(LOG_FILE)).unwrap();
        let msg = usage(merge(std::slice::from_ref(&a), &b));
        assert!(msg.contains("'beta' (in "), "{msg}");
        assert_eq!(std::fs::read(b.join(LOG_FILE)).unwrap(), before);
        let c = dir.join("c");
        std::fs::create_dir(&c).unwrap();
        std::fs::write(c.join(STUDY_COPY), "name = \"beta\"\n").unwrap();
        let msg = usage(merge(std::slice::from_ref(&a), &c));
        assert!(
            msg.contains("'beta' (in ") && msg.contains("study.toml"),
            "{msg}"
        );
        assert!(!c.join(LOG_FILE).exists());
        // Records without a study (from `train`) mix with any.
        let none = write_log(dir, "none", &[record(None, "z", 0, 0.5)]);
        assert_eq!(merge(&[a, none], &dir.join("d")).unwrap().added, 2);
    }
}
