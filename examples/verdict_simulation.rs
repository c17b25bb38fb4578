//! Do the accuracy verdicts mean what they say? A simulation from real per-seed results.
//!
//! Reads a study run's trial log (e.g. 30 seeds of Lab 1's learning-rate sweep), and for each
//! source configuration resamples its seeds (final validation and test accuracy together, with
//! replacement) into fake runs with a known truth, then runs trainbench's own code on them:
//!
//! 1. **Sweep verdicts under no difference** — K arms drawn from the same configuration,
//!    `analyse_sweep` as in `trainbench report`: the family-wise rate of any `worse`/`better`
//!    verdict (test accuracy, against the configuration selected on validation accuracy).
//! 2. **Sweep power at the MDE** — two arms, one shifted down by the MDE the report prints
//!    for that comparison's design (from the source's SD): how often it is called `worse`.
//! 3. **check-accuracy under no difference** — baseline and new run drawn independently
//!    (a change that reshuffles every seed's outcome, the worst case for pairing): how often a
//!    configuration is called `regressed` (per run, over K configurations).
//! 4. **check-accuracy power** — the new run shifted down by δ + its MDE: how often `regressed`.
//! 5. **Adaptive seeds** — `--seeds MIN..MAX` under no difference: family-wise error of the
//!    sweep verdicts, and the seed-runs used against a fixed MAX, with how often the verdicts
//!    of both designs agree.
//!
//! ```sh
//! trainbench run studies/lab1.toml --sweep learning_rate --seeds 30 --out runs/lr30
//! cargo run --release --example verdict_simulation -- runs/lr30/trials.jsonl [REPS]
//! ```
//! Prints markdown tables (docs/report.md, "Do the verdicts hold?").

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use trainbench::baseline::{AccuracyBaseline, AccuracyVerdict, check_accuracy};
use trainbench::record::TrialRecord;
use trainbench::report::analysis::{
    AnalysisOptions, ConfigView, Metric, SweepView, Verdict, analyse_sweep,
};
use trainbench::stats::power::{Design, Sides};
use trainbench::stats::{mean, sample_variance};
use trainbench::study::adaptive::{self, SeedRange};
use trainbench::study::{Plan, PlanOptions, Study};

const K: usize = 5;
const SEEDS: usize = 10;
const ALPHA: f64 = 0.05;
const MARGIN: f64 = 1.0;

/// A seed's (final validation accuracy, test accuracy).
type Pair = (f64, f64);

fn load(path: &str) -> (TrialRecord, BTreeMap<String, Vec<Pair>>) {
    let text = std::fs::read_to_string(path).expect("trial log");
    let mut template = None;
    let mut by: BTreeMap<String, Vec<Pair>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let r: TrialRecord = serde_json::from_str(line).expect("record");
        if r.diverged {
            continue;
        }
        let val = r.last_epoch().map(|e| e.val_acc).unwrap_or(f64::NAN);
        by.entry(r.config_id.clone().unwrap_or_default())
            .or_default()
            .push((val, r.outcome.test_acc));
        template.get_or_insert(r);
    }
    (template.expect("a trial"), by)
}

/// A plan of K arms (their ids and the sweep layout the adaptive decision needs).
fn arm_plan(k: usize) -> (Plan, SweepView) {
    let lrs: Vec<String> = (0..k).map(|i| format!("{}e-3", i + 1)).collect();
    let toml = format!(
        "name = \"sim\"\nseeds = 2\n[[sweep]]\nname = \"arms\"\nvary = {{ lr = [{}] }}\n",
        lrs.join(", ")
    );
    let study = Study::parse(&toml, "sim.toml").expect("study");
    let plan = Plan::new(&study, &PlanOptions::default()).expect("plan");
    let view = SweepView {
        name: "arms".into(),
        params: vec!["lr".into()],
        configs: plan
            .configs
            .iter()
            .enumerate()
            .map(|(i, c)| ConfigView {
                config_id: c.id.clone(),
                values: vec![lrs[i].clone()],
            })
            .collect(),
        search: None,
    };
    (plan, view)
}

fn record(template: &TrialRecord, id: &str, seed: u64, (val, test): Pair) -> TrialRecord {
    let mut r = template.clone();
    r.config_id = Some(id.to_string());
    r.outcome.seed = seed;
    r.outcome.test_acc = test.clamp(0.0, 1.0);
    if let Some(e) = r.outcome.epochs.last_mut() {
        e.val_acc = val.clamp(0.0, 1.0);
    }
    r
}

fn draw(rng: &mut ChaCha8Rng, pool: &[Pair], n: usize, shift: f64) -> Vec<Pair> {
    (0..n)
        .map(|_| {
            let (v, t) = pool[rng.random_range(0..pool.len())];
            (v + shift, t + shift)
        })
        .collect()
}

