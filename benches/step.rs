//! Criterion bench of the replica step's two costs: one training epoch of jsc-tiny (fixed,
//! seeded synthetic data: 50,000 training rows; batch sizes 32 and 256) for S = 1, 2, 4, 8, 16
//! replicas, ids `step/<backend>/jsc-tiny/bs<N>/s<S>`, throughput in steps. A step of S
//! replicas costs a fixed part F (per-operation costs, paid once whatever S) plus S times a
//! per-replica part D (the arithmetic and memory traffic of one replica's batch):
//! `scripts/step-cost.py` fits `t(S) = F + S·D` per batch size from criterion's results.
//!
//! It calls only library items older than itself (`Trainer::new`, `train_epoch`,
//! `batches`), so `scripts/step-cost.sh BASE` builds this same file against an older commit
//! and measures both side by side (docs/performance.md).
//!
//! `TRAINBENCH_BACKEND` picks one backend (default: every compiled-in backend);
//! `TRAINBENCH_THREADS` sets the backend threads (default: 1, the setting the costs are
//! quoted for).

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use std::time::{Duration, Instant};
use trainbench::backend::BackendKind;
use trainbench::data::{DataSource, DataSpec, ValMode};
use trainbench::train::{DeviceSplits, TrainConfig, Trainer};

/// 69,445 generated rows → 50,000 training rows after the 80/20 and 90/10 splits.
const ROWS: usize = 69_445;
const MODEL: &str = "jsc-tiny";
const BATCH_SIZES: [usize; 2] = [32, 256];
const REPLICAS: [u64; 5] = [1, 2, 4, 8, 16];

/// A setting from the environment, or a one-line error and exit 2 (never a panic).
fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Err(_) => default,
        Ok(v) => v.parse().unwrap_or_else(|_| {
            eprintln!("error: {name}='{v}' is not valid here");
            std::process::exit(2)
        }),
    }
}

fn step(c: &mut Criterion) {
    let threads: usize = setting("TRAINBENCH_THREADS", 1);
    let kinds = match std::env::var("TRAINBENCH_BACKEND") {
        Ok(_) => vec![setting("TRAINBENCH_BACKEND", BackendKind::Flex)],
        Err(_) => BackendKind::compiled(),
    };
    let mut group = c.benchmark_group("step");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for kind in kinds {
        let spec = DataSpec {
            source: DataSource::Synth {
                rows: ROWS,
                seed: 1,
            },
            val: ValMode::Holdout,
            split_seed: 42,
        };
        let device = kind.set_threads(threads).and_then(|()| kind.device());
        let (device, splits) = match device.and_then(|d| Ok((d, spec.prepare()?))) {
            Ok(ok) => ok,
            Err(e) => {
                eprintln!("error: backend {kind}: {e}");
                std::process::exit(1)
            }
        };
        let data = DeviceSplits::upload(&splits, &device);
        for bs in BATCH_SIZES {
            let config = TrainConfig {
                model: MODEL.into(),
                batch_size: bs,
                lr: 1e-3,
                epochs: 1,
                ..TrainConfig::default()
            };
            for s in REPLICAS {
                let seeds: Vec<u64> = (0..s).collect();
                let steps = Trainer::new(&config, &seeds, &data).unwrap().batches();
                group.throughput(Throughput::Elements(steps as u64));
                let id = BenchmarkId::new(format!("{kind}/{MODEL}/bs{bs}"), format!("s{s}"));
                group.bench_function(id, |b| {
                    b.iter_custom(|iters| {
                        let mut total = Duration::ZERO;
                        for _ in 0..iters {
                            let mut trainer = Trainer::new(&config, &seeds, &data).unwrap();
                            let start = Instant::now();
                            // Ends with a device read of the epoch's totals: a full sync.
                            std::hint::black_box(trainer.train_epoch(0, &mut |_| {}));
                            total += start.elapsed();
                        }
                        total
                    })
                });
            }
        }
    }
    group.finish();
}

criterion_group!(benches, step);
criterion_main!(benches);
