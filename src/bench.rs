//! What `cargo bench --bench training` measures: the benchmarks of a study file.
//!
//! [`BenchPlan::from_study`] turns a study's plan into benchmarks: one training epoch per
//! unique (model, batch size) of the plan (`train_epoch/<backend>/<model>/bs<N>`), inference
//! per model (`eval/<backend>/<model>`), and per (model, batch size) the study's seeds trained
//! one after another against the same seeds as one replica group
//! (`replicas/<backend>/<model>/bs<N>/sequential|replicas`). Each (model, batch size) is timed
//! with one configuration: the first of the plan with that pair (its learning rate, schedule,
//! Adam settings and engine), one epoch. Other configurations with the same pair differ only
//! in values that do not change the work of an epoch, except the engine: a study that trains
//! with `engine = "fused"` (as `studies/lab1.toml` does) is timed with it on Flex, and with the
//! default engine on LibTorch backends ([`BenchCase::config_on`]); [`BenchPlan::describe`]
//! names the engine.
//!
//! The timed data is a fixed size of the study's data source, whatever size the study
//! trains on, so that times of one (model, batch size) compare across studies:
//! a synthetic source (`synth`, `synth:ROWS[:SEED]`) generates [`SYNTH_ROWS`] rows with the
//! study's generator seed (→ [`TRAIN_ROWS`] training and [`VAL_ROWS`] validation rows after
//! the holdout split); a file is loaded and split as the study says (validation mode, split
//! seed) and its training and validation splits are cut to seeded subsets of at most
//! [`TRAIN_ROWS`] and [`VAL_ROWS`] rows ([`BenchData::notes`] says when a file has fewer).
//!
//! [`BenchEnv::from_env`] reads the bench's settings from the environment — [`STUDY_ENV`]
//! (default [`DEFAULT_STUDY`]), [`BACKEND_ENV`], [`THREADS_ENV`], [`CUDA_DEVICE_ENV`] and
//! [`SLOWDOWN_ENV`] — and refuses a bad one with one line ([`crate::Error::Usage`]).

use crate::backend::{BackendKind, available_cores};
use crate::config::Engine;
use crate::data::{DataSource, DataSpec, Splits};
use crate::study::plan::{Plan, PlanOptions};
use crate::study::{Study, run_data};
use crate::train::{DeviceSplits, TrainConfig, Trainer};
use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The study file the benchmarks come from.
pub const STUDY_ENV: &str = "TRAINBENCH_STUDY";
/// The study used when [`STUDY_ENV`] is unset (relative to the package root, where
/// `cargo bench` runs benches).
pub const DEFAULT_STUDY: &str = "studies/lab1.toml";
/// One backend to bench (`flex`, `tch`, `tch-cuda[:N]`); unset: every backend present.
pub const BACKEND_ENV: &str = "TRAINBENCH_BACKEND";
/// Backend threads (1 ≤ N ≤ the cores); unset: all cores.
pub const THREADS_ENV: &str = "TRAINBENCH_THREADS";
/// The CUDA device of the `tch-cuda` benchmarks when no backend is named (default 0).
pub const CUDA_DEVICE_ENV: &str = "TRAINBENCH_CUDA_DEVICE";
/// Calibration only: every timed training epoch is stretched by this fraction of its own
/// time (see [`end_epoch`]); `baseline ab --inject-slowdown` sets it for the head side.
pub const SLOWDOWN_ENV: &str = "TRAINBENCH_BENCH_SLOWDOWN";

/// Rows generated from a synthetic source: 69,445 → 50,000 training rows after the 80/20
/// test and 90/10 validation splits.
pub const SYNTH_ROWS: usize = 69_445;
/// The most training rows a timed epoch goes over.
pub const TRAIN_ROWS: usize = 50_000;
/// The most validation rows an `eval` benchmark goes over (holdout validation).
pub const VAL_ROWS: usize = 5_556;

/// One (model, batch size) of a study, with the configuration it is timed with.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchCase {
    /// The configuration: the plan's first with this model and batch size, one epoch.
    pub config: TrainConfig,
}

