//! [`Engine::Fused`](crate::backprop::Engine::Fused): the training step of the MLP family
//! (Linear, BatchNorm, ReLU, cross-entropy) and its evaluation in plain Rust over flat host
//! buffers, for the CPU.
//!
//! The other engines run each step as a few dozen burn tensor operations over all replicas;
//! each pays a fixed dispatch cost and walks its operands once, so a step costs
//! F + S·D with D ≈ 130 ns per row at batch 256 on jsc-tiny. Here one replica's whole step —
//! forward, loss, backward, Adam update, running statistics — runs as one pass per layer over
//! that replica's rows while they sit in the L1 cache: BatchNorm's normalisation and ReLU in
//! one loop, the loss, its gradient and the argmax in one, the Linear products 32 rows at a
//! time in registers, Adam over the replica's row. The replicas of a group step one after
//! another; a seed's batch is gathered once for all its replicas (with its input BatchNorm
//! statistics).
//!
//! **The same mathematics, other roundings.** Every formula is the one of
//! [`crate::backprop`] (PyTorch's semantics: BatchNorm with biased batch variance, eps 1e-5,
//! momentum 0.1 and unbiased running variance; Adam with eps 1e-8 outside the square root;
//! the cosine schedule per epoch), but sums are taken in another order and the softmax's
//! exponential is a polynomial (relative error below 2⁻²²), so results differ from
//! [`Engine::Manual`](crate::backprop::Engine::Manual) in the last bits, and those differences
//! grow as training goes on, as two PyTorch builds' do. The engine is therefore named: a
//! configuration trained by it says `engine=fused` in its id, and
//! `tests/training.rs` (`fused_engine_tracks_manual`) bounds how far its per-epoch loss and
//! accuracy stray from the default engine's over Lab 1's models. It is reproducible within
//! itself on every CPU: no threads, a fixed summation order, and the kernels (`kernels.rs`,
//! written once over eight lanes) give the same bits built for AVX2 + FMA (chosen at run
//! time) and portably (`simd.rs`; fused multiply-adds round once either way; unit test
//! `the_avx2_and_portable_kernels_agree_to_the_bit`).
//!
//! Batches are the default engine's (the same permutations of the same seeds), and a replica
//! trains as it would alone, so mixed replica groups stay exact within the engine.

use crate::model::{Layer, ModelSpec};
use crate::net::{BN_EPS, BN_MOMENTUM, Net, initial_params, param_shapes};
use crate::optim::AdamConfig;
use kernels::{
    adam, bn_apply, bn_center, bn_input_grad, center, cross_entropy, dot, linear_forward,
    linear_input_grad, linear_param_grad, relu_grad, sum,
};
#[cfg(target_arch = "x86_64")]
use simd::Avx;
use simd::{Lanes, V};

mod host;
mod kernels;
mod simd;

pub use host::HostSplit;

/// Rows per evaluation chunk (its features are laid out feature-major once for all replicas).
const EVAL_ROWS: usize = 1024;

/// Where a layer reads its input.
#[derive(Debug, Clone, Copy)]
enum Src {
    /// The batch's features.
    Data,
    /// The output buffer of an earlier layer.
    Buf(usize),
}

/// One layer of the step, with the offsets of its parameters in a replica's row.
#[derive(Debug, Clone, Copy)]
enum Op {
    Linear {
        inputs: usize,
        outputs: usize,
        weight: usize,
        bias: usize,
        src: Src,
        out: usize,
        input_grad: bool,
        /// A ReLU follows, applied as the output is stored.
        relu: bool,
    },
    BatchNorm {
        n: usize,
        weight: usize,
        bias: usize,
        src: Src,
        out: usize,
        /// Index among the BatchNorm layers (running statistics).
        index: usize,
        input_grad: bool,
        /// A ReLU follows, applied in the same loop.
        relu: bool,
    },
    /// Applied by the layer before it (forward); its gradient here (backward).
    Relu { buf: usize, input_grad: bool },
}

/// Per-feature values BatchNorm's backward pass needs.
#[derive(Clone, Default)]
struct BnSaved {
    /// Batch mean and biased variance (for the running statistics).
    mean: Vec<f32>,
    var: Vec<f32>,
    /// √(σ²+ε) and γ/√(σ²+ε).
    std: Vec<f32>,
    scale: Vec<f32>,
}

