//! Trainer behaviour on small synthetic data: reproducibility, replica equivalence,
//! divergence handling.

use trainbench::backend::BackendKind;
use trainbench::backprop::Engine;
use trainbench::data::{DataSource, DataSpec, ValMode};
use trainbench::optim::AdamConfig;
use trainbench::optim::Scheduler;
use trainbench::train::{
    DeviceSplits, GroupOptions, Replica, TrainConfig, TrainOutcome, Trainer, train, train_group,
};

fn data(rows: usize) -> DeviceSplits {
    let spec = DataSpec {
        source: DataSource::Synth { rows, seed: 5 },
        val: ValMode::Holdout,
        split_seed: 42,
    };
    let device = BackendKind::default_compiled().unwrap().device().unwrap();
    DeviceSplits::upload(&spec.prepare().unwrap(), &device)
}

fn config(model: &str, lr: f64, epochs: usize) -> TrainConfig {
    TrainConfig {
        model: model.into(),
        batch_size: 64,
        lr,
        epochs,
        ..TrainConfig::default()
    }
}

/// Everything except wall-clock times.
fn without_timings(mut o: TrainOutcome) -> TrainOutcome {
    o.total_seconds = 0.0;
    for e in &mut o.epochs {
        e.train_seconds = 0.0;
        e.eval_seconds = 0.0;
    }
    o
}

#[test]
fn same_seed_gives_identical_outcomes() {
    let data = data(3_000);
    let c = config("jsc-toy", 1e-3, 2);
    let a = train(&c, &[11], &data, |_| {}).unwrap();
    let b = train(&c, &[11], &data, |_| {}).unwrap();
    let other = train(&c, &[12], &data, |_| {}).unwrap();
    let a = without_timings(a[0].clone());
    assert_eq!(a, without_timings(b[0].clone()));
    assert_ne!(a.epochs, without_timings(other[0].clone()).epochs);
    assert_eq!(a.epochs.len(), 2);
    assert!(a.test_acc > 0.2, "learns something: {}", a.test_acc);
}

#[test]
fn learning_improves_over_chance_and_schedule_is_cosine() {
    let data = data(5_000);
    let c = config("jsc-tiny", 1e-2, 3);
    let o = &train(&c, &[0], &data, |_| {}).unwrap()[0];
    assert!(o.diverged_at.is_none());
    let lrs: Vec<f64> = o.epochs.iter().map(|e| e.lr).collect();
    for (e, lr) in lrs.iter().enumerate() {
        assert_eq!(*lr, Scheduler::Cosine.lr(1e-2, e, 3));
    }
    assert!(o.epochs[2].val_acc > 0.4, "{:?}", o.epochs);
    assert!(o.epochs[2].train_loss < o.epochs[0].train_loss);
}

/// Equal as numbers, NaN equal to NaN: `-0.0 == 0.0` (the sign of a zero gradient may depend
/// on the order of exactly-zero terms), every other difference fails.
fn same_value(a: f32, b: f32) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// Asserts two per-parameter, per-replica host copies (`[param][replica][value]`) are equal
/// value for value; `b` may hold one replica (`b_replica`) of `a`'s `a_replica`.
fn assert_same_params(
    a: &[Vec<Vec<f32>>],
    a_replica: usize,
    b: &[Vec<Vec<f32>>],
    b_replica: usize,
    what: &str,
) {
    for (k, (pa, pb)) in a.iter().zip(b).enumerate() {
        for (i, (x, y)) in pa[a_replica].iter().zip(&pb[b_replica]).enumerate() {
            assert!(same_value(*x, *y), "{what}: param {k}[{i}]: {x:e} vs {y:e}");
        }
    }
}