impl BenchCase {
    /// The model name as the study gives it (`jsc-tiny`, `mlp:16-64-5`).
    pub fn model(&self) -> &str {
        &self.config.model
    }

    /// Rows per batch.
    pub fn batch_size(&self) -> usize {
        self.config.batch_size
    }

    /// The configuration timed on `backend`: the study's, engine included, except that the
    /// fused engine (plain Rust on the CPU, whatever the backend) is timed on Flex only and a
    /// LibTorch backend times the default engine, its own work.
    pub fn config_on(&self, backend: BackendKind) -> TrainConfig {
        match (self.config.engine, backend) {
            (Engine::Fused, BackendKind::Tch | BackendKind::TchCuda(_)) => TrainConfig {
                engine: Engine::default(),
                ..self.config.clone()
            },
            _ => self.config.clone(),
        }
    }
}

/// The benchmarks of one study.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchPlan {
    /// The study file.
    pub study_file: PathBuf,
    /// The study's name.
    pub study: String,
    /// One case per unique (model, batch size), in order of first appearance in the plan.
    pub cases: Vec<BenchCase>,
    /// Seeds of a `replicas` benchmark: the study's seeds (the pilot's for adaptive seeds);
    /// fewer than 2 means no `replicas` group.
    pub replica_seeds: usize,
    /// The study's data spec with the bench's fixed size (see the module documentation).
    pub data: DataSpec,
}

/// `train_epoch/<backend>/<model>/bs<N>`.
pub fn train_id(backend: &str, case: &BenchCase) -> String {
    format!(
        "train_epoch/{backend}/{}/bs{}",
        case.model(),
        case.batch_size()
    )
}

/// `eval/<backend>/<model>`.
pub fn eval_id(backend: &str, model: &str) -> String {
    format!("eval/{backend}/{model}")
}

/// The two modes of a `replicas` benchmark: each seed alone in turn, all seeds as one group.
pub const REPLICA_MODES: [&str; 2] = ["sequential", "replicas"];

/// `replicas/<backend>/<model>/bs<N>/<mode>`.
pub fn replicas_id(backend: &str, case: &BenchCase, mode: &str) -> String {
    format!(
        "replicas/{backend}/{}/bs{}/{mode}",
        case.model(),
        case.batch_size()
    )
}

impl BenchPlan {
    /// Reads the study file and derives its benchmarks.
    pub fn load(path: &Path) -> Result<BenchPlan> {
        let study = Study::load(path)?;
        BenchPlan::from_study(&study, path)
    }

    /// The benchmarks of `study` (read from `file`): its plan's unique (model, batch size)
    /// pairs; a configuration that does not validate is a usage error naming it.
    pub fn from_study(study: &Study, file: &Path) -> Result<BenchPlan> {
        let plan = Plan::new(study, &PlanOptions::default())?;
        let mut cases: Vec<BenchCase> = Vec::new();
        for planned in &plan.configs {
            let c = &planned.config;
            if cases
                .iter()
                .any(|k| k.model() == c.model && k.batch_size() == c.batch_size)
            {
                continue;
            }
            cases.push(BenchCase {
                config: TrainConfig {
                    epochs: 1,
                    ..c.clone()
                },
            });
        }
        let replica_seeds = study.seed_range.map_or(study.seeds, |r| r.min);
        Ok(BenchPlan {
            study_file: file.to_path_buf(),
            study: study.name.clone(),
            cases,
            replica_seeds,
            data: bench_spec(&study.data),
        })
    }

    /// The models, each once, in order of first appearance.
    pub fn models(&self) -> Vec<&BenchCase> {
        let mut out: Vec<&BenchCase> = Vec::new();
        for c in &self.cases {
            if !out.iter().any(|o| o.model() == c.model()) {
                out.push(c);
            }
        }
        out
    }

    /// Whether the study has a `replicas` group (at least two seeds).
    pub fn has_replicas(&self) -> bool {
        self.replica_seeds >= 2
    }

    /// Every benchmark id on `backend`, in the order the bench registers them.
    pub fn ids(&self, backend: &str) -> Vec<String> {
        let mut ids: Vec<String> = self.cases.iter().map(|c| train_id(backend, c)).collect();
        ids.extend(self.models().iter().map(|c| eval_id(backend, c.model())));
        if self.has_replicas() {
            for c in &self.cases {
                ids.extend(REPLICA_MODES.iter().map(|m| replicas_id(backend, c, m)));
            }
        }
        ids
    }

