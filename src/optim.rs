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

/// One Adam hyperparameter of a replica group: the same for every replica (a scalar
/// operation), or one value per replica (`[S, 1]`, broadcast along the parameters). (A few per
/// group: the variants' sizes do not matter.)
#[derive(Clone)]
#[allow(clippy::large_enum_variant)]
enum PerReplica {
    Same(f64),
    Each(Tensor<2>),
}

impl PerReplica {
    /// `Same` when every value is the same, else one value per replica on `device` (each
    /// rounded to f32 as a scalar operation would round it, so both forms give the same bits).
    fn new(values: impl Iterator<Item = f64>, device: &Device) -> Self {
        let values: Vec<f64> = values.collect();
        if values.windows(2).all(|w| w[0].to_bits() == w[1].to_bits()) {
            return PerReplica::Same(values[0]);
        }
        let data: Vec<f32> = values.iter().map(|&v| v as f32).collect();
        PerReplica::Each(Tensor::from_data(
            TensorData::new(data, [values.len(), 1]),
            device,
        ))
    }

    fn is_zero(&self) -> bool {
        matches!(self, PerReplica::Same(v) if *v == 0.0)
    }

    fn mul(&self, t: Tensor<2>) -> Tensor<2> {
        match self {
            PerReplica::Same(v) => t.mul_scalar(*v),
            PerReplica::Each(e) => t * e.clone(),
        }
    }

    fn div(&self, t: Tensor<2>) -> Tensor<2> {
        match self {
            PerReplica::Same(v) => t.div_scalar(*v),
            PerReplica::Each(e) => t / e.clone(),
        }
    }

    fn add(&self, t: Tensor<2>) -> Tensor<2> {
        match self {
            PerReplica::Same(v) => t.add_scalar(*v),
            PerReplica::Each(e) => t + e.clone(),
        }
    }
}

/// The per-step factors of one epoch of Adam updates: the step size `lr / (1-β₁ᵗ)` and the
/// bias correction `√(1-β₂ᵗ)` of each step, per replica where replicas differ (a `[steps, S]`
/// table uploaded once per epoch, so a step never waits for the host).
pub struct EpochFactors {
    first_step: i32,
    step_size: Factors,
    bias2_sqrt: Factors,
}

#[allow(clippy::large_enum_variant)]
enum Factors {
    /// One value per step, shared by every replica.
    Shared(Vec<f64>),
    /// `[steps, S]`.
    Each(Tensor<2>),
}

impl Factors {
    fn new(per_step: Vec<Vec<f64>>, device: &Device) -> Self {
        let shared = per_step
            .iter()
            .all(|row| row.windows(2).all(|w| w[0].to_bits() == w[1].to_bits()));
        if shared {
            return Factors::Shared(per_step.iter().map(|row| row[0]).collect());
        }
        let (steps, s) = (per_step.len(), per_step[0].len());
        let data: Vec<f32> = per_step.iter().flatten().map(|&v| v as f32).collect();
        Factors::Each(Tensor::from_data(TensorData::new(data, [steps, s]), device))
    }

    fn at(&self, i: usize) -> PerReplica {
        match self {
            Factors::Shared(v) => PerReplica::Same(v[i]),
            Factors::Each(t) => {
                let s = t.dims()[1];
                PerReplica::Each(t.clone().narrow(0, i, 1).reshape([s, 1]))
            }
        }
    }
}

/// Adam state for the flat parameters `[S, P]` of a replica group (see
/// [`Net::flat`](crate::net::Net::flat)), each replica with its own hyperparameters, updated
/// exactly as PyTorch's single-tensor Adam does:
///
/// ```text
/// g ← g + wd·p;  m ← β₁m + (1-β₁)g;  v ← β₂v + (1-β₂)g²
/// p ← p − (lr / (1-β₁ᵗ)) · m / (√v / √(1-β₂ᵗ) + ε)
/// ```
///
/// Every factor is rounded to f32 once, from its f64 value, whether it is shared by the group
/// (a scalar operation) or differs between replicas (a broadcast `[S, 1]` tensor): a replica
/// gets the same bits whatever group it trains in.
pub struct Adam {
    configs: Vec<AdamConfig>,
    beta1: PerReplica,
    one_minus_beta1: PerReplica,
    beta2: PerReplica,
    one_minus_beta2: PerReplica,
    eps: PerReplica,
    weight_decay: PerReplica,
    moments: Option<(Tensor<2>, Tensor<2>)>,
    step: i32,
    device: Device,
}

impl Adam {
    /// Zero state for `[S, P]` parameters on `device`, replica r with `configs[r]`.
    pub fn new(configs: &[AdamConfig], params: usize, device: &Device) -> Self {
        let s = configs.len();
        let each = |f: fn(&AdamConfig) -> f64| PerReplica::new(configs.iter().map(f), device);
        Adam {
            beta1: each(|c| c.beta1),
            one_minus_beta1: each(|c| 1.0 - c.beta1),
            beta2: each(|c| c.beta2),
            one_minus_beta2: each(|c| 1.0 - c.beta2),
            eps: each(|c| c.eps),
            weight_decay: each(|c| c.weight_decay),
            moments: Some((
                Tensor::zeros([s, params], device),
                Tensor::zeros([s, params], device),
            )),
            configs: configs.to_vec(),
            step: 0,
            device: device.clone(),
        }
    }

