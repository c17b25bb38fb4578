//! Test fixtures shared by the report's test modules: a two-epoch trial record and a
//! batch-size sweep of two configurations over three seeds.

use super::analysis::{ConfigView, SweepView};
use crate::record::TrialRecord;

/// A two-epoch trial of configuration `id` and `seed` whose accuracies end at `acc`: the trial
/// log's one-epoch fixture with an epoch before it at `acc - 0.1`.
pub(crate) fn record(id: &str, seed: u64, acc: f64) -> TrialRecord {
    let mut r = crate::study::log::testing::record(Some("t"), id, seed, acc);
    let mut first = r.outcome.epochs[0].clone();
    first.train_acc = acc - 0.1;
    first.val_acc = acc - 0.1;
    r.outcome.epochs[0].epoch = 2;
    r.outcome.epochs.insert(0, first);
    r
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
        search: None,
    };
    let records = (0..3)
        .flat_map(|s| {
            let n = 0.01 * s as f64;
            [record("a", s, 0.7 + n), record("b", s, 0.6 - n)]
        })
        .collect();
    (view, records)
}

/// [`batch_size_sweep`] with a fourth seed of `b` that diverged: its `n` (values) differs
/// from its trials, which a renderer must not confuse.
pub(crate) fn batch_size_sweep_with_divergence() -> (SweepView, Vec<TrialRecord>) {
    let (view, mut records) = batch_size_sweep();
    records.push(crate::report::analysis::tests::record("b", 3, 0.5, true));
    (view, records)
}

/// A `model` sweep of jsc-tiny and jsc-toy over 5 seeds: toy ≈ 5.6 points better (the
/// difference's reference values are in scripts/interval_reference.py).
pub(crate) fn model_sweep() -> (SweepView, Vec<TrialRecord>) {
    let view = SweepView {
        name: "model".into(),
        params: vec!["model".into()],
        configs: ["jsc-tiny", "jsc-toy"]
            .map(|m| ConfigView {
                config_id: m.into(),
                values: vec![m.into()],
            })
            .to_vec(),
        search: None,
    };
    let tiny = [0.700, 0.702, 0.698, 0.705, 0.701];
    let toy = [0.755, 0.760, 0.752, 0.761, 0.757];
    let records = (0..5)
        .flat_map(|s| {
            [
                record("jsc-tiny", s as u64, tiny[s]),
                record("jsc-toy", s as u64, toy[s]),
            ]
        })
        .collect();
    (view, records)
}
