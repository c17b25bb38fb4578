//! The training pass of a replica network ([`Net`]) with its backward pass derived by hand,
//! in burn tensor operations, for the MLP family (Linear, BatchNorm, ReLU): the engine every
//! training step uses unless [`Engine::Autodiff`] is asked for.
//!
//! It gives the gradients burn's autodiff gives, to the bit: every value autodiff computes is
//! computed here by the same backend operation on operands of the same layout, and gradients
//! that meet at a tensor are added in the order autodiff adds them. What it leaves out is work
//! whose result is known exactly: the recorded graph and its bookkeeping, the full-size tensors
//! of ones that autodiff multiplies into the backward of `mean_dim` and `sum`, the surrogate
//! loss `Σ logits·G` (its gradient is `G` itself), and the negation of a full-size gradient
//! before a reduction (a sum of negated values is the negated sum: rounding is symmetric).
//! `tests/training.rs` checks the equality against [`Engine::Autodiff`] on every Lab 1 model.
//!
//! BatchNorm's backward, as autodiff composes it from the forward `c = x − mean(x)`,
//! `σ² = mean(c·c)`, `s = γ/√(σ²+ε)`, `y = c·s + β` (all per replica and feature, over the
//! batch of n rows), with `dy` the gradient of `y`:
//!
//! ```text
//! dβ = Σ dy            ds = Σ dy·c          dγ = ds · (1/√(σ²+ε))
//! d√ = ds · (−γ / (√(σ²+ε))²)               dσ² = d√ · ((σ²+ε)^−½ / 2)
//! t  = c · (Σ dσ²)/n   dc = t + (t + dy·s)  dx = (Σ −dc)/n + dc
//! ```

use crate::model::Layer;
use crate::net::{BN_EPS, Net};
use burn::prelude::*;
use burn::tensor::activation::relu;

/// How a training step computes its gradients (defined with the configuration that names it).
pub use crate::config::Engine;

/// What the backward pass needs of one layer's forward pass. (A handful per step, so the
/// variants' sizes do not matter; boxing them would cost an allocation per layer and step.)
#[allow(clippy::large_enum_variant)]
enum Saved {
    /// A Linear layer's input (for the weight's gradient), and whether the input needs a
    /// gradient of its own (it does unless it is the data or depends on no parameter).
    Linear { x: Tensor<3>, input_grad: bool },
    /// A BatchNorm layer's centred input `c`, scale `s = γ/√(σ²+ε)`, `√(σ²+ε)` and `σ²+ε`.
    BatchNorm {
        centered: Tensor<3>,
        scale: Tensor<3>,
        std: Tensor<3>,
        var_eps: Tensor<3>,
        input_grad: bool,
    },
    /// A ReLU's input (where it was ≤ 0 the gradient is 0), if it needs a gradient.
    Relu { x: Option<Tensor<3>> },
}

/// The forward pass's saved values, layer by layer, for [`backward`].
pub struct Tape {
    saved: Vec<Saved>,
}

