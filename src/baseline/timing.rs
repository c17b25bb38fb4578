//! The timing baseline file, `baselines/<testbed>/timing.json`.
//!
//! Pretty-printed JSON with a fixed key order: the header (format, testbed, save time,
//! [`Fingerprint`], the revision `baseline ab` compares against when it is not the
//! fingerprint's, and the log of accepted changes) and then one object per benchmark, keyed
//! and sorted by benchmark id, so a re-saved baseline diffs benchmark by benchmark. All times
//! are seconds per iteration.

use super::criterion::{CriterionEstimate, CriterionResult};
use super::fingerprint::{Fingerprint, backends_in_ids};
use super::log::Accepted;
use crate::format::exact as show;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The `format` value of the files this version writes and reads.
pub const TIMING_FORMAT: &str = "trainbench-timing-baseline/1";

/// The longest time per iteration a baseline may hold, in seconds (about 11.6 days): a
/// larger value is a unit mix-up or a corrupt file, not a measurement.
pub const MAX_SECONDS_PER_ITERATION: f64 = 1e6;

/// A saved set of benchmark timings from one testbed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimingBaseline {
    /// Always [`TIMING_FORMAT`].
    pub format: String,
    /// The testbed name (the folder under `baselines/`; default: the host name).
    pub testbed: String,
    /// When the file was saved, UTC, RFC 3339.
    pub saved_at: String,
    /// The machine and software the timings were measured with.
    pub fingerprint: Fingerprint,
    /// The revision (full sha) `baseline ab` compares against, set by `baseline accept`;
    /// absent: the fingerprint's `git_sha` (the code the timings were measured with).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ab_base: Option<String>,
    /// Changes accepted with `baseline accept`, oldest first: why, when, and what `ab`
    /// measured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<Accepted>,
    /// Every benchmark, by id.
    pub benchmarks: BTreeMap<String, BenchTiming>,
}

/// One benchmark's timing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchTiming {
    /// Criterion's estimate of the mean time per iteration, in seconds.
    pub mean_s: Estimate,
    /// Criterion's estimate of the median time per iteration, in seconds.
    pub median_s: Estimate,
    /// Throughput at the mean time, if the bench declared one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<Throughput>,
    /// Per-iteration time of each criterion sample, in seconds, in sample order.
    pub samples_s: Vec<f64>,
    /// The trainbench checkout this benchmark was measured with, when it is not the
    /// fingerprint's (a benchmark kept by `save-timing --merge` from an older run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_sha: Option<String>,
}

/// A point estimate with its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The point estimate.
    pub estimate: f64,
    /// Lower end of the confidence interval.
    pub ci_low: f64,
    /// Upper end of the confidence interval.
    pub ci_high: f64,
    /// Confidence level of the interval.
    pub level: f64,
}

/// Work per iteration and the resulting rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    /// What is counted: `elements` (rows, for trainbench's benches), `bytes` or `bits`.
    pub unit: String,
    /// Units processed by one iteration.
    pub per_iteration: u64,
    /// Units per second at the mean time (`per_iteration / mean_s`).
    pub per_second: f64,
}

impl From<CriterionEstimate> for Estimate {
    fn from(e: CriterionEstimate) -> Self {
        Estimate {
            estimate: e.point,
            ci_low: e.lower,
            ci_high: e.upper,
            level: e.level,
        }
    }
}

impl From<CriterionResult> for BenchTiming {
    fn from(r: CriterionResult) -> Self {
        let throughput = r.throughput.map(|(unit, per_iteration)| Throughput {
            unit,
            per_iteration,
            per_second: per_iteration as f64 / r.mean.point,
        });
        BenchTiming {
            mean_s: r.mean.into(),
            median_s: r.median.into(),
            throughput,
            samples_s: r.per_iteration_s,
            git_sha: None,
        }
    }
}

impl TimingBaseline {
    /// A baseline of `results`, measured on this machine now with `threads` backend threads
    /// (as the bench run recorded them; `None`: `TRAINBENCH_THREADS` or the cores).
    pub fn from_results(
        testbed: &str,
        results: Vec<CriterionResult>,
        threads: Option<usize>,
    ) -> Result<Self> {
        validate_testbed(testbed)?;
        let backends = backends_in_ids(results.iter().map(|r| r.id.as_str()));
        let baseline = TimingBaseline {
            format: TIMING_FORMAT.to_string(),
            testbed: testbed.to_string(),
            saved_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            fingerprint: Fingerprint::collect_with(backends, threads),
            ab_base: None,
            log: Vec::new(),
            benchmarks: results
                .into_iter()
                .map(|r| (r.id.clone(), r.into()))
                .collect(),
        };
        match baseline.problem() {
            Some(why) => Err(Error::Usage(format!("criterion's results: {why}"))),
            None => Ok(baseline),
        }
    }