/// Scratch memory of one replica's pass, reused by every replica and step.
#[derive(Default)]
struct Work {
    /// Output of each Linear/BatchNorm layer, `[features][rows]`.
    bufs: Vec<Vec<f32>>,
    /// Each BatchNorm layer's centred input, `[n][rows]`.
    centered: Vec<Vec<f32>>,
    saved: Vec<BnSaved>,
    /// Gradient of the current layer's output and of its input.
    grad: Vec<f32>,
    grad_in: Vec<f32>,
    /// Per-row sum of the exponentials.
    sum_exp: Vec<f32>,
    /// One replica's parameter gradient.
    param_grad: Vec<f32>,
}

/// One distinct seed's batch: feature-major features `[f][rows]`, labels, and (when the first
/// layer is a BatchNorm on the data) its statistics and centred features, shared by every
/// replica with that seed.
#[derive(Default)]
struct SeedBatch {
    x: Vec<f32>,
    labels: Vec<u8>,
    centered: Vec<f32>,
    saved: BnSaved,
}

/// S replicas of one MLP-family network on the host: parameters, Adam moments and running
/// statistics as flat buffers, trained by the fused step.
pub struct FusedGroup {
    spec: ModelSpec,
    ops: Vec<Op>,
    /// Trainable values per replica, P.
    p: usize,
    /// A replica's row length in `params`, `m`, `v`: P rounded up to a multiple of 8 (the
    /// padding stays 0, so Adam runs over whole vectors).
    stride: usize,
    /// `[S][stride]`, each row in [`Net::flat`]'s layout.
    params: Vec<f32>,
    m: Vec<f32>,
    v: Vec<f32>,
    /// Per BatchNorm layer, `[S][n]` running mean and variance.
    run_mean: Vec<Vec<f32>>,
    run_var: Vec<Vec<f32>>,
    adam: Vec<AdamConfig>,
    /// Adam steps taken.
    t: i32,
    /// Classes (outputs of the last layer).
    classes: usize,
    work: Work,
    seeds: Vec<SeedBatch>,
}

impl FusedGroup {
    /// S replicas of `spec`, initialised from their seeds as [`Net::init`] does, with their
    /// own Adam settings.
    pub fn new(spec: &ModelSpec, seeds: &[u64], adam: &[AdamConfig]) -> Self {
        let s = seeds.len();
        let p = spec.param_count();
        let stride = p.div_ceil(8) * 8;
        let mut params = vec![0f32; s * stride];
        for (row, &seed) in params.chunks_exact_mut(stride).zip(seeds) {
            let init: Vec<f32> = initial_params(spec, seed).into_iter().flatten().collect();
            row[..p].copy_from_slice(&init);
        }
        let (ops, bufs, bns, classes) =
            plan(&spec.layers).expect("a model the fused engine supports (see `supports`)");
        FusedGroup {
            spec: spec.clone(),
            ops,
            p,
            stride,
            m: vec![0.0; s * stride],
            v: vec![0.0; s * stride],
            params,
            run_mean: bns.iter().map(|&n| vec![0.0; s * n]).collect(),
            run_var: bns.iter().map(|&n| vec![1.0; s * n]).collect(),
            adam: adam.to_vec(),
            t: 0,
            classes,
            work: Work {
                bufs: vec![Vec::new(); bufs],
                centered: vec![Vec::new(); bns.len()],
                saved: vec![BnSaved::default(); bns.len()],
                ..Work::default()
            },
            seeds: Vec::new(),
        }
    }

    /// Number of replicas.
    pub fn replicas(&self) -> usize {
        self.adam.len()
    }

    /// The replicas as a burn [`Net`] on `device` (parameters and running statistics): for
    /// what only the tensor engines compute (the gradient noise scale).
    pub fn to_net(&self, device: &burn::prelude::Device) -> Net {
        use burn::prelude::{Tensor, TensorData};
        let s = self.replicas();
        let sizes: Vec<usize> = param_shapes(&self.spec.layers)
            .iter()
            .map(|[r, c]| r * c)
            .collect();
        let per_replica: Vec<Vec<Vec<f32>>> = self
            .params
            .chunks_exact(self.stride)
            .map(|row| {
                let mut offset = 0;
                sizes
                    .iter()
                    .map(|&k| {
                        offset += k;
                        row[offset - k..offset].to_vec()
                    })
                    .collect()
            })
            .collect();
        let mut net = Net::from_host(&self.spec, &per_replica, device);
        let stats = self.run_mean.iter().zip(&self.run_var);
        for (run, (mean, var)) in net.running.iter_mut().zip(stats) {
            let shape = [s, mean.len() / s, 1];
            run.mean = Tensor::from_data(TensorData::new(mean.clone(), shape), device);
            run.var = Tensor::from_data(TensorData::new(var.clone(), shape), device);
        }
        net
    }