/// The forward pass of training mode, as [`Net::forward_train`] computes it, on plain
/// tensors: `x: [S, in, batch]` → the logits `[S, out, batch]`, each BatchNorm layer's batch
/// mean and biased variance, and the [`Tape`] for [`backward`].
///
/// With `expand`, `x` holds one batch per distinct seed (`[U, in, batch]`) and replica r
/// trains on batch `expand[r]`: a first BatchNorm layer then computes its batch statistics
/// once per batch (they depend on the data alone) and copies them to the replicas, the same
/// values as computing them per replica.
pub fn forward(
    net: &Net,
    params: &[Tensor<3>],
    x: Tensor<3>,
    expand: Option<&Tensor<1, Int>>,
) -> (Tensor<3>, Vec<(Tensor<3>, Tensor<3>)>, Tape) {
    let mut stats = Vec::with_capacity(net.running.len());
    let mut saved = Vec::with_capacity(net.layers().len());
    let mut p = params.iter();
    let mut x = x;
    let mut layers = net.layers().iter().peekable();
    if let Some(expand) = expand {
        match layers.peek() {
            Some(Layer::BatchNorm(_)) => {
                layers.next();
                let (g, b) = (p.next().unwrap(), p.next().unwrap());
                let to_replicas = |t: Tensor<3>| t.select(0, expand.clone());
                let mean = x.clone().mean_dim(2);
                let centered = x - mean.clone();
                let var = centered.clone().square().mean_dim(2);
                let var_eps = to_replicas(var.clone().add_scalar(BN_EPS));
                let std = var_eps.clone().sqrt();
                let scale = g.clone() / std.clone();
                let centered = to_replicas(centered);
                x = centered.clone() * scale.clone() + b.clone();
                stats.push((to_replicas(mean), to_replicas(var)));
                saved.push(Saved::BatchNorm {
                    centered,
                    scale,
                    std,
                    var_eps,
                    input_grad: false,
                });
            }
            _ => x = x.select(0, expand.clone()),
        }
    }
    // Whether `x` depends on a parameter (the data does not).
    let mut tracked = !saved.is_empty();
    for layer in layers {
        x = match layer {
            Layer::Linear(..) => {
                let (w, b) = (p.next().unwrap(), p.next().unwrap());
                let y = w.clone().matmul(x.clone()) + b.clone();
                saved.push(Saved::Linear {
                    x,
                    input_grad: tracked,
                });
                tracked = true;
                y
            }
            Layer::BatchNorm(_) => {
                let (g, b) = (p.next().unwrap(), p.next().unwrap());
                let mean = x.clone().mean_dim(2);
                let centered = x - mean.clone();
                let var = centered.clone().square().mean_dim(2);
                let var_eps = var.clone().add_scalar(BN_EPS);
                let std = var_eps.clone().sqrt();
                let scale = g.clone() / std.clone();
                let y = centered.clone() * scale.clone() + b.clone();
                stats.push((mean, var));
                saved.push(Saved::BatchNorm {
                    centered,
                    scale,
                    std,
                    var_eps,
                    input_grad: tracked,
                });
                tracked = true;
                y
            }
            Layer::Relu => {
                saved.push(Saved::Relu {
                    x: tracked.then(|| x.clone()),
                });
                relu(x)
            }
        };
    }
    (x, stats, Tape { saved })
}

/// The gradient of every parameter (in [`Net::params`] order) from the gradient of the
/// logits, `d_logits: [S, out, batch]`.
pub fn backward(params: &[Tensor<3>], tape: Tape, d_logits: Tensor<3>) -> Vec<Tensor<3>> {
    let mut grads: Vec<Option<Tensor<3>>> = vec![None; params.len()];
    // Parameters are consumed from the last layer back.
    let mut next_param = params.len();
    let mut dy = Some(d_logits);
    for saved in tape.saved.into_iter().rev() {
        let grad = dy
            .take()
            .expect("a gradient reaches every layer that needs one");
        dy = match saved {
            Saved::Relu { x } => x.map(|x| grad * x.greater_elem(0.0).float()),
            Saved::Linear { x, input_grad } => {
                next_param -= 2;
                let w = &params[next_param];
                grads[next_param + 1] = Some(grad.clone().sum_dim(2));
                let d_x = input_grad.then(|| w.clone().swap_dims(1, 2).matmul(grad.clone()));
                grads[next_param] = Some(grad.matmul(x.swap_dims(1, 2)));
                d_x
            }
            Saved::BatchNorm {
                centered,
                scale,
                std,
                var_eps,
                input_grad,
            } => {
                next_param -= 2;
                let g = &params[next_param];
                grads[next_param + 1] = Some(grad.clone().sum_dim(2));
                let d_scale = (grad.clone() * centered.clone()).sum_dim(2);
                grads[next_param] = Some(d_scale.clone() * std.clone().recip());
                if input_grad {
                    let n = centered.dims()[2] as f64;
                    let d_a = grad * scale;
                    let d_std = d_scale * (g.clone().neg() / std.square());
                    let d_var = d_std * var_eps.powf_scalar(-0.5).div_scalar(2.0);
                    let t = centered * d_var.sum_dim(2).mul_scalar(1.0 / n);
                    let d_centered = t.clone() + (t + d_a);
                    let d_mean = d_centered.clone().sum_dim(2).neg();
                    Some(d_mean.sum_dim(2).mul_scalar(1.0 / n) + d_centered)
                } else {
                    None
                }
            }
        };
    }
    grads
        .into_iter()
        .map(|g| g.expect("every parameter gets a gradient"))
        .collect()
}
