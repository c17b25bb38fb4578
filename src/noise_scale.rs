//! The gradient noise scale of a network at its current parameters (McCandlish et al. 2018,
//! "An empirical model of large-batch training"): `B_simple = tr(Σ) / |G|²`, where `G` is the
//! mean gradient of the per-example losses over a probe batch and `Σ` their covariance. Where
//! the batch size is well below `B_simple`, a step's gradient is mostly noise and a larger
//! batch buys a proportionally larger learning rate; well above it, little.
//!
//! Per-example gradients are taken in evaluation mode (BatchNorm normalises with its running
//! statistics), where each example's loss depends on that example alone; in training mode a
//! batch's examples are coupled through the batch statistics and a per-example gradient is not
//! defined. They are never materialised: every quantity is a sum of per-example squared norms
//! or a norm of the summed gradient, which the layer structure gives in closed form — for a
//! Linear layer `|dW_i|² = |dy_i|²·|x_i|²` (an outer product) and `Σ_i dW_i = dY·Xᵀ`.
//!
//! From n examples with gradients `g_i` (of the per-example cross-entropy) and mean `ḡ`:
//! `tr(Σ) = (Σ|g_i|² − n|ḡ|²) / (n − 1)` (unbiased), `|G|² = |ḡ|² − tr(Σ)/n` (unbiased, since
//! `E|ḡ|² = |G|² + tr(Σ)/n`), `B_simple = tr(Σ) / |G|²`. `tests/noise_scale.rs` checks the
//! two sums against PyTorch's per-sample gradients (`torch.func.vmap(grad(...))`).

use crate::model::Layer;
use crate::net::{BN_EPS, Net};
use burn::prelude::*;
use burn::tensor::activation::relu;
use serde::{Deserialize, Serialize};

/// The gradient statistics of one replica over a probe batch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NoiseScale {
    /// Examples in the probe batch.
    pub examples: usize,
    /// `tr(Σ)`: the summed variance of the per-example gradients (unbiased).
    #[serde(with = "crate::jsonfloat")]
    pub trace_cov: f64,
    /// `|G|²`: the squared norm of the true mean gradient (unbiased estimate; may come out
    /// negative when the gradient is small against its noise).
    #[serde(with = "crate::jsonfloat")]
    pub grad_sq: f64,
    /// `B_simple = tr(Σ) / |G|²` (NaN when `|G|²` is not positive).
    #[serde(with = "crate::jsonfloat")]
    pub b_simple: f64,
}

impl NoiseScale {
    /// The estimates from `Σ_i |g_i|²` (`sum_sq`) and `|Σ_i g_i|²` (`total_sq`) over `n`
    /// examples.
    pub fn from_sums(sum_sq: f64, total_sq: f64, n: usize) -> Self {
        let nf = n as f64;
        let mean_sq = total_sq / (nf * nf);
        let trace_cov = (sum_sq - nf * mean_sq) / (nf - 1.0);
        let grad_sq = mean_sq - trace_cov / nf;
        NoiseScale {
            examples: n,
            trace_cov,
            grad_sq,
            b_simple: if grad_sq > 0.0 {
                trace_cov / grad_sq
            } else {
                f64::NAN
            },
        }
    }
}

/// `Σ` over every dimension but the first: `[S, a, b]` → `[S]` values.
fn per_replica(t: Tensor<3>) -> Tensor<1> {
    let s = t.dims()[0];
    t.sum_dim(2).sum_dim(1).reshape([s])
}

