//! What a training run is, apart from its seed and data: [`TrainConfig`], and the table of
//! its parameters ([`params`]) that study files, config ids, reports and
//! [`TrainConfig::validate`] all read. Below both the trainer ([`crate::train`]) and the
//! study code ([`crate::study`]), which take it.

pub mod params;

use crate::model::ModelSpec;
use crate::optim::{AdamConfig, Scheduler};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Everything that defines a training run except the seed and the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Model name (see [`ModelSpec::parse`]).
    pub model: String,
    /// Rows per training batch.
    pub batch_size: usize,
    /// Initial learning rate.
    pub lr: f64,
    /// Number of epochs (`max_epochs`, also the cosine `T_max`).
    pub epochs: usize,
    /// Adam hyperparameters.
    pub adam: AdamConfig,
    /// Learning-rate schedule.
    pub scheduler: Scheduler,
    /// How each step computes its gradients (left out of records when it is the default).
    #[serde(default, skip_serializing_if = "Engine::is_default")]
    pub engine: Engine,
}

impl Default for TrainConfig {
    /// MASE `ch train` defaults: jsc-tiny, batch 128, lr 1e-5, 20 epochs, Adam, cosine.
    fn default() -> Self {
        TrainConfig {
            model: "jsc-tiny".into(),
            batch_size: 128,
            lr: 1e-5,
            epochs: 20,
            adam: AdamConfig::default(),
            scheduler: Scheduler::Cosine,
            engine: Engine::default(),
        }
    }
}

impl TrainConfig {
    /// Checks every value against the study parameter table
    /// ([`PARAMS`](params::PARAMS): the same ranges as study files, e.g.
    /// `learning rate must be > 0, got 0`); returns the parsed model.
    pub fn validate(&self) -> Result<ModelSpec> {
        for param in params::PARAMS {
            param.check(self)?;
        }
        let spec = ModelSpec::parse(&self.model)?;
        let batch_norm = spec
            .layers
            .iter()
            .any(|l| matches!(l, crate::model::Layer::BatchNorm(_)));
        if self.batch_size == 1 && batch_norm {
            return Err(Error::Usage(format!(
                "batch size 1 with {}: BatchNorm needs at least 2 rows per batch for its batch \
                 statistics (PyTorch raises here; trained anyway, every batch normalises to 0); \
                 use a batch size of at least 2 (every model here starts with BatchNorm)",
                self.model
            )));
        }
        Ok(spec)
    }
}

/// How a training step computes its gradients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    /// The backward pass derived by hand ([`crate::backprop`]): the same bits as
    /// [`Engine::Autodiff`], with fewer operations.
    #[default]
    Manual,
    /// burn's autodiff over [`Net::forward_train`](crate::net::Net::forward_train): the
    /// reference the manual pass is checked against.
    Autodiff,
    /// The whole step in plain Rust over host buffers, one pass per layer per replica
    /// ([`crate::fused`]): the same mathematics in another summation order, so its results
    /// differ from the others' in the last bits (within the tolerance `tests/training.rs`
    /// states); CPU only.
    Fused,
}

impl Engine {
    /// True for the default engine (which config ids and records leave unsaid).
    pub fn is_default(&self) -> bool {
        *self == Engine::default()
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Engine::Manual => "manual",
            Engine::Autodiff => "autodiff",
            Engine::Fused => "fused",
        })
    }
}

impl FromStr for Engine {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s {
            "manual" => Ok(Engine::Manual),
            "autodiff" => Ok(Engine::Autodiff),
            "fused" => Ok(Engine::Fused),
            other => Err(crate::Error::Usage(format!(
                "unknown engine '{other}' (manual, autodiff or fused)"
            ))),
        }
    }
}
