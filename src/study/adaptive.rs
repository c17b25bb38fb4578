//! Adaptive seeds: `trainbench run STUDY --seeds MIN..MAX [--target-mde POINTS]`.
//!
//! # Method: sample-size re-estimation from the pilot variance only
//!
//! Stage 1 (the *pilot*) trains seeds `0..MIN` of every configuration. From the pilot, each
//! sweep gets one seed count `n` in `MIN..=MAX`: the smallest `n` at which the report's
//! comparison of two of its configurations with the sweep's pooled pilot SD (Welch, `n` seeds
//! each, two-sided at α/m for its `m` comparisons, 80% power) would detect a difference of
//! `--target-mde` points of final validation accuracy ([`decide`]; a configuration in several
//! sweeps takes the largest count). Stage 2 trains seeds `MIN..n` (as replica groups). The
//! final analysis uses every seed, as usual.
//!
//! The decision uses **only the pilot's variance, never its means or differences** — an
//! *internal pilot* design (Wittes & Brittain 1990, "The role of internal pilot studies in
//! increasing the efficiency of clinical trials", Stat. Med. 9:65–72; after Stein 1945, "A
//! two-sample test for a linear hypothesis whose power is independent of the variance", Ann.
//! Math. Stat. 16:243–258). Because no look at an effect decides anything, there is no
//! repeated testing of the effect to correct for: the type I error of the final tests stays
//! at (very nearly) its nominal level, which docs/report.md checks by simulation. The count
//! is per sweep, from the pooled SD, because per-configuration counts leak the mean when
//! spread and mean go together (bimodal configurations: see [`decide`]). The price: a
//! configuration that is already clearly worse still gets its sweep's seeds. A pilot of fewer
//! than 5 seeds estimates an SD poorly; the counts then scatter.
//!
//! The decision is a pure function of the pilot records, so a resumed run recomputes the same
//! seed counts; it is saved as `adaptive.json` in the run directory for the report, and every
//! record says which stage trained it ([`crate::record::TrialRecord::stage`]).

use super::file::Study;
use super::plan::Plan;
pub use super::seeds::SeedRange;
use super::seeds::Seeds;
use crate::record::TrialRecord;
use crate::stats::power::{Design, Sides};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// The default `--target-mde`, in accuracy points.
pub const DEFAULT_TARGET_MDE: f64 = 1.0;

/// The file name of the decision in a run directory.
pub const DECISION_FILE: &str = "adaptive.json";

/// The adaptive seeds of a run: a pilot of `range.min` seeds, then up to `range.max` where
/// the pilot's spread needs them for an MDE of `target_mde` points at level `alpha`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdaptiveSeeds {
    /// MIN..MAX.
    pub range: SeedRange,
    /// The minimum detectable difference to plan for, in accuracy points.
    pub target_mde: f64,
    /// The family-wise significance level of the comparisons.
    pub alpha: f64,
}

impl AdaptiveSeeds {
    /// The adaptive seeds of a run of `study`: `seeds` (`--seeds`) when it is a range, else
    /// the study's `seeds = "MIN..MAX"` unless `--seeds N` or `quick` overrides it; planned
    /// for `target_mde` (`--target-mde`, else the study's, else [`DEFAULT_TARGET_MDE`]) at
    /// level `alpha`. `None`: fixed seeds. A usage error for a target that is not a positive
    /// number, or one given without a range.
    pub fn resolve(
        seeds: Option<Seeds>,
        quick: bool,
        target_mde: Option<f64>,
        study: &Study,
        alpha: f64,
    ) -> Result<Option<AdaptiveSeeds>> {
        let range = match seeds {
            Some(s) => s.range(),
            None if !quick => study.seed_range,
            None => None,
        };
        let target = target_mde
            .or(study.target_mde)
            .unwrap_or(DEFAULT_TARGET_MDE);
        if !(target > 0.0 && target.is_finite()) {
            return Err(Error::Usage(
                "--target-mde must be > 0 accuracy points".into(),
            ));
        }
        if range.is_none() && target_mde.is_some() {
            return Err(Error::Usage(
                "--target-mde needs adaptive seeds (--seeds MIN..MAX, or seeds = \"MIN..MAX\" in \
                 the study)"
                    .into(),
            ));
        }
        Ok(range.map(|range| AdaptiveSeeds {
            range,
            target_mde: target,
            alpha,
        }))
    }
}

