//! The MASE Lab 1 training loop: Adam, cross-entropy, cosine schedule per epoch, shuffled
//! batches, evaluation in eval mode — for one seed or for S seeds trained together as
//! replicas (see [`crate::net`]).
//!
//! Fast path: the splits live on the device ([`DeviceSplits`]); each epoch uploads one
//! host-drawn permutation per replica and batches are index `select`s on the device; losses
//! and correct counts accumulate on the device and are read once per epoch, so a training
//! step never waits for the device.

use crate::data::Splits;
use crate::model::ModelSpec;
use crate::net::Net;
use crate::optim::{Adam, AdamConfig, Scheduler};
use crate::seeding::{Purpose, rng_for, shuffle};
use crate::{Error, Result};
use burn::prelude::*;
use burn::tensor::activation::log_softmax;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Rows per evaluation chunk (evaluation is per-row, so the chunk size changes nothing but
/// speed).
pub const EVAL_CHUNK: usize = 16_384;

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
        }
    }
}

impl TrainConfig {
    /// Checks every value; returns the parsed model.
    pub fn validate(&self) -> Result<ModelSpec> {
        let usage = |m: String| Err(Error::Usage(m));
        if self.batch_size == 0 {
            return usage("batch size must be at least 1".into());
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return usage(format!("learning rate must be > 0, got {}", self.lr));
        }
        if self.epochs == 0 {
            return usage("epochs must be at least 1".into());
        }
        let a = &self.adam;
        if !(a.weight_decay.is_finite() && a.weight_decay >= 0.0) {
            return usage(format!("weight decay must be >= 0, got {}", a.weight_decay));
        }
        if !(0.0..1.0).contains(&a.beta1) || !(0.0..1.0).contains(&a.beta2) || a.eps <= 0.0 {
            return usage("Adam betas must be in [0, 1) and eps > 0".into());
        }
        ModelSpec::parse(&self.model)
    }
}

/// Metrics of one epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Learning rate used during this epoch.
    pub lr: f64,
    /// Mean cross-entropy over the epoch's training rows (as they were seen, in train mode).
    #[serde(with = "crate::jsonfloat")]
    pub train_loss: f64,
    /// Accuracy over the epoch's training batches.
    #[serde(with = "crate::jsonfloat")]
    pub train_acc: f64,
    /// Validation loss (eval mode).
    #[serde(with = "crate::jsonfloat")]
    pub val_loss: f64,
    /// Validation accuracy (eval mode).
    #[serde(with = "crate::jsonfloat")]
    pub val_acc: f64,
    /// Wall seconds of the training part of the epoch.
    pub train_seconds: f64,
    /// Wall seconds of the validation part.
    pub eval_seconds: f64,
}

/// The outcome of training one seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainOutcome {
    /// The seed.
    pub seed: u64,
    /// Per-epoch records (up to and including a diverged epoch).
    pub epochs: Vec<EpochRecord>,
    /// Test loss of the final model (NaN if diverged).
    #[serde(with = "crate::jsonfloat")]
    pub test_loss: f64,
    /// Test accuracy of the final model (NaN if diverged).
    #[serde(with = "crate::jsonfloat")]
    pub test_acc: f64,
    /// The 1-based epoch whose training loss became NaN/inf, if any.
    pub diverged_at: Option<usize>,
    /// Wall seconds from the start of training to the end of the test evaluation.
    pub total_seconds: f64,
    /// How many seeds trained together in one replica batch (1 = alone).
    pub replicas: usize,
}

/// A split on the device: features `[n, f]`, labels `[n]` and one-hot labels `[n, 5]`
/// (row-major, as loaded; batches are turned feature-major after the row `select`).
#[derive(Clone)]
pub struct DeviceSplit {
    x: Tensor<2>,
    y: Tensor<1, Int>,
    y1h: Tensor<2>,
    len: usize,
}

