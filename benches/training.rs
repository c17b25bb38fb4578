//! Criterion benches of the training loop, derived from a study file and calling the same
//! library code as the CLI (`trainbench::bench` says what is measured and how).
//!
//! `TRAINBENCH_STUDY=PATH` (default `studies/lab1.toml`) names the study. Group
//! `train_epoch`: one training epoch per unique (model, batch size) of its plan
//! (`train_epoch/<backend>/<model>/bs<N>`, rows/s). Group `eval`: inference over the
//! validation split per model (`eval/<backend>/<model>`). Group `replicas`: one epoch of the
//! study's seeds per (model, batch size), trained one after another (`…/sequential`) and
//! together as replicas (`…/replicas`); throughput in seed-rows/s, so the ratio of the two is
//! the replica speedup. The data is a fixed size of the study's data source (50,000
//! training rows; see `trainbench::bench`). Setup (data, model init) is not timed; a backend's
//! device copy of the data is made when its first benchmark runs, and
//! `cargo bench --bench training -- --list` lists what a study yields without preparing
//! anything.
//!
//! `TRAINBENCH_BACKEND` picks one backend (default: every compiled-in backend, and with
//! `--features tch` LibTorch CUDA device `TRAINBENCH_CUDA_DEVICE` (default 0) when LibTorch
//! sees it); `TRAINBENCH_THREADS` sets the backend threads (default: all cores). A bad
//! setting is one line on stderr and exit 2.
//!
//! Calibration knob (for `trainbench baseline ab --inject-slowdown`, see docs/baselines.md):
//! `TRAINBENCH_BENCH_SLOWDOWN=F` (a fraction, e.g. `0.10`) stretches every timed training
//! epoch of `train_epoch` and `replicas` by F of its own measured time, busy-waiting on the
//! clock after the epoch, so the bench is (1 + F)× slower whatever the machine. Unset, it
//! costs nothing: normal runs are unaffected.

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use std::cell::OnceCell;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use trainbench::backend::BackendKind;
use trainbench::baseline::criterion::{BenchSettings, default_criterion_dir};
use trainbench::bench::{self, BenchCase, BenchData, BenchEnv, REPLICA_MODES};
use trainbench::train::{DeviceSplits, TrainConfig, Trainer};

/// Ends the process with one line for the user: the bench cannot go on.
fn fail(e: trainbench::Error) -> ! {
    eprintln!("error: {e}");
    std::process::exit(e.exit_code())
}

/// The run's record of what it measured (`trainbench-bench.json`), kept only when criterion
/// measures (not for `--list` or a `--test` run).
static RECORD: Mutex<Option<BenchSettings>> = Mutex::new(None);

/// Notes that benchmark `id` is being measured.
fn measured(id: &str) {
    let mut record = RECORD.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(r) = record.as_mut()
        && let Err(e) = r.record(id, &default_criterion_dir())
    {
        fail(e);
    }
}

/// The study's data, prepared on first use (a listed or filtered-out benchmark needs none).
fn splits(env: &BenchEnv) -> &'static BenchData {
    static DATA: OnceLock<BenchData> = OnceLock::new();
    DATA.get_or_init(|| {
        let data = BenchData::prepare(&env.plan.data).unwrap_or_else(|e| fail(e));
        for note in &data.notes {
            eprintln!("note: {note}");
        }
        data
    })
}

/// One backend's device copy of the data, uploaded on first use.
struct Backend<'e> {
    env: &'e BenchEnv,
    kind: BackendKind,
    data: OnceCell<DeviceSplits>,
}

impl<'e> Backend<'e> {
    fn new(env: &'e BenchEnv, kind: BackendKind) -> Self {
        Backend {
            env,
            kind,
            data: OnceCell::new(),
        }
    }

    fn data(&self) -> &DeviceSplits {
        self.data.get_or_init(|| {
            let device = self.kind.device().unwrap_or_else(|e| fail(e));
            DeviceSplits::upload(&splits(self.env).splits, &device)
        })
    }
}

/// Criterion's id of the library's benchmark id `group/…/last`: function `…`, parameter
/// `last`, so that criterion's full id is the library's and its folders are as before.
fn bench_id(id: &str) -> BenchmarkId {
    let (_group, rest) = id.split_once('/').expect("a group/function id");
    let (function, parameter) = rest.rsplit_once('/').expect("a function/parameter id");
    BenchmarkId::new(function, parameter)
}

/// A group of whole training epochs: flat sampling, 10 samples, 3 s of measurement.
fn training_group<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    group
}

/// `iters` timed epochs of `config` for the seed `groups`, from fresh trainers each time.
fn epochs(
    config: &TrainConfig,
    groups: &[&[u64]],
    data: &DeviceSplits,
    slowdown: f64,
    iters: u64,
) -> Duration {
    (0..iters)
        .map(|_| bench::time_epoch(config, groups, data, slowdown).unwrap_or_else(|e| fail(e)))
        .sum()
}

