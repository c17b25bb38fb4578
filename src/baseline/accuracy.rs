//! Accuracy baselines: the per-seed final metrics of a study run, saved as a reviewable file
//! (`baselines/<testbed>/<study>.json`) and compared with a fresh run of the same study.
//!
//! Given the seeds, training is deterministic on one backend and thread count, so an
//! unchanged tree reproduces the baseline exactly; a change that moves accuracy is judged by
//! the same rule as timings ([`super::compare`]): Welch's test on the per-seed test
//! accuracies, Holm across configurations, and a practical threshold in accuracy points.

use super::check::CheckResult;
use super::compare::{ChangeVerdict, Direction, Rule, Threshold, compare};
use super::fingerprint::Fingerprint;
use super::timing::validate_testbed;
use crate::record::TrialRecord;
use crate::stats::{Summary, summarize};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The `format` of accuracy baseline files.
pub const ACCURACY_FORMAT: &str = "trainbench-accuracy-baseline/1";

/// The final metrics of one seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedMetrics {
    /// Test accuracy (fraction; null if diverged).
    #[serde(with = "crate::jsonfloat")]
    pub test_acc: f64,
    /// Validation accuracy after the last epoch (null if diverged).
    #[serde(with = "crate::jsonfloat")]
    pub final_val_acc: f64,
    /// The trial diverged.
    pub diverged: bool,
}

/// One configuration: per-seed metrics and the summary of test accuracy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigAccuracy {
    /// Per seed (keys are seeds, as strings so the JSON stays an object).
    pub seeds: BTreeMap<String, SeedMetrics>,
    /// Test accuracy over the non-diverged seeds (95% t-CI).
    pub test_acc: Summary,
}

/// A saved accuracy baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccuracyBaseline {
    /// Always [`ACCURACY_FORMAT`].
    pub format: String,
    /// Testbed name (the folder under `baselines/`).
    pub testbed: String,
    /// Study name.
    pub study: String,
    /// A `--quick` run.
    pub quick: bool,
    /// When it was saved (UTC, RFC 3339).
    pub saved_at: String,
    /// Machine and software of the trials.
    pub fingerprint: Fingerprint,
    /// Fingerprint of the prepared data.
    pub data_fingerprint: String,
    /// Per configuration id.
    pub configs: BTreeMap<String, ConfigAccuracy>,
}

fn fingerprint_of(r: &TrialRecord) -> Fingerprint {
    let p = &r.provenance;
    Fingerprint {
        cpu: p.cpu.clone(),
        cores: p.cores,
        threads: p.threads,
        backends: vec![p.backend.clone()],
        os: p.os.clone(),
        trainbench_version: p.trainbench_version.clone(),
        git_sha: p.git_sha.clone(),
        burn_version: p.burn_version.clone(),
    }
}

impl AccuracyBaseline {
    /// A baseline of a study run's records (all from one backend, machine and data set).
    pub fn from_records(testbed: &str, records: &[TrialRecord]) -> Result<Self> {
        validate_testbed(testbed)?;
        let first = records
            .first()
            .ok_or_else(|| Error::Usage("no trial records to save".into()))?;
        let fingerprint = fingerprint_of(first);
        for r in records {
            let other = fingerprint_of(r);
            let diff = fingerprint.machine_differences(&other);
            if !diff.is_empty() || other.backends != fingerprint.backends {
                return Err(Error::Usage(format!(
                    "the log mixes machines or backends ({}): save one testbed's run",
                    diff.join("; ")
                )));
            }
            if r.data.fingerprint != first.data.fingerprint {
                return Err(Error::Usage("the log mixes data sets: save one run".into()));
            }
        }
        let mut configs: BTreeMap<String, ConfigAccuracy> = BTreeMap::new();
        for r in records {
            let id = r.config_id.clone().unwrap_or_else(|| "train".into());
            let entry = configs.entry(id).or_insert_with(|| ConfigAccuracy {
                seeds: BTreeMap::new(),
                test_acc: summarize(&[], 0.95),
            });
            entry.seeds.insert(
                r.outcome.seed.to_string(),
                SeedMetrics {
                    test_acc: r.outcome.test_acc,
                    final_val_acc: r.last_epoch().map(|e| e.val_acc).unwrap_or(f64::NAN),
                    diverged: r.diverged,
                },
            );
        }
        for c in configs.values_mut() {
            c.test_acc = summarize(&c.test_values(), 0.95);
        }
        let baseline = AccuracyBaseline {
            format: ACCURACY_FORMAT.to_string(),
            testbed: testbed.to_string(),
            study: first.study.clone().unwrap_or_default(),
            quick: first.quick,
            saved_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            fingerprint,
            data_fingerprint: first.data.fingerprint.clone(),
            configs,
        };
        baseline.validate()?;
        Ok(baseline)
    }

