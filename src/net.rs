//! A [`ModelSpec`] as tensors on a device, for S independent replicas at once.
//!
//! Every parameter carries a leading replica dimension, and activations are feature-major,
//! `[S, features, batch]`, so that the batch reductions of BatchNorm (and of the gradients of
//! broadcast operations) run along contiguous memory: a Linear(in→out) is a weight
//! `[S, out, in]` (PyTorch's own layout) and a bias `[S, out, 1]`, applied as one batched
//! matmul `W·x`; a BatchNorm(n) has affine weight/bias and running mean/variance of shape
//! `[S, n, 1]`, with batch statistics per replica. With S = 1 this is an ordinary network;
//! with S seeds it trains S independent networks in one set of tensors, so each step's
//! per-operation overhead is paid once for all of them.
//!
//! Initialisation is PyTorch's, drawn on the host from each replica's own seed, so a replica
//! gets the same initial values whether it trains alone or with others, on every backend:
//! Linear weight and bias `U(-1/√in, 1/√in)` (PyTorch's `kaiming_uniform_(a=√5)` bound and its
//! bias bound), drawn weight-first in PyTorch's `[out, in]` order; BatchNorm weight 1, bias 0,
//! running mean 0, running variance 1. BatchNorm uses PyTorch's `eps = 1e-5` and
//! `momentum = 0.1`, normalises with the biased batch variance and tracks the unbiased one.

use crate::model::{Layer, ModelSpec};
use crate::seeding::{Purpose, rng_for};
use burn::prelude::*;
use burn::tensor::activation::relu;
use rand::Rng;

/// BatchNorm1d epsilon (PyTorch default).
pub const BN_EPS: f64 = 1e-5;
/// BatchNorm1d running-statistics momentum (PyTorch default).
pub const BN_MOMENTUM: f64 = 0.1;

/// Running mean and (unbiased) variance of one BatchNorm layer, `[S, n, 1]` each.
#[derive(Clone)]
pub struct RunningStats {
    /// Running mean.
    pub mean: Tensor<3>,
    /// Running variance.
    pub var: Tensor<3>,
}

/// S replicas of one network, parameters on a device (without autodiff).
#[derive(Clone)]
pub struct Net {
    layers: Vec<Layer>,
    replicas: usize,
    /// Shapes `[out, in]` / `[n, 1]` of the trainable tensors of one replica, in layer order
    /// (Linear: weight, bias; BatchNorm: weight, bias).
    shapes: Vec<[usize; 2]>,
    /// Every trainable value of every replica, `[S, P]`: row r holds replica r's parameters
    /// in layer order, each flattened in PyTorch's layout. One buffer, so that the optimiser
    /// updates all of them in one set of operations ([`crate::optim::Adam`]). (An `Option`
    /// only so that [`Net::update_flat`] can hand the buffer over by value.)
    flat: Option<Tensor<2>>,
    /// Running statistics, one per BatchNorm layer, in layer order.
    pub running: Vec<RunningStats>,
}

/// Host-side initial parameters of one replica, in [`Net::params`] order, each flattened in
/// the tensor's `[out, in]` / `[n, 1]` layout (PyTorch's).
pub fn initial_params(spec: &ModelSpec, seed: u64) -> Vec<Vec<f32>> {
    let mut rng = rng_for(seed, Purpose::Init);
    let mut out = Vec::new();
    for layer in &spec.layers {
        match *layer {
            Layer::Linear(i, o) => {
                let bound = 1.0 / (i as f64).sqrt();
                let mut draw = || (rng.random::<f64>() * 2.0 - 1.0) * bound;
                // PyTorch order: weight [out, in] row-major, then bias [out].
                let weight: Vec<f32> = (0..i * o).map(|_| draw() as f32).collect();
                let bias: Vec<f32> = (0..o).map(|_| draw() as f32).collect();
                out.push(weight);
                out.push(bias);
            }
            Layer::BatchNorm(n) => {
                out.push(vec![1.0; n]);
                out.push(vec![0.0; n]);
            }
            Layer::Relu => {}
        }
    }
    out
}