/// Replica equivalence: S seeds trained together end an epoch (k = 34 Adam steps here) with
/// exactly the parameters, losses and accuracies of each seed trained alone (one thread: each
/// replica's slice of a batched operation is computed as it would be alone).
#[test]
fn replicas_match_single_runs() {
    let data = data(3_000);
    let c = config("jsc-toy", 1e-3, 2);
    let seeds = [3u64, 4, 5];
    let mut together = Trainer::new(&c, &seeds, &data).unwrap();
    let joint = together.train_epoch(0, &mut |_| {});
    let joint_params = together.net().params_to_host();
    for (r, &seed) in seeds.iter().enumerate() {
        let mut alone = Trainer::new(&c, &[seed], &data).unwrap();
        let single = alone.train_epoch(0, &mut |_| {});
        let single_params = alone.net().params_to_host();
        assert_same_params(&joint_params, r, &single_params, 0, &format!("seed {seed}"));
        assert_eq!(
            joint[r], single[0],
            "train loss and accuracy of seed {seed}"
        );
    }
}

/// The manual backward pass ([`Engine::Manual`], the default) gives burn's autodiff gradients
/// to the bit: after two epochs of Adam steps (where any difference compounds) every
/// parameter and every per-epoch metric agrees, on every model family member of Lab 1 and a
/// plain MLP (a Linear after a Linear, and raw logits).
#[test]
fn manual_backward_matches_autodiff() {
    let data = data(3_000);
    for model in [
        "jsc-tiny",
        "jsc-tiny-v2",
        "jsc-toy",
        "jsc-s",
        "jsc-tiny-10x",
        "jsc-toy-10x",
        "mlp:16-12-8-5",
    ] {
        let c = config(model, 3e-3, 2);
        let replicas = Replica::of(&c, &[3, 4]);
        let run = |engine| {
            let mut t = Trainer::group(&c, &replicas, &data, engine).unwrap();
            let metrics: Vec<_> = (0..2).map(|e| t.train_epoch(e, &mut |_| {})).collect();
            (metrics, t.net().params_to_host())
        };
        let (manual, manual_params) = run(Engine::Manual);
        let (autodiff, autodiff_params) = run(Engine::Autodiff);
        assert_eq!(manual, autodiff, "{model}: per-epoch loss and accuracy");
        for r in 0..replicas.len() {
            assert_same_params(&manual_params, r, &autodiff_params, r, model);
        }
    }
}

/// Configurations that differ only in optimiser settings train as one replica group with
/// per-replica hyperparameters, and every trial comes out exactly as in its configuration's
/// own group: a slice of the batch size × learning rate grid, a weight decay and other Adam
/// betas, two seeds each, with the cosine schedule over 3 epochs.
#[test]
fn mixed_groups_match_each_configuration_alone() {
    let data = data(3_000);
    let shared = config("jsc-tiny", 1e-3, 3);
    let settings = [
        (1e-1, AdamConfig::default()),
        (1e-2, AdamConfig::default()),
        (1e-3, AdamConfig::default()),
        (
            1e-2,
            AdamConfig {
                weight_decay: 1e-3,
                ..AdamConfig::default()
            },
        ),
        (
            3e-3,
            AdamConfig {
                beta1: 0.8,
                beta2: 0.99,
                eps: 1e-6,
                ..AdamConfig::default()
            },
        ),
    ];
    let seeds = [0u64, 1];
    let mixed: Vec<Replica> = settings
        .iter()
        .flat_map(|&(lr, adam)| seeds.iter().map(move |&seed| Replica { seed, lr, adam }))
        .collect();
    let together = train_group(&shared, &mixed, &data, &GroupOptions::default(), |_| {}).unwrap();
    for (k, &(lr, adam)) in settings.iter().enumerate() {
        let own = TrainConfig {
            lr,
            adam,
            ..shared.clone()
        };
        let alone = train(&own, &seeds, &data, |_| {}).unwrap();
        for (j, outcome) in alone.into_iter().enumerate() {
            let mut joint = without_timings(together[k * seeds.len() + j].clone());
            assert_eq!((joint.replicas, joint.configs), (10, 5));
            (joint.replicas, joint.configs) = (outcome.replicas, outcome.configs);
            assert_eq!(joint, without_timings(outcome), "lr {lr}, {adam:?}");
        }
    }
}