    /// Checks that the baseline can be compared: at least one benchmark, each with at least
    /// one sample, and every sample, estimate and interval end a time per iteration: finite,
    /// positive and below [`MAX_SECONDS_PER_ITERATION`]. The error ([`Error::Usage`]) names
    /// the benchmark and the value.
    pub fn validate(&self) -> Result<()> {
        match self.problem() {
            Some(why) => Err(Error::Usage(why)),
            None => Ok(()),
        }
    }

    /// What makes the baseline unusable, if anything (see [`TimingBaseline::validate`]).
    fn problem(&self) -> Option<String> {
        if self.benchmarks.is_empty() {
            return Some(
                "no benchmarks: nothing to compare (save the baseline from a `cargo bench` run)"
                    .into(),
            );
        }
        self.benchmarks
            .iter()
            .find_map(|(id, b)| b.problem().map(|why| format!("benchmark '{id}': {why}")))
    }

    /// The revision `baseline ab` compares against: [`TimingBaseline::ab_base`], else the
    /// fingerprint's git sha (without a `-dirty` mark); `None` when neither is recorded.
    pub fn base_revision(&self) -> Option<String> {
        self.ab_base
            .clone()
            .or_else(|| {
                let sha = self.fingerprint.git_sha.as_deref()?;
                Some(sha.trim_end_matches("-dirty").to_string())
            })
            .filter(|s| !s.is_empty())
    }

    /// This baseline with the benchmarks of `new` (a run of some of them) put in: measured
    /// ones replaced, new ones added, the others kept with the git sha they were measured
    /// with. The fingerprint becomes `new`'s; the `ab` base and the log stay. Both must come
    /// from the same machine settings ([`Fingerprint::comparable`]), else a usage error.
    pub fn merge(mut self, new: TimingBaseline) -> Result<(TimingBaseline, MergeCounts)> {
        let machine = self.fingerprint.machine_differences(&new.fingerprint);
        if !machine.is_empty() {
            return Err(Error::Usage(format!(
                "cannot merge a run of another machine into baseline '{}' ({}): times of two \
                 machines in one file compare with nothing",
                self.testbed,
                machine.join("; ")
            )));
        }
        let old_sha = self.fingerprint.git_sha.clone();
        self.ab_base = self.base_revision();
        let mut counts = MergeCounts::default();
        for b in self.benchmarks.values_mut() {
            if b.git_sha.is_none() {
                b.git_sha.clone_from(&old_sha);
            }
        }
        for (id, b) in new.benchmarks {
            match self.benchmarks.insert(id, b) {
                Some(_) => counts.updated += 1,
                None => counts.added += 1,
            }
        }
        counts.kept = self.benchmarks.len() - counts.updated - counts.added;
        let backends = backends_in_ids(self.benchmarks.keys().map(String::as_str));
        self.fingerprint = Fingerprint {
            backends,
            ..new.fingerprint
        };
        self.saved_at = new.saved_at;
        Ok((self, counts))
    }

    /// Reads and validates a baseline file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::input(format!("could not read '{}'", path.display()), e))?;
        let baseline: TimingBaseline =
            serde_json::from_str(&text).map_err(|e| Error::data(path, e.to_string()))?;
        if baseline.format != TIMING_FORMAT {
            return Err(Error::data(
                path,
                format!(
                    "format '{}' is not '{TIMING_FORMAT}' (saved by another trainbench version?)",
                    baseline.format
                ),
            ));
        }
        if let Some(why) = baseline.problem() {
            return Err(Error::data(path, why));
        }
        Ok(baseline)
    }

    /// The file's text: pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a baseline serializes");
        text.push('\n');
        text
    }

    /// Writes the baseline's header (the `ab` base, the log) over the file at `path`, which
    /// must hold the same benchmarks: the benchmarks' text stays as it is, so that the diff
    /// shows only what changed (re-serialising reformats floats written by another version).
    /// A file whose benchmarks differ, or that is not laid out as [`TimingBaseline::to_json`]
    /// lays it out, is written whole.
    pub fn save_header(&self, path: &Path) -> Result<()> {
        const MARK: &str = "\n  \"benchmarks\": {";
        let new = self.to_json();
        let kept = std::fs::read_to_string(path).ok().and_then(|old| {
            let same: TimingBaseline = serde_json::from_str(&old).ok()?;
            let at = old.find(MARK)?;
            (same.benchmarks == self.benchmarks).then(|| old[at..].to_string())
        });
        match (kept, new.find(MARK)) {
            (Some(benchmarks), Some(at)) => {
                std::fs::write(path, format!("{}{benchmarks}", &new[..at]))
                    .map_err(|e| Error::io(format!("could not write '{}'", path.display()), e))
            }
            _ => self.save(path),
        }
    }

    /// Saves this bench run at `path`: with `merge`, into the file saved there
    /// ([`TimingBaseline::merge`]; a usage error when there is none), else over it, keeping
    /// the log of accepted changes of a file saved there. Returns what was written and how.
    pub fn save_run(self, path: &Path, merge: bool) -> Result<(TimingBaseline, Saved)> {
        let old = if path.is_file() {
            Some(TimingBaseline::load(path)?)
        } else {
            None
        };
        let (baseline, saved) = match (old, merge) {
            (Some(old), true) => {
                let (merged, counts) = old.merge(self)?;
                (merged, Saved::Merged(counts))
            }
            (None, true) => {
                return Err(Error::Usage(format!(
                    "--merge: there is no '{}' to merge into (save without --merge first)",
                    path.display()
                )));
            }
            (Some(old), false) => {
                let dropped = (old.benchmarks.keys())
                    .filter(|id| !self.benchmarks.contains_key(*id))
                    .count();
                let log = old.log;
                (TimingBaseline { log, ..self }, Saved::Whole { dropped })
            }
            (None, false) => (self, Saved::Whole { dropped: 0 }),
        };
        baseline.save(path)?;
        Ok((baseline, saved))
    }

    /// Writes the baseline to `path`, creating its folder.
    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::io(format!("could not create '{}'", dir.display()), e))?;
        }
        std::fs::write(path, self.to_json())
            .map_err(|e| Error::io(format!("could not write '{}'", path.display()), e))
    }
}