/// One configuration's seed count and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigSeeds {
    /// Configuration id.
    pub config_id: String,
    /// Pilot seeds with a final validation accuracy (diverged seeds are left out).
    pub pilot_n: usize,
    /// SD of the pilot's final validation accuracy, in points.
    #[serde(with = "crate::jsonfloat")]
    pub pilot_sd: f64,
    /// The MDE (points) at the pilot's seed count.
    #[serde(with = "crate::jsonfloat")]
    pub pilot_mde: f64,
    /// Seeds this configuration gets in total.
    pub seeds: usize,
    /// The MDE (points) expected at `seeds`, at the pilot SD.
    #[serde(with = "crate::jsonfloat")]
    pub expected_mde: f64,
    /// Why: one sentence.
    pub reason: String,
}

/// The stage-2 decision of an adaptive run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The method, with its source.
    pub method: String,
    /// The seed range.
    pub range: SeedRange,
    /// Target MDE, in points of final validation accuracy.
    pub target_mde: f64,
    /// Family-wise α of the report's comparisons.
    pub alpha: f64,
    /// Per configuration, in plan order.
    pub configs: Vec<ConfigSeeds>,
}

/// The method's name, as recorded in the decision.
pub const METHOD: &str = "sample-size re-estimation from each sweep's pooled pilot variance only \
                          (internal pilot; Wittes & Brittain 1990, after Stein 1945)";

impl Decision {
    /// Seeds configuration `id` gets, if decided.
    pub fn seeds_of(&self, id: &str) -> Option<usize> {
        self.configs
            .iter()
            .find(|c| c.config_id == id)
            .map(|c| c.seeds)
    }

    /// The seeds stage 2 adds to configuration `id`: from MIN up to its decided count.
    pub fn stage_two(&self, id: &str) -> std::ops::Range<u64> {
        let n = self.seeds_of(id).unwrap_or(self.range.min);
        self.range.min as u64..n as u64
    }

    /// Writes `adaptive.json` into `dir`.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let path = dir.join(DECISION_FILE);
        let text = serde_json::to_string_pretty(self).expect("a decision serializes");
        std::fs::write(&path, text + "\n")
            .map_err(|e| Error::io(format!("could not write '{}'", path.display()), e))
    }

    /// Reads `adaptive.json` from `dir`, if there is one.
    pub fn load(dir: &Path) -> Result<Option<Decision>> {
        crate::jsonfile::read_if_exists(&dir.join(DECISION_FILE))
    }
}

/// The MDE (points) of comparing two configurations with SD `sd` and `n` seeds each, at
/// two-sided level `alpha` with 80% power.
fn mde(sd: f64, n: usize, alpha: f64) -> f64 {
    Design::welch(sd, n, sd, n).mde(alpha, 0.8, Sides::Two)
}

/// Decides every configuration's seed count from the pilot: `pilot[id]` holds the final
/// validation accuracies (fractions) of configuration `id`'s pilot seeds (`0..MIN`,
/// non-diverged). Each sweep gets one count `n` from its **pooled** pilot SD (the
/// within-configuration SDs pooled over its configurations): the smallest `n` in
/// `MIN..=MAX` whose MDE reaches `target_mde` (Welch, `n` seeds a side, two-sided at α/m for
/// the sweep's `m` comparisons with its best, 80% power). A configuration in several sweeps
/// gets the largest of their counts.
///
/// Why one count per sweep, not one per configuration: every configuration of a sweep is
/// compared with the others, and a per-configuration count lets the pilot's *mean* leak into
/// the design whenever spread and mean go together (a bimodal configuration whose pilot
/// happened to miss its bad mode stops early, with a flattering mean). The simulation in
/// docs/report.md measured that: per-configuration counts gave a family-wise error of up to
/// 47% on Lab 1's bimodal lr 1e-1; one pooled count per sweep keeps it at the fixed design's.
pub fn decide(
    plan: &Plan,
    pilot: &HashMap<String, Vec<f64>>,
    range: SeedRange,
    target_mde: f64,
    alpha: f64,
) -> Decision {
    let points = |id: &str| -> Vec<f64> {
        pilot
            .get(id)
            .map(|v| v.iter().map(|x| 100.0 * x).collect())
            .unwrap_or_default()
    };
    let sweeps: Vec<SweepSeeds> = plan
        .sweeps
        .iter()
        .map(|(name, configs)| {
            let values: Vec<Vec<f64>> = configs
                .iter()
                .map(|&i| points(&plan.configs[i].id))
                .collect();
            sweep_seeds(name, &values, range, target_mde, alpha)
        })
        .collect();
    let configs = plan
        .configs
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mine = plan
                .sweeps
                .iter()
                .zip(&sweeps)
                .filter(|((_, configs), _)| configs.contains(&i))
                .map(|(_, s)| s)
                .max_by_key(|s| s.n);
            let values = points(&c.id);
            let own_sd = crate::stats::sample_variance(&values).sqrt();
            match mine {
                Some(sweep) => ConfigSeeds {
                    config_id: c.id.clone(),
                    pilot_n: values.len(),
                    pilot_sd: own_sd,
                    pilot_mde: mde(sweep.sd, range.min, sweep.level),
                    seeds: sweep.n,
                    expected_mde: mde(sweep.sd, sweep.n, sweep.level),
                    reason: sweep.reason.clone(),
                },
                None => ConfigSeeds {
                    config_id: c.id.clone(),
                    pilot_n: values.len(),
                    pilot_sd: own_sd,
                    pilot_mde: f64::NAN,
                    seeds: range.max,
                    expected_mde: f64::NAN,
                    reason: "in no sweep".into(),
                },
            }
        })
        .collect();
    Decision {
        method: METHOD.into(),
        range,
        target_mde,
        alpha,
        configs,
    }
}

