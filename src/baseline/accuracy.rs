//! Accuracy baselines: the per-seed final metrics of a study run, saved as a reviewable file
//! (`baselines/<testbed>/<study>.json`) and compared with a fresh run of the same study.
//!
//! Given the seeds, training is deterministic on one backend and thread count, so an
//! unchanged tree reproduces the baseline exactly. A change is judged per configuration on
//! the per-seed test accuracies, **paired by seed** on the seeds both runs have (a changed
//! trainer still starts each seed from the same weights and batches) and by Welch only when
//! they share fewer than two, against an **equivalence margin** δ: the Bonferroni-adjusted CI of new − old
//! says `regressed` (below −δ), `equivalent` (inside ±δ), `improved` (above +δ) or
//! `inconclusive`, with the minimum detectable regression and, when inconclusive, the seeds
//! a decision would need ([`check_accuracy`]; docs/baselines.md).

use super::fingerprint::Fingerprint;
use super::timing::validate_testbed;
use crate::record::TrialRecord;
use crate::stats::power::{Design, Sides};
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
    /// Changes accepted with `baseline accept --accuracy`, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<super::log::Accepted>,
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
            log: Vec::new(),
            configs,
        };
        baseline.validate()?;
        Ok(baseline)
    }

    /// Checks that the baseline can be compared: at least one configuration, each with at
    /// least one seed, every seed key a seed (a non-negative integer, written plainly), and
    /// every accuracy a fraction in [0, 1] — or null (NaN) for a seed that diverged. The
    /// error ([`Error::Usage`]) names the configuration, seed and value.
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
                if seed.parse::<u64>().map(|n| n.to_string()) != Ok(seed.clone()) {
                    return Some(format!(
                        "configuration '{id}': seed key '{seed}' is not a seed (a non-negative \
                         integer such as \"0\")"
                    ));
                }
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

/// How a configuration's accuracy compares with its baseline, against the margin δ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccuracyVerdict {
    /// The adjusted CI of new − old lies entirely below −δ (or more seeds diverged).
    Regressed,
    /// The adjusted CI lies inside (−δ, +δ): equal within the margin (TOST).
    Equivalent,
    /// The adjusted CI lies entirely above +δ.
    Improved,
    /// Anything else: the data cannot tell (too few seeds, too much variance, or a change
    /// of about δ).
    Inconclusive,
}

impl AccuracyVerdict {
    /// The word in tables.
    pub fn word(self) -> &'static str {
        match self {
            AccuracyVerdict::Regressed => "regressed",
            AccuracyVerdict::Equivalent => "equivalent",
            AccuracyVerdict::Improved => "improved",
            AccuracyVerdict::Inconclusive => "inconclusive",
        }
    }
}

/// One configuration of an accuracy check; accuracies in points (percent).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccuracyRow {
    /// Configuration id.
    pub id: String,
    /// `paired` (by seed: the seeds both runs have and kept) or `welch` (fewer than two seeds
    /// in common).
    pub design: &'static str,
    /// Seeds used from the baseline.
    pub n_old: usize,
    /// Seeds used from the new run.
    pub n_new: usize,
    /// Mean test accuracy of the baseline's seeds used.
    pub old_mean: f64,
    /// Mean test accuracy of the new run's seeds used.
    pub new_mean: f64,
    /// new − old (mean of the paired differences, or difference of the means).
    pub diff: f64,
    /// The adjusted confidence interval of `diff` (level in [`AccuracyCheck::ci_level`]).
    pub ci: (f64, f64),
    /// The minimum detectable regression: the smallest true drop the one-sided test at the
    /// adjusted level detects with 80% power, from the observed SD and seeds.
    pub mde: f64,
    /// The design of [`AccuracyRow::mde`]: the row's own, except that paired differences with
    /// SD 0 (an unchanged tree reproduces every seed exactly, so the paired MDE is 0) fall back
    /// to `welch` on the seeds' own spread: what a change that reshuffles the per-seed
    /// outcomes could still hide.
    pub mde_design: &'static str,
    /// Seeds (pairs, or per side) that would make the CI half-width δ at the observed SD,
    /// for an inconclusive row; `None` otherwise or when the SD is 0.
    pub seeds_needed: Option<usize>,
    /// The verdict.
    pub verdict: AccuracyVerdict,
}