/// Rows of the training and validation splits: of the prepared data when measuring, else
/// (listing) the bench's sizes.
#[derive(Clone, Copy)]
struct Rows {
    train: u64,
    val: u64,
}

fn train_epoch(c: &mut Criterion, env: &BenchEnv, backends: &[Backend], rows: Rows) {
    let mut group = training_group(c, "train_epoch");
    group.throughput(Throughput::Elements(rows.train));
    for b in backends {
        for case in &env.plan.cases {
            let id = bench::train_id(&b.kind.to_string(), case);
            group.bench_function(bench_id(&id), |bencher| {
                measured(&id);
                let data = b.data();
                let config = case.config_on(b.kind);
                bencher.iter_custom(|iters| epochs(&config, &[&[0]], data, env.slowdown, iters))
            });
        }
    }
    group.finish();
}

fn eval(c: &mut Criterion, env: &BenchEnv, backends: &[Backend], rows: Rows) {
    let mut group = c.benchmark_group("eval");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(2));
    group.throughput(Throughput::Elements(rows.val));
    for b in backends {
        for case in env.plan.models() {
            let id = bench::eval_id(&b.kind.to_string(), case.model());
            group.bench_function(bench_id(&id), |bencher| {
                measured(&id);
                let data = b.data();
                let config = case.config_on(b.kind);
                let mut trainer = Trainer::new(&config, &[0], data).unwrap_or_else(|e| fail(e));
                bencher.iter(|| trainer.evaluate(&data.val))
            });
        }
    }
    group.finish();
}

fn replicas(c: &mut Criterion, env: &BenchEnv, backends: &[Backend], rows: Rows) {
    if !env.plan.has_replicas() {
        return;
    }
    let mut group = training_group(c, "replicas");
    let seeds: Vec<u64> = (0..env.plan.replica_seeds as u64).collect();
    group.throughput(Throughput::Elements(seeds.len() as u64 * rows.train));
    // One trainer per seed, run in turn, against one trainer for all seeds.
    let modes: [Vec<&[u64]>; 2] = [seeds.chunks(1).collect(), vec![&seeds[..]]];
    for b in backends {
        for case in &env.plan.cases {
            for (mode, groups) in REPLICA_MODES.iter().zip(&modes) {
                replica_bench(&mut group, env, b, case, mode, groups);
            }
        }
    }
    group.finish();
}

fn replica_bench(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    env: &BenchEnv,
    b: &Backend,
    case: &BenchCase,
    mode: &str,
    groups: &[&[u64]],
) {
    let id = bench::replicas_id(&b.kind.to_string(), case, mode);
    group.bench_function(bench_id(&id), |bencher| {
        measured(&id);
        let data = b.data();
        let config = case.config_on(b.kind);
        bencher.iter_custom(|iters| epochs(&config, groups, data, env.slowdown, iters))
    });
}

/// Whether criterion will measure, by its own rule: `--bench` (which cargo bench passes)
/// without `--test`, `--list` or `--profile-time`.
fn measuring() -> bool {
    let args: Vec<String> = std::env::args().collect();
    let has = |flag: &str| {
        args.iter()
            .any(|a| a == flag || a.starts_with(&format!("{flag}=")))
    };
    has("--bench") && !has("--list") && !has("--test") && !has("--profile-time")
}

fn main() {
    let env = BenchEnv::from_env().unwrap_or_else(|e| fail(e));
    eprintln!("{}", env.plan.describe());
    for line in &env.skipped {
        eprintln!("{line}");
    }
    // Before anything parallel runs (the data generator uses rayon's global pool too).
    env.set_threads().unwrap_or_else(|e| fail(e));
    let mut rows = Rows {
        train: bench::TRAIN_ROWS as u64,
        val: bench::VAL_ROWS as u64,
    };
    if measuring() {
        let data = &splits(&env).splits;
        rows = Rows {
            train: data.train.len() as u64,
            val: data.val.len() as u64,
        };
        let settings = BenchSettings {
            threads: env.threads,
            study: Some(env.plan.study_file.display().to_string()),
            measured: Some(Vec::new()),
        };
        settings
            .write(&default_criterion_dir())
            .unwrap_or_else(|e| fail(e));
        *RECORD.lock().unwrap_or_else(|e| e.into_inner()) = Some(settings);
    }
    let backends: Vec<Backend> = env
        .backends
        .iter()
        .map(|&k| Backend::new(&env, k))
        .collect();
    let mut c = Criterion::default().configure_from_args();
    train_epoch(&mut c, &env, &backends, rows);
    eval(&mut c, &env, &backends, rows);
    replicas(&mut c, &env, &backends, rows);
    c.final_summary();
}