#[test]
fn a_diverging_learning_rate_is_a_result_not_a_crash() {
    let data = data(2_000);
    let c = config("jsc-tiny", 1e30, 3);
    let outcomes = train(&c, &[0, 1], &data, |_| {}).unwrap();
    for o in &outcomes {
        assert_eq!(o.diverged_at, Some(1), "{o:?}");
        assert_eq!(o.epochs.len(), 1);
        assert!(o.test_acc.is_nan());
        let json = serde_json::to_string(o).unwrap();
        let back: TrainOutcome = serde_json::from_str(&json).unwrap();
        assert!(back.test_acc.is_nan() && back.diverged_at == Some(1));
    }
}

#[test]
fn lr_0_1_is_survivable() {
    let data = data(2_000);
    let o = &train(&config("jsc-tiny", 0.1, 2), &[0], &data, |_| {}).unwrap()[0];
    assert_eq!(o.epochs.len(), 2, "{o:?}");
}

/// The outcome of seed 0 of a short jsc-tiny run on `kind`, from the same host-drawn
/// initial weights and batch order on every backend.
fn outcome_on(kind: BackendKind) -> TrainOutcome {
    let spec = DataSpec {
        source: DataSource::Synth {
            rows: 6_000,
            seed: 5,
        },
        val: ValMode::Holdout,
        split_seed: 42,
    };
    let splits = spec.prepare().unwrap();
    let data = DeviceSplits::upload(&splits, &kind.device().unwrap());
    train(&config("jsc-tiny", 1e-2, 2), &[0], &data, |_| {})
        .unwrap()
        .remove(0)
}

/// Every compiled-in backend (Flex; LibTorch CPU with `--features tch`) learns.
#[test]
fn every_compiled_backend_learns() {
    for kind in BackendKind::compiled() {
        let o = outcome_on(kind);
        assert!(o.test_acc > 0.4, "{kind}: {}", o.test_acc);
    }
}

/// Two different backends train the same configuration from the same initial weights and
/// batch order to comparable accuracy, with the first epoch's loss in close agreement.
/// Needs a second backend: without `--features tch` it is reported as ignored, not passed.
#[test]
#[cfg_attr(
    not(feature = "tch"),
    ignore = "one backend compiled in: build with --features tch to compare Flex with LibTorch"
)]
fn two_backends_reach_comparable_accuracy() {
    let kinds = BackendKind::compiled();
    assert!(kinds.len() >= 2, "only {kinds:?} compiled in");
    let first = outcome_on(kinds[0]);
    for &kind in &kinds[1..] {
        let o = outcome_on(kind);
        let (k0, acc0, loss0) = (kinds[0], first.test_acc, first.epochs[0].train_loss);
        let (acc, loss) = (o.test_acc, o.epochs[0].train_loss);
        assert!((acc - acc0).abs() < 0.02, "{kind} {acc} vs {k0} {acc0}");
        assert!((loss - loss0).abs() < 1e-3, "{kind} {loss} vs {k0} {loss0}");
    }
}