/// One sweep's seed count.
struct SweepSeeds {
    /// Pooled pilot SD, points.
    sd: f64,
    /// Two-sided level of one comparison (α / comparisons).
    level: f64,
    /// Seeds per configuration.
    n: usize,
    /// Why, one sentence.
    reason: String,
}

/// The seed count of sweep `name` whose configurations' pilot values (points) are `values`.
fn sweep_seeds(
    name: &str,
    values: &[Vec<f64>],
    range: SeedRange,
    target: f64,
    alpha: f64,
) -> SweepSeeds {
    let (mut ss, mut df) = (0.0, 0usize);
    for v in values.iter().filter(|v| v.len() >= 2) {
        ss += crate::stats::sample_variance(v) * (v.len() - 1) as f64;
        df += v.len() - 1;
    }
    let level = alpha / values.len().saturating_sub(1).max(1) as f64;
    let sd = if df > 0 {
        (ss / df as f64).sqrt()
    } else {
        f64::NAN
    };
    let pilot_mde = mde(sd, range.min, level);
    let why = |text: String| format!("sweep {name}: {text}");
    let (n, reason) = if df == 0 {
        (
            range.max,
            why(format!("no pilot SD to plan with, so all {}", range.max)),
        )
    } else if pilot_mde <= target {
        let text = format!(
            "pooled pilot SD {sd:.2} points; the pilot's MDE {pilot_mde:.2} is within the \
             target {target} already"
        );
        (range.min, why(text))
    } else {
        match smallest_reaching(range, |n| mde(sd, n, level) <= target) {
            Some(n) => {
                let text = format!(
                    "pooled pilot SD {sd:.2} points; {n} seeds bring the MDE to {:.3} (target \
                     {target})",
                    mde(sd, n, level)
                );
                (n, why(text))
            }
            None => {
                let text = format!(
                    "pooled pilot SD {sd:.2} points; even {} seeds leave the MDE at {:.3} \
                     (target {target}): capped at MAX",
                    range.max,
                    mde(sd, range.max, level)
                );
                (range.max, why(text))
            }
        }
    };
    SweepSeeds {
        sd,
        level,
        n,
        reason,
    }
}

