//! The gradient noise scale's per-example sums against an independent computation.

use burn::prelude::*;
use trainbench::backend::BackendKind;
use trainbench::model::{Layer, ModelSpec};
use trainbench::net::Net;
use trainbench::noise_scale::{NoiseScale, gradient_sums, noise_scale};

/// jsc-toy in evaluation mode at a fixed state, 12 examples: `Σ_i |g_i|²` and `|Σ_i g_i|²`
/// of the per-example cross-entropy gradients agree with PyTorch's per-sample gradients
/// (`torch.func.vmap(grad(...))`, float64 from the same float32 values), printed by
/// `~/.cache/trainbench/peers-venv/bin/python scripts/noise_scale_reference.py` (torch 2.9.0):
/// sum_sq = 11.584888280776855, total_sq = 0.687657923783347. The state and batch are the
/// formulas that script documents.
#[test]
fn per_example_gradient_sums_match_pytorch() {
    let device = BackendKind::default_compiled().unwrap().device().unwrap();
    let spec = ModelSpec::parse("jsc-toy").unwrap();
    let mut sizes = Vec::new();
    for layer in &spec.layers {
        match *layer {
            Layer::Linear(i, o) => sizes.extend([i * o, o]),
            Layer::BatchNorm(n) => sizes.extend([n, n]),
            Layer::Relu => {}
        }
    }
    let params: Vec<Vec<f32>> = sizes
        .iter()
        .enumerate()
        .map(|(k, &len)| {
            (0..len)
                .map(|j| (0.5 * (1.3 * k as f64 + 0.37 * j as f64 + 0.1).sin() + 0.2) as f32)
                .collect()
        })
        .collect();
    let mut net = Net::from_host(&spec, &[params], &device);
    for (m, run) in net.running.iter_mut().enumerate() {
        let n = run.mean.dims()[1];
        let col = |f: &dyn Fn(f64) -> f64| {
            let v: Vec<f32> = (0..n).map(|i| f(i as f64) as f32).collect();
            Tensor::<3>::from_data(TensorData::new(v, [1, n, 1]), &device)
        };
        let m = m as f64;
        run.mean = col(&|f| 0.1 * (0.7 * m + 0.5 * f).cos());
        run.var = col(&|f| 1.0 + 0.5 * (0.3 * m + 0.9 * f).sin().powi(2));
    }
    let n = 12;
    // Feature-major: [1, 16, n] and one-hot [1, 5, n].
    let mut x = vec![0f32; 16 * n];
    let mut one_hot = vec![0f32; 5 * n];
    for i in 0..n {
        for f in 0..16 {
            let (fi, ff) = (i as f64, f as f64);
            x[f * n + i] = (2.0 * (0.21 * fi * ff + 0.3 * fi + 0.05 * ff).sin()) as f32;
        }
        one_hot[(i % 5) * n + i] = 1.0;
    }
    let x = Tensor::<3>::from_data(TensorData::new(x, [1, 16, n]), &device);
    let one_hot = Tensor::<3>::from_data(TensorData::new(one_hot, [1, 5, n]), &device);
    let (sum_sq, total_sq) = gradient_sums(&net, x.clone(), one_hot.clone());
    let read = |t: Tensor<1>| t.into_data().try_to_vec::<f32>().unwrap()[0] as f64;
    let (sum_sq, total_sq) = (read(sum_sq), read(total_sq));
    let close = |got: f64, want: f64| (got - want).abs() <= 1e-5 * want.abs();
    assert!(close(sum_sq, 11.584888280776855), "sum_sq {sum_sq}");
    assert!(close(total_sq, 0.687657923783347), "total_sq {total_sq}");
    // The one-read summary gives the estimators of those sums (12 examples are too few for
    // |G|² here: it comes out negative and B_simple undefined, as the estimator allows).
    let ns = noise_scale(&net, x, one_hot)[0];
    let want = NoiseScale::from_sums(sum_sq, total_sq, n);
    assert_eq!(
        (ns.examples, ns.trace_cov, ns.grad_sq),
        (n, want.trace_cov, want.grad_sq)
    );
    assert!(ns.grad_sq < 0.0 && ns.b_simple.is_nan());
}

/// The estimators on hand-computable sums: 4 examples with gradients (1, 0), (0, 1),
/// (1, 0), (0, 1): Σ|g_i|² = 4, Σg_i = (2, 2) so |Σg_i|² = 8, ḡ = (½, ½), |ḡ|² = ½;
/// tr(Σ) = (4 − 4·½)/3 = 2/3; |G|² = ½ − (2/3)/4 = 1/3; B_simple = 2.
#[test]
fn estimators_are_unbiased_forms() {
    let ns = NoiseScale::from_sums(4.0, 8.0, 4);
    assert!((ns.trace_cov - 2.0 / 3.0).abs() < 1e-12);
    assert!((ns.grad_sq - 1.0 / 3.0).abs() < 1e-12);
    assert!((ns.b_simple - 2.0).abs() < 1e-12);
    // A mean gradient lost in its noise: |G|² estimated ≤ 0, B_simple undefined.
    assert!(NoiseScale::from_sums(4.0, 0.0, 4).b_simple.is_nan());
}