/// `cargo bench --bench training` with a study of the user's own: an `mlp:` model's
/// (model, batch size) pairs become benchmarks, on the bench's fixed-size data of the
/// study's source (50,000 training rows), and each is timed: one epoch alone, the study's
/// seeds one after another and as one replica group, and inference — the same library calls
/// as the bench.
#[test]
fn a_study_with_an_mlp_model_is_benched() {
    use std::time::Duration;
    use trainbench::bench::{self, BenchData, BenchPlan};
    use trainbench::train::evaluate;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mine.toml");
    std::fs::write(
        &file,
        r#"
        name = "mine"
        seeds = 2
        [defaults]
        model = "mlp:16-64-5"
        lr = 1e-3
        data = "synth:2000:9"
        [[sweep]]
        name = "width"
        vary = { model = ["mlp:16-64-5", "mlp:16-32-32-5"], batch_size = [256, 512] }
        "#,
    )
    .unwrap();
    let plan = BenchPlan::load(&file).unwrap();
    assert_eq!(plan.cases.len(), 4);
    let ids = plan.ids("flex");
    for id in [
        "train_epoch/flex/mlp:16-64-5/bs256",
        "train_epoch/flex/mlp:16-32-32-5/bs512",
        "eval/flex/mlp:16-32-32-5",
        "replicas/flex/mlp:16-64-5/bs512/replicas",
    ] {
        assert!(ids.iter().any(|i| i == id), "{id} in {ids:?}");
    }
    let data = BenchData::prepare(&plan.data).unwrap();
    assert_eq!(data.splits.train.len(), bench::TRAIN_ROWS);
    assert_eq!(data.splits.val.len(), bench::VAL_ROWS);
    let device = BackendKind::Flex.device().unwrap();
    let on_device = DeviceSplits::upload(&data.splits, &device);
    let case = &plan.cases[0];
    assert_eq!(case.model(), "mlp:16-64-5");
    let alone = bench::time_epoch(&case.config, &[&[0]], &on_device, 0.0).unwrap();
    let seeds: Vec<u64> = (0..plan.replica_seeds as u64).collect();
    let sequential: Vec<&[u64]> = seeds.chunks(1).collect();
    let one_by_one = bench::time_epoch(&case.config, &sequential, &on_device, 0.0).unwrap();
    let together = bench::time_epoch(&case.config, &[&seeds], &on_device, 0.0).unwrap();
    for t in [alone, one_by_one, together] {
        assert!(t > Duration::ZERO && t < Duration::from_secs(60), "{t:?}");
    }
    // The calibration knob stretches an epoch by its fraction of the epoch's own time.
    let slowed = bench::time_epoch(&case.config, &[&[0]], &on_device, 1.0).unwrap();
    assert!(
        slowed.as_secs_f64() > 1.2 * alone.as_secs_f64(),
        "{slowed:?} vs {alone:?}"
    );
    let trainer = Trainer::new(&case.config, &[0], &on_device).unwrap();
    let metrics = evaluate(trainer.net(), &on_device.val);
    assert_eq!(metrics.len(), 1);
    assert!(metrics[0].1 >= 0.0 && metrics[0].1 <= 1.0);
}

/// `c` trained by `engine`.
fn with_engine(c: &TrainConfig, engine: Engine) -> TrainConfig {
    TrainConfig {
        engine,
        ..c.clone()
    }
}

/// The largest differences between two runs' records: (relative training-loss difference,
/// training-accuracy difference in points) over every epoch, and the same for the held-out
/// metrics (validation every epoch, and test).
fn largest_differences(a: &[TrainOutcome], b: &[TrainOutcome]) -> [(f64, f64); 2] {
    let mut out = [(0f64, 0f64); 2];
    let mut add = |k: usize, (l, m): (f64, f64), (p, q): (f64, f64)| {
        out[k].0 = out[k].0.max((l - m).abs() / m.abs());
        out[k].1 = out[k].1.max((p - q).abs() * 100.0);
    };
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x.epochs.len(), y.epochs.len());
        for (e, f) in x.epochs.iter().zip(&y.epochs) {
            add(0, (e.train_loss, f.train_loss), (e.train_acc, f.train_acc));
            add(1, (e.val_loss, f.val_loss), (e.val_acc, f.val_acc));
        }
        add(1, (x.test_loss, y.test_loss), (x.test_acc, y.test_acc));
    }
    out
}