    /// Checks that the baseline can be compared: at least one configuration, each with at
    /// least one seed, and every accuracy a fraction in [0, 1] — or null (NaN) for a seed
    /// that diverged. The error ([`Error::Usage`]) names the configuration, seed and value.
    pub fn validate(&self) -> Result<()> {
        match self.problem() {
            Some(why) => Err(Error::Usage(why)),
            None => Ok(()),
        }
    }

    /// What makes the baseline unusable, if anything (see [`AccuracyBaseline::validate`]).
    fn problem(&self) -> Option<String> {
        if self.configs.is_empty() {
            return Some("no configurations: nothing to compare".into());
        }
        for (id, c) in &self.configs {
            if c.seeds.is_empty() {
                return Some(format!("configuration '{id}' has no seeds"));
            }
            for (seed, m) in &c.seeds {
                for (name, v) in [("test_acc", m.test_acc), ("final_val_acc", m.final_val_acc)] {
                    let why = if v.is_nan() {
                        if m.diverged {
                            continue;
                        }
                        format!("{name} is null, which only a diverged seed may have")
                    } else if (0.0..=1.0).contains(&v) {
                        continue;
                    } else {
                        format!("{name} = {v} is not an accuracy (must lie in [0, 1])")
                    };
                    return Some(format!("configuration '{id}', seed {seed}: {why}"));
                }
            }
        }
        None
    }

    /// Reads and validates a baseline file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::input(format!("could not read '{}'", path.display()), e))?;
        let b: AccuracyBaseline =
            serde_json::from_str(&text).map_err(|e| Error::data(path, e.to_string()))?;
        if b.format != ACCURACY_FORMAT {
            return Err(Error::data(
                path,
                format!("format '{}' is not '{ACCURACY_FORMAT}'", b.format),
            ));
        }
        if let Some(why) = b.problem() {
            return Err(Error::data(path, why));
        }
        Ok(b)
    }

    /// Writes the baseline (pretty JSON, sorted keys) to `path`, creating its folder.
    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::io(format!("could not create '{}'", dir.display()), e))?;
        }
        let mut text = serde_json::to_string_pretty(self).expect("a baseline serializes");
        text.push('\n');
        std::fs::write(path, text)
            .map_err(|e| Error::io(format!("could not write '{}'", path.display()), e))
    }
}

impl ConfigAccuracy {
    /// Test accuracies of the non-diverged seeds, in accuracy points (percent).
    pub fn test_points(&self) -> Vec<f64> {
        self.test_values().iter().map(|v| 100.0 * v).collect()
    }

    fn test_values(&self) -> Vec<f64> {
        self.seeds
            .values()
            .filter(|s| !s.diverged)
            .map(|s| s.test_acc)
            .collect()
    }
}

/// The rule for accuracy: lower is worse, `points` accuracy points matter.
pub fn accuracy_rule(points: f64, alpha: f64) -> Rule {
    Rule {
        direction: Direction::LowerIsWorse,
        threshold: Threshold::Absolute(points),
        alpha,
        ci_level: 0.95,
        resamples: 10_000,
        seed: 0,
    }
}

