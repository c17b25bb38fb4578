//! A rough cost model for planning: estimated seconds of one training group on the Flex
//! backend of a 2-core reference machine, used by `--dry-run`, the ETA and shard balancing.
//!
//! It is an estimate, not a promise: the shape (how cost grows with rows, epochs, batch size,
//! model and replicas) matters more than the scale. Per epoch,
//!
//! ```text
//! batches · (23 µs · layers)                         per-step overhead (operation dispatch)
//! + train_rows · S · (0.088 µs + 0.169 ns · params)  per-row work, each of S replicas
//! + eval_rows · S · (0.036 µs + 0.106 ns · params)   validation pass (test once at the end)
//! ```
//!
//! fitted (least squares on relative errors; median 5.4%, at most 20% per group, 1.2% in
//! all) to the 28 replica groups of a full run of Lab 1's fixed learning-rate grid (jsc-tiny …
//! jsc-toy-10x, batch sizes 32–512, groups of 8–40 replicas mixing up to 4 learning rates;
//! the hand-derived backward; AMD EPYC, 2026-12-06). A replica group mixing configurations
//! costs what one configuration's group of as many replicas costs.
//!
//! The fused engine ([`Engine::Fused`]) has no per-layer dispatch and pays for gathering each
//! distinct seed's batch apart from the per-replica work, so it has coefficients of its own
//! (`FUSED` below): per epoch `batches · 28.3 µs + train_rows · (seeds · 29.2 ns + S ·
//! (2.38 ns + 0.175 ns · params))` plus the validation pass.

use crate::config::Engine;
use crate::model::ModelSpec;
use crate::train::TrainConfig;

/// Estimated rows of each split (before the data is prepared).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RowEstimate {
    /// Training rows.
    pub train: usize,
    /// Validation rows.
    pub val: usize,
    /// Test rows.
    pub test: usize,
}

impl RowEstimate {
    /// Splits `rows` raw rows as the data preparation will
    /// ([`split_sizes`](crate::data::prepare::split_sizes): 20% test, then 10% of the rest as
    /// holdout validation, or validation = train in `mase` mode); duplicate rows, which the
    /// preparation drops first, are not known before the data is loaded.
    pub fn from_raw(rows: usize, val_is_train: bool) -> Self {
        use crate::data::{ValMode, prepare::split_sizes};
        let mode = if val_is_train {
            ValMode::Mase
        } else {
            ValMode::Holdout
        };
        let sizes = split_sizes(rows, mode);
        RowEstimate {
            train: sizes.train,
            val: sizes.val,
            test: sizes.test,
        }
    }
}

/// The cost model's coefficients for one engine (seconds).
struct Coefficients {
    /// Per training step.
    step: f64,
    /// Per training step and layer (operation dispatch of the tensor engines).
    step_layer: f64,
    /// Per training row and distinct seed (gathering a seed's batch).
    gather: f64,
    /// Per training row and replica, and per parameter on top.
    row: f64,
    row_param: f64,
    /// Per evaluated row and replica, and per parameter on top.
    eval_row: f64,
    eval_row_param: f64,
}

/// The tensor engines (`manual`, `autodiff`): see the module docs.
const TENSOR: Coefficients = Coefficients {
    step: 0.0,
    step_layer: 23e-6,
    gather: 0.0,
    row: 0.088e-6,
    row_param: 0.169e-9,
    eval_row: 0.036e-6,
    eval_row_param: 0.106e-9,
};

/// The fused engine: fitted (least squares on relative errors; median 5.1%, at most 13% per
/// group) to the 28 groups of Lab 1's fixed grid with `engine = "fused"`, `--jobs 2`
/// (AMD EPYC, 2026-12-07); evaluation rows cost the tensor engines' share of a training row.
const FUSED: Coefficients = Coefficients {
    step: 28.3e-6,
    step_layer: 0.0,
    gather: 29.2e-9,
    row: 2.38e-9,
    row_param: 0.175e-9,
    eval_row: 0.98e-9,
    eval_row_param: 0.109e-9,
};

/// Estimated seconds to train `config` for `replicas` seeds together on `rows`.
pub fn estimate_seconds(config: &TrainConfig, replicas: usize, rows: RowEstimate) -> f64 {
    estimate_group_seconds(config, replicas, replicas, rows)
}

/// Estimated seconds of a replica group of `replicas` replicas of `config`'s shape (they may
/// differ in optimiser settings) drawing batches for `seeds` distinct seeds, on `rows`.
pub fn estimate_group_seconds(
    config: &TrainConfig,
    replicas: usize,
    seeds: usize,
    rows: RowEstimate,
) -> f64 {
    let (layers, params) = match ModelSpec::parse(&config.model) {
        Ok(spec) => (spec.layers.len(), spec.param_count()),
        Err(_) => (5, 127),
    };
    let k = match config.engine {
        Engine::Fused => &FUSED,
        Engine::Manual | Engine::Autodiff => &TENSOR,
    };
    let s = replicas.max(1) as f64;
    let u = seeds.clamp(1, replicas.max(1)) as f64;
    let p = params as f64;
    let batches = rows.train.div_ceil(config.batch_size.max(1)) as f64;
    let step = batches * (k.step + k.step_layer * layers as f64);
    let train = rows.train as f64 * (u * k.gather + s * (k.row + k.row_param * p));
    let eval_row = s * (k.eval_row + k.eval_row_param * p);
    let epoch = step + train + rows.val as f64 * eval_row;
    config.epochs as f64 * epoch + rows.test as f64 * eval_row
}

