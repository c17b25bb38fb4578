//! Checking a new timing run against a saved baseline: validity, then the comparison.

use super::compare::{Change, ChangeVerdict, Rule, compare};
use super::timing::TimingBaseline;
use crate::{Error, Result};

/// Options of a timing check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CheckOptions {
    /// The verdict rule (see [`Rule::timing`]).
    pub rule: Rule,
    /// Compare even if the machine fingerprints differ.
    pub allow_different_machine: bool,
    /// A baseline benchmark the new run did not measure makes the check invalid (else it is
    /// listed in [`CheckResult::not_measured`]).
    pub require_all: bool,
}

/// The result of a valid baseline check (timing or accuracy).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    /// One row per baseline item (benchmark or configuration), sorted by id.
    pub rows: Vec<Change>,
    /// Things the reader should know (version changes, extra benchmarks, allowed
    /// machine differences), one sentence each.
    pub notes: Vec<String>,
    /// Baseline items the new run did not measure (a filtered run), sorted; not compared.
    pub not_measured: Vec<String>,
}

impl CheckResult {
    /// The ids of the regressed items.
    pub fn regressed(&self) -> Vec<&str> {
        self.rows
            .iter()
            .filter(|r| r.verdict == ChangeVerdict::Regressed)
            .map(|r| r.id.as_str())
            .collect()
    }
}

/// Compares `new` with the baseline `old`.
///
/// The comparison is invalid — [`Error::Usage`], exit code 2 — when either side fails
/// [`TimingBaseline::validate`] (no benchmarks, an implausible time), when the machine
/// fingerprints differ (unless `allow_different_machine`), when the new run measured none of
/// the baseline's benchmarks, or, with `require_all`, when it missed any. Otherwise a
/// baseline benchmark the run did not measure (a filtered `cargo bench -- FILTER`) is listed
/// in [`CheckResult::not_measured`], and benchmarks only in the new run are not compared and
/// are listed in the notes.
pub fn check_timing(
    old: &TimingBaseline,
    new: &TimingBaseline,
    options: &CheckOptions,
) -> Result<CheckResult> {
    for (side, baseline) in [("the baseline", old), ("the new run", new)] {
        baseline
            .validate()
            .map_err(|e| Error::Usage(format!("{side}: {e}")))?;
    }
    let mut notes = old.fingerprint.comparable(
        &new.fingerprint,
        &old.testbed,
        options.allow_different_machine,
    )?;
    let missing: Vec<&str> = old
        .benchmarks
        .keys()
        .filter(|id| !new.benchmarks.contains_key(*id))
        .map(String::as_str)
        .collect();
    if missing.len() == old.benchmarks.len() || (options.require_all && !missing.is_empty()) {
        return Err(Error::Usage(format!(
            "{} of {} baseline benchmarks are missing from the new run{}: {} (run the full \
             bench, or save a new baseline)",
            missing.len(),
            old.benchmarks.len(),
            if options.require_all {
                " (--require-all)"
            } else {
                ""
            },
            missing.join(", ")
        )));
    }
    let extra: Vec<&str> = new
        .benchmarks
        .keys()
        .filter(|id| !old.benchmarks.contains_key(*id))
        .map(String::as_str)
        .collect();
    if !extra.is_empty() {
        notes.push(format!(
            "not in the baseline, not compared: {}",
            extra.join(", ")
        ));
    }
    let items = old.benchmarks.iter().filter_map(|(id, o)| {
        let n = new.benchmarks.get(id)?;
        Some((id.as_str(), o.samples_s.as_slice(), n.samples_s.as_slice()))
    });
    Ok(CheckResult {
        rows: compare(items, &options.rule),
        notes,
        not_measured: missing.into_iter().map(str::to_string).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::fingerprint::Fingerprint;
    use crate::baseline::timing::{BenchTiming, Estimate, TIMING_FORMAT};

    fn baseline(samples: &[f64]) -> TimingBaseline {
        let e = Estimate {
            estimate: 0.1,
            ci_low: 0.09,
            ci_high: 0.11,
            level: 0.95,
        };
        let mut benchmarks = std::collections::BTreeMap::new();
        if !samples.is_empty() {
            let b = BenchTiming {
                mean_s: e,
                median_s: e,
                throughput: None,
                samples_s: samples.to_vec(),
                git_sha: None,
            };
            benchmarks.insert("eval/flex/a".to_string(), b);
        }
        TimingBaseline {
            format: TIMING_FORMAT.into(),
            testbed: "box".into(),
            saved_at: String::new(),
            fingerprint: Fingerprint::collect(vec!["flex".into()]),
            ab_base: None,
            log: Vec::new(),
            benchmarks,
        }
    }

    #[test]
    fn an_empty_or_implausible_side_is_invalid_not_a_pass() {
        let options = CheckOptions {
            rule: Rule::timing(5.0, 0.05),
            allow_different_machine: false,
            require_all: false,
        };
        let good = baseline(&[0.1, 0.11, 0.09]);
        assert!(check_timing(&good, &good, &options).is_ok());
        let empty = baseline(&[]);
        let e = check_timing(&empty, &empty, &options).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.to_string().starts_with("the baseline: no benchmarks"),
            "{e}"
        );
        let e = check_timing(&good, &baseline(&[0.1, -1.0]), &options).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("the new run: benchmark 'eval/flex/a': samples_s[1] = -1"),
            "{e}"
        );
    }
}