    /// One line for people: the study, its pairs and models, the replica seeds and the data.
    pub fn describe(&self) -> String {
        let engines: Vec<String> = {
            let mut e: Vec<String> = self
                .cases
                .iter()
                .map(|c| c.config.engine.to_string())
                .collect();
            e.dedup();
            e
        };
        format!(
            "study {} ('{}'): {} (model, batch size) pair{}, {} model{}, {}; engine {} (on Flex; \
             LibTorch times manual); data {}",
            self.study_file.display(),
            self.study,
            self.cases.len(),
            if self.cases.len() == 1 { "" } else { "s" },
            self.models().len(),
            if self.models().len() == 1 { "" } else { "s" },
            if self.has_replicas() {
                format!("replicas of {} seeds", self.replica_seeds)
            } else {
                "no replicas group (the study has 1 seed)".into()
            },
            engines.join(", "),
            self.data.source
        )
    }
}

/// The bench's data spec for a study's: a synthetic source at [`SYNTH_ROWS`] rows (its seed
/// kept), a file as it is (cut after preparing, see [`BenchData::prepare`]).
pub fn bench_spec(study: &DataSpec) -> DataSpec {
    let mut spec = study.clone();
    if let DataSource::Synth { rows, .. } = &mut spec.source {
        *rows = SYNTH_ROWS;
    }
    spec
}

/// The prepared data of a bench run, with what the reader should know about it.
pub struct BenchData {
    /// The splits (training and validation cut to the bench's size).
    pub splits: Splits,
    /// One sentence per thing to know (a file with fewer rows than the bench's size, load
    /// warnings).
    pub notes: Vec<String>,
}

impl BenchData {
    /// Loads and prepares `spec` (from [`bench_spec`]) and cuts a file's training and
    /// validation splits to seeded subsets of at most [`TRAIN_ROWS`] and [`VAL_ROWS`] rows.
    pub fn prepare(spec: &DataSpec) -> Result<BenchData> {
        let mut splits = spec.prepare()?;
        let mut notes = std::mem::take(&mut splits.warnings);
        if !matches!(spec.source, DataSource::Synth { .. }) {
            let seed = spec.split_seed;
            splits.train = run_data::subsample(&splits.train, TRAIN_ROWS, seed);
            splits.val = if splits.val_is_train {
                splits.train.clone()
            } else {
                run_data::subsample(&splits.val, VAL_ROWS, seed ^ 1)
            };
            if splits.train.len() < TRAIN_ROWS {
                notes.push(format!(
                    "{} has {} training rows, fewer than the bench's {TRAIN_ROWS}: times are \
                     for all of them",
                    spec.source,
                    splits.train.len()
                ));
            }
        }
        Ok(BenchData { splits, notes })
    }
}

/// The bench's settings, read from the environment and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchEnv {
    /// The benchmarks.
    pub plan: BenchPlan,
    /// The backends to bench, in order.
    pub backends: Vec<BackendKind>,
    /// Backends left out, one line each saying why (no CUDA device).
    pub skipped: Vec<String>,
    /// Backend threads.
    pub threads: usize,
    /// The calibration slowdown fraction (0: none).
    pub slowdown: f64,
}

/// A setting's value: set and not empty.
fn var(get: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    get(name).filter(|v| !v.trim().is_empty())
}

impl BenchEnv {
    /// Reads the settings from the process environment (see the module documentation).
    pub fn from_env() -> Result<BenchEnv> {
        BenchEnv::from_vars(&|name| std::env::var(name).ok())
    }