impl DeviceSplit {
    fn upload(data: &crate::data::Dataset, device: &Device) -> Self {
        let n = data.len();
        let f = data.n_features();
        let x = Tensor::from_data(TensorData::new(data.features.clone(), [n, f]), device);
        let labels: Vec<i64> = data.labels.iter().map(|&l| l as i64).collect();
        let y = Tensor::<1, Int>::from_data(TensorData::new(labels, [n]), device);
        let mut one_hot = vec![0f32; n * 5];
        for (i, &l) in data.labels.iter().enumerate() {
            one_hot[i * 5 + l as usize] = 1.0;
        }
        let y1h = Tensor::from_data(TensorData::new(one_hot, [n, 5]), device);
        DeviceSplit { x, y, y1h, len: n }
    }

    /// Rows in this split.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the split has no rows.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The train / validation / test splits, uploaded once and reused by every trial.
#[derive(Clone)]
pub struct DeviceSplits {
    /// Training rows.
    pub train: DeviceSplit,
    /// Validation rows (the training rows themselves in MASE mode).
    pub val: DeviceSplit,
    /// Test rows.
    pub test: DeviceSplit,
    /// The device they live on.
    pub device: Device,
}

impl DeviceSplits {
    /// Uploads the prepared splits to `device`.
    pub fn upload(splits: &Splits, device: &Device) -> Self {
        let train = DeviceSplit::upload(&splits.train, device);
        let val = if splits.val_is_train {
            train.clone()
        } else {
            DeviceSplit::upload(&splits.val, device)
        };
        DeviceSplits {
            test: DeviceSplit::upload(&splits.test, device),
            train,
            val,
            device: device.clone(),
        }
    }
}

/// What the trainer reports while it runs (for progress bars; no device reads involved).
#[derive(Debug, Clone, Copy)]
pub enum Progress {
    /// `done` of `total` training batches of `epoch` (1-based) have been issued.
    Batch {
        /// Epoch, 1-based.
        epoch: usize,
        /// Batches issued so far this epoch.
        done: usize,
        /// Batches per epoch.
        total: usize,
    },
    /// An epoch finished; its record is final.
    Epoch(usize),
}

/// Per-replica sums over a pass, kept on the device.
struct Totals {
    loss: Tensor<3>,
    correct: Tensor<3>,
}

impl Totals {
    fn new(s: usize, device: &Device) -> Self {
        Totals {
            loss: Tensor::zeros([s, 1, 1], device),
            correct: Tensor::zeros([s, 1, 1], device),
        }
    }

    /// Adds a batch: per-row losses summed per replica (`[S, 1, 1]`), and the correct
    /// predictions of `logits: [S, 5, batch]` against `labels: [S, 1, batch]`.
    fn add(&mut self, loss_sum: Tensor<3>, logits: Tensor<3>, labels: Tensor<3, Int>) {
        let hit = logits.argmax(1).equal(labels).float().sum_dim(2);
        self.loss = self.loss.clone() + loss_sum;
        self.correct = self.correct.clone() + hit;
    }