/// The result of `check-accuracy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccuracyCheck {
    /// One row per baseline configuration.
    pub rows: Vec<AccuracyRow>,
    /// Notes (machine differences, diverged seeds).
    pub notes: Vec<String>,
    /// The equivalence margin δ, in points.
    pub margin: f64,
    /// Family-wise error rate.
    pub alpha: f64,
    /// Configurations in the family: every configuration compared (one per row; a row with
    /// too few seeds for an interval claims nothing, but is counted).
    pub family: usize,
    /// Two-sided level of every CI: `1 − 2α/m` (Bonferroni over the `m` configurations), so
    /// each one-sided claim (below −δ, above +δ, inside ±δ by TOST) errs with probability at
    /// most `α/m`, and any false claim in the family with probability at most `α`.
    pub ci_level: f64,
}

impl AccuracyCheck {
    /// Ids with the given verdict.
    pub fn with(&self, verdict: AccuracyVerdict) -> Vec<String> {
        self.rows
            .iter()
            .filter(|r| r.verdict == verdict)
            .map(|r| r.id.clone())
            .collect()
    }

    /// What this check of a run against the baseline file `against` means for a gate: the
    /// regressed configurations fail it, and the inconclusive ones fail it when `strict`,
    /// else are a note.
    pub fn gate(&self, against: &Path, strict: bool) -> AccuracyGate {
        let regressed = self.with(AccuracyVerdict::Regressed);
        let inconclusive = self.with(AccuracyVerdict::Inconclusive);
        let n = self.rows.len();
        let mut gate = AccuracyGate::default();
        if !regressed.is_empty() {
            gate.failures.push(format!(
                "{} of {n} configurations regressed against '{}' (CI below −{} points): {}",
                regressed.len(),
                against.display(),
                self.margin,
                regressed.join(", ")
            ));
        }
        if !inconclusive.is_empty() {
            let line = format!(
                "{} of {n} configurations inconclusive (CI not decided against ±{} points; more \
                 seeds decide it, see the table): {}",
                inconclusive.len(),
                self.margin,
                inconclusive.join(", ")
            );
            if strict {
                gate.failures.push(format!("{line} (--strict)"));
            } else {
                gate.notes.push(line);
            }
        }
        gate
    }
}

/// What an accuracy check means for a gate ([`AccuracyCheck::gate`]), one line each.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccuracyGate {
    /// Why the gate fails (none: it passes).
    pub failures: Vec<String>,
    /// What the reader should know either way.
    pub notes: Vec<String>,
}

/// Power used for the minimum detectable effect.
pub const MDE_POWER: f64 = 0.8;

/// Seeds at which the CI half-width reaches `margin`: pairs (paired, SD of the
/// differences `sd`) or per side (welch, `sd` the root mean square of the two SDs).
fn seeds_needed(design: &str, sd: f64, margin: f64, one_sided_alpha: f64) -> Option<usize> {
    if !(sd > 0.0 && margin > 0.0) {
        return None;
    }
    (2..=100_000).find(|&n| {
        let d = if design == "paired" {
            Design::paired(sd, n)
        } else {
            Design::welch(sd, n, sd, n)
        };
        d.ci_half_width(1.0 - 2.0 * one_sided_alpha) <= margin
    })
}

/// Compares a new run with the baseline, configuration by configuration, on test accuracy
/// (points), with the equivalence margin `margin` points and family-wise level `alpha` (see
/// docs/baselines.md, "Accuracy verdicts"). Invalid ([`Error::Usage`], exit 2): either side
/// failing [`AccuracyBaseline::validate`], another study, another backend, other data or
/// quick/full mode, or a baseline configuration missing from the new run. Machine fields are
/// notes only.
pub fn check_accuracy(
    old: &AccuracyBaseline,
    new: &AccuracyBaseline,
    margin: f64,
    alpha: f64,
) -> Result<AccuracyCheck> {
    for (side, baseline) in [("the baseline", old), ("the new run", new)] {
        baseline
            .validate()
            .map_err(|e| Error::Usage(format!("{side}: {e}")))?;
    }
    if old.study != new.study {
        return Err(Error::Usage(format!(
            "the baseline is of study '{}', the new run of study '{}': compare a run of the \
             baseline's study",
            old.study, new.study
        )));
    }
    let mut notes = old.fingerprint.accuracy_notes(&new.fingerprint);
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
    let designs: Vec<(&String, &'static str, Vec<f64>, Vec<f64>)> = old
        .configs
        .iter()
        .map(|(id, o)| {
            let n = &new.configs[id];
            let (design, a, b) = samples(o, n);
            if design == "paired" && !o.seeds.keys().eq(n.seeds.keys()) {
                notes.push(format!(
                    "{id}: paired on the {} seeds both runs have (baseline {}, new run {})",
                    shared_seeds(o, n).len(),
                    o.seeds.len(),
                    n.seeds.len()
                ));
            }
            (id, design, a, b)
        })
        .collect();
    let family = designs.len().max(1);
    let one_sided = alpha / family as f64;
    let ci_level = 1.0 - 2.0 * one_sided;
    let rows = designs
        .into_iter()
        .map(|(id, design, a, b)| row(id, design, &a, &b, margin, one_sided))
        .collect();
    let mut result = AccuracyCheck {
        rows,
        notes,
        margin,
        alpha,
        family,
        ci_level,
    };
    mark_divergence(old, new, &mut result);
    Ok(result)
}

/// The seeds both runs have, with their metrics (baseline, new run).
fn shared_seeds<'a>(
    o: &'a ConfigAccuracy,
    n: &'a ConfigAccuracy,
) -> Vec<(&'a SeedMetrics, &'a SeedMetrics)> {
    o.seeds
        .iter()
        .filter_map(|(seed, om)| n.seeds.get(seed).map(|nm| (om, nm)))
        .collect()
}