    /// Reads the settings through `get` (a variable's value, if set). Every bad value is a
    /// usage error of one line naming the variable; a named backend that cannot be used here
    /// (not compiled in, no CUDA device) is that backend's error.
    pub fn from_vars(get: &dyn Fn(&str) -> Option<String>) -> Result<BenchEnv> {
        let cores = available_cores();
        let threads = match var(get, THREADS_ENV) {
            None => cores,
            Some(t) => match t.trim().parse::<usize>() {
                Ok(n) if (1..=cores).contains(&n) => n,
                _ => {
                    return Err(Error::Usage(format!(
                        "{THREADS_ENV}='{t}': expected a whole number of threads from 1 to the \
                         {cores} available core(s)"
                    )));
                }
            },
        };
        let slowdown = match var(get, SLOWDOWN_ENV) {
            None => 0.0,
            Some(f) => match f.trim().parse::<f64>() {
                Ok(x) if x >= 0.0 && x.is_finite() => x,
                _ => {
                    return Err(Error::Usage(format!(
                        "{SLOWDOWN_ENV}='{f}': expected a fraction ≥ 0, e.g. 0.10"
                    )));
                }
            },
        };
        let cuda = match var(get, CUDA_DEVICE_ENV) {
            None => 0,
            Some(d) => d.trim().parse::<usize>().map_err(|_| {
                Error::Usage(format!(
                    "{CUDA_DEVICE_ENV}='{d}': expected a CUDA device index (0, 1, …)"
                ))
            })?,
        };
        let (backends, skipped) = match var(get, BACKEND_ENV) {
            Some(b) => {
                let kind: BackendKind = b
                    .trim()
                    .parse()
                    .map_err(|e| Error::Usage(format!("{BACKEND_ENV}: {e}")))?;
                kind.device()?;
                (vec![kind], Vec::new())
            }
            None => present_backends(cuda),
        };
        let study = var(get, STUDY_ENV).unwrap_or_else(|| DEFAULT_STUDY.to_string());
        let plan = BenchPlan::load(Path::new(&study))
            .map_err(|e| Error::Usage(format!("{STUDY_ENV}={study}: {e}")))?;
        Ok(BenchEnv {
            plan,
            backends,
            skipped,
            threads,
            slowdown,
        })
    }

    /// Sets every backend's threads (Flex: rayon's global pool, before anything parallel).
    pub fn set_threads(&self) -> Result<()> {
        self.backends
            .iter()
            .try_for_each(|k| k.set_threads(self.threads))
    }

    /// Every benchmark id, backend by backend, in the order the bench registers them.
    pub fn ids(&self) -> Vec<String> {
        self.backends
            .iter()
            .flat_map(|k| self.plan.ids(&k.to_string()))
            .collect()
    }
}

/// Every compiled-in backend, and LibTorch CUDA device `cuda` when LibTorch sees it; a CUDA
/// backend that cannot be used is left out with one line saying why.
fn present_backends(cuda: usize) -> (Vec<BackendKind>, Vec<String>) {
    let mut backends = BackendKind::compiled();
    let mut skipped = Vec::new();
    if backends.contains(&BackendKind::Tch) {
        let kind = BackendKind::TchCuda(cuda);
        match kind.device() {
            Ok(_) => backends.push(kind),
            Err(e) => skipped.push(format!("{kind} skipped: {e}")),
        }
    }
    (backends, skipped)
}

/// Ends a timed epoch that started at `start`: busy-waits until `(1 + slowdown)` times the
/// epoch's own duration has passed (nothing when `slowdown` is 0), then returns the elapsed
/// time.
pub fn end_epoch(start: Instant, slowdown: f64) -> Duration {
    let work = start.elapsed();
    if slowdown > 0.0 {
        let until = work.mul_f64(1.0 + slowdown);
        while start.elapsed() < until {
            std::hint::spin_loop();
        }
    }
    start.elapsed()
}