/// Per replica, `Σ_i |g_i|²` and `|Σ_i g_i|²` of the per-example cross-entropy gradients of
/// `net` (evaluation mode) over the examples `x: [1 or S, in, n]` with one-hot labels
/// `one_hot: [1 or S, out, n]`, as `[S]` tensors on the device (no device read).
pub fn gradient_sums(net: &Net, x: Tensor<3>, one_hot: Tensor<3>) -> (Tensor<1>, Tensor<1>) {
    let params = net.params();
    let s = net.replicas();
    // Forward in evaluation mode, keeping what the backward needs: a Linear's input, a
    // BatchNorm's normalised input and scale, a ReLU's input.
    #[allow(clippy::large_enum_variant)] // a handful per call
    enum Kept {
        Linear(Tensor<3>),
        BatchNorm {
            normalised: Tensor<3>,
            scale: Tensor<3>,
        },
        Relu(Tensor<3>),
    }
    let mut kept = Vec::with_capacity(net.layers().len());
    let mut p = params.iter();
    let mut bn = net.running.iter();
    let mut h = x;
    for layer in net.layers() {
        h = match layer {
            Layer::Linear(..) => {
                let (w, b) = (p.next().unwrap(), p.next().unwrap());
                kept.push(Kept::Linear(h.clone()));
                w.clone().matmul(h) + b.clone()
            }
            Layer::BatchNorm(_) => {
                let (g, b) = (p.next().unwrap(), p.next().unwrap());
                let run = bn.next().unwrap();
                let inv_std = run.var.clone().add_scalar(BN_EPS).sqrt().recip();
                let normalised = (h - run.mean.clone()) * inv_std.clone();
                let scale = g.clone() * inv_std;
                kept.push(Kept::BatchNorm {
                    normalised: normalised.clone(),
                    scale,
                });
                normalised * g.clone() + b.clone()
            }
            Layer::Relu => {
                kept.push(Kept::Relu(h.clone()));
                relu(h)
            }
        };
    }
    // Per-example logit gradients: softmax − one-hot, along the class dimension (1).
    let shifted = h.clone() - h.max_dim(1);
    let e = shifted.exp();
    let mut dy = e.clone() / e.sum_dim(1) - one_hot;
    let zeros = || Tensor::<1>::zeros([s], &dy.device());
    let (mut sum_sq, mut total_sq) = (zeros(), zeros());
    // Σ_i |v_i|² and |Σ_i v_i|² of per-example vectors `v: [S, d, n]` (examples along 2).
    let sums = |v: Tensor<3>| {
        (
            per_replica(v.clone().square()),
            per_replica(v.sum_dim(2).square()),
        )
    };
    let mut next = params.len();
    // Whether an earlier layer has parameters (the input's gradient is then needed).
    let needs_input =
        |k: usize, layers: &[Layer]| layers[..k].iter().any(|l| !matches!(l, Layer::Relu));
    let layers = net.layers();
    for (k, kept) in kept.into_iter().enumerate().rev() {
        dy = match kept {
            Kept::Relu(x) => dy * x.greater_elem(0.0).float(),
            Kept::Linear(x) => {
                next -= 2;
                let w = &params[next];
                // Bias: the per-example gradient is dy_i itself.
                let (b_sq, b_total) = sums(dy.clone());
                // Weight: |dy_i xᵢᵀ|² = |dy_i|²·|x_i|²; Σ_i dy_i xᵢᵀ = dY·Xᵀ.
                let norms = dy.clone().square().sum_dim(1) * x.clone().square().sum_dim(1);
                let w_total = dy.clone().matmul(x.swap_dims(1, 2));
                sum_sq = sum_sq + b_sq + per_replica(norms);
                total_sq = total_sq + b_total + per_replica(w_total.square());
                if needs_input(k, layers) {
                    w.clone().swap_dims(1, 2).matmul(dy)
                } else {
                    break;
                }
            }
            Kept::BatchNorm { normalised, scale } => {
                next -= 2;
                let (b_sq, b_total) = sums(dy.clone());
                let (g_sq, g_total) = sums(dy.clone() * normalised);
                sum_sq = sum_sq + b_sq + g_sq;
                total_sq = total_sq + b_total + g_total;
                if needs_input(k, layers) {
                    dy * scale
                } else {
                    break;
                }
            }
        };
    }
    (sum_sq, total_sq)
}

/// The noise scale of every replica of `net` over the probe examples `x: [1 or S, in, n]`
/// with one-hot labels `one_hot: [1 or S, out, n]` (one device read).
pub fn noise_scale(net: &Net, x: Tensor<3>, one_hot: Tensor<3>) -> Vec<NoiseScale> {
    let n = x.dims()[2];
    let (sum_sq, total_sq) = gradient_sums(net, x, one_hot);
    let both: Vec<f32> = Tensor::cat(vec![sum_sq, total_sq], 0)
        .into_data()
        .try_to_vec::<f32>()
        .expect("f32 sums");
    let s = both.len() / 2;
    (0..s)
        .map(|r| NoiseScale::from_sums(both[r] as f64, both[s + r] as f64, n))
        .collect()
}