/// Shapes `[out, in]` / `[n, 1]` of the trainable tensors of one replica, in params order.
pub(crate) fn param_shapes(layers: &[Layer]) -> Vec<[usize; 2]> {
    let mut shapes = Vec::new();
    for layer in layers {
        match *layer {
            Layer::Linear(i, o) => shapes.extend([[o, i], [o, 1]]),
            Layer::BatchNorm(n) => shapes.extend([[n, 1], [n, 1]]),
            Layer::Relu => {}
        }
    }
    shapes
}

impl Net {
    /// One replica per seed, initialised as described in the module docs.
    pub fn init(spec: &ModelSpec, seeds: &[u64], device: &Device) -> Self {
        let per_replica: Vec<Vec<Vec<f32>>> =
            seeds.iter().map(|&s| initial_params(spec, s)).collect();
        Self::from_host(spec, &per_replica, device)
    }

    /// Builds the network from explicit per-replica parameters (`[replica][param]`, each in
    /// the layout of [`initial_params`]).
    pub fn from_host(spec: &ModelSpec, per_replica: &[Vec<Vec<f32>>], device: &Device) -> Self {
        let s = per_replica.len();
        let shapes = param_shapes(&spec.layers);
        let p: usize = shapes.iter().map(|[r, c]| r * c).sum();
        let data: Vec<f32> = per_replica.iter().flatten().flatten().copied().collect();
        let flat = Some(Tensor::from_data(TensorData::new(data, [s, p]), device));
        let running = spec
            .layers
            .iter()
            .filter_map(|l| match *l {
                Layer::BatchNorm(n) => Some(RunningStats {
                    mean: Tensor::zeros([s, n, 1], device),
                    var: Tensor::ones([s, n, 1], device),
                }),
                _ => None,
            })
            .collect();
        Net {
            layers: spec.layers.clone(),
            replicas: s,
            shapes,
            flat,
            running,
        }
    }

    /// The layers.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// Every trainable value of every replica, `[S, P]` (row r: replica r's parameters in
    /// layer order, each flattened in PyTorch's layout).
    pub fn flat(&self) -> &Tensor<2> {
        self.flat.as_ref().expect("parameters present")
    }

    /// Replaces the flat parameters by `f` of them (handed over by value, so that an update
    /// can reuse their memory).
    pub fn update_flat(&mut self, f: impl FnOnce(Tensor<2>) -> Tensor<2>) {
        let flat = self.flat.take().expect("parameters present");
        self.flat = Some(f(flat));
    }

    /// Trainable values per replica, P.
    pub fn param_count(&self) -> usize {
        self.shapes.iter().map(|[r, c]| r * c).sum()
    }

    /// The trainable tensors `[S, r, c]` in layer order, each a contiguous copy of its columns
    /// of [`Net::flat`].
    pub fn params(&self) -> Vec<Tensor<3>> {
        let s = self.replicas;
        let mut offset = 0;
        self.shapes
            .iter()
            .map(|&[r, c]| {
                let t = self
                    .flat()
                    .clone()
                    .narrow(1, offset, r * c)
                    .reshape([s, r, c]);
                offset += r * c;
                t
            })
            .collect()
    }

    /// Per-parameter tensors `[S, r, c]` (in [`Net::params`] order) as one `[S, P]` buffer
    /// laid out like [`Net::flat`]: how gradients meet the flat optimiser state.
    pub fn flatten(&self, tensors: Vec<Tensor<3>>) -> Tensor<2> {
        let s = self.replicas;
        let columns: Vec<Tensor<2>> = tensors
            .into_iter()
            .zip(&self.shapes)
            .map(|(t, &[r, c])| t.reshape([s, r * c]))
            .collect();
        Tensor::cat(columns, 1)
    }