/// The fused engine computes the default engine's mathematics in another summation order
/// (src/fused/mod.rs), so its records differ in the last bits, and parameters whose gradient
/// is zero up to rounding (a bias before a BatchNorm, whose batch mean removes it) take
/// Adam steps of ±lr in directions the rounding picks: runs drift apart as training goes on,
/// as two PyTorch builds' do. The documented tolerance, three seeds, four epochs (largest
/// differences seen when this was written in brackets): training loss within 1% relative and
/// training accuracy within 1 point; held-out loss within 10% and accuracy within 3 points for
/// Lab 1's models (jsc-tiny, jsc-toy and the 10× models) at learning rates 1e-3 and 1e-2
/// (9e-4, 0.10; 1.1e-2, 1.2) and 8 points for jsc-s, whose chains of Linear layers drift most,
/// at 1e-3 (1.9e-3, 0.24; 1.4e-2, 2.0; at 1e-2 its drift reaches 4.9 points, too close to a
/// bound to be a stable test on another CPU).
#[test]
fn fused_engine_tracks_manual() {
    let data = data(20_000);
    let both: &[f64] = &[1e-3, 1e-2];
    for (model, lrs, held_out_points) in [
        ("jsc-tiny", both, 3.0),
        ("jsc-tiny-v2", both, 3.0),
        ("jsc-toy", both, 3.0),
        ("jsc-s", &[1e-3][..], 8.0),
        ("jsc-tiny-10x", both, 3.0),
        ("jsc-toy-10x", both, 3.0),
        ("mlp:16-12-8-5", both, 3.0),
    ] {
        for &lr in lrs {
            let c = config(model, lr, 4);
            let manual = train(&c, &[0, 1, 2], &data, |_| {}).unwrap();
            let fused = train(&with_engine(&c, Engine::Fused), &[0, 1, 2], &data, |_| {}).unwrap();
            let [train, held_out] = largest_differences(&fused, &manual);
            eprintln!(
                "{model} lr {lr}: training loss {:.1e} relative, accuracy {:.3} points; \
                 held out {:.1e}, {:.3}",
                train.0, train.1, held_out.0, held_out.1
            );
            assert!(
                train.0 < 0.01 && train.1 < 1.0,
                "{model} lr {lr}: {train:?}"
            );
            assert!(
                held_out.0 < 0.1 && held_out.1 < held_out_points,
                "{model} lr {lr}: {held_out:?}"
            );
        }
    }
}

/// Within the fused engine, a replica's record does not depend on its group (as with the
/// default engine: `mixed_groups_match_each_configuration_alone`), and a diverging learning
/// rate is recorded as divergence.
#[test]
fn fused_groups_match_each_replica_alone_and_divergence_shows() {
    let data = data(3_000);
    let shared = with_engine(&config("jsc-toy", 1e-3, 3), Engine::Fused);
    let mixed: Vec<Replica> = [(1e-2, 0u64), (1e-3, 0), (1e-3, 1), (3e-3, 2)]
        .iter()
        .map(|&(lr, seed)| Replica {
            seed,
            lr,
            adam: AdamConfig::default(),
        })
        .collect();
    let together = train_group(&shared, &mixed, &data, &GroupOptions::default(), |_| {}).unwrap();
    for (r, replica) in mixed.iter().enumerate() {
        let own = TrainConfig {
            lr: replica.lr,
            ..shared.clone()
        };
        let alone = train(&own, &[replica.seed], &data, |_| {}).unwrap();
        let mut joint = without_timings(together[r].clone());
        (joint.replicas, joint.configs) = (1, 1);
        assert_eq!(joint, without_timings(alone[0].clone()), "{replica:?}");
    }
    let again = train_group(&shared, &mixed, &data, &GroupOptions::default(), |_| {}).unwrap();
    let strip = |o: Vec<TrainOutcome>| o.into_iter().map(without_timings).collect::<Vec<_>>();
    assert_eq!(strip(together), strip(again), "reproducible");
    let blown = with_engine(&config("jsc-tiny", 1e30, 3), Engine::Fused);
    for o in train(&blown, &[0, 1], &data, |_| {}).unwrap() {
        assert_eq!(o.diverged_at, Some(1), "{o:?}");
        assert!(o.test_acc.is_nan());
    }
}