/// One timed training epoch of `config` for each group of seeds in `groups`, trained one
/// group after another from fresh trainers. Setup (initialisation) is not timed; each epoch
/// ends with a device read of its totals, so the clock stops after the device has finished.
pub fn time_epoch(
    config: &TrainConfig,
    groups: &[&[u64]],
    data: &DeviceSplits,
    slowdown: f64,
) -> Result<Duration> {
    let mut trainers = groups
        .iter()
        .map(|g| Trainer::new(config, g, data))
        .collect::<Result<Vec<_>>>()?;
    let start = Instant::now();
    for t in &mut trainers {
        std::hint::black_box(t.train_epoch(0, &mut |_| {}));
    }
    Ok(end_epoch(start, slowdown))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn study(text: &str) -> BenchPlan {
        let s = Study::parse(text, "t.toml").unwrap();
        BenchPlan::from_study(&s, Path::new("t.toml")).unwrap()
    }

    /// Unique (model, batch size) pairs in plan order, one case each, with the first
    /// configuration's settings and one epoch; models once each.
    #[test]
    fn a_plan_becomes_its_unique_model_and_batch_size_pairs() {
        let p = study(
            r#"
            name = "s"
            seeds = 4
            [defaults]
            model = "jsc-tiny"
            batch_size = 64
            lr = 1e-3
            data = "synth:3000:7"
            [[sweep]]
            name = "bs_x_lr"
            vary = { batch_size = [64, 256], lr = [1e-2, 1e-3] }
            [[sweep]]
            name = "model"
            vary = { model = ["jsc-tiny", "mlp:16-64-5"] }
            "#,
        );
        let pairs: Vec<(&str, usize)> = p
            .cases
            .iter()
            .map(|c| (c.model(), c.batch_size()))
            .collect();
        assert_eq!(
            pairs,
            [("jsc-tiny", 64), ("jsc-tiny", 256), ("mlp:16-64-5", 64)]
        );
        assert_eq!(p.cases[0].config.lr, 1e-2);
        assert!(p.cases.iter().all(|c| c.config.epochs == 1));
        assert_eq!(p.models().len(), 2);
        assert_eq!(p.replica_seeds, 4);
        assert_eq!(
            p.data.source,
            DataSource::Synth {
                rows: SYNTH_ROWS,
                seed: 7
            }
        );
        let ids = p.ids("flex");
        assert_eq!(ids.len(), 3 + 2 + 3 * 2);
        assert_eq!(ids[0], "train_epoch/flex/jsc-tiny/bs64");
        assert_eq!(ids[4], "eval/flex/mlp:16-64-5");
        assert_eq!(ids[10], "replicas/flex/mlp:16-64-5/bs64/replicas");
    }

    /// Bad settings are one-line usage errors naming the variable; unset ones take their
    /// defaults.
    #[test]
    fn bad_settings_are_one_line_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("s.toml");
        std::fs::write(
            &file,
            "name = \"s\"\nseeds = 1\n[[sweep]]\nname = \"a\"\nvary = { batch_size = [32] }\n",
        )
        .unwrap();
        let study = file.to_string_lossy().to_string();
        let with = |pairs: &[(&str, &str)]| {
            let pairs: Vec<(String, String)> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .chain([(STUDY_ENV.to_string(), study.clone())])
                .collect();
            BenchEnv::from_vars(&move |name| {
                pairs
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
            })
        };
        let ok = with(&[]).unwrap();
        assert_eq!(ok.threads, available_cores());
        assert_eq!(ok.slowdown, 0.0);
        assert!(!ok.plan.has_replicas());
        let too_many = (available_cores() + 1).to_string();
        for (pairs, needle) in [
            (vec![(THREADS_ENV, "0")], "TRAINBENCH_THREADS='0'"),
            (vec![(THREADS_ENV, "x")], "TRAINBENCH_THREADS='x'"),
            (
                vec![(THREADS_ENV, too_many.as_str())],
                "TRAINBENCH_THREADS=",
            ),
            (
                vec![(BACKEND_ENV, "cuda")],
                "TRAINBENCH_BACKEND: unknown backend",
            ),
            (vec![(SLOWDOWN_ENV, "-1")], "TRAINBENCH_BENCH_SLOWDOWN='-1'"),
            (
                vec![(CUDA_DEVICE_ENV, "gpu0")],
                "TRAINBENCH_CUDA_DEVICE='gpu0'",
            ),
            (
                vec![(STUDY_ENV, "no/such.toml")],
                "TRAINBENCH_STUDY=no/such.toml",
            ),
        ] {
            let e = with(&pairs).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{e}");
            let text = e.to_string();
            assert!(text.contains(needle), "{text}");
            assert_eq!(text.lines().count(), 1, "{text}");
        }
    }
}
