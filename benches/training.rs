//! Criterion benches of the training loop, calling the same library code as the CLI.
//!
//! Group `train_epoch`: one training epoch (fixed, seeded synthetic data: 50,000 training
//! rows) for every model of the Lab 1 model sweep × batch sizes 32…512; ids are
//! `train_epoch/<backend>/<model>/bs<N>`, throughput in rows/s. Group `eval`: inference over
//! the validation split. Group `replicas`: one epoch of [`SEEDS`] seeds of jsc-tiny and
//! jsc-toy-10x, trained one after another (`…/sequential`) and together as replicas
//! (`…/replicas`); throughput in seed-rows/s, so the ratio of the two is the replica speedup.
//! Setup (data upload, model init) is not timed; each timed epoch ends
//! with a device read, so the clock stops after the device has finished.
//!
//! `TRAINBENCH_BACKEND` picks one backend (default: every compiled-in backend);
//! `TRAINBENCH_THREADS` sets the backend threads (default: all cores).
//!
//! Calibration knob (for `trainbench baseline ab --inject-slowdown`, see docs/baselines.md):
//! `TRAINBENCH_BENCH_SLOWDOWN=F` (a fraction, e.g. `0.10`) stretches every timed training
//! epoch of `train_epoch` and `replicas` by F of its own measured time, busy-waiting on the
//! clock after the epoch, so the bench is (1 + F)× slower whatever the machine. Unset, it
//! costs nothing: normal runs are unaffected.

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use std::time::{Duration, Instant};
use trainbench::backend::{BackendKind, available_cores};
use trainbench::baseline::criterion::{BenchSettings, default_criterion_dir};
use trainbench::data::{DataSource, DataSpec, ValMode};
use trainbench::train::{DeviceSplits, TrainConfig, Trainer, evaluate};

const MODELS: [&str; 4] = ["jsc-tiny", "jsc-toy", "jsc-tiny-10x", "jsc-toy-10x"];
const BATCH_SIZES: [usize; 5] = [32, 64, 128, 256, 512];
/// 69,445 generated rows → 50,000 training rows after the 80/20 and 90/10 splits.
const ROWS: usize = 69_445;

fn backends() -> Vec<BackendKind> {
    match std::env::var("TRAINBENCH_BACKEND") {
        Ok(b) => vec![b.parse().expect("TRAINBENCH_BACKEND")],
        Err(_) => BackendKind::compiled(),
    }
}

fn threads() -> usize {
    std::env::var("TRAINBENCH_THREADS")
        .ok()
        .map(|t| t.parse().expect("TRAINBENCH_THREADS"))
        .unwrap_or_else(available_cores)
}

/// The injected slowdown fraction (`TRAINBENCH_BENCH_SLOWDOWN`), 0 when unset.
fn slowdown() -> f64 {
    std::env::var("TRAINBENCH_BENCH_SLOWDOWN")
        .ok()
        .map(|f| f.parse().expect("TRAINBENCH_BENCH_SLOWDOWN: a fraction"))
        .unwrap_or(0.0)
}

/// Ends a timed epoch that started at `start`: busy-waits until `(1 + f)` times the epoch's
/// own duration has passed (nothing when `f` is 0), then returns the elapsed time.
fn end_epoch(start: Instant, f: f64) -> Duration {
    let work = start.elapsed();
    if f > 0.0 {
        let until = work.mul_f64(1.0 + f);
        while start.elapsed() < until {
            std::hint::spin_loop();
        }
    }
    start.elapsed()
}