    /// Number of replicas S.
    pub fn replicas(&self) -> usize {
        self.replicas
    }

    /// Training-mode forward pass of `x: [S, in, batch]` with the given parameters (usually
    /// autodiff copies of [`Net::params`]). Returns the logits `[S, out, batch]` and each
    /// BatchNorm layer's detached batch mean and biased variance.
    pub fn forward_train(
        &self,
        params: &[Tensor<3>],
        x: Tensor<3>,
    ) -> (Tensor<3>, Vec<(Tensor<3>, Tensor<3>)>) {
        let mut stats = Vec::with_capacity(self.running.len());
        let mut p = params.iter();
        let mut x = x;
        for layer in &self.layers {
            x = match layer {
                Layer::Linear(..) => {
                    let (w, b) = (p.next().unwrap(), p.next().unwrap());
                    w.clone().matmul(x) + b.clone()
                }
                Layer::BatchNorm(_) => {
                    let (g, b) = (p.next().unwrap(), p.next().unwrap());
                    let mean = x.clone().mean_dim(2);
                    let centered = x - mean.clone();
                    let var = centered.clone().square().mean_dim(2);
                    // γ/√(σ²+ε) is per feature: one full-size multiply instead of a
                    // divide and a multiply.
                    let scale = g.clone() / var.clone().add_scalar(BN_EPS).sqrt();
                    stats.push((mean.detach().inner(), var.detach().inner()));
                    centered * scale + b.clone()
                }
                Layer::Relu => relu(x),
            };
        }
        (x, stats)
    }

    /// Folds a training batch's statistics (from [`Net::forward_train`]) into the running
    /// mean and unbiased variance, as PyTorch's BatchNorm1d does.
    pub fn update_running(&mut self, stats: Vec<(Tensor<3>, Tensor<3>)>, batch: usize) {
        let unbias = batch as f64 / (batch.max(2) - 1) as f64;
        for (run, (mean, var)) in self.running.iter_mut().zip(stats) {
            run.mean =
                run.mean.clone().mul_scalar(1.0 - BN_MOMENTUM) + mean.mul_scalar(BN_MOMENTUM);
            run.var = run.var.clone().mul_scalar(1.0 - BN_MOMENTUM)
                + var.mul_scalar(BN_MOMENTUM * unbias);
        }
    }

    /// Evaluation-mode forward pass (BatchNorm with running statistics), no autodiff.
    /// `x: [S, in, batch]` → logits `[S, out, batch]`.
    pub fn forward_eval(&self, x: Tensor<3>) -> Tensor<3> {
        let params = self.params();
        let mut p = params.iter();
        let mut bn = self.running.iter();
        let mut x = x;
        for layer in &self.layers {
            x = match layer {
                Layer::Linear(..) => {
                    let (w, b) = (p.next().unwrap(), p.next().unwrap());
                    w.clone().matmul(x) + b.clone()
                }
                Layer::BatchNorm(_) => {
                    let (g, b) = (p.next().unwrap(), p.next().unwrap());
                    let run = bn.next().unwrap();
                    let scale = g.clone() / run.var.clone().add_scalar(BN_EPS).sqrt();
                    (x - run.mean.clone()) * scale + b.clone()
                }
                Layer::Relu => relu(x),
            };
        }
        x
    }