/// The two samples of a configuration, in points: paired by seed on the seeds both runs
/// have (non-diverged in both) when they share at least two (a 20-seed baseline and a 5-seed
/// run are paired on the 5), else all non-diverged seeds of each (Welch).
fn samples(o: &ConfigAccuracy, n: &ConfigAccuracy) -> (&'static str, Vec<f64>, Vec<f64>) {
    let shared = shared_seeds(o, n);
    if shared.len() >= 2 {
        let (a, b) = shared
            .iter()
            .filter(|(om, nm)| !om.diverged && !nm.diverged)
            .map(|(om, nm)| (100.0 * om.test_acc, 100.0 * nm.test_acc))
            .unzip();
        ("paired", a, b)
    } else {
        ("welch", o.test_points(), n.test_points())
    }
}

/// One configuration's row: `old` and `new` in points (paired: same order).
fn row(
    id: &str,
    design: &'static str,
    old: &[f64],
    new: &[f64],
    margin: f64,
    one_sided: f64,
) -> AccuracyRow {
    let (mo, mn) = (crate::stats::mean(old), crate::stats::mean(new));
    let sd = |xs: &[f64]| crate::stats::sample_variance(xs).sqrt();
    let (d, sd_eff) = if design == "paired" {
        let diffs: Vec<f64> = new.iter().zip(old).map(|(n, o)| n - o).collect();
        (Design::paired(sd(&diffs), diffs.len()), sd(&diffs))
    } else {
        let (so, sn) = (sd(old), sd(new));
        let rms = ((so * so + sn * sn) / 2.0).sqrt();
        (Design::welch(sn, new.len(), so, old.len()), rms)
    };
    let diff = mn - mo;
    let half = d.ci_half_width(1.0 - 2.0 * one_sided);
    let (mde, mde_design) = if design == "paired" && d.se == 0.0 {
        let w = Design::welch(sd(new), new.len(), sd(old), old.len());
        (w.mde(one_sided, MDE_POWER, Sides::One), "welch")
    } else {
        (d.mde(one_sided, MDE_POWER, Sides::One), design)
    };
    let ci = (diff - half, diff + half);
    let verdict = if half.is_nan() {
        AccuracyVerdict::Inconclusive // fewer than 2 seeds: no interval
    } else if ci.1 < -margin {
        AccuracyVerdict::Regressed
    } else if ci.0 > margin {
        AccuracyVerdict::Improved
    } else if ci.0 > -margin && ci.1 < margin {
        AccuracyVerdict::Equivalent
    } else {
        AccuracyVerdict::Inconclusive
    };
    AccuracyRow {
        id: id.to_string(),
        design,
        n_old: old.len(),
        n_new: new.len(),
        old_mean: mo,
        new_mean: mn,
        diff,
        ci,
        mde,
        mde_design,
        seeds_needed: if verdict == AccuracyVerdict::Inconclusive {
            seeds_needed(design, sd_eff, margin, one_sided)
        } else {
            None
        },
        verdict,
    }
}