/// Records of K arms; arm i gets `arms[i]`.
fn records(template: &TrialRecord, plan: &Plan, arms: &[Vec<Pair>]) -> Vec<TrialRecord> {
    arms.iter()
        .enumerate()
        .flat_map(|(i, seeds)| {
            let id = plan.configs[i].id.clone();
            seeds
                .iter()
                .enumerate()
                .map(move |(s, p)| (id.clone(), s as u64, *p))
        })
        .map(|(id, s, p)| record(template, &id, s, p))
        .collect()
}

/// Whether any test-accuracy verdict is `worse` or `better` (a false positive under the null).
fn any_test_verdict(view: &SweepView, recs: &[TrialRecord]) -> (bool, Vec<Verdict>) {
    let report = analyse_sweep(view, recs, &AnalysisOptions::default());
    let m = report.metric(Metric::TestAcc);
    let verdicts: Vec<Verdict> = view
        .configs
        .iter()
        .map(|c| {
            m.verdict(&c.config_id)
                .unwrap_or(Verdict::Indistinguishable)
        })
        .collect();
    let any = m
        .comparisons
        .iter()
        .any(|c| matches!(c.verdict, Verdict::Worse | Verdict::Better));
    (any, verdicts)
}

fn sd_points(pool: &[Pair]) -> f64 {
    let t: Vec<f64> = pool.iter().map(|p| 100.0 * p.1).collect();
    sample_variance(&t).sqrt()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .expect("usage: verdict_simulation TRIALS.jsonl [REPS]");
    let reps: usize = args.get(2).map_or(1000, |r| r.parse().expect("REPS"));
    let (template, pools) = load(path);
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    println!(
        "{reps} simulated runs per cell, {SEEDS} seeds per arm, α = {ALPHA}, margin δ = \
         {MARGIN} point; source: {path}\n"
    );
    verdict_table(&template, &pools, reps, &mut rng);
    adaptive_table(&template, &pools, reps, &mut rng);
}

/// Sections 1–4: one row per source configuration.
fn verdict_table(
    template: &TrialRecord,
    pools: &BTreeMap<String, Vec<Pair>>,
    reps: usize,
    rng: &mut ChaCha8Rng,
) {
    let (plan, view) = arm_plan(K);
    let (plan2, view2) = arm_plan(2);
    println!(
        "| source configuration | test acc mean ± SD (points) | sweep FWER, {K} equal arms | \
         sweep power at the MDE | check-accuracy false `regressed` ({K} configs) | \
         check-accuracy power at δ + MDE |"
    );
    println!("|---|---|---:|---:|---:|---:|");
    for (id, pool) in pools {
        let sd = sd_points(pool);
        let t: Vec<f64> = pool.iter().map(|p| 100.0 * p.1).collect();
        // 1. Sweep FWER (and how often it was a `better on test` verdict).
        let (mut fw, mut better) = (0, 0);
        for _ in 0..reps {
            let arms: Vec<Vec<Pair>> = (0..K).map(|_| draw(rng, pool, SEEDS, 0.0)).collect();
            let (any, v) = any_test_verdict(&view, &records(template, &plan, &arms));
            fw += any as usize;
            better += v.contains(&Verdict::Better) as usize;
        }
        // 2. Power at the report's MDE for two arms (paired design over shared seeds of
        // independent arms: differences have SD √2·σ; one comparison, two-sided α).
        let mde = Design::paired(sd * 2f64.sqrt(), SEEDS).mde(ALPHA, 0.8, Sides::Two) / 100.0;
        let mut hit = 0;
        for _ in 0..reps {
            let arms = vec![draw(rng, pool, SEEDS, 0.0), draw(rng, pool, SEEDS, -mde)];
            let (_, v) = any_test_verdict(&view2, &records(template, &plan2, &arms));
            hit += (v[1] == Verdict::Worse) as usize;
        }
        // 3./4. check-accuracy: K configurations, independent draws.
        let level = ALPHA / K as f64;
        // The check pairs by seed (both runs use seeds 0..n); the draws are independent, so
        // the differences have SD √2·σ: the MDE `check-accuracy` prints for this design.
        let check_mde = Design::paired(sd * 2f64.sqrt(), SEEDS).mde(level, 0.8, Sides::One);
        let (mut false_reg, mut caught) = (0, 0);
        for shift in [0.0, -(MARGIN + check_mde) / 100.0] {
            for _ in 0..reps {
                let old: Vec<Vec<Pair>> = (0..K).map(|_| draw(rng, pool, SEEDS, 0.0)).collect();
                let new: Vec<Vec<Pair>> = (0..K).map(|_| draw(rng, pool, SEEDS, shift)).collect();
                let o = AccuracyBaseline::from_records("sim", &records(template, &plan, &old))
                    .expect("baseline");
                let n = AccuracyBaseline::from_records("sim", &records(template, &plan, &new))
                    .expect("run");
                let r = check_accuracy(&o, &n, MARGIN, ALPHA).expect("check");
                let regressed = r.with(AccuracyVerdict::Regressed).len();
                if shift == 0.0 {
                    false_reg += (regressed > 0) as usize;
                } else {
                    caught += regressed;
                }
            }
        }
        println!(
            "| {id} | {:.1} ± {sd:.1} | {:.1}% ({:.1}% `better on test`) | {:.0}% (MDE {:.1} pts) | {:.1}% | {:.0}% (drop {:.1} pts) |",
            mean(&t),
            100.0 * fw as f64 / reps as f64,
            100.0 * better as f64 / reps as f64,
            100.0 * hit as f64 / reps as f64,
            100.0 * mde,
            100.0 * false_reg as f64 / reps as f64,
            100.0 * caught as f64 / (reps * K) as f64,
            MARGIN + check_mde,
        );
    }
}

