//! Test fixtures shared by the report's test modules: a two-epoch trial record and a
//! batch-size sweep of two configurations over three seeds.

use super::analysis::{ConfigView, SweepView};
use crate::data::DataSpec;
use crate::provenance::Provenance;
use crate::record::{DataInfo, TrialRecord};
use crate::train::{EpochRecord, TrainConfig, TrainOutcome};

/// A two-epoch trial of configuration `id` and `seed` whose accuracies end at `acc`.
pub(crate) fn record(id: &str, seed: u64, acc: f64) -> TrialRecord {
    let epoch = |e: usize, acc: f64| EpochRecord {
        epoch: e,
        lr: 1e-3,
        train_loss: 1.0,
        train_acc: acc,
        val_loss: 1.0,
        val_acc: acc,
        train_seconds: 0.5,
        eval_seconds: 0.1,
    };
    TrialRecord {
        config: TrainConfig::default(),
        data: DataInfo {
            spec: DataSpec::default(),
            fingerprint: "f".into(),
            train_rows: 10,
            val_rows: 1,
            test_rows: 2,
        },
        outcome: TrainOutcome {
            seed,
            epochs: vec![epoch(1, acc - 0.1), epoch(2, acc)],
            test_loss: 1.0,
            test_acc: acc,
            diverged_at: None,
            total_seconds: 1.0,
            replicas: 1,
        },
        diverged: false,
        provenance: Provenance::collect(crate::backend::BackendKind::Flex),
        study: Some("t".into()),
        config_id: Some(id.into()),
        quick: false,
        group: None,
    }
}

/// A `batch_size` sweep of configurations `a` (bs 32) and `b` (bs 64), and three seeds of
/// each: a near 0.70, b near 0.60.
pub(crate) fn batch_size_sweep() -> (SweepView, Vec<TrialRecord>) {
    let view = SweepView {
        name: "batch_size".into(),
        params: vec!["batch_size".into()],
        configs: [("a", "32"), ("b", "64")]
            .map(|(id, bs)| ConfigView {
                config_id: id.into(),
                values: vec![bs.into()],
            })
            .to_vec(),
    };
    let records = (0..3)
        .flat_map(|s| {
            let n = 0.01 * s as f64;
            [record("a", s, 0.7 + n), record("b", s, 0.6 - n)]
        })
        .collect();
    (view, records)
}
