//! Adam with PyTorch's exact update rule, and the learning-rate schedules MASE uses.

use burn::prelude::*;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;
use std::fmt;
use std::str::FromStr;

/// Adam hyperparameters. Defaults are PyTorch's `torch.optim.Adam` defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdamConfig {
    /// First-moment decay β₁ (0.9).
    pub beta1: f64,
    /// Second-moment decay β₂ (0.999).
    pub beta2: f64,
    /// Denominator epsilon (1e-8, PyTorch's; burn's own Adam defaults to 1e-5).
    pub eps: f64,
    /// L2 penalty added to the gradient, PyTorch's `weight_decay` (0).
    pub weight_decay: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }
}

/// Adam state for a list of parameter tensors, updated exactly as PyTorch's single-tensor
/// Adam does:
///
/// ```text
/// g ← g + wd·p;  m ← β₁m + (1-β₁)g;  v ← β₂v + (1-β₂)g²
/// p ← p − (lr / (1-β₁ᵗ)) · m / (√v / √(1-β₂ᵗ) + ε)
/// ```
pub struct Adam {
    config: AdamConfig,
    moments: Vec<(Tensor<3>, Tensor<3>)>,
    step: i32,
}

impl Adam {
    /// Zero state for parameters shaped like `params`.
    pub fn new(config: AdamConfig, params: &[Tensor<3>]) -> Self {
        let moments = params
            .iter()
            .map(|p| (p.zeros_like(), p.zeros_like()))
            .collect();
        Adam {
            config,
            moments,
            step: 0,
        }
    }

    /// One update of every parameter with its gradient, at learning rate `lr`.
    pub fn step(&mut self, params: &mut [Tensor<3>], grads: Vec<Tensor<3>>, lr: f64) {
        let c = self.config;
        self.step += 1;
        let bias1 = 1.0 - c.beta1.powi(self.step);
        let bias2_sqrt = (1.0 - c.beta2.powi(self.step)).sqrt();
        let step_size = lr / bias1;
        for ((p, g), (m, v)) in params.iter_mut().zip(grads).zip(self.moments.iter_mut()) {
            let g = if c.weight_decay != 0.0 {
                g + p.clone().mul_scalar(c.weight_decay)
            } else {
                g
            };
            *m = m.clone().mul_scalar(c.beta1) + g.clone().mul_scalar(1.0 - c.beta1);
            *v = v.clone().mul_scalar(c.beta2) + g.square().mul_scalar(1.0 - c.beta2);
            let denom = v.clone().sqrt().div_scalar(bias2_sqrt).add_scalar(c.eps);
            *p = p.clone() - (m.clone() / denom).mul_scalar(step_size);
        }
    }
}

/// Learning-rate schedule over epochs, stepped once per epoch (MASE steps its scheduler at
/// epoch end).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scheduler {
    /// `CosineAnnealingLR(T_max = epochs, eta_min = 1e-6)`, MASE's default.
    Cosine,
    /// The initial learning rate throughout.
    Constant,
}

/// MASE's cosine floor.
pub const COSINE_ETA_MIN: f64 = 1e-6;

impl Scheduler {
    /// The learning rate used during `epoch` (0-based) of `epochs`, from initial `lr`.
    ///
    /// Cosine: `η_min + (lr − η_min)(1 + cos(π·epoch/epochs))/2`, the closed form of
    /// PyTorch's `CosineAnnealingLR` with `T_max = epochs`.
    pub fn lr(&self, lr: f64, epoch: usize, epochs: usize) -> f64 {
        match self {
            Scheduler::Constant => lr,
            Scheduler::Cosine => {
                let t = epoch as f64 / epochs.max(1) as f64;
                COSINE_ETA_MIN + (lr - COSINE_ETA_MIN) * (1.0 + (PI * t).cos()) / 2.0
            }
        }
    }
}

impl fmt::Display for Scheduler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scheduler::Cosine => "cosine",
            Scheduler::Constant => "constant",
        })
    }
}

impl FromStr for Scheduler {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s {
            "cosine" => Ok(Scheduler::Cosine),
            "constant" => Ok(Scheduler::Constant),
            other => Err(crate::Error::Usage(format!(
                "unknown scheduler '{other}' (cosine or constant)"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference: `torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4, eta_min=1e-6)`
    /// with lr 1e-3 gives, for epochs 0..4 (closed form, computed with Python's math module):
    /// `[1e-6 + (1e-3 - 1e-6) * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(4)]`
    /// = 0.001, 0.0008536998372026805, 0.0005005000000000001, 0.00014730016279731955.
    #[test]
    fn cosine_matches_pytorch_closed_form() {
        let want = [
            0.001,
            0.000_853_699_837_202_680_5,
            0.000_500_500_000_000_000_1,
            0.000_147_300_162_797_319_55,
        ];
        for (e, w) in want.iter().enumerate() {
            let got = Scheduler::Cosine.lr(1e-3, e, 4);
            assert!((got - w).abs() < 1e-12, "epoch {e}: {got} vs {w}");
        }
        assert_eq!(Scheduler::Constant.lr(0.1, 3, 4), 0.1);
    }
}

#[cfg(test)]
mod adam_tests {
    use super::*;
    use crate::backend::BackendKind;

    /// Reference: the textbook Adam of the PyTorch docs (`m̂ = m/(1-β₁ᵗ)`, `v̂ = v/(1-β₂ᵗ)`,
    /// `p -= lr·m̂/(√v̂ + ε)`, L2 `g += wd·p`), re-implemented in numpy float64:
    /// p0 = [0.5, -1, 2], lr 0.01, wd 0.1, grads [.1,-.2,.3], [-.05,.4,0], [1,1,-1]
    /// → [0.4762978522392888, -0.9965003230983965, 1.9824629950704877].
    #[test]
    fn adam_matches_pytorch_update_rule() {
        let device = BackendKind::default_compiled().unwrap().device().unwrap();
        let t =
            |v: [f32; 3]| Tensor::<3>::from_data(TensorData::new(v.to_vec(), [1, 1, 3]), &device);
        let mut params = vec![t([0.5, -1.0, 2.0])];
        let config = AdamConfig {
            weight_decay: 0.1,
            ..AdamConfig::default()
        };
        let mut adam = Adam::new(config, &params);
        for g in [[0.1, -0.2, 0.3], [-0.05, 0.4, 0.0], [1.0, 1.0, -1.0]] {
            adam.step(&mut params, vec![t(g)], 0.01);
        }
        let got: Vec<f32> = params[0].to_data().try_to_vec::<f32>().unwrap();
        let want = [0.476_297_85, -0.996_500_3, 1.982_463];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn defaults_are_pytorch_defaults() {
        let c = AdamConfig::default();
        assert_eq!(
            (c.beta1, c.beta2, c.eps, c.weight_decay),
            (0.9, 0.999, 1e-8, 0.0)
        );
    }
}