/// Section 5: adaptive seeds against a fixed MAX.
fn adaptive_table(
    template: &TrialRecord,
    pools: &BTreeMap<String, Vec<Pair>>,
    reps: usize,
    rng: &mut ChaCha8Rng,
) {
    let (plan, view) = arm_plan(K);
    // 5. Adaptive seeds under the null, arms from each source; and on the real sweep (arm i
    // from source i: heterogeneous spreads).
    let range = SeedRange { min: 5, max: 20 };
    let target = 3.0;
    println!(
        "\nAdaptive seeds `--seeds {range} --target-mde {target}` against a fixed {} seeds, \
         {reps} runs per row:\n",
        range.max
    );
    println!(
        "| arms drawn from | sweep FWER (adaptive) | sweep FWER (fixed {}) | seed-runs (adaptive / fixed) | same configurations called worse |",
        range.max
    );
    println!("|---|---:|---:|---:|---:|");
    let sources: Vec<(String, Vec<&Vec<Pair>>)> = pools
        .iter()
        .map(|(id, p)| (format!("{id} (all {K} arms)"), vec![p; K]))
        .chain(std::iter::once((
            "the real sweep (arm i = configuration i; differences are real, FWER not defined)"
                .to_string(),
            pools.values().take(K).collect(),
        )))
        .collect();
    for (label, arms_pool) in sources {
        let null = arms_pool.windows(2).all(|w| std::ptr::eq(w[0], w[1]));
        let (mut fw_a, mut fw_f, mut used, mut agree) = (0, 0, 0, 0);
        for _ in 0..reps {
            let full: Vec<Vec<Pair>> = arms_pool
                .iter()
                .map(|p| draw(rng, p, range.max, 0.0))
                .collect();
            let pilot = plan
                .configs
                .iter()
                .zip(&full)
                .map(|(c, seeds)| {
                    let v: Vec<f64> = seeds[..range.min].iter().map(|p| p.0).collect();
                    (c.id.clone(), v)
                })
                .collect();
            let d = adaptive::decide(&plan, &pilot, range, target, ALPHA);
            let adaptive_arms: Vec<Vec<Pair>> = full
                .iter()
                .zip(&d.configs)
                .map(|(seeds, c)| seeds[..c.seeds].to_vec())
                .collect();
            used += d.configs.iter().map(|c| c.seeds).sum::<usize>();
            let (a_any, a_v) = any_test_verdict(&view, &records(template, &plan, &adaptive_arms));
            let (f_any, f_v) = any_test_verdict(&view, &records(template, &plan, &full));
            fw_a += a_any as usize;
            fw_f += f_any as usize;
            // The decisions: which configurations are called worse (or better on test).
            let decided = |v: &[Verdict]| -> Vec<bool> {
                v.iter()
                    .map(|x| matches!(x, Verdict::Worse | Verdict::Better))
                    .collect()
            };
            agree += (decided(&a_v) == decided(&f_v)) as usize;
        }
        let pct = |x: usize| 100.0 * x as f64 / reps as f64;
        let fw = |x: usize| {
            if null {
                format!("{:.1}%", pct(x))
            } else {
                "—".into()
            }
        };
        println!(
            "| {label} | {} | {} | {:.0} / {} ({:.0}% saved) | {:.0}% |",
            fw(fw_a),
            fw(fw_f),
            used as f64 / reps as f64,
            K * range.max,
            100.0 * (1.0 - used as f64 / (reps * K * range.max) as f64),
            pct(agree),
        );
    }
}