/// Compares a new run with the baseline. Invalid ([`Error::Usage`], exit 2): either side
/// failing [`AccuracyBaseline::validate`], another machine (unless allowed), another
/// backend, other data, or a baseline configuration missing from the new run.
pub fn check_accuracy(
    old: &AccuracyBaseline,
    new: &AccuracyBaseline,
    rule: &Rule,
    allow_different_machine: bool,
) -> Result<CheckResult> {
    for (side, baseline) in [("the baseline", old), ("the new run", new)] {
        baseline
            .validate()
            .map_err(|e| Error::Usage(format!("{side}: {e}")))?;
    }
    // Machine fields never invalidate an accuracy comparison (see `fingerprint`); backend,
    // data and quick/full do, below. `allow_different_machine` is accepted for symmetry with
    // the timing gate and changes nothing here.
    let _ = allow_different_machine;
    let notes = old.fingerprint.accuracy_notes(&new.fingerprint);
    if old.fingerprint.backends != new.fingerprint.backends {
        return Err(Error::Usage(format!(
            "backend {:?} in the baseline, {:?} in the new run",
            old.fingerprint.backends, new.fingerprint.backends
        )));
    }
    if old.data_fingerprint != new.data_fingerprint || old.quick != new.quick {
        return Err(Error::Usage(
            "the new run trained on other data (or another quick/full mode) than the baseline"
                .into(),
        ));
    }
    let missing: Vec<&str> = old
        .configs
        .keys()
        .filter(|id| !new.configs.contains_key(*id))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(Error::Usage(format!(
            "configurations of the baseline missing from the new run: {}",
            missing.join(", ")
        )));
    }
    let items = old
        .configs
        .iter()
        .map(|(id, o)| (id.as_str(), o.test_points(), new.configs[id].test_points()));
    let mut result = CheckResult {
        rows: compare(items, rule),
        notes,
    };
    mark_divergence(old, new, &mut result);
    Ok(result)
}

/// A configuration that diverges in more seeds than in the baseline has regressed, whatever
/// its surviving seeds say (training is deterministic per seed: an unchanged tree diverges in
/// exactly the same seeds).
fn mark_divergence(old: &AccuracyBaseline, new: &AccuracyBaseline, result: &mut CheckResult) {
    let diverged = |c: &ConfigAccuracy| c.seeds.values().filter(|s| s.diverged).count();
    for row in &mut result.rows {
        let (o, n) = (&old.configs[&row.id], &new.configs[&row.id]);
        let (before, after) = (diverged(o), diverged(n));
        if after > before {
            row.verdict = ChangeVerdict::Regressed;
            result.notes.push(format!(
                "{}: {after} of {} seeds diverged (baseline: {before} of {}) — regressed",
                row.id,
                n.seeds.len(),
                o.seeds.len()
            ));
        } else if after < before {
            result.notes.push(format!(
                "{}: {after} of {} seeds diverged (baseline: {before} of {})",
                row.id,
                n.seeds.len(),
                o.seeds.len()
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn baseline(seeds: &[(f64, f64, bool)]) -> AccuracyBaseline {
        let seeds: BTreeMap<String, SeedMetrics> = seeds
            .iter()
            .enumerate()
            .map(|(i, &(test_acc, final_val_acc, diverged))| {
                let m = SeedMetrics {
                    test_acc,
                    final_val_acc,
                    diverged,
                };
                (i.to_string(), m)
            })
            .collect();
        let mut configs = BTreeMap::new();
        if !seeds.is_empty() {
            let test_acc = summarize(&[], 0.95);
            configs.insert("lr=1e-3".to_string(), ConfigAccuracy { seeds, test_acc });
        }
        AccuracyBaseline {
            format: ACCURACY_FORMAT.into(),
            testbed: "box".into(),
            study: "s".into(),
            quick: false,
            saved_at: String::new(),
            fingerprint: Fingerprint::collect(vec!["flex".into()]),
            data_fingerprint: "abc".into(),
            configs,
        }
    }

    #[test]
    fn accuracies_outside_0_1_or_missing_are_refused() {
        let nan = f64::NAN;
        assert!(
            baseline(&[(0.6, 0.61, false), (nan, nan, true)])
                .validate()
                .is_ok()
        );
        for (seeds, needle) in [
            (&[][..], "no configurations"),
            (
                &[(1.5, 0.6, false)],
                "seed 0: test_acc = 1.5 is not an accuracy",
            ),
            (
                &[(0.5, 0.6, false), (0.5, -0.1, false)],
                "seed 1: final_val_acc = -0.1",
            ),
            (&[(nan, 0.6, false)], "seed 0: test_acc is null"),
            (&[(2.0, nan, true)], "seed 0: test_acc = 2"),
        ] {
            let e = baseline(seeds).validate().unwrap_err();
            assert_eq!(e.exit_code(), 2);
            assert!(e.to_string().contains(needle), "{e}");
        }
        let rule = accuracy_rule(1.0, 0.05);
        let good = baseline(&[(0.6, 0.61, false)]);
        let e = check_accuracy(&baseline(&[]), &good, &rule, false).unwrap_err();
        assert!(
            e.to_string().starts_with("the baseline: no configurations"),
            "{e}"
        );
    }
}