    /// The factors of the next `steps` updates when replica r's learning rate is `lrs[r]`
    /// throughout (one epoch: the schedule steps per epoch).
    pub fn epoch_factors(&self, lrs: &[f64], steps: usize) -> EpochFactors {
        let mut step_size = Vec::with_capacity(steps);
        let mut bias2_sqrt = Vec::with_capacity(steps);
        for k in 1..=steps as i32 {
            let t = self.step + k;
            step_size.push(
                self.configs
                    .iter()
                    .zip(lrs)
                    .map(|(c, lr)| lr / (1.0 - c.beta1.powi(t)))
                    .collect(),
            );
            bias2_sqrt.push(
                self.configs
                    .iter()
                    .map(|c| (1.0 - c.beta2.powi(t)).sqrt())
                    .collect(),
            );
        }
        EpochFactors {
            first_step: self.step,
            step_size: Factors::new(step_size, &self.device),
            bias2_sqrt: Factors::new(bias2_sqrt, &self.device),
        }
    }

    /// One update of the flat parameters `p` with their gradient `g`; `factors` are this
    /// epoch's (from [`Adam::epoch_factors`]). Returns the new parameters.
    pub fn step(&mut self, p: Tensor<2>, g: Tensor<2>, factors: &EpochFactors) -> Tensor<2> {
        let i = (self.step - factors.first_step) as usize;
        self.step += 1;
        let g = if self.weight_decay.is_zero() {
            g
        } else {
            g + self.weight_decay.mul(p.clone())
        };
        let (m, v) = self.moments.take().expect("Adam moments");
        let m = self.beta1.mul(m) + self.one_minus_beta1.mul(g.clone());
        let v = self.beta2.mul(v) + self.one_minus_beta2.mul(g.square());
        let denom = self.eps.add(factors.bias2_sqrt.at(i).div(v.clone().sqrt()));
        let update = factors.step_size.at(i).mul(m.clone() / denom);
        self.moments = Some((m, v));
        p - update
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
        let t = |v: [f32; 3]| Tensor::<2>::from_data(TensorData::new(v.to_vec(), [1, 3]), &device);
        let mut params = t([0.5, -1.0, 2.0]);
        let config = AdamConfig {
            weight_decay: 0.1,
            ..AdamConfig::default()
        };
        let mut adam = Adam::new(&[config], 3, &device);
        let factors = adam.epoch_factors(&[0.01], 3);
        for g in [[0.1, -0.2, 0.3], [-0.05, 0.4, 0.0], [1.0, 1.0, -1.0]] {
            params = adam.step(params, t(g), &factors);
        }
        let got: Vec<f32> = params.to_data().try_to_vec::<f32>().unwrap();
        let want = [0.476_297_85, -0.996_500_3, 1.982_463];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{got:?} vs {want:?}");
        }
    }

    /// Replicas with their own hyperparameters in one group get the bits each gets alone
    /// (per-replica factors are rounded to f32 exactly as scalar operations round them).
    #[test]
    fn per_replica_settings_match_each_replica_alone() {
        let device = BackendKind::default_compiled().unwrap().device().unwrap();
        let configs = [
            AdamConfig::default(),
            AdamConfig {
                beta1: 0.8,
                beta2: 0.99,
                eps: 1e-6,
                weight_decay: 0.1,
            },
        ];
        let lrs = [1e-3, 3e-2];
        let start = [[0.5f32, -1.0, 2.0], [0.25, 0.0, -3.0]];
        let grads = [[0.1f32, -0.2, 0.3], [-0.05, 0.4, 0.0], [1.0, 1.0, -1.0]];
        let two = |rows: [[f32; 3]; 2]| {
            Tensor::<2>::from_data(TensorData::new(rows.concat(), [2, 3]), &device)
        };
        let mut adam = Adam::new(&configs, 3, &device);
        let factors = adam.epoch_factors(&lrs, grads.len());
        let mut together = two(start);
        for g in grads {
            together = adam.step(together, two([g, g.map(|x| -x)]), &factors);
        }
        let together: Vec<f32> = together.to_data().try_to_vec::<f32>().unwrap();
        for r in 0..2 {
            let one =
                |v: [f32; 3]| Tensor::<2>::from_data(TensorData::new(v.to_vec(), [1, 3]), &device);
            let mut adam = Adam::new(&configs[r..=r], 3, &device);
            let factors = adam.epoch_factors(&lrs[r..=r], grads.len());
            let mut alone = one(start[r]);
            for g in grads {
                let g = if r == 0 { g } else { g.map(|x| -x) };
                alone = adam.step(alone, one(g), &factors);
            }
            let alone: Vec<f32> = alone.to_data().try_to_vec::<f32>().unwrap();
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&together[r * 3..r * 3 + 3]),
                bits(&alone),
                "replica {r}"
            );
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
