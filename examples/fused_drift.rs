//! Where the fused engine and the default one part: one seed of MODEL trained by both for 4
//! epochs on ROWS synthetic rows, printing after each epoch both engines' training loss and
//! accuracy, the largest relative difference of each parameter tensor (`p0` … in layer order),
//! the relative distance of all parameters, and the fused evaluation against the tensor
//! engines' evaluation of the same parameters.
//!
//! ```sh
//! cargo run --release --example fused_drift -- [MODEL] [LR] [BATCH] [ROWS]   # jsc-toy 1e-2 64 6000
//! ```
//!
//! With one batch per epoch (BATCH ≥ training rows) the first epoch shows what one step does:
//! tensors agree to ~1e-7 except biases whose gradient is zero up to rounding (before a
//! BatchNorm, or feeding one through a linear path), which Adam moves by ±lr in the direction
//! the rounding picks — the source of the drift `tests/training.rs` bounds.

use trainbench::backend::BackendKind;
use trainbench::backprop::Engine;
use trainbench::data::{DataSource, DataSpec, ValMode};
use trainbench::train::{DeviceSplits, TrainConfig, Trainer};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let model = args.get(1).cloned().unwrap_or("jsc-toy".into());
    let lr: f64 = args.get(2).map_or(1e-2, |s| s.parse().unwrap());
    let bs: usize = args.get(3).map_or(64, |s| s.parse().unwrap());
    let rows: usize = args.get(4).map_or(6000, |s| s.parse().unwrap());
    let spec = DataSpec {
        source: DataSource::Synth { rows, seed: 5 },
        val: ValMode::Holdout,
        split_seed: 42,
    };
    let device = BackendKind::default_compiled().unwrap().device().unwrap();
    let data = DeviceSplits::upload(&spec.prepare().unwrap(), &device);
    let c = TrainConfig {
        model,
        batch_size: bs,
        lr,
        epochs: 4,
        ..TrainConfig::default()
    };
    let mut a = Trainer::group(
        &c,
        &trainbench::train::Replica::of(&c, &[0]),
        &data,
        Engine::Manual,
    )
    .unwrap();
    let mut b = Trainer::group(
        &c,
        &trainbench::train::Replica::of(&c, &[0]),
        &data,
        Engine::Fused,
    )
    .unwrap();
    for e in 0..4 {
        let ma = a.train_epoch(e, &mut |_| {});
        let mb = b.train_epoch(e, &mut |_| {});
        let pa: Vec<f32> = a.net().params_to_host().concat().concat();
        let pb: Vec<f32> = b.net().params_to_host().concat().concat();
        for (k, (x, y)) in a
            .net()
            .params_to_host()
            .iter()
            .zip(b.net().params_to_host())
            .enumerate()
        {
            let d: f64 = x[0]
                .iter()
                .zip(&y[0])
                .map(|(p, q)| ((p - q) as f64).abs())
                .fold(0.0, f64::max);
            let m: f64 = x[0].iter().map(|p| (*p as f64).abs()).fold(0.0, f64::max);
            print!(" p{k}:{:.0e}", d / m);
        }
        println!();
        let num: f64 = pa
            .iter()
            .zip(&pb)
            .map(|(x, y)| ((x - y) as f64).powi(2))
            .sum::<f64>()
            .sqrt();
        let den: f64 = pa.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
        let fe = b.evaluate(&data.val);
        let te = trainbench::train::evaluate(b.net(), &data.val);
        println!(
            "   fused eval {:?} vs tensor eval of the fused params {:?}",
            fe[0], te[0]
        );
        println!(
            "epoch {e}: manual {:?} fused {:?}  |dp|/|p| = {:.2e}",
            ma[0],
            mb[0],
            num / den
        );
    }
}