    /// One training step (one Adam step) on one batch per distinct seed (`batches[u]`: row
    /// indices into `data`), replica r training on batch `seed_of[r]` at learning rate
    /// `lrs[r]`. Adds each replica's summed loss and correct count to `totals`.
    pub fn step(
        &mut self,
        data: &HostSplit,
        batches: &[&[u32]],
        seed_of: &[usize],
        lrs: &[f64],
        totals: &mut [(f64, u64)],
    ) {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has AVX2 and FMA (checked just above).
            unsafe { self.step_avx2(data, batches, seed_of, lrs, totals) };
            return;
        }
        self.step_with::<Lanes>(data, batches, seed_of, lrs, totals);
    }

    /// [`FusedGroup::step`] compiled for AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn step_avx2(
        &mut self,
        data: &HostSplit,
        batches: &[&[u32]],
        seed_of: &[usize],
        lrs: &[f64],
        totals: &mut [(f64, u64)],
    ) {
        self.step_with::<Avx>(data, batches, seed_of, lrs, totals);
    }

    #[inline(always)]
    fn step_with<T: V>(
        &mut self,
        data: &HostSplit,
        batches: &[&[u32]],
        seed_of: &[usize],
        lrs: &[f64],
        totals: &mut [(f64, u64)],
    ) {
        let rows = batches[0].len();
        self.seeds.resize_with(batches.len(), SeedBatch::default);
        let first_bn = match self.ops.first() {
            Some(&Op::BatchNorm {
                n, src: Src::Data, ..
            }) => Some(n),
            _ => None,
        };
        for (batch, seed) in batches.iter().zip(self.seeds.iter_mut()) {
            data.gather(batch, &mut seed.x, &mut seed.labels);
            if let Some(n) = first_bn {
                seed_statistics::<T>(seed, n, rows);
            }
        }
        self.prepare(rows);
        self.t += 1;
        for r in 0..self.replicas() {
            let (loss, correct) = self.replica_step::<T>(r, seed_of[r], rows);
            totals[r].0 += loss;
            totals[r].1 += correct;
            self.adam_update::<T>(r, lrs[r]);
            self.update_running(r, rows);
        }
    }

    /// Sizes the scratch buffers for batches of `rows`.
    fn prepare(&mut self, rows: usize) {
        let mut widest = self.classes;
        for op in &self.ops {
            match *op {
                Op::Linear {
                    inputs,
                    outputs,
                    out,
                    ..
                } => {
                    widest = widest.max(inputs).max(outputs);
                    self.work.bufs[out].resize(outputs * rows, 0.0);
                }
                Op::BatchNorm { n, out, index, .. } => {
                    widest = widest.max(n);
                    self.work.bufs[out].resize(n * rows, 0.0);
                    self.work.centered[index].resize(n * rows, 0.0);
                    let saved = &mut self.work.saved[index];
                    for v in [
                        &mut saved.mean,
                        &mut saved.var,
                        &mut saved.std,
                        &mut saved.scale,
                    ] {
                        v.resize(n, 0.0);
                    }
                }
                Op::Relu { .. } => {}
            }
        }
        self.work.grad.resize(widest * rows, 0.0);
        self.work.grad_in.resize(widest * rows, 0.0);
        self.work.sum_exp.resize(rows, 0.0);
        self.work.param_grad.resize(self.stride, 0.0);
    }

    /// Forward, loss and backward of replica `r` on seed `u`'s batch; leaves the parameter
    /// gradient in the work buffer. Returns the summed loss and correct count.
    #[inline(always)]
    fn replica_step<T: V>(&mut self, r: usize, u: usize, rows: usize) -> (f64, u64) {
        let last = self.forward_train::<T>(r, u, rows);
        let work = &mut self.work;
        let (loss, correct) = cross_entropy::<T>(
            &work.bufs[last],
            &self.seeds[u].labels,
            self.classes,
            (&mut work.grad[..self.classes * rows], true),
            &mut work.sum_exp,
        );
        self.backward::<T>(r, u, rows);
        (loss, correct)
    }

    /// Replica `r`'s training-mode forward pass on seed `u`'s batch (batch statistics saved
    /// for the backward pass and the running statistics); returns the buffer of the logits.
    #[inline(always)]
    fn forward_train<T: V>(&mut self, r: usize, u: usize, rows: usize) -> usize {
        let params = &self.params[r * self.stride..r * self.stride + self.p];
        forward::<T>(
            &self.ops,
            params,
            &self.seeds[u],
            &mut self.work,
            rows,
            None,
        )
    }

    /// Replica `r`'s backward pass from the loss gradient in the work buffer: every
    /// parameter's gradient into `param_grad`.
    #[inline(always)]
    fn backward<T: V>(&mut self, r: usize, u: usize, rows: usize) {
        let params = &self.params[r * self.stride..r * self.stride + self.p];
        let seed = &self.seeds[u];
        let work = &mut self.work;
        let pg = &mut work.param_grad;
        for op in self.ops.iter().rev() {
            match *op {
                Op::Relu { buf, input_grad } => {
                    if !input_grad {
                        break;
                    }
                    let y = &work.bufs[buf];
                    relu_grad::<T>(&work.grad[..y.len()], y, &mut work.grad_in[..y.len()]);
                    std::mem::swap(&mut work.grad, &mut work.grad_in);
                }
                Op::Linear {
                    inputs,
                    outputs,
                    weight,
                    bias,
                    src,
                    input_grad,
                    ..
                } => {
                    let x = source(src, seed, &work.bufs);
                    let dy = &work.grad[..outputs * rows];
                    let (dw, db) = pg[weight..bias + outputs].split_at_mut(inputs * outputs);
                    linear_param_grad::<T>(dy, x, (dw, db), (inputs, outputs), rows);
                    if !input_grad {
                        break;
                    }
                    linear_input_grad::<T>(
                        &params[weight..weight + inputs * outputs],
                        dy,
                        &mut work.grad_in,
                        (inputs, outputs),
                        rows,
                    );
                    std::mem::swap(&mut work.grad, &mut work.grad_in);
                }
                Op::BatchNorm {
                    n,
                    weight,
                    bias,
                    src,
                    index,
                    input_grad,
                    ..
                } => {
                    let saved = &work.saved[index];
                    let nf = rows as f32;
                    for j in 0..n {
                        let row = j * rows..(j + 1) * rows;
                        let c = match src {
                            Src::Data => &seed.centered[row.clone()],
                            Src::Buf(_) => &work.centered[index][row.clone()],
                        };
                        let dy = &work.grad[row.clone()];
                        let d_beta = sum::<T>(dy);
                        let d_scale = dot::<T>(dy, c);
                        pg[bias + j] = d_beta;
                        pg[weight + j] = d_scale / saved.std[j];
                        if input_grad {
                            let var_eps = saved.std[j] * saved.std[j];
                            let (k1, k2) = (d_beta / nf, d_scale / (nf * var_eps));
                            let dx = &mut work.grad_in[row];
                            bn_input_grad::<T>(dy, c, dx, saved.scale[j], k1, k2);
                        }
                    }
                    if !input_grad {
                        break;
                    }
                    std::mem::swap(&mut work.grad, &mut work.grad_in);
                }
            }
        }
    }

    /// Adam on replica `r`'s row with the gradient in the work buffer, at learning rate `lr`
    /// (the bias corrections in f64, as [`crate::optim::Adam`] computes them).
    #[inline(always)]
    fn adam_update<T: V>(&mut self, r: usize, lr: f64) {
        let c = self.adam[r];
        let step_size = lr / (1.0 - c.beta1.powi(self.t));
        let bias2_sqrt = (1.0 - c.beta2.powi(self.t)).sqrt();
        let row = r * self.stride..(r + 1) * self.stride;
        adam::<T>(
            (
                &mut self.params[row.clone()],
                &mut self.m[row.clone()],
                &mut self.v[row],
            ),
            &self.work.param_grad,
            [
                c.beta1,
                c.beta2,
                1.0 - c.beta1,
                1.0 - c.beta2,
                c.eps,
                c.weight_decay,
            ]
            .map(|v| v as f32),
            (step_size as f32, bias2_sqrt as f32),
        );
    }

    /// Folds replica `r`'s batch statistics into its running statistics (PyTorch's momentum
    /// 0.1, unbiased variance).
    fn update_running(&mut self, r: usize, rows: usize) {
        let unbias = (rows as f64 / (rows.max(2) - 1) as f64) as f32;
        let keep = (1.0 - BN_MOMENTUM) as f32;
        let take = BN_MOMENTUM as f32;
        for (index, saved) in self.work.saved.iter().enumerate() {
            let n = saved.mean.len();
            let mean = &mut self.run_mean[index][r * n..(r + 1) * n];
            for (m, &b) in mean.iter_mut().zip(&saved.mean) {
                *m = *m * keep + b * take;
            }
            let var = &mut self.run_var[index][r * n..(r + 1) * n];
            for (v, &b) in var.iter_mut().zip(&saved.var) {
                *v = *v * keep + b * (take * unbias);
            }
        }
    }

    /// Evaluation mode (BatchNorm with running statistics) over every row of `data`:
    /// (mean loss, accuracy) per replica.
    pub fn evaluate(&mut self, data: &HostSplit) -> Vec<(f64, f64)> {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has AVX2 and FMA (checked just above).
            return unsafe { self.evaluate_avx2(data) };
        }
        self.evaluate_with::<Lanes>(data)
    }

    /// [`FusedGroup::evaluate`] compiled for AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn evaluate_avx2(&mut self, data: &HostSplit) -> Vec<(f64, f64)> {
        self.evaluate_with::<Avx>(data)
    }

    #[inline(always)]
    fn evaluate_with<T: V>(&mut self, data: &HostSplit) -> Vec<(f64, f64)> {
        let n = data.len();
        let mut totals = vec![(0f64, 0u64); self.replicas()];
        let mut seed = SeedBatch::default();
        let mut idx: Vec<u32> = Vec::with_capacity(EVAL_ROWS);
        let mut start = 0;
        while start < n {
            let rows = EVAL_ROWS.min(n - start);
            idx.clear();
            idx.extend(start as u32..(start + rows) as u32);
            data.gather(&idx, &mut seed.x, &mut seed.labels);
            self.prepare(rows);
            for (r, total) in totals.iter_mut().enumerate() {
                let (loss, correct) = self.replica_eval::<T>(r, &seed, rows);
                total.0 += loss;
                total.1 += correct;
            }
            start += rows;
        }
        let n = n.max(1) as f64;
        totals
            .into_iter()
            .map(|(loss, correct)| (loss / n, correct as f64 / n))
            .collect()
    }

    /// Replica `r`'s eval-mode forward pass and loss on `seed`'s rows.
    #[inline(always)]
    fn replica_eval<T: V>(&mut self, r: usize, seed: &SeedBatch, rows: usize) -> (f64, u64) {
        let params = &self.params[r * self.stride..r * self.stride + self.p];
        let running = Running {
            mean: &self.run_mean,
            var: &self.run_var,
            replica: r,
        };
        let last = forward::<T>(&self.ops, params, seed, &mut self.work, rows, Some(running));
        let work = &mut self.work;
        cross_entropy::<T>(
            &work.bufs[last],
            &seed.labels,
            self.classes,
            (&mut work.grad[..self.classes * rows], false),
            &mut work.sum_exp,
        )
    }
}