/// How [`TimingBaseline::save_run`] wrote a bench run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    /// Merged into the saved file.
    Merged(MergeCounts),
    /// Written whole: it stands for the code measured. `dropped` benchmarks of the file saved
    /// before were not measured and are gone; its log of accepted changes stays.
    Whole {
        /// Benchmarks of the earlier file not in this run.
        dropped: usize,
    },
}

/// What [`TimingBaseline::merge`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MergeCounts {
    /// Benchmarks replaced by the new run's.
    pub updated: usize,
    /// Benchmarks only the new run has.
    pub added: usize,
    /// Benchmarks the new run did not measure, kept.
    pub kept: usize,
}

impl BenchTiming {
    /// The first value that is not a plausible time per iteration, if any.
    fn problem(&self) -> Option<String> {
        if self.samples_s.is_empty() {
            return Some("no samples".into());
        }
        let estimates = [("mean_s", &self.mean_s), ("median_s", &self.median_s)];
        let values = estimates
            .iter()
            .flat_map(|(name, e)| {
                [
                    (format!("{name}.estimate"), e.estimate),
                    (format!("{name}.ci_low"), e.ci_low),
                    (format!("{name}.ci_high"), e.ci_high),
                ]
            })
            .chain(
                self.samples_s
                    .iter()
                    .enumerate()
                    .map(|(i, &x)| (format!("samples_s[{i}]"), x)),
            );
        for (name, x) in values {
            if !(x > 0.0 && x < MAX_SECONDS_PER_ITERATION) {
                return Some(format!(
                    "{name} = {} is not a time per iteration (must be > 0 and < {} s)",
                    show(x),
                    show(MAX_SECONDS_PER_ITERATION)
                ));
            }
        }
        for (name, e) in estimates {
            if !(e.level > 0.0 && e.level < 1.0) {
                return Some(format!(
                    "{name}.level = {} is not a confidence level (must lie strictly between 0 \
                     and 1)",
                    show(e.level)
                ));
            }
        }
        match &self.throughput {
            Some(t) if !(t.per_second.is_finite() && t.per_second >= 0.0) => Some(format!(
                "throughput.per_second = {} is not a rate",
                show(t.per_second)
            )),
            _ => None,
        }
    }
}

/// The timing baseline of `testbed` under `baselines_dir`, or of the only testbed there with
/// a `timing.json` when `testbed` is `None`.
pub fn timing_file(baselines_dir: &Path, testbed: Option<&str>) -> Result<PathBuf> {
    let testbed = match testbed {
        Some(t) => t.to_string(),
        None => {
            let found: Vec<String> = std::fs::read_dir(baselines_dir)
                .map(|d| {
                    d.filter_map(|e| e.ok())
                        .filter(|e| e.path().join("timing.json").is_file())
                        .map(|e| e.file_name().to_string_lossy().to_string())
                        .collect()
                })
                .unwrap_or_default();
            match found.as_slice() {
                [one] => one.clone(),
                _ => {
                    return Err(Error::Usage(format!(
                        "{} testbeds with a timing.json under '{}': name one with --testbed",
                        found.len(),
                        baselines_dir.display()
                    )));
                }
            }
        }
    };
    Ok(baselines_dir.join(testbed).join("timing.json"))
}