/// A configuration that diverges in more seeds than in the baseline has regressed, whatever
/// its surviving seeds say (training is deterministic per seed: an unchanged tree diverges in
/// exactly the same seeds). Counted on the seeds both runs have when the row is paired.
fn mark_divergence(old: &AccuracyBaseline, new: &AccuracyBaseline, result: &mut AccuracyCheck) {
    for row in &mut result.rows {
        let (o, n) = (&old.configs[&row.id], &new.configs[&row.id]);
        // (diverged, seeds) of the baseline and of the new run.
        let ((before, of_old), (after, of_new)) = if row.design == "paired" {
            let shared = shared_seeds(o, n);
            let count = |f: fn(&(&SeedMetrics, &SeedMetrics)) -> bool| {
                (shared.iter().filter(|p| f(p)).count(), shared.len())
            };
            (count(|p| p.0.diverged), count(|p| p.1.diverged))
        } else {
            let count = |c: &ConfigAccuracy| {
                (
                    c.seeds.values().filter(|s| s.diverged).count(),
                    c.seeds.len(),
                )
            };
            (count(o), count(n))
        };
        if after > before {
            row.verdict = AccuracyVerdict::Regressed;
            row.seeds_needed = None;
            result.notes.push(format!(
                "{}: {after} of {of_new} seeds diverged (baseline: {before} of {of_old}) — \
                 regressed",
                row.id
            ));
        } else if after < before {
            result.notes.push(format!(
                "{}: {after} of {of_new} seeds diverged (baseline: {before} of {of_old})",
                row.id
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
            log: Vec::new(),
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
        let good = baseline(&[(0.6, 0.61, false)]);
        let e = check_accuracy(&baseline(&[]), &good, 1.0, 0.05).unwrap_err();
        assert!(
            e.to_string().starts_with("the baseline: no configurations"),
            "{e}"
        );
    }

    /// A baseline of one configuration with the given test accuracies (points) per seed.
    fn run(points: &[f64]) -> AccuracyBaseline {
        let seeds: Vec<(f64, f64, bool)> = points.iter().map(|p| (p / 100.0, 0.5, false)).collect();
        baseline(&seeds)
    }

    fn verdict(old: &[f64], new: &[f64]) -> AccuracyRow {
        check_accuracy(&run(old), &run(new), 1.0, 0.05)
            .unwrap()
            .rows[0]
            .clone()
    }

    #[test]
    fn paired_verdicts_against_the_margin() {
        let base = [60.0, 64.0, 58.0, 70.0, 66.0];
        // Identical: differences of exactly 0 → equivalent; the MDE falls back to the seeds'
        // own spread (unpaired), not a meaningless 0.
        let same = verdict(&base, &base);
        assert_eq!(same.verdict, AccuracyVerdict::Equivalent);
        assert_eq!((same.design, same.mde_design), ("paired", "welch"));
        assert!(same.mde > 1.0, "{}", same.mde);
        // Every seed 2 points lower → regressed; 5 points higher → improved.
        let lower: Vec<f64> = base.iter().map(|x| x - 2.0).collect();
        assert_eq!(verdict(&base, &lower).verdict, AccuracyVerdict::Regressed);
        let higher: Vec<f64> = base.iter().map(|x| x + 5.0).collect();
        assert_eq!(verdict(&base, &higher).verdict, AccuracyVerdict::Improved);
        // Small paired noise well inside ±1 → equivalent.
        let close = [60.1, 63.9, 58.2, 69.9, 66.0];
        assert_eq!(verdict(&base, &close).verdict, AccuracyVerdict::Equivalent);
        // Seeds moving ±6 points: the CI spans the margin → inconclusive, with the seeds a
        // CI half-width of 1 point would need at that SD.
        let noisy = [66.0, 58.0, 64.0, 64.0, 60.0];
        let r = verdict(&base, &noisy);
        assert_eq!(r.verdict, AccuracyVerdict::Inconclusive);
        let n = r.seeds_needed.unwrap();
        assert!(n > 100, "{n}");
        assert!(r.mde > 5.0 && r.mde.is_finite());
    }

    /// The paired CI is the t interval of the differences at level 1 − 2α/m: with one
    /// configuration and α = 0.05, the 90% interval. scipy 1.17.1:
    /// `d = [-1.2, 0.4, -0.6, -0.9, 0.1]; stats.t.interval(0.90, 4, loc=np.mean(d),
    /// scale=stats.sem(d))` = (−1.08168, 0.20168).
    #[test]
    fn paired_interval_matches_scipy() {
        let old = [60.0, 64.0, 58.0, 70.0, 66.0];
        let d = [-1.2, 0.4, -0.6, -0.9, 0.1];
        let new: Vec<f64> = old.iter().zip(d).map(|(o, d)| o + d).collect();
        let r = verdict(&old, &new);
        assert!(
            (r.ci.0 - -1.08168).abs() < 1e-4 && (r.ci.1 - 0.20168).abs() < 1e-4,
            "{:?}",
            r.ci
        );
        assert_eq!(r.verdict, AccuracyVerdict::Inconclusive);
    }

    /// A baseline of configuration `lr=1e-3` with test accuracies (points) by seed key.
    fn keyed(seeds: &[(&str, f64)]) -> AccuracyBaseline {
        let mut b = run(&[50.0]);
        let c = b.configs.values_mut().next().unwrap();
        c.seeds = seeds
            .iter()
            .map(|&(k, p)| {
                let m = SeedMetrics {
                    test_acc: p / 100.0,
                    final_val_acc: 0.5,
                    diverged: false,
                };
                (k.to_string(), m)
            })
            .collect();
        b
    }

    /// Issue 27, reproduction 8: a 20-seed baseline against a 5-seed run was compared by
    /// Welch on all seeds; it is paired on the 5 seeds both have (and says so). Runs with
    /// fewer than two seeds in common are compared by Welch.
    #[test]
    fn shared_seeds_are_paired_and_disjoint_ones_compared_by_welch() {
        let keys: Vec<String> = (0..20).map(|i| i.to_string()).collect();
        let points = |i: usize| 55.0 + ((i * 7) % 11) as f64;
        let old: Vec<(&str, f64)> = (0..20).map(|i| (keys[i].as_str(), points(i))).collect();
        let new: Vec<(&str, f64)> = (0..5)
            .map(|i| (keys[i].as_str(), points(i) + 0.1 * (i % 2) as f64))
            .collect();
        let check = check_accuracy(&keyed(&old), &keyed(&new), 1.0, 0.05).unwrap();
        let r = &check.rows[0];
        assert_eq!((r.design, r.n_old, r.n_new), ("paired", 5, 5));
        // The spread of the seeds is ±5 points, of the pairs 0.05: paired, this decides.
        assert_eq!(r.verdict, AccuracyVerdict::Equivalent, "{r:?}");
        assert!(
            check.notes.iter().any(
                |n| n.contains("paired on the 5 seeds both runs have (baseline 20, new run 5)")
            ),
            "{:?}",
            check.notes
        );
        let other: Vec<(&str, f64)> = (10..13).map(|i| (keys[i].as_str(), points(i))).collect();
        let r = &check_accuracy(&keyed(&old[..3]), &keyed(&other), 1.0, 0.05)
            .unwrap()
            .rows[0];
        assert_eq!((r.design, r.n_old, r.n_new), ("welch", 3, 3));
    }

    /// Issue 27, reproduction 8: a baseline of another study was compared (and called
    /// `equivalent`), and seed keys "abc" or "-1" were accepted.
    #[test]
    fn another_study_and_keys_that_are_not_seeds_are_refused() {
        let base = run(&[60.0, 64.0, 58.0]);
        let mut lab1 = base.clone();
        lab1.study = "lab1".into();
        let e = check_accuracy(&base, &lab1, 1.0, 0.05).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.to_string()
                .contains("the baseline is of study 's', the new run of study 'lab1'"),
            "{e}"
        );
        for key in ["abc", "-1", "01", "+2", " 3", ""] {
            let e = keyed(&[("0", 60.0), (key, 61.0)]).validate().unwrap_err();
            assert_eq!(e.exit_code(), 2);
            assert!(
                e.to_string()
                    .contains(&format!("seed key '{key}' is not a seed")),
                "{e}"
            );
        }
    }

    /// Issue 27, reproduction 8: m counted only the rows with an interval (m=1 with 5
    /// configurations compared); it is every configuration compared.
    #[test]
    fn m_is_every_configuration_compared() {
        let mut old = run(&[60.0, 64.0, 58.0]);
        let mut new = old.clone();
        let mut one = old.configs["lr=1e-3"].clone();
        old.configs.insert("lr=1e-2".into(), one.clone());
        one.seeds.retain(|k, _| k == "0");
        new.configs.insert("lr=1e-2".into(), one);
        let check = check_accuracy(&old, &new, 1.0, 0.05).unwrap();
        assert_eq!(check.rows.len(), 2);
        assert_eq!(check.family, 2);
        assert!((check.ci_level - 0.95).abs() < 1e-12, "{}", check.ci_level);
        let lone = check.rows.iter().find(|r| r.id == "lr=1e-2").unwrap();
        assert_eq!(lone.verdict, AccuracyVerdict::Inconclusive);
    }
}