/// One replica's running statistics: what an evaluation-mode forward pass normalises with.
#[derive(Clone, Copy)]
struct Running<'a> {
    /// Per BatchNorm layer, `[S][n]`.
    mean: &'a [Vec<f32>],
    var: &'a [Vec<f32>],
    replica: usize,
}

/// The forward pass of one replica (`params`, its row) on `seed`'s rows, in training mode
/// (`running` is `None`: BatchNorm normalises with the batch's statistics and saves them in
/// `work` for the backward pass) or in evaluation mode (with `running`). Returns the buffer of
/// the logits.
#[inline(always)]
fn forward<T: V>(
    ops: &[Op],
    params: &[f32],
    seed: &SeedBatch,
    work: &mut Work,
    rows: usize,
    running: Option<Running>,
) -> usize {
    let mut last = 0;
    for op in ops {
        match *op {
            Op::Linear { out, .. } => {
                linear_op::<T>(op, params, seed, work, rows);
                last = out;
            }
            Op::BatchNorm {
                n,
                weight,
                bias,
                src,
                out,
                index,
                relu,
                ..
            } => {
                let mut y = std::mem::take(&mut work.bufs[out]);
                let mut centered = std::mem::take(&mut work.centered[index]);
                for j in 0..n {
                    let row = j * rows..(j + 1) * rows;
                    let x = &source(src, seed, &work.bufs)[row.clone()];
                    let (mean, var) = match (running, src) {
                        (Some(run), _) => {
                            let at = run.replica * n + j;
                            let mean = run.mean[index][at];
                            center::<T>(x, &mut centered[row.clone()], mean);
                            (mean, run.var[index][at])
                        }
                        // The input BatchNorm's batch statistics, once per seed.
                        (None, Src::Data) => (seed.saved.mean[j], seed.saved.var[j]),
                        (None, Src::Buf(_)) => bn_center::<T>(x, &mut centered[row.clone()]),
                    };
                    let std = (var + BN_EPS as f32).sqrt();
                    let scale = params[weight + j] / std;
                    let c = match (running, src) {
                        (None, Src::Data) => &seed.centered[row.clone()],
                        _ => &centered[row.clone()],
                    };
                    bn_apply::<T>(c, &mut y[row], scale, params[bias + j], relu);
                    if running.is_none() {
                        let saved = &mut work.saved[index];
                        saved.mean[j] = mean;
                        saved.var[j] = var;
                        saved.std[j] = std;
                        saved.scale[j] = scale;
                    }
                }
                work.bufs[out] = y;
                work.centered[index] = centered;
                last = out;
            }
            // Applied by the layer before it.
            Op::Relu { .. } => {}
        }
    }
    last
}

