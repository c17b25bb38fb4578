//! The MASE Lab 1 training loop: Adam, cross-entropy, cosine schedule per epoch, shuffled
//! batches, evaluation in eval mode — for one seed or for S seeds trained together as
//! replicas (see [`crate::net`]).
//!
//! Fast path: the splits live on the device ([`DeviceSplits`]); each epoch uploads one
//! host-drawn permutation per replica and batches are index `select`s on the device; losses
//! and correct counts accumulate on the device and are read once per epoch, so a training
//! step never waits for the device.

use crate::backprop::{self, Engine};
use crate::data::Splits;
use crate::fused::{FusedGroup, HostSplit};
use crate::net::Net;
use crate::optim::{Adam, AdamConfig};
use crate::seeding::{Purpose, rng_for, shuffle};
use crate::{Error, Result};
use burn::prelude::*;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::cell::OnceCell;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// The configuration the trainer takes (defined below both the trainer and the study code,
/// with the parameter table that describes it).
pub use crate::config::TrainConfig;

/// Rows per evaluation chunk (evaluation is per-row, so the chunk size changes nothing but
/// speed).
pub const EVAL_CHUNK: usize = 16_384;

/// Mean training cross-entropy (nats) above which a trial counts as diverged when its last
/// epoch ends there: the model gives the true class a probability of e^-1000 on average,
/// i.e. it has blown up (chance is ln 5 ≈ 1.6). Such a loss still prints as a number, and
/// its accuracy is at chance. (A non-finite loss is divergence at any epoch; a finite spike
/// that recovers below the bound is not.)
pub const DIVERGED_LOSS: f64 = 1e3;

/// True if a training loss means the trial diverged: not finite, or above
/// [`DIVERGED_LOSS`].
pub fn diverged_loss(train_loss: f64) -> bool {
    !train_loss.is_finite() || train_loss > DIVERGED_LOSS
}

/// Refuses an engine the backend cannot serve: [`Engine::Fused`] computes on the CPU, so
/// with a CUDA backend it would leave the GPU idle while the records said CUDA.
pub fn check_engine(engine: Engine, backend: crate::backend::BackendKind) -> Result<()> {
    match (engine, backend) {
        (Engine::Fused, crate::backend::BackendKind::TchCuda(_)) => Err(Error::Usage(format!(
            "the fused engine trains on the CPU; with --backend {backend} use engine = \"manual\" \
             (or --backend flex)"
        ))),
        _ => Ok(()),
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
    /// How many configurations (distinct optimiser settings) shared that replica batch
    /// (1: the seeds of its own configuration only). Its wall time is the whole batch's.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub configs: usize,
    /// The gradient noise scale at fixed points of training, when probed
    /// ([`GroupOptions::noise_probe`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub noise_scale: Vec<NoiseProbe>,
}

/// The gradient noise scale of a replica at one point of its training.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NoiseProbe {
    /// Epochs trained when probed (0: at initialisation).
    pub epoch: usize,
    /// That as a share of the epochs planned.
    #[serde(with = "crate::jsonfloat")]
    pub fraction: f64,
    /// The estimate over the probe rows.
    #[serde(flatten)]
    pub noise: crate::noise_scale::NoiseScale,
}

/// How a replica group trains, beyond its configuration.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GroupOptions {
    /// Rows of the training split (its first rows, a random sample: the split is shuffled)
    /// over which the gradient noise scale is measured at initialisation and after a quarter,
    /// a half and all of the epochs; 0: not measured.
    pub noise_probe: usize,
}

/// The epochs after which a run of `epochs` epochs is probed: 0 (initialisation), a quarter,
/// a half and the end (each rounded up, without repeats): 0, 5, 10, 20 for 20 epochs.
pub fn probe_epochs(epochs: usize) -> Vec<usize> {
    let mut out: Vec<usize> = [0, epochs.div_ceil(4), epochs.div_ceil(2), epochs].to_vec();
    out.dedup();
    out
}

#[cfg(test)]
mod probe_tests {
    #[test]
    fn probes_at_start_quarter_half_and_end() {
        assert_eq!(super::probe_epochs(20), [0, 5, 10, 20]);
        assert_eq!(super::probe_epochs(5), [0, 2, 3, 5]);
        assert_eq!(super::probe_epochs(2), [0, 1, 2]);
        assert_eq!(super::probe_epochs(1), [0, 1]);
    }
}

