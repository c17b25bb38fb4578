//! How a replica step's time grows with the group size S: one training epoch of 50,000
//! synthetic rows per S on Flex with one thread, best of REPS, in µs per step and per
//! replica-step, and the straight-line fit `time = F + S·D` over the sizes.
//!
//! ```sh
//! cargo run --release --example group_size -- [MODEL] [BATCH] [REPS]   # jsc-tiny 256 3
//! SIZES=8,16,32,64,128,256 cargo run --release --example group_size -- jsc-tiny 32 2
//! ```
//!
//! `SIZES` (default 1,2,4,8,16) lists the group sizes; `ROWS` (default 69445) the synthetic
//! rows (Lab 1's default `synth` data has 986,812: a table larger than the caches); `LRS`
//! (default 1e-3) gives each seed one replica per learning rate (a group mixing configurations); `ENGINE=autodiff` times
//! burn's autodiff instead of the hand-derived backward, `ENGINE=fused` the fused engine
//! (src/fused/). docs/performance.md has the table behind `--replicas auto`'s cap of 4,096
//! rows a step.

use std::time::Instant;
use trainbench::backend::BackendKind;
use trainbench::backprop::Engine;
use trainbench::data::{DataSource, DataSpec, ValMode};
use trainbench::train::{DeviceSplits, Replica, TrainConfig, Trainer};

/// A list of numbers from an environment variable, or `default`.
fn env_list<T: std::str::FromStr>(name: &str, default: &str) -> Vec<T> {
    std::env::var(name)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .map(|x| {
            x.trim()
                .parse()
                .unwrap_or_else(|_| panic!("{name}: '{x}' is not a number"))
        })
        .collect()
}

fn main() -> trainbench::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let model = args.get(1).cloned().unwrap_or_else(|| "jsc-tiny".into());
    let batch_size: usize = args.get(2).map_or(256, |s| s.parse().expect("BATCH"));
    let reps: usize = args.get(3).map_or(3, |s| s.parse().expect("REPS"));
    let engine: Engine = std::env::var("ENGINE")
        .unwrap_or_else(|_| "manual".into())
        .parse()?;
    let sizes: Vec<usize> = env_list("SIZES", "1,2,4,8,16");
    let lrs: Vec<f64> = env_list("LRS", "1e-3");
    let spec = DataSpec {
        source: DataSource::Synth {
            rows: env_list("ROWS", "69445")[0],
            seed: 1,
        },
        val: ValMode::Holdout,
        split_seed: 42,
    };
    let kind = BackendKind::default_compiled()?;
    kind.set_threads(1)?;
    let device = kind.device()?;
    let data = DeviceSplits::upload(&spec.prepare()?, &device);
    let config = TrainConfig {
        model: model.clone(),
        batch_size,
        lr: lrs[0],
        epochs: 1,
        ..TrainConfig::default()
    };
    let mut points = Vec::new();
    for &s in &sizes {
        let replicas: Vec<Replica> = (0..s as u64)
            .flat_map(|seed| {
                lrs.iter().map(move |&lr| Replica {
                    seed,
                    lr,
                    adam: Default::default(),
                })
            })
            .collect();
        let mut best = f64::MAX;
        for _ in 0..reps.max(1) {
            let mut trainer = Trainer::group(&config, &replicas, &data, engine)?;
            let steps = trainer.batches();
            let start = Instant::now();
            trainer.train_epoch(0, &mut |_| {});
            best = best.min(start.elapsed().as_secs_f64() * 1e6 / steps as f64);
        }
        let n = replicas.len();
        println!(
            "{model} bs{batch_size} S={n}: {best:.1} µs/step, {:.2} µs/replica-step ({} rows a step)",
            best / n as f64,
            n * batch_size
        );
        points.push((n as f64, best));
    }
    if points.len() > 1 {
        let n = points.len() as f64;
        let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
        let my = points.iter().map(|p| p.1).sum::<f64>() / n;
        let d = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>()
            / points.iter().map(|p| (p.0 - mx).powi(2)).sum::<f64>();
        println!("fit: F = {:.1} µs, D = {d:.2} µs/replica", my - d * mx);
    }
    Ok(())
}