/// A Linear op's forward pass (training and evaluation alike): its output buffer from its
/// input and `params` (one replica's row).
#[inline(always)]
fn linear_op<T: V>(op: &Op, params: &[f32], seed: &SeedBatch, work: &mut Work, rows: usize) {
    let Op::Linear {
        inputs,
        outputs,
        weight,
        bias,
        src,
        out,
        relu,
        ..
    } = *op
    else {
        unreachable!("called for a Linear op")
    };
    let mut y = std::mem::take(&mut work.bufs[out]);
    linear_forward::<T>(
        (
            &params[weight..weight + inputs * outputs],
            &params[bias..bias + outputs],
        ),
        source(src, seed, &work.bufs),
        &mut y,
        (inputs, outputs),
        (rows, relu),
    );
    work.bufs[out] = y;
}

/// A layer's input: the seed's features or an earlier layer's output.
#[inline(always)]
fn source<'a>(src: Src, seed: &'a SeedBatch, bufs: &'a [Vec<f32>]) -> &'a [f32] {
    match src {
        Src::Data => &seed.x,
        Src::Buf(b) => &bufs[b],
    }
}

/// A first BatchNorm layer's batch statistics and centred features, once per seed.
#[inline(always)]
fn seed_statistics<T: V>(seed: &mut SeedBatch, n: usize, rows: usize) {
    seed.centered.resize(n * rows, 0.0);
    for v in [&mut seed.saved.mean, &mut seed.saved.var] {
        v.resize(n, 0.0);
    }
    for j in 0..n {
        let (mean, var) = bn_center::<T>(
            &seed.x[j * rows..(j + 1) * rows],
            &mut seed.centered[j * rows..(j + 1) * rows],
        );
        seed.saved.mean[j] = mean;
        seed.saved.var[j] = var;
    }
}

