//! Reading the results criterion 0.8 leaves on disk after `cargo bench`.
//!
//! For every benchmark, criterion writes
//! `<criterion dir>/<directory name>/new/{benchmark.json, estimates.json, sample.json,
//! tukey.json}`, where the directory name is the benchmark id with `/` inside each part
//! replaced by `_` (so `train_epoch/flex/jsc-tiny/bs32` lives in
//! `train_epoch/flex_jsc-tiny/bs32`). The true id is read from `benchmark.json`
//! (`full_id`), never reconstructed from the path. `sample.json` holds, per sample, the
//! number of iterations (`iters`) and their total time in nanoseconds (`times`); the
//! per-iteration time of sample `i` is `times[i] / iters[i]`. `estimates.json` holds
//! criterion's bootstrap point estimates and confidence intervals, in nanoseconds.
//!
//! Only `new/` is read: it is the last run of each benchmark. Other folders (`base/`,
//! `change/`, saved criterion baselines, `report/`) are ignored. A benchmark that was not
//! part of the last `cargo bench` keeps its older `new/` folder, so clear the criterion
//! directory before the run a baseline is saved from (see `docs/baselines.md`).

use crate::format::exact as show;
use crate::{Error, Result};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// Nanoseconds per second: criterion records nanoseconds, baselines use seconds.
const NS_PER_S: f64 = 1e9;

/// One benchmark's last result, converted to seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct CriterionResult {
    /// The full benchmark id, e.g. `train_epoch/flex/jsc-tiny/bs32`.
    pub id: String,
    /// Criterion's estimate of the mean time per iteration.
    pub mean: CriterionEstimate,
    /// Criterion's estimate of the median time per iteration.
    pub median: CriterionEstimate,
    /// Per-iteration time of each sample, in seconds (`times[i] / iters[i]`).
    pub per_iteration_s: Vec<f64>,
    /// What one iteration processes, if the bench declared a throughput.
    pub throughput: Option<(String, u64)>,
}

/// A point estimate with its confidence interval, in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CriterionEstimate {
    /// The point estimate.
    pub point: f64,
    /// Lower end of the confidence interval.
    pub lower: f64,
    /// Upper end of the confidence interval.
    pub upper: f64,
    /// Confidence level of the interval (criterion's default: 0.95).
    pub level: f64,
}

/// `benchmark.json`: criterion's `BenchmarkId`.
#[derive(Deserialize)]
struct RawBenchmark {
    full_id: String,
    #[serde(default)]
    throughput: Option<serde_json::Value>,
}

/// `estimates.json` (only the fields we use).
#[derive(Deserialize)]
struct RawEstimates {
    mean: RawEstimate,
    median: RawEstimate,
}

#[derive(Deserialize)]
struct RawEstimate {
    confidence_interval: RawInterval,
    point_estimate: f64,
}

#[derive(Deserialize)]
struct RawInterval {
    confidence_level: f64,
    lower_bound: f64,
    upper_bound: f64,
}

/// `sample.json`.
#[derive(Deserialize)]
struct RawSample {
    iters: Vec<f64>,
    times: Vec<f64>,
}

impl From<RawEstimate> for CriterionEstimate {
    fn from(e: RawEstimate) -> Self {
        CriterionEstimate {
            point: e.point_estimate / NS_PER_S,
            lower: e.confidence_interval.lower_bound / NS_PER_S,
            upper: e.confidence_interval.upper_bound / NS_PER_S,
            level: e.confidence_interval.confidence_level,
        }
    }
}

/// What a bench run records about itself next to criterion's results
/// (`<criterion dir>/trainbench-bench.json`): the backend threads it ran with, so a baseline
/// saved or checked later records the threads of the measurement, not of the shell; and the
/// benchmarks it measured, so that a filtered run (`cargo bench -- FILTER`) is read as what
/// it measured, not with the older results criterion keeps of every other benchmark.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BenchSettings {
    /// Backend threads of the bench run.
    pub threads: usize,
    /// The study file the benchmarks were derived from (absent: an older bench).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub study: Option<String>,
    /// The benchmarks the run measured, in order (absent: an older bench, whose run is read
    /// as every result in the folder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured: Option<Vec<String>>,
}

/// The file name of [`BenchSettings`] in a criterion directory.
pub const BENCH_SETTINGS: &str = "trainbench-bench.json";