/// The smallest `n` in `MIN+1..=MAX` for which `reaches(n)` holds, where `reaches` is
/// monotone (false up to some `n`, true from there: the MDE falls as seeds are added), by
/// bisection: about log2(MAX − MIN) evaluations, so a MAX of 100,000 costs 17 MDEs, not
/// 100,000. `None` when even MAX does not reach.
fn smallest_reaching(range: SeedRange, reaches: impl Fn(usize) -> bool) -> Option<usize> {
    if !reaches(range.max) {
        return None;
    }
    // Invariant: `lo` does not reach (MIN: the caller saw the pilot's MDE above target),
    // `hi` reaches.
    let (mut lo, mut hi) = (range.min, range.max);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if reaches(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

/// The pilot of every configuration: final validation accuracies of seeds below `min` in
/// `records` (non-diverged), by configuration id. `belongs` says whether a record is part of
/// this run (its key: backend, data, quick mode).
pub fn pilot_values<'a>(
    records: impl IntoIterator<Item = &'a TrialRecord>,
    min: usize,
    belongs: impl Fn(&TrialRecord) -> bool,
) -> HashMap<String, Vec<f64>> {
    let mut by: HashMap<String, Vec<(u64, f64)>> = HashMap::new();
    for r in records {
        if (r.outcome.seed as usize) >= min || r.diverged || !belongs(r) {
            continue;
        }
        let (Some(id), Some(e)) = (r.config_id.as_ref(), r.last_epoch()) else {
            continue;
        };
        let v = by.entry(id.clone()).or_default();
        if !v.iter().any(|(s, _)| *s == r.outcome.seed) {
            v.push((r.outcome.seed, e.val_acc));
        }
    }
    by.into_iter()
        .map(|(id, mut v)| {
            v.sort_by_key(|(s, _)| *s);
            (id, v.into_iter().map(|(_, x)| x).collect())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_and_refuse_nonsense() {
        let r: SeedRange = "3..12".parse().unwrap();
        assert_eq!((r.min, r.max), (3, 12));
        assert_eq!(r.to_string(), "3..12");
        for bad in ["12", "1..5", "5..5", "6..3", "a..b", "3..", "..4"] {
            let e = bad.parse::<SeedRange>().unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}");
        }
    }

    /// The seed count is the first n whose MDE reaches the target. statsmodels 0.15.0
    /// `TTestIndPower().solve_power(None, nobs1=n, alpha=0.05, power=0.8)` gives effect sizes
    /// 0.9091 (n = 20) and 0.8860 (n = 21), i.e. MDEs of 1.8183 and 1.7721 points at SD 2, so
    /// a target of 1.8 points needs 21 seeds.
    #[test]
    fn seed_count_reaches_the_target_mde() {
        assert!((mde(2.0, 20, 0.05) - 1.8183).abs() < 1e-3);
        assert!((mde(2.0, 21, 0.05) - 1.7721).abs() < 1e-3);
        let plan_of = |sd_points: f64| {
            let study = crate::study::file::Study::parse(
                "name = \"t\"\nseeds = 30\n[[sweep]]\nname = \"a\"\nvary = { lr = [1e-2, 1e-3] }\n",
                "t.toml",
            )
            .unwrap();
            let plan = Plan::new(&study, &Default::default()).unwrap();
            // Pilot values alternating ±sd/√(4/3)… simply: values with sample SD sd_points.
            let k = sd_points / 100.0;
            let pilot: HashMap<String, Vec<f64>> = plan
                .configs
                .iter()
                .map(|c| (c.id.clone(), vec![0.5 - k, 0.5, 0.5 + k]))
                .collect();
            decide(&plan, &pilot, SeedRange { min: 3, max: 30 }, 1.8, 0.05)
        };
        // Sample SD of (−k, 0, +k) is k in every configuration, so the pooled SD is k too:
        // SD 2 points → 21 seeds; SD 0.1 → the pilot suffices; SD 10 → capped at MAX.
        let d = plan_of(2.0);
        assert!(d.configs.iter().all(|c| c.seeds == 21), "{d:?}");
        assert!(plan_of(0.1).configs.iter().all(|c| c.seeds == 3));
        let capped = plan_of(10.0);
        assert!(
            capped
                .configs
                .iter()
                .all(|c| c.seeds == 30 && c.reason.contains("capped"))
        );
    }

    /// Issue 27, reproduction 1: `--seeds 3..100000 --target-mde 0.01` at a pooled SD of
    /// 5.28 points needs ≈ 4.4 M seeds a side, so the decision is MAX, capped, with the real
    /// MDE at MAX (≈ 0.066 points), never "54906 seeds bring the MDE to the target" with an
    /// expected MDE of 0. The search is a bisection (17 MDEs for MAX 100,000), so it is quick.
    #[test]
    fn an_unreachable_target_is_capped_with_the_real_mde_and_decided_quickly() {
        let range = SeedRange {
            min: 3,
            max: 100_000,
        };
        let started = std::time::Instant::now();
        // Three pilot seeds per configuration with sample SD 5.28 points (±5.28 around 50).
        let pilot = vec![vec![44.72, 50.0, 55.28]; 2];
        let s = sweep_seeds("lr", &pilot, range, 0.01, 0.05);
        assert!(
            started.elapsed().as_secs_f64() < 5.0,
            "{:?}",
            started.elapsed()
        );
        assert!((s.sd - 5.28).abs() < 1e-9, "{}", s.sd);
        assert_eq!(s.n, 100_000);
        assert!(s.reason.contains("capped at MAX"), "{}", s.reason);
        let at_max = mde(s.sd, s.n, s.level);
        let normal = (1.959_964 + 0.841_621) * 5.28 * (2.0 / 100_000f64).sqrt();
        assert!((at_max - normal).abs() < 1e-3, "{at_max} vs {normal}");
        assert!(s.reason.contains(&format!("{at_max:.3}")), "{}", s.reason);
        // A reachable target: the bisection finds the first n whose MDE is within it (the
        // MDE at n − 1 is not), as the linear scan did.
        let s = sweep_seeds("lr", &pilot, range, 0.5, 0.05);
        assert!(mde(s.sd, s.n, s.level) <= 0.5 && mde(s.sd, s.n - 1, s.level) > 0.5);
        assert!(
            s.reason
                .contains(&format!("{} seeds bring the MDE to", s.n)),
            "{}",
            s.reason
        );
    }
}