/// What [`plan`] makes of a model.
type Plan = (Vec<Op>, usize, Vec<usize>, usize);

/// The ops of `layers` with their parameter offsets and buffers; also the number of output
/// buffers, the widths of the BatchNorm layers and the number of classes. `None` for a model
/// that starts with a ReLU (no MLP-family model does).
fn plan(layers: &[Layer]) -> Option<Plan> {
    let mut ops = Vec::with_capacity(layers.len());
    let (mut offset, mut bufs, mut bns) = (0, 0, Vec::new());
    let mut src = Src::Data;
    let mut width = 0;
    // Whether the current activation depends on a parameter.
    let mut tracked = false;
    for layer in layers {
        match *layer {
            Layer::Linear(inputs, outputs) => {
                ops.push(Op::Linear {
                    inputs,
                    outputs,
                    weight: offset,
                    bias: offset + inputs * outputs,
                    src,
                    out: bufs,
                    input_grad: tracked,
                    relu: false,
                });
                offset += inputs * outputs + outputs;
                src = Src::Buf(bufs);
                bufs += 1;
                width = outputs;
                tracked = true;
            }
            Layer::BatchNorm(n) => {
                ops.push(Op::BatchNorm {
                    n,
                    weight: offset,
                    bias: offset + n,
                    src,
                    out: bufs,
                    index: bns.len(),
                    input_grad: tracked,
                    relu: false,
                });
                offset += 2 * n;
                bns.push(n);
                src = Src::Buf(bufs);
                bufs += 1;
                width = n;
                tracked = true;
            }
            Layer::Relu => {
                let Src::Buf(buf) = src else {
                    return None;
                };
                match ops.last_mut() {
                    Some(Op::BatchNorm { relu, .. } | Op::Linear { relu, .. }) if !*relu => {
                        *relu = true
                    }
                    // A ReLU after a ReLU changes nothing.
                    _ => {}
                }
                ops.push(Op::Relu {
                    buf,
                    input_grad: tracked,
                });
            }
        }
    }
    Some((ops, bufs, bns, width))
}