    /// The parameters read back to the host: `[param][replica]`, each flattened.
    pub fn params_to_host(&self) -> Vec<Vec<Vec<f32>>> {
        let p = self.param_count();
        let flat: Vec<f32> = self
            .flat()
            .to_data()
            .try_to_vec::<f32>()
            .expect("f32 parameters");
        let mut offset = 0;
        self.shapes
            .iter()
            .map(|&[r, c]| {
                let k = r * c;
                let per_replica = (0..self.replicas)
                    .map(|s| flat[s * p + offset..s * p + offset + k].to_vec())
                    .collect();
                offset += k;
                per_replica
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::BackendKind;

    fn device() -> Device {
        BackendKind::default_compiled().unwrap().device().unwrap()
    }

    /// Reference (numpy): x = [[1,2,-1],[3,0,.5],[0,1,2.5],[2,-2,1]];
    /// `(x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5)`, running mean `0.1 * x.mean(0)`,
    /// running var `0.9 + 0.1 * x.var(0, ddof=1)` (PyTorch BatchNorm1d, momentum 0.1).
    #[test]
    fn batchnorm_matches_pytorch_train_mode() {
        let spec = ModelSpec {
            name: "bn".into(),
            layers: vec![Layer::BatchNorm(3)],
        };
        let device = device();
        let mut net = Net::init(&spec, &[0], &device);
        let x = vec![1.0, 2.0, -1.0, 3.0, 0.0, 0.5, 0.0, 1.0, 2.5, 2.0, -2.0, 1.0];
        // Rows are samples: feature-major, the network takes [S, features, batch].
        let x = Tensor::<3>::from_data(TensorData::new(x, [1, 4, 3]), &device).swap_dims(1, 2);
        let (y, stats) = net.forward_train(&net.params(), x);
        let y: Vec<f32> = y.swap_dims(1, 2).into_data().try_to_vec::<f32>().unwrap();
        let want_y = [
            -0.447_211_8,
            1.183_213_3,
            -1.399_995_5,
            1.341_635_4,
            -0.169_030_46,
            -0.199_999_36,
            -1.341_635_4,
            0.507_091_4,
            1.399_995_5,
            0.447_211_8,
            -1.521_274_2,
            0.199_999_36,
        ];
        for (g, w) in y.iter().zip(want_y) {
            assert!((g - w).abs() < 1e-5, "{y:?}");
        }
        net.update_running(stats, 4);
        let mean: Vec<f32> = net.running[0].mean.to_data().try_to_vec::<f32>().unwrap();
        let var: Vec<f32> = net.running[0].var.to_data().try_to_vec::<f32>().unwrap();
        for (g, w) in mean.iter().zip([0.15, 0.025, 0.075]) {
            assert!((g - w).abs() < 1e-6, "{mean:?}");
        }
        for (g, w) in var.iter().zip([1.066_666_7, 1.191_666_7, 1.108_333_3]) {
            assert!((g - w).abs() < 1e-6, "{var:?}");
        }
    }

    #[test]
    fn init_is_per_seed_and_within_pytorch_bounds() {
        let spec = ModelSpec::parse("jsc-toy").unwrap();
        let a = initial_params(&spec, 7);
        assert_eq!(a, initial_params(&spec, 7));
        assert_ne!(a, initial_params(&spec, 8));
        let total: usize = a.iter().map(Vec::len).sum();
        assert_eq!(total, spec.param_count());
        // Linear(16→8) weight and bias lie in ±1/√16.
        assert!(a[2].iter().chain(&a[3]).all(|v| v.abs() <= 0.25));
        assert_eq!((a[2].len(), a[3].len()), (16 * 8, 8));
        assert!(a[2].iter().any(|v| v.abs() > 0.2), "draws cover the range");
        // BatchNorm affine starts at weight 1, bias 0.
        assert!(a[0].iter().all(|&v| v == 1.0) && a[1].iter().all(|&v| v == 0.0));
    }

    #[test]
    fn replicas_start_from_their_own_seeds() {
        let spec = ModelSpec::parse("jsc-tiny").unwrap();
        let net = Net::init(&spec, &[3, 4], &device());
        let host = net.params_to_host();
        for (k, param) in host.iter().enumerate() {
            assert_eq!(param[0], initial_params(&spec, 3)[k]);
            assert_eq!(param[1], initial_params(&spec, 4)[k]);
        }
    }
}