    /// Reads the sums (one device read) and divides by `n`: (mean loss, accuracy) per replica.
    fn read(self, n: usize) -> Vec<(f64, f64)> {
        let both = Tensor::cat(vec![self.loss, self.correct], 2);
        let v: Vec<f32> = both.into_data().try_to_vec::<f32>().expect("f32 totals");
        v.chunks(2)
            .map(|c| (c[0] as f64 / n as f64, c[1] as f64 / n as f64))
            .collect()
    }
}

/// Per-row cross-entropy of `logits: [S, 5, batch]` against `one_hot: [S, 5, batch]`,
/// summed over the batch, per replica: `[S, 1, 1]`.
fn cross_entropy_sum(logits: Tensor<3>, one_hot: Tensor<3>) -> Tensor<3> {
    (log_softmax(logits, 1) * one_hot)
        .sum_dim(1)
        .sum_dim(2)
        .neg()
}

/// Rows `[b, k]` as a feature-major batch `[s, k, b]`, repeated for every replica.
fn feature_major(rows: Tensor<2>, s: usize) -> Tensor<3> {
    let [b, k] = rows.dims();
    rows.swap_dims(0, 1).reshape([1, k, b]).repeat_dim(0, s)
}

/// Evaluates every replica on `split` in eval mode: (mean loss, accuracy) per replica.
pub fn evaluate(net: &Net, split: &DeviceSplit) -> Vec<(f64, f64)> {
    let s = net.replicas();
    let device = split.x.device();
    let mut totals = Totals::new(s, &device);
    let mut start = 0;
    while start < split.len {
        let b = EVAL_CHUNK.min(split.len - start);
        let x = feature_major(split.x.clone().narrow(0, start, b), s);
        let y1h = feature_major(split.y1h.clone().narrow(0, start, b), s);
        let y = split
            .y
            .clone()
            .narrow(0, start, b)
            .reshape([1, 1, b])
            .repeat_dim(0, s);
        let logits = net.forward_eval(x);
        totals.add(cross_entropy_sum(logits.clone(), y1h), logits, y);
        start += b;
    }
    totals.read(split.len.max(1))
}

/// S seeds of one configuration in training: the replica network, its optimizer state and
/// each replica's shuffle stream. [`train`] drives it epoch by epoch; tests drive it directly.
pub struct Trainer<'a> {
    config: TrainConfig,
    data: &'a DeviceSplits,
    net: Net,
    adam: Adam,
    shufflers: Vec<ChaCha8Rng>,
    perms: Vec<Vec<u32>>,
}

impl<'a> Trainer<'a> {
    /// Initialises one replica per seed (initial weights from each seed, see [`crate::net`]).
    pub fn new(config: &TrainConfig, seeds: &[u64], data: &'a DeviceSplits) -> Result<Self> {
        let spec = config.validate()?;
        if seeds.is_empty() {
            return Err(Error::Usage("no seeds to train".into()));
        }
        let n = data.train.len;
        if n < 2 {
            return Err(Error::Usage(format!(
                "the training split has {n} row(s); at least 2 are needed"
            )));
        }
        let net = Net::init(&spec, seeds, &data.device);
        let adam = Adam::new(config.adam, &net.params);
        Ok(Trainer {
            config: config.clone(),
            data,
            adam,
            net,
            shufflers: seeds
                .iter()
                .map(|&s| rng_for(s, Purpose::Shuffle))
                .collect(),
            perms: vec![(0..n as u32).collect(); seeds.len()],
        })
    }

    /// The network as it stands.
    pub fn net(&self) -> &Net {
        &self.net
    }

    /// Training batches per epoch. A final batch of one row cannot be batch-normalised
    /// (PyTorch raises on it); it is skipped.
    pub fn batches(&self) -> usize {
        let (n, bs) = (self.data.train.len, self.config.batch_size);
        n / bs + usize::from(n % bs > 1)
    }