fn bench_data(kind: BackendKind) -> DeviceSplits {
    let spec = DataSpec {
        source: DataSource::Synth {
            rows: ROWS,
            seed: 1,
        },
        val: ValMode::Holdout,
        split_seed: 42,
    };
    // Before anything parallel runs (the generator uses rayon's global pool too).
    kind.set_threads(threads()).expect("threads");
    // The threads of this measurement, for `baseline save-timing` / `check-timing`.
    BenchSettings { threads: threads() }
        .write(&default_criterion_dir())
        .expect("bench settings");
    let splits = spec.prepare().expect("synthetic data");
    DeviceSplits::upload(&splits, &kind.device().expect("backend"))
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

fn train_epoch(c: &mut Criterion) {
    let mut group = training_group(c, "train_epoch");
    let f = slowdown();
    for kind in backends() {
        let data = bench_data(kind);
        group.throughput(Throughput::Elements(data.train.len() as u64));
        for model in MODELS {
            for bs in BATCH_SIZES {
                let config = TrainConfig {
                    model: model.into(),
                    batch_size: bs,
                    lr: 1e-3,
                    epochs: 1,
                    ..TrainConfig::default()
                };
                let id = BenchmarkId::new(format!("{kind}/{model}"), format!("bs{bs}"));
                group.bench_function(id, |b| {
                    b.iter_custom(|iters| {
                        let mut total = Duration::ZERO;
                        for _ in 0..iters {
                            let mut trainer = Trainer::new(&config, &[0], &data).unwrap();
                            let start = Instant::now();
                            // Ends with a device read of the epoch's totals: a full sync.
                            std::hint::black_box(trainer.train_epoch(0, &mut |_| {}));
                            total += end_epoch(start, f);
                        }
                        total
                    })
                });
            }
        }
    }
    group.finish();
}

fn eval(c: &mut Criterion) {
    let mut group = c.benchmark_group("eval");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(2));
    for kind in backends() {
        let data = bench_data(kind);
        group.throughput(Throughput::Elements(data.val.len() as u64));
        for model in MODELS {
            let config = TrainConfig {
                model: model.into(),
                ..TrainConfig::default()
            };
            let trainer = Trainer::new(&config, &[0], &data).unwrap();
            group.bench_function(BenchmarkId::new(kind.to_string(), model), |b| {
                b.iter(|| evaluate(trainer.net(), &data.val))
            });
        }
    }
    group.finish();
}

/// Seeds per configuration in the `replicas` group (a Lab 1 configuration's seed count).
const SEEDS: u64 = 10;

fn replicas(c: &mut Criterion) {
    let mut group = training_group(c, "replicas");
    let f = slowdown();
    let seeds: Vec<u64> = (0..SEEDS).collect();
    for kind in backends() {
        let data = bench_data(kind);
        group.throughput(Throughput::Elements(SEEDS * data.train.len() as u64));
        for model in ["jsc-tiny", "jsc-toy-10x"] {
            for bs in BATCH_SIZES {
                let config = TrainConfig {
                    model: model.into(),
                    batch_size: bs,
                    lr: 1e-3,
                    epochs: 1,
                    ..TrainConfig::default()
                };
                // One trainer per seed, run in turn, against one trainer for all seeds.
                let modes: [(&str, Vec<&[u64]>); 2] = [
                    ("sequential", seeds.chunks(1).collect()),
                    ("replicas", vec![&seeds[..]]),
                ];
                for (mode, groups) in modes {
                    let id = BenchmarkId::new(format!("{kind}/{model}/bs{bs}"), mode);
                    group.bench_function(id, |b| {
                        b.iter_custom(|iters| {
                            let mut total = Duration::ZERO;
                            for _ in 0..iters {
                                let mut trainers: Vec<Trainer> = groups
                                    .iter()
                                    .map(|g| Trainer::new(&config, g, &data).unwrap())
                                    .collect();
                                let start = Instant::now();
                                for t in &mut trainers {
                                    std::hint::black_box(t.train_epoch(0, &mut |_| {}));
                                }
                                total += end_epoch(start, f);
                            }
                            total
                        })
                    });
                }
            }
        }
    }
    group.finish();
}

criterion_group!(benches, train_epoch, eval, replicas);
criterion_main!(benches);