impl BenchSettings {
    /// Writes the settings into `dir` (created if missing).
    pub fn write(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("could not create '{}'", dir.display()), e))?;
        let path = dir.join(BENCH_SETTINGS);
        let json = serde_json::to_string(self).map_err(|e| Error::Other(e.to_string()))?;
        std::fs::write(&path, json)
            .map_err(|e| Error::io(format!("could not write '{}'", path.display()), e))
    }

    /// The settings a bench run left in `dir`, if any.
    pub fn read(dir: &Path) -> Result<Option<BenchSettings>> {
        crate::jsonfile::read_if_exists(&dir.join(BENCH_SETTINGS))
    }

    /// Adds `id` to the measured benchmarks (once) and rewrites the file in `dir`, so that
    /// the record stays true if the run stops early.
    pub fn record(&mut self, id: &str, dir: &Path) -> Result<()> {
        let measured = self.measured.get_or_insert_with(Vec::new);
        if measured.iter().any(|m| m == id) {
            return Ok(());
        }
        measured.push(id.to_string());
        self.write(dir)
    }
}

/// The results of the last bench run in `dir`: those of the benchmarks its
/// [`BenchSettings`] lists as measured (every result when it lists none: an older bench),
/// sorted by id, with the settings.
pub fn read_run(dir: &Path) -> Result<(Vec<CriterionResult>, Option<BenchSettings>)> {
    let settings = BenchSettings::read(dir)?;
    let mut results = read_dir(dir)?;
    if let Some(measured) = settings.as_ref().and_then(|s| s.measured.as_ref()) {
        results.retain(|r| measured.contains(&r.id));
        if results.is_empty() {
            return Err(Error::Usage(format!(
                "the last bench run in '{}' measured no benchmark (a filter that matched \
                 nothing?): run `cargo bench` again",
                dir.display()
            )));
        }
    }
    Ok((results, settings))
}

/// Where criterion writes by default, as criterion itself decides: `$CRITERION_HOME`, else
/// `$CARGO_TARGET_DIR/criterion`, else `target/criterion`.
pub fn default_criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        PathBuf::from(home)
    } else if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        PathBuf::from(target).join("criterion")
    } else {
        PathBuf::from("target/criterion")
    }
}

fn load<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::input(format!("could not read '{}'", path.display()), e))?;
    serde_json::from_str(&text).map_err(|e| Error::data(path, e.to_string()))
}

/// Criterion throughput (`{"Elements": 50000}`, `{"Bytes": n}`,
/// `{"ElementsAndBytes": {"elements": e, "bytes": b}}`, …) as (unit, count per iteration).
fn parse_throughput(value: &serde_json::Value) -> Option<(String, u64)> {
    let (kind, inner) = value.as_object()?.iter().next()?;
    let (unit, count) = match kind.as_str() {
        "Elements" => ("elements", inner.as_u64()?),
        "ElementsAndBytes" => ("elements", inner.get("elements")?.as_u64()?),
        "Bytes" | "BytesDecimal" => ("bytes", inner.as_u64()?),
        "Bits" => ("bits", inner.as_u64()?),
        _ => return None,
    };
    Some((unit.to_string(), count))
}

/// Reads the benchmark whose `new/` folder is `dir`.
pub fn read_result(dir: &Path) -> Result<CriterionResult> {
    let bench: RawBenchmark = load(&dir.join("benchmark.json"))?;
    let estimates: RawEstimates = load(&dir.join("estimates.json"))?;
    let sample_path = dir.join("sample.json");
    let sample: RawSample = load(&sample_path)?;
    if sample.iters.len() != sample.times.len() || sample.iters.is_empty() {
        return Err(Error::data(
            sample_path,
            format!(
                "expected equally long, non-empty 'iters' and 'times', got {} and {}",
                sample.iters.len(),
                sample.times.len()
            ),
        ));
    }
    if let Some(i) = sample
        .iters
        .iter()
        .position(|&n| !(n > 0.0 && n.is_finite()))
    {
        return Err(Error::data(
            sample_path,
            format!(
                "benchmark '{}': iters[{i}] = {} is not a positive iteration count",
                bench.full_id,
                show(sample.iters[i])
            ),
        ));
    }
    if let Some(i) = sample
        .times
        .iter()
        .position(|&t| !(t > 0.0 && t.is_finite()))
    {
        return Err(Error::data(
            sample_path,
            format!(
                "benchmark '{}': times[{i}] = {} is not a positive time in nanoseconds",
                bench.full_id,
                show(sample.times[i])
            ),
        ));
    }
    let per_iteration_s = sample
        .times
        .iter()
        .zip(&sample.iters)
        .map(|(t, n)| t / n / NS_PER_S)
        .collect();
    Ok(CriterionResult {
        id: bench.full_id,
        mean: estimates.mean.into(),
        median: estimates.median.into(),
        per_iteration_s,
        throughput: bench.throughput.as_ref().and_then(parse_throughput),
    })
}