/// Whether the fused engine can train `layers` (every model that does not start with a ReLU).
pub fn supports(layers: &[Layer]) -> bool {
    plan(layers).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::BackendKind;
    use crate::data::{DataSource, DataSpec, ValMode};
    use crate::train::DeviceSplits;

    /// The AVX2 build of the kernels and the portable one give the same bits: every step of
    /// every model (batches of 37 rows, so that rows also go through the one-at-a-time and
    /// padded paths), the evaluation included. Skipped (with a note) on a CPU without AVX2.
    #[test]
    fn the_avx2_and_portable_kernels_agree_to_the_bit() {
        #[cfg(target_arch = "x86_64")]
        {
            if !(std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")) {
                eprintln!("skipped: this CPU has no AVX2/FMA");
                return;
            }
            let spec = DataSpec {
                source: DataSource::Synth { rows: 800, seed: 3 },
                val: ValMode::Holdout,
                split_seed: 42,
            };
            let device = BackendKind::default_compiled().unwrap().device().unwrap();
            let data = DeviceSplits::upload(&spec.prepare().unwrap(), &device);
            let host = data.train.host();
            for model in [
                "jsc-tiny",
                "jsc-toy",
                "jsc-s",
                "jsc-toy-10x",
                "mlp:16-12-8-5",
            ] {
                let spec = ModelSpec::parse(model).unwrap();
                let adam = [AdamConfig::default(); 3];
                let mut avx = FusedGroup::new(&spec, &[1, 2, 3], &adam);
                let mut portable = FusedGroup::new(&spec, &[1, 2, 3], &adam);
                let order: Vec<u32> = (0..host.len() as u32).rev().collect();
                let (mut ta, mut tp) = (vec![(0.0, 0); 3], vec![(0.0, 0); 3]);
                for batch in order.chunks(37) {
                    let batches = [batch, &order[..batch.len()]];
                    let lrs = [1e-2, 1e-3, 3e-3];
                    // SAFETY: the CPU has AVX2 and FMA (checked above).
                    unsafe { avx.step_avx2(host, &batches, &[0, 1, 0], &lrs, &mut ta) };
                    portable.step_with::<Lanes>(host, &batches, &[0, 1, 0], &lrs, &mut tp);
                }
                assert_eq!(ta, tp, "{model}: losses and hits");
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(
                    bits(&avx.params),
                    bits(&portable.params),
                    "{model}: parameters"
                );
                assert_eq!(bits(&avx.v), bits(&portable.v), "{model}: Adam");
                let val = data.val.host();
                // SAFETY: as above.
                let eval_avx = unsafe { avx.evaluate_avx2(val) };
                assert_eq!(
                    eval_avx,
                    portable.evaluate_with::<Lanes>(val),
                    "{model}: evaluation"
                );
            }
        }
    }
}