/// Estimated peak memory in bytes of training `config` for `replicas` seeds together on
/// `rows`: the data (raw table, splits and the device copy, about 300 bytes a row), the
/// parameters with their gradients and Adam moments, and a batch's activations forward and
/// backward. An estimate to refuse the impossible up front, not a measurement.
pub fn estimate_bytes(config: &TrainConfig, replicas: usize, rows: RowEstimate) -> f64 {
    let s = replicas.max(1) as f64;
    let data = estimate_data_bytes(rows);
    let (params, width) = match ModelSpec::parse(&config.model) {
        Ok(spec) => {
            let width: usize = spec
                .layers
                .iter()
                .map(|l| match *l {
                    crate::model::Layer::Linear(i, o) => i + o,
                    crate::model::Layer::BatchNorm(n) => 2 * n,
                    crate::model::Layer::Relu => 0,
                })
                .sum();
            (spec.param_count() as f64, width as f64)
        }
        Err(_) => (0.0, 0.0),
    };
    let model = params * s * 4.0 * 8.0;
    let activations = config.batch_size as f64 * s * width * 4.0 * 4.0;
    data + model + activations
}

/// Estimated bytes of the data alone on `rows`: the raw table, the splits and the device copy,
/// about 300 bytes a row (the data term of [`estimate_bytes`]).
pub fn estimate_data_bytes(rows: RowEstimate) -> f64 {
    (rows.train + rows.val + rows.test) as f64 * 300.0
}

/// Refuses, as `train` and `run` do ([`check_memory`], the same limit and message), preparing
/// data whose rows alone would not fit in memory. Only synthetic data's size is known before
/// loading (`synth:ROWS`); a file that exists has a size the machine could already hold.
pub fn check_data_memory(spec: &crate::data::DataSpec) -> crate::Result<()> {
    use crate::data::{DataSource, ValMode};
    let DataSource::Synth { rows, .. } = spec.source else {
        return Ok(());
    };
    let estimate = RowEstimate::from_raw(rows, spec.val == ValMode::Mase);
    check_memory(
        estimate_data_bytes(estimate),
        &format!("preparing {} ({rows} rows)", spec.source),
    )
}

/// Bytes of memory available to new allocations (Linux `MemAvailable`), if known.
pub fn available_memory() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

/// An error naming the estimate when `bytes` exceed the memory available (`what` says what
/// needs it); no check where the available memory is unknown.
pub fn check_memory(bytes: f64, what: &str) -> crate::Result<()> {
    match available_memory() {
        Some(avail) if bytes > avail => Err(crate::Error::Usage(format!(
            "{what} needs about {:.1} GiB of memory; {:.1} GiB are available",
            bytes / GIB,
            avail / GIB
        ))),
        _ => Ok(()),
    }
}

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_grows_with_work_and_shrinks_per_seed_with_replicas() {
        let rows = RowEstimate::from_raw(100_000, false);
        assert_eq!(rows.test, 20_000);
        assert_eq!(rows.val + rows.train, 80_000);
        let base = TrainConfig::default();
        let c = |f: &dyn Fn(&mut TrainConfig)| {
            let mut c = base.clone();
            f(&mut c);
            estimate_seconds(&c, 1, rows)
        };
        let t = estimate_seconds(&base, 1, rows);
        assert!(c(&|c| c.epochs = 40) > 1.9 * t);
        assert!(c(&|c| c.batch_size = 32) > t);
        assert!(c(&|c| c.model = "jsc-toy-10x".into()) > t);
        let ten = estimate_seconds(&base, 10, rows);
        assert!(ten > t && ten < 10.0 * t);
    }

    /// The estimate is what preparing synthetic data of that many rows gives.
    #[test]
    fn row_estimate_is_the_prepared_split_sizes() {
        use crate::data::{ValMode, prepare::prepare, synth::generate};
        for rows in [1000, 1001, 1003, 100_000] {
            let raw = generate(rows, 7);
            for mode in [ValMode::Holdout, ValMode::Mase] {
                let s = prepare(&raw, mode, 42).unwrap();
                assert_eq!(s.duplicates_dropped, 0);
                let real = (s.train.len(), s.val.len(), s.test.len());
                let est = RowEstimate::from_raw(rows, mode == ValMode::Mase);
                assert_eq!((est.train, est.val, est.test), real, "{rows} rows, {mode}");
            }
        }
    }
}