/// Every `new/` folder with a `benchmark.json` below `dir`, in path order.
fn find_new_dirs(dir: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::input(format!("could not list '{}'", dir.display()), e))?;
    let mut subdirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    subdirs.sort();
    for sub in subdirs {
        match sub.file_name().and_then(|n| n.to_str()) {
            Some("new") if sub.join("benchmark.json").is_file() => found.push(sub),
            Some("report") => {}
            _ => find_new_dirs(&sub, found)?,
        }
    }
    Ok(())
}

/// Reads the last result of every benchmark in a criterion directory, sorted by id.
///
/// Fails if the directory cannot be read, holds no results, a result is malformed, or two
/// folders claim the same id.
pub fn read_dir(dir: &Path) -> Result<Vec<CriterionResult>> {
    if !dir.is_dir() {
        return Err(Error::Usage(format!(
            "no criterion results at '{}' (run `cargo bench` first, or pass --criterion-dir)",
            dir.display()
        )));
    }
    let mut dirs = Vec::new();
    find_new_dirs(dir, &mut dirs)?;
    let mut results = dirs
        .iter()
        .map(|d| read_result(d))
        .collect::<Result<Vec<_>>>()?;
    if results.is_empty() {
        return Err(Error::Usage(format!(
            "no criterion results under '{}' (no */new/benchmark.json)",
            dir.display()
        )));
    }
    results.sort_by(|a, b| a.id.cmp(&b.id));
    if let Some(w) = results.windows(2).find(|w| w[0].id == w[1].id) {
        return Err(Error::data(
            dir,
            format!("benchmark id '{}' appears twice", w[0].id),
        ));
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throughput_kinds() {
        let p = |s: &str| parse_throughput(&serde_json::from_str(s).unwrap());
        assert_eq!(p(r#"{"Elements":50000}"#), Some(("elements".into(), 50000)));
        assert_eq!(p(r#"{"Bytes":7}"#), Some(("bytes".into(), 7)));
        assert_eq!(
            p(r#"{"ElementsAndBytes":{"elements":3,"bytes":9}}"#),
            Some(("elements".into(), 3))
        );
        assert_eq!(p("null"), None);
        assert_eq!(p(r#"{"Unknown":1}"#), None);
    }

    #[test]
    fn reads_a_linear_sample_as_per_iteration_seconds() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("eval/flex/jsc-tiny/new");
        std::fs::create_dir_all(&new).unwrap();
        std::fs::write(
            new.join("benchmark.json"),
            r#"{"group_id":"eval","function_id":"flex","value_str":"jsc-tiny","throughput":{"Elements":5556},"full_id":"eval/flex/jsc-tiny","directory_name":"eval/flex/jsc-tiny","title":"eval/flex/jsc-tiny"}"#,
        )
        .unwrap();
        let est = r#"{"confidence_interval":{"confidence_level":0.95,"lower_bound":2.0e5,"upper_bound":3.0e5},"point_estimate":2.5e5,"standard_error":1.0}"#;
        std::fs::write(
            new.join("estimates.json"),
            format!(r#"{{"mean":{est},"median":{est},"median_abs_dev":{est},"slope":null,"std_dev":{est}}}"#),
        )
        .unwrap();
        std::fs::write(
            new.join("sample.json"),
            r#"{"sampling_mode":"Linear","iters":[256.0,512.0],"times":[70516775.0,141358895.0]}"#,
        )
        .unwrap();
        let results = read_dir(dir.path()).unwrap();
        assert_eq!(results.len(), 1);
        let r = &results[0];
        assert_eq!(r.id, "eval/flex/jsc-tiny");
        assert_eq!(r.throughput, Some(("elements".into(), 5556)));
        assert!((r.mean.point - 2.5e-4).abs() < 1e-15);
        assert!((r.per_iteration_s[0] - 70516775.0 / 256.0 / 1e9).abs() < 1e-15);
        assert!((r.per_iteration_s[1] - 141358895.0 / 512.0 / 1e9).abs() < 1e-15);
        assert!(read_dir(&dir.path().join("missing")).is_err());
    }
}