/// Checks that a testbed name is usable as one folder name: letters, digits, `.`, `_`, `-`,
/// not starting with `.`.
pub fn validate_testbed(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "testbed name '{name}' must be letters, digits, '.', '_' or '-' (not starting with '.')"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, times: &[f64]) -> CriterionResult {
        let e = CriterionEstimate {
            point: 0.2,
            lower: 0.19,
            upper: 0.21,
            level: 0.95,
        };
        CriterionResult {
            id: id.into(),
            mean: e,
            median: e,
            per_iteration_s: times.to_vec(),
            throughput: Some(("elements".into(), 50_000)),
        }
    }

    #[test]
    fn round_trips_with_sorted_ids() {
        let b = TimingBaseline::from_results(
            "box-1",
            vec![
                result("train_epoch/flex/jsc-tiny/bs64", &[0.2, 0.21]),
                result("eval/flex/jsc-tiny", &[0.1, 0.11]),
            ],
            None,
        )
        .unwrap();
        assert_eq!(b.fingerprint.backends, vec!["flex"]);
        let json = b.to_json();
        let eval = json.find("\"eval/flex/jsc-tiny\"").unwrap();
        let train = json.find("\"train_epoch/flex/jsc-tiny/bs64\"").unwrap();
        assert!(eval < train);
        assert!(json.contains("\"per_second\": 250000.0"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("box-1/timing.json");
        b.save(&path).unwrap();
        assert_eq!(TimingBaseline::load(&path).unwrap(), b);
        std::fs::write(&path, json.replace(TIMING_FORMAT, "other/9")).unwrap();
        assert!(TimingBaseline::load(&path).is_err());
    }

    #[test]
    fn implausible_times_and_empty_baselines_are_refused() {
        let ok =
            TimingBaseline::from_results("box", vec![result("eval/flex/a", &[0.1, 0.2])], None)
                .unwrap();
        assert!(ok.validate().is_ok());
        let empty = TimingBaseline::from_results("box", vec![], None).unwrap_err();
        assert!(empty.to_string().contains("no benchmarks"), "{empty}");
        assert_eq!(empty.exit_code(), 2);
        for (times, needle) in [
            (&[0.1, 1e308][..], "samples_s[1] = 1e308"),
            (&[-0.5, 0.1], "samples_s[0] = -0.5"),
            (&[0.1, 0.0], "samples_s[1] = 0 "),
            (&[0.1, f64::NAN], "samples_s[1] = NaN"),
            (&[0.1, f64::INFINITY], "samples_s[1] = inf"),
            (&[2e6], "samples_s[0] = 2e6"),
            (&[], "no samples"),
        ] {
            let e = TimingBaseline::from_results("box", vec![result("eval/flex/a", times)], None)
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("benchmark 'eval/flex/a'") && e.contains(needle),
                "{e}"
            );
        }
        let mut bad = ok.clone();
        let b = bad.benchmarks.get_mut("eval/flex/a").unwrap();
        b.median_s.ci_low = -1e-3;
        let e = bad.validate().unwrap_err().to_string();
        assert!(e.contains("median_s.ci_low = -0.001"), "{e}");
        // On load, the error names the file.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        bad.save(&path).unwrap();
        let e = TimingBaseline::load(&path).unwrap_err();
        assert!(matches!(e, Error::Data { .. }), "{e:?}");
        assert!(
            e.to_string().starts_with(&path.display().to_string()),
            "{e}"
        );
    }

    /// A header-only save keeps the benchmarks' text byte for byte (however its floats were
    /// written) and round-trips to the new header.
    #[test]
    fn a_header_save_keeps_the_benchmarks_text() {
        let mut b =
            TimingBaseline::from_results("box", vec![result("eval/flex/a", &[0.1, 0.2])], None)
                .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("timing.json");
        // Floats as another writer may have written them (more digits than needed).
        let text = b.to_json().replace("0.19,", "0.190000000000000002,");
        assert_ne!(text, b.to_json());
        std::fs::write(&path, &text).unwrap();
        b.ab_base = Some("0123".into());
        b.save_header(&path).unwrap();
        let written = std::fs::read_to_string(&path).unwrap();
        assert!(written.contains("0.190000000000000002,"));
        assert!(written.contains("\"ab_base\": \"0123\""));
        assert_eq!(TimingBaseline::load(&path).unwrap(), b);
        // Other benchmarks: written whole.
        let other =
            TimingBaseline::from_results("box", vec![result("eval/flex/b", &[0.1, 0.2])], None)
                .unwrap();
        other.save_header(&path).unwrap();
        assert_eq!(TimingBaseline::load(&path).unwrap(), other);
    }

    #[test]
    fn testbed_names() {
        assert!(validate_testbed("ci-runner_2.lab").is_ok());
        for bad in ["", "../x", "a/b", ".hidden", "sp ace"] {
            assert!(validate_testbed(bad).is_err(), "{bad}");
        }
    }
}