    /// One epoch (0-based `epoch`) over freshly shuffled training rows. Returns the mean
    /// training loss and accuracy per replica (one device read).
    pub fn train_epoch(
        &mut self,
        epoch: usize,
        progress: &mut impl FnMut(Progress),
    ) -> Vec<(f64, f64)> {
        let (s, n) = (self.net.replicas(), self.data.train.len);
        let device = &self.data.device;
        let ad_device = device.clone().autodiff();
        let train = &self.data.train;
        let features = train.x.dims()[1];
        let bs = self.config.batch_size;
        let batches = self.batches();
        let lr = self
            .config
            .scheduler
            .lr(self.config.lr, epoch, self.config.epochs);
        // Each replica continues its own shuffle stream (PyTorch's RandomSampler draws a
        // fresh permutation every epoch).
        let mut flat = Vec::with_capacity(s * n);
        for (perm, rng) in self.perms.iter_mut().zip(self.shufflers.iter_mut()) {
            shuffle(perm, rng);
            flat.extend(perm.iter().map(|&i| i as i64));
        }
        let order = Tensor::<2, Int>::from_data(TensorData::new(flat, [s, n]), device);
        let mut totals = Totals::new(s, device);
        let mut seen = 0usize;
        for batch in 0..batches {
            let start = batch * bs;
            let b = bs.min(n - start);
            seen += b;
            let idx = order.clone().narrow(1, start, b).reshape([s * b]);
            let x = train
                .x
                .clone()
                .select(0, idx.clone())
                .reshape([s, b, features])
                .swap_dims(1, 2);
            let y1h = train
                .y1h
                .clone()
                .select(0, idx.clone())
                .reshape([s, b, 5])
                .swap_dims(1, 2);
            let params: Vec<Tensor<3>> = self
                .net
                .params
                .iter()
                .map(|p| p.clone().autodiff().require_grad())
                .collect();
            let (logits, stats) = self.net.forward_train(&params, x.to_device(&ad_device));
            let loss_sum = cross_entropy_sum(logits.clone(), y1h.to_device(&ad_device));
            // Mean over the batch per replica, summed over replicas: each replica's gradient
            // is its own batch-mean gradient.
            let loss = loss_sum.clone().sum().div_scalar(b as f64);
            let grads = loss.backward();
            let grads: Vec<Tensor<3>> = params
                .iter()
                .map(|p| p.grad(&grads).expect("every parameter is used"))
                .collect();
            self.adam.step(&mut self.net.params, grads, lr);
            self.net.update_running(stats, b);
            let y = train.y.clone().select(0, idx).reshape([s, 1, b]);
            totals.add(loss_sum.detach().inner(), logits.detach().inner(), y);
            progress(Progress::Batch {
                epoch: epoch + 1,
                done: batch + 1,
                total: batches,
            });
        }
        totals.read(seen)
    }
}

/// Trains one configuration for each seed in `seeds`, all seeds together as replicas, on
/// data already on the device. Returns one outcome per seed, in order.
///
/// A replica whose training loss becomes NaN/inf is recorded as diverged at that epoch and
/// its later epochs are not recorded; the others go on. Same seeds, data, backend and thread
/// count ⇒ identical outcomes (timings aside).
pub fn train(
    config: &TrainConfig,
    seeds: &[u64],
    data: &DeviceSplits,
    mut progress: impl FnMut(Progress),
) -> Result<Vec<TrainOutcome>> {
    let started = Instant::now();
    let mut trainer = Trainer::new(config, seeds, data)?;
    let s = seeds.len();
    let mut records: Vec<Vec<EpochRecord>> = vec![Vec::new(); s];
    let mut diverged: Vec<Option<usize>> = vec![None; s];
    for epoch in 0..config.epochs {
        let lr = config.scheduler.lr(config.lr, epoch, config.epochs);
        let t0 = Instant::now();
        let train_metrics = trainer.train_epoch(epoch, &mut progress);
        let train_seconds = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let val = evaluate(trainer.net(), &data.val);
        let eval_seconds = t1.elapsed().as_secs_f64();
        for r in 0..s {
            if diverged[r].is_some() {
                continue;
            }
            let (train_loss, train_acc) = train_metrics[r];
            let (val_loss, val_acc) = val[r];
            records[r].push(EpochRecord {
                epoch: epoch + 1,
                lr,
                train_loss,
                train_acc,
                val_loss,
                val_acc,
                train_seconds,
                eval_seconds,
            });
            if !train_loss.is_finite() {
                diverged[r] = Some(epoch + 1);
            }
        }
        progress(Progress::Epoch(epoch + 1));
        if diverged.iter().all(Option::is_some) {
            break;
        }
    }
    let test = evaluate(trainer.net(), &data.test);
    let total_seconds = started.elapsed().as_secs_f64();
    Ok(seeds
        .iter()
        .enumerate()
        .map(|(r, &seed)| {
            let (test_loss, test_acc) = match diverged[r] {
                Some(_) => (f64::NAN, f64::NAN),
                None => test[r],
            };
            TrainOutcome {
                seed,
                epochs: std::mem::take(&mut records[r]),
                test_loss,
                test_acc,
                diverged_at: diverged[r],
                total_seconds,
                replicas: s,
            }
        })
        .collect())
}