fn one() -> usize {
    1
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

/// `t` laid out contiguously. Views (transposes, column slices) cost several times more in
/// every later operation than one tiled copy; a reshape that cannot be a view makes that copy.
fn contiguous(t: Tensor<3>) -> Tensor<3> {
    let [a, b, c] = t.dims();
    t.reshape([a * b, c]).reshape([a, b, c])
}

/// Columns after the features in a [`DeviceSplit`] table: the one-hot label (5) and the
/// label itself as a float (1).
const TARGET_COLS: usize = 6;

/// A split on the device as one row-major table `[n, f + 6]`: the `f` features, the one-hot
/// label (5 columns) and the label as a float, so that a training batch is a single row
/// `select` (features are turned feature-major after it).
#[derive(Clone)]
pub struct DeviceSplit {
    table: Tensor<2>,
    features: usize,
    len: usize,
    /// The same rows on the host, for [`Engine::Fused`]: made from the table the first time
    /// it is asked for (a run of the tensor engines never holds the second copy).
    host: Arc<OnceLock<HostSplit>>,
}

impl DeviceSplit {
    fn upload(data: &crate::data::Dataset, device: &Device) -> Self {
        let n = data.len();
        let f = data.n_features();
        let width = f + TARGET_COLS;
        let mut table = vec![0f32; n * width];
        for (i, row) in table.chunks_exact_mut(width).enumerate() {
            let label = data.labels[i] as usize;
            row[..f].copy_from_slice(data.row(i));
            row[f + label] = 1.0;
            row[f + 5] = label as f32;
        }
        let table = Tensor::from_data(TensorData::new(table, [n, width]), device);
        DeviceSplit {
            table,
            features: f,
            len: n,
            host: Arc::new(OnceLock::new()),
        }
    }

    /// Splits rows `[S, b, f + 6]` of the table into feature-major features `[S, f, b]`,
    /// batch-major one-hot labels `[S, b, 5]` (both laid out contiguously: one copy each)
    /// and float labels `[S, b, 1]` (a view).
    fn columns(&self, rows: Tensor<3>) -> (Tensor<3>, Tensor<3>, Tensor<3>) {
        let f = self.features;
        let x = contiguous(rows.clone().narrow(2, 0, f).swap_dims(1, 2));
        let one_hot = contiguous(rows.clone().narrow(2, f, 5));
        let label = rows.narrow(2, f + 5, 1);
        (x, one_hot, label)
    }

    /// The first `rows` rows (at most all) as feature-major features `[1, f, n]` and one-hot
    /// labels `[1, 5, n]`: a probe batch shared by every replica.
    pub fn probe(&self, rows: usize) -> (Tensor<3>, Tensor<3>) {
        let n = rows.min(self.len);
        let table = self.table.clone().narrow(0, 0, n).unsqueeze_dim(0);
        let (x, one_hot, _) = self.columns(table);
        (x, contiguous(one_hot.swap_dims(1, 2)))
    }

    /// Rows in this split.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the split has no rows.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The same rows on the host (copied from the table on first use: one device read).
    pub fn host(&self) -> &HostSplit {
        self.host.get_or_init(|| {
            let table: Vec<f32> = self
                .table
                .to_data()
                .try_to_vec::<f32>()
                .expect("an f32 table");
            let stride = self.features + TARGET_COLS;
            HostSplit::from_table(&table, stride, self.features, self.features + 5)
        })
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
    /// predictions of batch-major `logits: [S, batch, 5]` against float `labels: [S, batch, 1]`
    /// (or `[1, batch, 1]`, shared by every replica). The predicted class is the first
    /// maximal logit, as `torch.argmax` picks it (ties are common under a final ReLU).
    fn add(&mut self, loss_sum: Tensor<3>, logits: Tensor<3>, labels: Tensor<3>) {
        let predicted = logits.argmax(2).float();
        let hit = predicted.equal(labels).float().sum_dim(1);
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

/// The cross-entropy of a batch, computed in closed form (no autodiff): the forward values
/// serve the metrics, and [`Loss::grad`] gives the gradient for the backward pass, one fused
/// expression instead of a recorded log-softmax and its backward.
struct Loss {
    /// Per-replica sum of the rows' cross-entropies, `[S, 1, 1]`.
    sum: Tensor<3>,
    /// The logits less their row maximum, `[S, batch, 5]`: the same first argmax as the
    /// logits (the subtraction is exact near the maximum, Sterbenz), and contiguous.
    shifted: Tensor<3>,
    /// `exp(shifted)`, `[S, batch, 5]`.
    exp: Tensor<3>,
    /// Row sums of `exp`, `[S, batch, 1]`.
    sum_exp: Tensor<3>,
}

impl Loss {
    /// Cross-entropy of batch-major `logits: [S, batch, 5]` against `one_hot` (`[S, batch,
    /// 5]`, or `[1, batch, 5]` shared by every replica), in the usual stable form:
    /// `z = logits − max`, `loss = log Σ eᶻ − z_true`. The class dimension is the last,
    /// contiguous one, where the reductions are fastest.
    fn new(logits: Tensor<3>, one_hot: Tensor<3>) -> Self {
        let shifted = logits.clone() - logits.max_dim(2);
        let exp = shifted.clone().exp();
        let sum_exp = exp.clone().sum_dim(2);
        let z_true = (shifted.clone() * one_hot).sum_dim(2);
        let sum = (sum_exp.clone().log() - z_true).sum_dim(1);
        Loss {
            sum,
            shifted,
            exp,
            sum_exp,
        }
    }

    /// d(batch-mean loss)/d(logits) per replica, `[S, batch, 5]`:
    /// `(softmax(logits) − one_hot) / batch`.
    fn grad(self, one_hot: Tensor<3>) -> Tensor<3> {
        let batch = self.exp.dims()[1];
        (self.exp / self.sum_exp - one_hot).div_scalar(batch as f64)
    }
}

/// Evaluates every replica on `split` in eval mode: (mean loss, accuracy) per replica.
/// Each chunk of rows is shared by all replicas (broadcast, not copied).
pub fn evaluate(net: &Net, split: &DeviceSplit) -> Vec<(f64, f64)> {
    let s = net.replicas();
    let device = split.table.device();
    let mut totals = Totals::new(s, &device);
    let mut start = 0;
    while start < split.len {
        let b = EVAL_CHUNK.min(split.len - start);
        let rows = split.table.clone().narrow(0, start, b).unsqueeze_dim(0);
        let (x, one_hot, label) = split.columns(rows);
        let loss = Loss::new(contiguous(net.forward_eval(x).swap_dims(1, 2)), one_hot);
        totals.add(loss.sum, loss.shifted, label);
        start += b;
    }
    totals.read(split.len.max(1))
}

/// One replica of a training group: its seed and its optimiser settings. Replicas of one
/// group share everything else (model, batch size, epochs, schedule shape, data).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Replica {
    /// The seed (initial weights and batch order).
    pub seed: u64,
    /// Initial learning rate.
    pub lr: f64,
    /// Adam hyperparameters.
    pub adam: AdamConfig,
}

impl Replica {
    /// The replicas of `config` for `seeds`: one configuration's group.
    pub fn of(config: &TrainConfig, seeds: &[u64]) -> Vec<Replica> {
        seeds
            .iter()
            .map(|&seed| Replica {
                seed,
                lr: config.lr,
                adam: config.adam,
            })
            .collect()
    }

    /// `shared` with this replica's optimiser settings: the configuration it trains.
    pub fn config(&self, shared: &TrainConfig) -> TrainConfig {
        TrainConfig {
            lr: self.lr,
            adam: self.adam,
            ..shared.clone()
        }
    }
}

/// S replicas in training — seeds of one configuration, or of configurations that differ only
/// in their optimiser settings — with the replica network, its optimiser state and the shuffle
/// stream of each distinct seed. [`train_group`] drives it epoch by epoch; tests and benches
/// drive it directly.
pub struct Trainer<'a> {
    config: TrainConfig,
    replicas: Vec<Replica>,
    data: &'a DeviceSplits,
    state: State,
    /// The distinct seeds, in order of first appearance: each draws the batch order of every
    /// replica with that seed.
    seeds: Vec<u64>,
    /// For each replica, the index of its seed in `seeds`.
    seed_of: Vec<usize>,
    shufflers: Vec<ChaCha8Rng>,
    perms: Vec<Vec<u32>>,
}

/// The network and optimiser of a [`Trainer`], as its engine keeps them.
#[allow(clippy::large_enum_variant)]
enum State {
    /// burn tensors on the device ([`Engine::Manual`], [`Engine::Autodiff`]).
    Tensor {
        engine: Engine,
        net: Net,
        adam: Adam,
        /// `seed_of` on the device, when some seed serves several replicas (batches are
        /// gathered once per seed, then copied to its replicas).
        expand: Option<Tensor<1, Int>>,
    },
    /// Host buffers ([`Engine::Fused`]), and the network as burn tensors when asked for
    /// ([`Trainer::net`]; cleared by every epoch).
    Fused {
        group: FusedGroup,
        net: OnceCell<Net>,
    },
}

impl<'a> Trainer<'a> {
    /// Initialises one replica per seed of `config` (initial weights from each seed, see
    /// [`crate::net`]), trained by `config`'s [`Engine`].
    pub fn new(config: &TrainConfig, seeds: &[u64], data: &'a DeviceSplits) -> Result<Self> {
        Self::group(config, &Replica::of(config, seeds), data, config.engine)
    }

    /// Initialises `replicas` of `config`'s model, batch size, epochs and schedule, each with
    /// its own seed and optimiser settings, trained by `engine`.
    pub fn group(
        config: &TrainConfig,
        replicas: &[Replica],
        data: &'a DeviceSplits,
        engine: Engine,
    ) -> Result<Self> {
        let spec = config.validate()?;
        for r in replicas {
            r.config(config).validate()?;
        }
        if replicas.is_empty() {
            return Err(Error::Usage("no seeds to train".into()));
        }
        let n = data.train.len;
        if n < 2 {
            return Err(Error::Usage(format!(
                "the training split has {n} row(s); at least 2 are needed"
            )));
        }
        let mut seeds: Vec<u64> = Vec::new();
        let seed_of: Vec<usize> = replicas
            .iter()
            .map(|r| match seeds.iter().position(|&s| s == r.seed) {
                Some(i) => i,
                None => {
                    seeds.push(r.seed);
                    seeds.len() - 1
                }
            })
            .collect();
        let replica_seeds: Vec<u64> = replicas.iter().map(|r| r.seed).collect();
        let adams: Vec<AdamConfig> = replicas.iter().map(|r| r.adam).collect();
        let state = match engine {
            Engine::Fused => {
                if !crate::fused::supports(&spec.layers) {
                    return Err(Error::Usage(format!(
                        "the fused engine cannot train {} (it starts with a ReLU)",
                        spec.name
                    )));
                }
                // The host copies, made once per process, outside the epochs' timings.
                for split in [&data.train, &data.val, &data.test] {
                    split.host();
                }
                State::Fused {
                    group: FusedGroup::new(&spec, &replica_seeds, &adams),
                    net: OnceCell::new(),
                }
            }
            Engine::Manual | Engine::Autodiff => {
                let expand = (seeds.len() < replicas.len()).then(|| {
                    let idx: Vec<i64> = seed_of.iter().map(|&i| i as i64).collect();
                    Tensor::<1, Int>::from_data(
                        TensorData::new(idx, [replicas.len()]),
                        &data.device,
                    )
                });
                let net = Net::init(&spec, &replica_seeds, &data.device);
                let adam = Adam::new(&adams, net.param_count(), &data.device);
                State::Tensor {
                    engine,
                    net,
                    adam,
                    expand,
                }
            }
        };
        Ok(Trainer {
            config: config.clone(),
            replicas: replicas.to_vec(),
            data,
            state,
            shufflers: seeds
                .iter()
                .map(|&s| rng_for(s, Purpose::Shuffle))
                .collect(),
            perms: vec![(0..n as u32).collect(); seeds.len()],
            seeds,
            seed_of,
        })
    }

    /// The network as it stands (for [`Engine::Fused`], copied to burn tensors once per
    /// epoch when asked for).
    pub fn net(&self) -> &Net {
        match &self.state {
            State::Tensor { net, .. } => net,
            State::Fused { group, net } => net.get_or_init(|| group.to_net(&self.data.device)),
        }
    }

    /// Evaluates every replica on `split` in eval mode: (mean loss, accuracy) per replica.
    pub fn evaluate(&mut self, split: &DeviceSplit) -> Vec<(f64, f64)> {
        match &mut self.state {
            State::Tensor { net, .. } => evaluate(net, split),
            State::Fused { group, .. } => group.evaluate(split.host()),
        }
    }

    /// Training batches per epoch. A final batch of one row cannot be batch-normalised
    /// (PyTorch raises on it); it is skipped.
    pub fn batches(&self) -> usize {
        let (n, bs) = (self.data.train.len, self.config.batch_size);
        n / bs + usize::from(n % bs > 1)
    }

    /// Each distinct seed's next permutation of the training rows, laid out batch by batch
    /// (`[batch][seed][row]`), so that a batch's indices for every seed are one contiguous
    /// slice. PyTorch's RandomSampler draws a fresh permutation every epoch; each seed
    /// continues its own stream.
    fn epoch_order(&self) -> Tensor<1, Int> {
        let (u, n, bs) = (
            self.seeds.len(),
            self.data.train.len,
            self.config.batch_size,
        );
        let mut flat = Vec::with_capacity(u * n);
        for start in (0..n).step_by(bs) {
            let end = (start + bs).min(n);
            for perm in &self.perms {
                flat.extend(perm[start..end].iter().map(|&i| i as i64));
            }
        }
        Tensor::from_data(TensorData::new(flat, [u * n]), &self.data.device)
    }

    /// One epoch (0-based `epoch`) over freshly shuffled training rows. Returns the mean
    /// training loss and accuracy per replica (one device read).
    pub fn train_epoch(
        &mut self,
        epoch: usize,
        progress: &mut impl FnMut(Progress),
    ) -> Vec<(f64, f64)> {
        for (perm, rng) in self.perms.iter_mut().zip(self.shufflers.iter_mut()) {
            shuffle(perm, rng);
        }
        let (scheduler, epochs) = (self.config.scheduler, self.config.epochs);
        let lrs: Vec<f64> = self
            .replicas
            .iter()
            .map(|r| scheduler.lr(r.lr, epoch, epochs))
            .collect();
        match self.state {
            State::Tensor { .. } => self.tensor_epoch(epoch, &lrs, progress),
            State::Fused { .. } => self.fused_epoch(epoch, &lrs, progress),
        }
    }

    /// [`Trainer::train_epoch`] by [`Engine::Fused`], on the host.
    fn fused_epoch(
        &mut self,
        epoch: usize,
        lrs: &[f64],
        progress: &mut impl FnMut(Progress),
    ) -> Vec<(f64, f64)> {
        let (n, bs, batches) = (self.data.train.len, self.config.batch_size, self.batches());
        let State::Fused { group, net } = &mut self.state else {
            unreachable!("called for the fused engine")
        };
        *net = OnceCell::new();
        let host = self.data.train.host();
        let mut totals = vec![(0f64, 0u64); self.replicas.len()];
        let mut seen = 0usize;
        let mut rows: Vec<&[u32]> = Vec::with_capacity(self.perms.len());
        for batch in 0..batches {
            let start = batch * bs;
            let end = (start + bs).min(n);
            seen += end - start;
            rows.clear();
            rows.extend(self.perms.iter().map(|p| &p[start..end]));
            group.step(host, &rows, &self.seed_of, lrs, &mut totals);
            // A step takes microseconds here: progress every 64 batches is plenty.
            if batch % 64 != 63 && batch + 1 != batches {
                continue;
            }
            progress(Progress::Batch {
                epoch: epoch + 1,
                done: batch + 1,
                total: batches,
            });
        }
        totals
            .into_iter()
            .map(|(loss, correct)| (loss / seen as f64, correct as f64 / seen as f64))
            .collect()
    }

    /// [`Trainer::train_epoch`] by the tensor engines.
    fn tensor_epoch(
        &mut self,
        epoch: usize,
        lrs: &[f64],
        progress: &mut impl FnMut(Progress),
    ) -> Vec<(f64, f64)> {
        let (s, u, n) = (self.replicas.len(), self.seeds.len(), self.data.train.len);
        let (device, train) = (&self.data.device, &self.data.train);
        let width = train.table.dims()[1];
        let bs = self.config.batch_size;
        let batches = self.batches();
        let order = self.epoch_order();
        let State::Tensor {
            engine,
            net,
            adam,
            expand,
        } = &mut self.state
        else {
            unreachable!("called for a tensor engine")
        };
        let factors = adam.epoch_factors(lrs, batches);
        let mut totals = Totals::new(s, device);
        let mut seen = 0usize;
        for batch in 0..batches {
            let start = batch * bs;
            let b = bs.min(n - start);
            seen += b;
            let idx = order.clone().narrow(0, u * start, u * b);
            // One gather of features and targets per distinct seed.
            let rows = train.table.clone().select(0, idx).reshape([u, b, width]);
            let (x, mut one_hot, mut label) = train.columns(rows);
            if let Some(expand) = &expand {
                one_hot = one_hot.select(0, expand.clone());
                label = label.select(0, expand.clone());
            }
            let (grads, stats) = tensor_step(
                *engine,
                net,
                expand.as_ref(),
                (x, one_hot, label),
                &mut totals,
            );
            let grads = net.flatten(grads);
            net.update_flat(|flat| adam.step(flat, grads, &factors));
            net.update_running(stats, b);
            progress(Progress::Batch {
                epoch: epoch + 1,
                done: batch + 1,
                total: batches,
            });
        }
        totals.read(seen)
    }
}

/// The forward and backward pass of one batch by a tensor engine (features `x: [U, f, b]`,
/// one batch per distinct seed; targets `[S, b, 5]` and `[S, b, 1]`, one per replica): every
/// parameter's gradient (in [`Net::params`] order) and each BatchNorm layer's batch
/// statistics; the batch's losses and hits go to `totals`.
fn tensor_step(
    engine: Engine,
    net: &Net,
    expand: Option<&Tensor<1, Int>>,
    (x, one_hot, label): (Tensor<3>, Tensor<3>, Tensor<3>),
    totals: &mut Totals,
) -> (Vec<Tensor<3>>, Vec<(Tensor<3>, Tensor<3>)>) {
    let params = net.params();
    // The gradient of the batch-mean loss with respect to the logits `[S, out, b]`, from
    // logits `[S, out, b]` (plain values): the loss in closed form.
    let mut loss_grad = |logits: Tensor<3>| {
        let loss = Loss::new(contiguous(logits.swap_dims(1, 2)), one_hot.clone());
        totals.add(loss.sum.clone(), loss.shifted.clone(), label.clone());
        contiguous(loss.grad(one_hot.clone()).swap_dims(1, 2))
    };
    match engine {
        Engine::Autodiff => {
            let params: Vec<Tensor<3>> = params
                .into_iter()
                .map(|p| p.autodiff().require_grad())
                .collect();
            // The batch itself stays outside autodiff: operations on it alone (the input
            // BatchNorm's statistics) are not recorded.
            let x = match expand {
                Some(expand) => x.select(0, expand.clone()),
                None => x,
            };
            let (logits, stats) = net.forward_train(&params, x);
            let d_logits = loss_grad(logits.clone().inner());
            // Σ logits·G has gradient G with respect to the logits, so this backward pass
            // gives every parameter the gradient of its own replica's batch-mean loss.
            let grads = (logits * d_logits).sum().backward();
            let grads = params
                .iter()
                .map(|p| p.grad(&grads).expect("every parameter is used"))
                .collect();
            (grads, stats)
        }
        _ => {
            let (logits, stats, tape) = backprop::forward(net, &params, x, expand);
            let d_logits = loss_grad(logits);
            (backprop::backward(&params, tape, d_logits), stats)
        }
    }
}

/// Trains one configuration for each seed in `seeds`, all seeds together as replicas, on
/// data already on the device. Returns one outcome per seed, in order.
pub fn train(
    config: &TrainConfig,
    seeds: &[u64],
    data: &DeviceSplits,
    progress: impl FnMut(Progress),
) -> Result<Vec<TrainOutcome>> {
    train_group(
        config,
        &Replica::of(config, seeds),
        data,
        &GroupOptions::default(),
        progress,
    )
}

/// The number of distinct optimiser settings (learning rate and Adam parameters) among
/// `replicas`: the configurations a group mixes.
fn distinct_settings(replicas: &[Replica]) -> usize {
    let mut settings: Vec<(u64, AdamConfig)> = Vec::new();
    for r in replicas {
        if !settings.contains(&(r.lr.to_bits(), r.adam)) {
            settings.push((r.lr.to_bits(), r.adam));
        }
    }
    settings.len()
}

/// A finite loss that blew up and never came back below the bound is divergence too: marks
/// such replicas diverged at their last recorded epoch.
fn mark_late_divergence(records: &[Vec<EpochRecord>], diverged: &mut [Option<usize>]) {
    for (r, epochs) in records.iter().enumerate() {
        if let (None, Some(last)) = (diverged[r], epochs.last())
            && diverged_loss(last.train_loss)
        {
            diverged[r] = Some(last.epoch);
        }
    }
}

/// Trains `replicas` (of `config`'s model, batch size, epochs and schedule; each with its own
/// seed and optimiser settings) together as one replica group, on data already on the device,
/// with `config`'s engine. Returns one outcome per replica, in order.
///
/// A replica whose training loss becomes NaN/inf is recorded as diverged at that epoch and
/// its later epochs are not recorded; the others go on. A replica's outcome does not depend on
/// the group it trains in: same replica, data, backend and thread count ⇒ identical outcomes
/// (timings and the group size aside).
pub fn train_group(
    config: &TrainConfig,
    replicas: &[Replica],
    data: &DeviceSplits,
    options: &GroupOptions,
    mut progress: impl FnMut(Progress),
) -> Result<Vec<TrainOutcome>> {
    let started = Instant::now();
    let mut trainer = Trainer::group(config, replicas, data, config.engine)?;
    let s = replicas.len();
    let mut records: Vec<Vec<EpochRecord>> = vec![Vec::new(); s];
    let mut diverged: Vec<Option<usize>> = vec![None; s];
    let probe = (options.noise_probe > 0).then(|| data.train.probe(options.noise_probe));
    let probe_at = probe_epochs(config.epochs);
    let mut noise: Vec<Vec<NoiseProbe>> = vec![Vec::new(); s];
    let measure = |trainer: &Trainer, epoch: usize, noise: &mut Vec<Vec<NoiseProbe>>| {
        if let Some((x, one_hot)) = &probe
            && probe_at.contains(&epoch)
        {
            let fraction = epoch as f64 / config.epochs.max(1) as f64;
            let all = crate::noise_scale::noise_scale(trainer.net(), x.clone(), one_hot.clone());
            for (r, n) in all.into_iter().enumerate() {
                noise[r].push(NoiseProbe {
                    epoch,
                    fraction,
                    noise: n,
                });
            }
        }
    };
    measure(&trainer, 0, &mut noise);
    for epoch in 0..config.epochs {
        let t0 = Instant::now();
        let train_metrics = trainer.train_epoch(epoch, &mut progress);
        let train_seconds = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let val = trainer.evaluate(&data.val);
        let eval_seconds = t1.elapsed().as_secs_f64();
        for (r, replica) in replicas.iter().enumerate() {
            if diverged[r].is_some() {
                continue;
            }
            let (train_loss, train_acc) = train_metrics[r];
            let (val_loss, val_acc) = val[r];
            records[r].push(EpochRecord {
                epoch: epoch + 1,
                lr: config.scheduler.lr(replica.lr, epoch, config.epochs),
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
        measure(&trainer, epoch + 1, &mut noise);
    }
    mark_late_divergence(&records, &mut diverged);
    let test = trainer.evaluate(&data.test);
    let total_seconds = started.elapsed().as_secs_f64();
    let configs = distinct_settings(replicas);
    Ok(replicas
        .iter()
        .enumerate()
        .map(|(r, replica)| {
            let (test_loss, test_acc) = match diverged[r] {
                Some(_) => (f64::NAN, f64::NAN),
                None => test[r],
            };
            TrainOutcome {
                seed: replica.seed,
                epochs: std::mem::take(&mut records[r]),
                test_loss,
                test_acc,
                diverged_at: diverged[r],
                total_seconds,
                replicas: s,
                configs,
                noise_scale: if diverged[r].is_some() {
                    Vec::new()
                } else {
                    std::mem::take(&mut noise[r])
                },
            }
        })
        .collect())
}
