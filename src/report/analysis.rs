//! Per-sweep statistics of a study's trials: a summary per configuration and every
//! configuration compared with the sweep's best, Holm-adjusted within the sweep.
//!
//! Pure: takes trial records and the sweeps' layout, returns numbers; rendering lives in the
//! sibling modules.

pub use super::metric::{Difference, Metric, Scale};
pub use super::sweep::{ConfigView, SweepView, by_config};
use crate::record::TrialRecord;
use crate::stats::{self, Summary};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Summary of one metric over one configuration's seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigSummary {
    /// Configuration id.
    pub config_id: String,
    /// Trials found for this configuration (all seeds, diverged included).
    pub trials: usize,
    /// Trials that diverged (excluded from every statistic).
    pub diverged: usize,
    /// Trials without a value for this metric other than by divergence (epochs-to-target:
    /// never reached the target).
    pub missing: usize,
    /// Statistics over the remaining values: one per seed, or for a time metric one per
    /// independent timing unit (a replica group: its seeds share one wall time).
    #[serde(flatten)]
    pub summary: Summary,
    /// Time metrics: what one value is (`seed`, `replica group of S seeds`, or for a group
    /// that trained several configurations together `replica group of S seeds, K
    /// configurations`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Time metrics: the seeds and the configurations of the largest timing unit (since
    /// schema 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_size: Option<UnitSize>,
    /// Time metrics: the mean divided by the seeds per group — the cost of one seed when
    /// trained as a replica (absent when every unit is one seed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_seed: Option<f64>,
    /// Seconds per epoch measured on fewer than 2 independent units: the median, minimum and
    /// maximum over the epochs of the one unit (repeated measures of one unit, not an
    /// interval: no CI or test is computed from them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch_spread: Option<[f64; 3]>,
}

/// The size of a timing unit: the seeds trained in it and how many configurations they
/// belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitSize {
    /// Seeds (replicas) in the group.
    pub seeds: usize,
    /// Configurations among them.
    pub configs: usize,
}

/// One configuration compared with the sweep's best.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The configuration compared.
    pub a: String,
    /// The sweep's best configuration for this metric.
    pub b: String,
    /// `paired` (both arms have values for the same seeds) or `welch`.
    pub test: String,
    /// t statistic of a − b.
    #[serde(with = "crate::jsonfloat")]
    pub statistic: f64,
    /// Degrees of freedom.
    #[serde(with = "crate::jsonfloat")]
    pub df: f64,
    /// Two-sided p-value.
    #[serde(with = "crate::jsonfloat")]
    pub p_value: f64,
    /// The size of the difference at the report's level, on the test's design: `a − b`
    /// (accuracy as a fraction; epochs) or, for times, the ratio `a / b` (since schema 4).
    #[serde(default = "no_difference")]
    pub difference: Difference,
    /// Holm-adjusted p-value in the family of every pair of the sweep's configurations (for
    /// this metric): the best is chosen from the data, so only a family that holds whichever
    /// pair is picked keeps the error rate.
    #[serde(with = "crate::jsonfloat")]
    pub p_holm: f64,
    /// Hedges' g of a − b (bias-corrected standardised difference).
    #[serde(with = "crate::jsonfloat")]
    pub hedges_g: f64,
    /// P(a > b): Mann–Whitney U / (n·m), ties counted ½.
    #[serde(with = "crate::jsonfloat")]
    pub prob_superiority: f64,
    /// Minimum detectable effect, in the metric's units (accuracy as a fraction): the
    /// smallest true difference this comparison's test (its design, observed SDs and n)
    /// detects with 80% power at the Bonferroni level α/m, m the sweep's pairs of
    /// configurations — the first and strictest step of Holm's procedure. NaN when not
    /// testable.
    #[serde(with = "crate::jsonfloat", default = "nan")]
    pub mde: f64,
    /// `indistinguishable` (p_holm ≥ α, or not testable) or `worse`.
    pub verdict: Verdict,
}

fn nan() -> f64 {
    f64::NAN
}

fn no_difference() -> Difference {
    Difference::NAN
}

/// The design of a comparison (paired over shared seeds, or Welch) for its MDE.
fn design(test: &str, a: &[f64], b: &[f64]) -> stats::power::Design {
    let sd = |xs: &[f64]| stats::sample_variance(xs).sqrt();
    if test == "paired" {
        let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
        stats::power::Design::paired(sd(&d), d.len())
    } else {
        stats::power::Design::welch(sd(a), a.len(), sd(b), b.len())
    }
}

/// How a configuration stands against the sweep's best.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The best mean of the sweep.
    Best,
    /// Not significantly different from the best (Holm-adjusted p ≥ α), or too few values
    /// to test.
    Indistinguishable,
    /// Significantly worse than the best.
    Worse,
    /// Test accuracy only: significantly better on the test set than the configuration
    /// selected by validation accuracy (validation and test disagree).
    Better,
    /// Time metrics: trained in the same replica groups as the best, so it has the best's
    /// time — one shared measurement, no comparison.
    TrainedTogether,
}

impl Verdict {
    /// Lower-case word for tables.
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Best => "best",
            Verdict::Indistinguishable => "indistinguishable",
            Verdict::Worse => "worse",
            Verdict::Better => "better on test",
            Verdict::TrainedTogether => "trained together",
        }
    }
}

/// One metric over one sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricReport {
    /// The metric.
    pub metric: Metric,
    /// The configuration with the best mean among those that diverged least (none if no
    /// configuration has values; for a time metric, none unless it was compared on at least
    /// 2 independent timing units).
    pub best: Option<String>,
    /// For test accuracy: `final_val_acc` — its "best" is the configuration selected by
    /// validation accuracy (the one selection rule), and every other configuration is
    /// compared with it on the test set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected_by: Option<Metric>,
    /// Why there is no comparison although there are values (e.g. fewer than 2 independent
    /// timing units), for the reader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_compared: Option<String>,
    /// One summary per configuration, in sweep order.
    pub summaries: Vec<ConfigSummary>,
    /// Every other configuration (with values) against the best.
    pub comparisons: Vec<Comparison>,
    /// Time metrics: the sets of configurations trained in the same replica groups (each of
    /// two or more, in sweep order) — one shared time, so the difference between two of a
    /// set is not a measurement and is not compared (since schema 4).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trained_together: Vec<Vec<String>>,
}

impl MetricReport {
    /// The verdict of configuration `id` (None if it has no values).
    pub fn verdict(&self, id: &str) -> Option<Verdict> {
        if self.best.as_deref() == Some(id) {
            return Some(Verdict::Best);
        }
        if let Some(best) = &self.best
            && self.shares_time(id, best)
        {
            return Some(Verdict::TrainedTogether);
        }
        self.comparisons
            .iter()
            .find(|c| c.a == id)
            .map(|c| c.verdict)
    }

    /// Whether configurations `a` and `b` were trained together (one set of
    /// [`MetricReport::trained_together`]).
    pub fn shares_time(&self, a: &str, b: &str) -> bool {
        self.trained_together
            .iter()
            .any(|set| set.iter().any(|x| x == a) && set.iter().any(|x| x == b))
    }

    /// The configurations trained together with `id` (none if it trained alone).
    pub fn together_with(&self, id: &str) -> Vec<&str> {
        self.trained_together
            .iter()
            .filter(|set| set.iter().any(|x| x == id))
            .flat_map(|set| set.iter().map(String::as_str).filter(|x| *x != id))
            .collect()
    }

    /// The summary of configuration `id`.
    pub fn summary(&self, id: &str) -> Option<&ConfigSummary> {
        self.summaries.iter().find(|s| s.config_id == id)
    }
}

/// The statistics of one sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepReport {
    /// The sweep's layout.
    #[serde(flatten)]
    pub view: SweepView,
    /// One entry per metric, in [`Metric::ALL`] order.
    pub metrics: Vec<MetricReport>,
    /// For a batch size × learning rate sweep: do the two interact (absent otherwise, and in
    /// reports written before schema version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interaction: Option<super::bs_lr::Interaction>,
    /// For a batch size × learning rate sweep: the optimal learning rate per batch size and
    /// its scaling exponent (absent otherwise, and in reports before schema version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lr_scaling: Option<super::bs_lr::LrScaling>,
}

impl SweepReport {
    /// The report of `metric`.
    pub fn metric(&self, metric: Metric) -> &MetricReport {
        self.metrics
            .iter()
            .find(|m| m.metric == metric)
            .expect("every metric is analysed")
    }
}

/// Settings of an analysis.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AnalysisOptions {
    /// Confidence level of the intervals (0.95).
    pub level: f64,
    /// Significance level of the verdicts, applied to Holm-adjusted p-values (0.05).
    pub alpha: f64,
    /// Validation accuracy that defines epochs-to-target.
    pub target: f64,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        AnalysisOptions {
            level: 0.95,
            alpha: 0.05,
            target: 0.65,
        }
    }
}

/// The highest confidence level an analysis accepts.
pub const MAX_LEVEL: f64 = 0.999;

impl AnalysisOptions {
    /// A usage error unless the level, alpha and target lie strictly between 0 and 1 and the
    /// level is at most [`MAX_LEVEL`] (`trainbench report --level --alpha --target`).
    pub fn check(&self) -> crate::Result<()> {
        let in_01 = |x: f64| x > 0.0 && x < 1.0;
        if !in_01(self.level) || !in_01(self.alpha) || !in_01(self.target) {
            return Err(crate::Error::Usage(
                "--level, --alpha and --target must lie strictly between 0 and 1".into(),
            ));
        }
        if self.level > MAX_LEVEL {
            return Err(crate::Error::Usage(format!(
                "--level {} is above {MAX_LEVEL}: with a few seeds such an interval spans most \
                 of the metric's range and says nothing (the t quantile grows without bound)",
                self.level
            )));
        }
        Ok(())
    }
}

/// Values of `metric` by seed for one configuration.
fn values_by_seed(trials: &[&TrialRecord], metric: Metric, target: f64) -> BTreeMap<u64, f64> {
    trials
        .iter()
        .filter_map(|r| Some((r.outcome.seed, metric.value(r, target)?)))
        .collect()
}

/// The independent timing unit of a trial: the replica group it was trained in (its seeds
/// share one wall time), or the seed itself when it trained alone. A group's name (start
/// second, configuration count, seeds) can repeat — two groups of the same shape started in
/// the same second, e.g. two batch sizes of a fast study — so the group's wall time, which
/// every member records to the bit, is part of the key. Records written before groups were
/// recorded are grouped by start time, group size and wall time.
pub fn timing_unit(r: &TrialRecord) -> String {
    match &r.group {
        Some(g) => format!(
            "{g} x{} {}",
            r.outcome.replicas,
            r.outcome.total_seconds.to_bits()
        ),
        None if r.outcome.replicas <= 1 => format!("seed {}", r.outcome.seed),
        None => format!(
            "{} x{} {}",
            r.provenance.started_at,
            r.outcome.replicas,
            r.outcome.total_seconds.to_bits()
        ),
    }
}

/// Values of a time metric, one per timing unit (the mean over the unit's seeds, which share
/// one time), keyed by unit number in order of first appearance.
fn values_by_unit(trials: &[&TrialRecord], metric: Metric, target: f64) -> BTreeMap<u64, f64> {
    let mut units: Vec<(String, Vec<f64>)> = Vec::new();
    for r in trials {
        let Some(v) = metric.value(r, target) else {
            continue;
        };
        let key = timing_unit(r);
        match units.iter_mut().find(|(k, _)| *k == key) {
            Some((_, vs)) => vs.push(v),
            None => units.push((key, vec![v])),
        }
    }
    units
        .into_iter()
        .enumerate()
        .map(|(i, (_, vs))| (i as u64, stats::mean(&vs)))
        .collect()
}

/// The timing units (replica groups) of the trials with a value of `metric`.
fn unit_keys(trials: &[&TrialRecord], metric: Metric, target: f64) -> BTreeSet<String> {
    trials
        .iter()
        .filter(|r| metric.value(r, target).is_some())
        .map(|r| timing_unit(r))
        .collect()
}

/// Median, minimum and maximum of the per-epoch training seconds over the epochs of the
/// trials' (single) timing unit.
fn epoch_spread(trials: &[&TrialRecord]) -> Option<[f64; 3]> {
    let r = trials.iter().find(|r| !r.diverged)?;
    let epochs: Vec<f64> = r.outcome.epochs.iter().map(|e| e.train_seconds).collect();
    if epochs.is_empty() {
        return None;
    }
    let min = epochs.iter().copied().fold(f64::INFINITY, f64::min);
    let max = epochs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some([stats::median(&epochs), min, max])
}

/// Seeds and configurations per timing unit of the trials (the largest group), at least 1.
fn per_unit(trials: &[&TrialRecord]) -> (usize, usize) {
    let most = |f: fn(&TrialRecord) -> usize| trials.iter().map(|r| f(r)).max().unwrap_or(1).max(1);
    (most(|r| r.outcome.replicas), most(|r| r.outcome.configs))
}

/// What one timing unit is: `seed`, `replica group of 10 seeds`, or `replica group of 70
/// seeds, 7 configurations`.
pub fn unit_words(seeds: usize, configs: usize) -> String {
    match (seeds, configs) {
        (0 | 1, _) => "seed".into(),
        (s, 0 | 1) => format!("replica group of {s} seeds"),
        (s, k) => format!("replica group of {s} seeds, {k} configurations"),
    }
}

/// Compares `a` with `b`: paired over shared seeds, Welch otherwise (always Welch when
/// `by_unit`: timing units of two configurations are different groups, not pairs).
/// The test of `a` against `b` and the design behind it: paired over the seeds when both
/// have the same seeds (never for timing units), Welch otherwise.
fn test_of(
    a: &BTreeMap<u64, f64>,
    b: &BTreeMap<u64, f64>,
    by_unit: bool,
) -> (&'static str, stats::TestResult, stats::power::Design) {
    let va: Vec<f64> = a.values().copied().collect();
    let vb: Vec<f64> = b.values().copied().collect();
    let same_seeds = !by_unit && a.len() >= 2 && a.keys().eq(b.keys());
    let test = if same_seeds { "paired" } else { "welch" };
    let result = if same_seeds {
        stats::paired_t_test(&va, &vb).unwrap_or(stats::TestResult::NAN)
    } else {
        stats::welch_test(&va, &vb)
    };
    (test, result, design(test, &va, &vb))
}

/// `a` compared with `b` (its MDE, p_holm and verdict are set with the whole family), and
/// the design of its test.
fn compare(
    (a_id, a): (&str, &BTreeMap<u64, f64>),
    (b_id, b): (&str, &BTreeMap<u64, f64>),
    metric: Metric,
    level: f64,
) -> (Comparison, stats::power::Design) {
    let (test, result, design) = test_of(a, b, metric.is_time());
    let va: Vec<f64> = a.values().copied().collect();
    let vb: Vec<f64> = b.values().copied().collect();
    let c = Comparison {
        a: a_id.to_string(),
        b: b_id.to_string(),
        test: test.to_string(),
        statistic: result.statistic,
        df: result.df,
        p_value: result.p_value,
        difference: metric.difference(test, &va, &vb, level),
        p_holm: f64::NAN,
        hedges_g: stats::hedges_g(&va, &vb),
        prob_superiority: stats::prob_superiority(&va, &vb),
        mde: f64::NAN,
        verdict: Verdict::Indistinguishable,
    };
    (c, design)
}

/// One configuration of a sweep in an analysis: its id, its trials and its values (per seed,
/// or per timing unit for a time metric).
type PerConfig<'a> = (&'a str, &'a Vec<&'a TrialRecord>, BTreeMap<u64, f64>);

fn analyse_metric(
    view: &SweepView,
    trials: &HashMap<&str, Vec<&TrialRecord>>,
    metric: Metric,
    selected: Option<&str>,
    options: &AnalysisOptions,
) -> MetricReport {
    let empty = Vec::new();
    let per_config: Vec<PerConfig> = view
        .configs
        .iter()
        .map(|c| {
            let t = trials.get(c.config_id.as_str()).unwrap_or(&empty);
            let values = if metric.is_time() {
                values_by_unit(t, metric, options.target)
            } else {
                values_by_seed(t, metric, options.target)
            };
            (c.config_id.as_str(), t, values)
        })
        .collect();
    let summaries: Vec<ConfigSummary> = per_config
        .iter()
        .map(|(id, t, values)| summarise(id, t, values, metric, options))
        .collect();
    let (best, selected_by) = match (metric, selected) {
        (Metric::TestAcc, Some(id))
            if summaries
                .iter()
                .any(|s| s.config_id == id && s.summary.n > 0) =>
        {
            (Some(id.to_string()), Some(Metric::FinalValAcc))
        }
        _ => (pick_best(&summaries, metric), None),
    };
    let mut report = MetricReport {
        metric,
        best,
        selected_by,
        not_compared: None,
        summaries,
        comparisons: Vec::new(),
        trained_together: Vec::new(),
    };
    let Some(best_id) = report.best.clone() else {
        return report;
    };
    // Time metrics: the replica groups each configuration was timed in. Configurations
    // that share a group share its one wall time.
    let units: HashMap<&str, BTreeSet<String>> = per_config
        .iter()
        .filter(|_| metric.is_time())
        .map(|(id, t, _)| (*id, unit_keys(t, metric, options.target)))
        .collect();
    let shared = |a: &str, b: &str| match (units.get(a), units.get(b)) {
        (Some(x), Some(y)) => !x.is_disjoint(y),
        _ => false,
    };
    if metric.is_time() {
        report.trained_together = together(&per_config, &shared);
        if let Some(why) = too_few_units(&per_config, &units, metric) {
            report.not_compared = Some(why);
            report.best = None;
            return report;
        }
    }
    let best_values = &per_config
        .iter()
        .find(|(id, ..)| *id == best_id)
        .expect("best is a config")
        .2;
    let mut designs = Vec::new();
    for (id, _, values) in &per_config {
        if *id == best_id || values.is_empty() {
            continue;
        }
        if shared(id, &best_id) {
            continue; // one shared time: in `trained_together`
        }
        let (c, d) = compare((id, values), (&best_id, best_values), metric, options.level);
        designs.push(d);
        report.comparisons.push(c);
    }
    let valued: Vec<(&str, &BTreeMap<u64, f64>)> = per_config
        .iter()
        .filter(|(_, _, v)| !v.is_empty())
        .map(|(id, _, v)| (*id, v))
        .collect();
    adjust_in_family(&mut report, &designs, &valued, &best_id, &shared, options);
    report
}

/// The sets of configurations (with values) that share timing units, directly or through
/// another configuration, in sweep order; only sets of two or more.
fn together(per_config: &[PerConfig], shared: &dyn Fn(&str, &str) -> bool) -> Vec<Vec<String>> {
    let ids: Vec<&str> = per_config
        .iter()
        .filter(|(_, _, v)| !v.is_empty())
        .map(|(id, ..)| *id)
        .collect();
    // Union–find: each configuration points towards the earliest one it is joined to.
    let mut parent: Vec<usize> = (0..ids.len()).collect();
    let root = |parent: &[usize], mut i: usize| {
        while parent[i] != i {
            i = parent[i];
        }
        i
    };
    for i in 0..ids.len() {
        for j in 0..i {
            if shared(ids[i], ids[j]) {
                let (ri, rj) = (root(&parent, i), root(&parent, j));
                parent[ri.max(rj)] = ri.min(rj);
            }
        }
    }
    let mut sets: Vec<(usize, Vec<String>)> = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let r = root(&parent, i);
        match sets.iter_mut().find(|(k, _)| *k == r) {
            Some((_, set)) => set.push(id.to_string()),
            None => sets.push((r, vec![id.to_string()])),
        }
    }
    let mut sets: Vec<Vec<String>> = sets.into_iter().map(|(_, set)| set).collect();
    sets.retain(|s| s.len() > 1);
    sets
}

/// Why a time metric is not compared at all: some configuration was timed on fewer than 2
/// independent units (its seeds, and any configurations trained with it, share one wall
/// time). A rerun into the same directory trains nothing new, so the hint names a new one.
fn too_few_units(
    per_config: &[PerConfig],
    units: &HashMap<&str, BTreeSet<String>>,
    metric: Metric,
) -> Option<String> {
    let few = |id: &str| units.get(id).map_or(0, BTreeSet::len) < 2;
    if !per_config.iter().any(|(id, _, v)| !v.is_empty() && few(id)) {
        return None;
    }
    let mixed = per_config
        .iter()
        .any(|(_, t, _)| t.iter().any(|r| r.outcome.configs > 1));
    let together = if mixed {
        ", and configurations trained in one group share it"
    } else {
        ""
    };
    Some(format!(
        "{} measured on fewer than 2 independent timing units per configuration (a replica \
         group's seeds share one wall time{together}): no CI, test or verdict. To compare \
         times, train into a new directory (--out) with at least 2 groups per configuration \
         (--group-by config --replicas N, N below the seed count); a rerun into this \
         directory trains nothing new",
        metric.name()
    ))
}

/// Sets each comparison's MDE, Holm-adjusted p and verdict in the family of every pair of
/// the sweep's configurations with values (`valued`).
///
/// The best is chosen from these same data (or from validation accuracy, which goes with
/// test accuracy seed by seed), so the comparisons against it inherit its winner's curse:
/// Holm over only the k − 1 comparisons with the best lets a family of k equal
/// configurations be called different ~8% of the time at α = 5% (docs/report.md, "Do the
/// verdicts hold?"). The family is therefore every pair of the sweep's configurations
/// (Tukey-style: whichever pair the selection picks, its error is controlled); each
/// comparison's p_holm is its Holm-adjusted p in that family.
fn adjust_in_family(
    report: &mut MetricReport,
    designs: &[stats::power::Design],
    valued: &[(&str, &BTreeMap<u64, f64>)],
    best_id: &str,
    shared: &dyn Fn(&str, &str) -> bool,
    options: &AnalysisOptions,
) {
    let metric = report.metric;
    let mut pair_p: Vec<f64> = Vec::new();
    for (i, (ia, va)) in valued.iter().enumerate() {
        for (ib, vb) in &valued[i + 1..] {
            if *ia == best_id || *ib == best_id || shared(ia, ib) {
                continue; // the comparisons with the best come first, below; a shared
                // time is no measurement of a difference
            }
            pair_p.push(test_of(va, vb, metric.is_time()).1.p_value);
        }
    }
    let p: Vec<f64> = report
        .comparisons
        .iter()
        .map(|c| c.p_value)
        .chain(pair_p)
        .collect();
    let family = p.iter().filter(|p| !p.is_nan()).count().max(1);
    for (c, d) in report.comparisons.iter_mut().zip(designs) {
        let level = options.alpha / family as f64;
        c.mde = d.mde(level, 0.8, stats::power::Sides::Two);
    }
    for (c, p) in report.comparisons.iter_mut().zip(stats::holm(&p)) {
        c.p_holm = p;
        // The statistic is of a − best: its sign says which side a lies on.
        let a_better = if metric.higher_is_better() {
            c.statistic > 0.0
        } else {
            c.statistic < 0.0
        };
        c.verdict = if p >= options.alpha || p.is_nan() {
            Verdict::Indistinguishable
        } else if a_better {
            Verdict::Better
        } else {
            Verdict::Worse
        };
    }
}

/// The summary of one configuration's values of `metric`.
fn summarise(
    id: &str,
    t: &[&TrialRecord],
    values: &BTreeMap<u64, f64>,
    metric: Metric,
    options: &AnalysisOptions,
) -> ConfigSummary {
    let diverged = t.iter().filter(|r| r.diverged).count();
    let v: Vec<f64> = values.values().copied().collect();
    let valued = t
        .iter()
        .filter(|r| metric.value(r, options.target).is_some())
        .count();
    let summary = metric.summarize(&v, options.level);
    let (mut unit, mut unit_size, mut per_seed, mut spread) = (None, None, None, None);
    if metric.is_time() {
        let (s, k) = per_unit(t);
        unit = Some(unit_words(s, k));
        unit_size = Some(UnitSize {
            seeds: s,
            configs: k,
        });
        per_seed = (s > 1 && summary.n > 0).then(|| summary.mean / s as f64);
        if metric == Metric::TrainSecondsPerEpoch && summary.n == 1 {
            spread = epoch_spread(t);
        }
    }
    ConfigSummary {
        config_id: id.to_string(),
        trials: t.len(),
        diverged,
        missing: t.len() - diverged - valued,
        summary,
        unit,
        unit_size,
        per_seed,
        epoch_spread: spread,
    }
}

/// The best mean among the configurations that diverged least (as a share of their trials):
/// a configuration never wins on the strength of its surviving seeds while another
/// diverged less.
fn pick_best(summaries: &[ConfigSummary], metric: Metric) -> Option<String> {
    let candidates: Vec<&ConfigSummary> = summaries
        .iter()
        .filter(|s| s.summary.n > 0 && s.summary.mean.is_finite())
        .collect();
    let share = |s: &ConfigSummary| s.diverged as f64 / s.trials.max(1) as f64;
    let least = candidates
        .iter()
        .map(|s| share(s))
        .fold(f64::INFINITY, f64::min);
    let better = |x: f64, y: f64| {
        if metric.higher_is_better() {
            x > y
        } else {
            x < y
        }
    };
    candidates
        .into_iter()
        .filter(|s| share(s) <= least)
        .fold(None::<&ConfigSummary>, |acc, s| match acc {
            Some(b) if !better(s.summary.mean, b.summary.mean) => Some(b),
            _ => Some(s),
        })
        .map(|s| s.config_id.clone())
}

/// Analyses one sweep over every metric.
pub fn analyse_sweep(
    view: &SweepView,
    records: &[TrialRecord],
    options: &AnalysisOptions,
) -> SweepReport {
    let trials = by_config(records);
    // The one selection rule: a sweep's best configuration is chosen on validation
    // accuracy; its test accuracy is what is reported (the test set selects nothing).
    let val = analyse_metric(view, &trials, Metric::FinalValAcc, None, options);
    let selected = val.best.clone();
    let (interaction, lr_scaling) =
        super::bs_lr::analyse(view, records, options.level, options.target);
    SweepReport {
        view: view.clone(),
        metrics: Metric::ALL
            .iter()
            .map(|&m| match m {
                Metric::FinalValAcc => val.clone(),
                _ => analyse_metric(view, &trials, m, selected.as_deref(), options),
            })
            .collect(),
        interaction,
        lr_scaling,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A two-epoch trial of configuration `id` with test accuracy `acc` (NaN if `diverged`).
    /// The shared two-epoch fixture, diverged at epoch 1 (NaN losses and test metrics) when
    /// `diverged`.
    pub(crate) fn record(id: &str, seed: u64, acc: f64, diverged: bool) -> TrialRecord {
        let mut r = crate::report::testing::record(id, seed, acc);
        if diverged {
            for e in &mut r.outcome.epochs {
                e.train_loss = f64::NAN;
            }
            r.outcome.test_acc = f64::NAN;
            r.outcome.diverged_at = Some(1);
            r.diverged = true;
        }
        r
    }

    fn view() -> SweepView {
        SweepView {
            name: "s".into(),
            params: vec!["batch_size".into()],
            configs: ["a", "b", "c"]
                .iter()
                .map(|id| ConfigView {
                    config_id: id.to_string(),
                    values: vec![id.to_string()],
                })
                .collect(),
            search: None,
        }
    }

    /// a ≈ 0.70 (best), b ≈ 0.60 (clearly worse), c ≈ 0.699 (noise-level difference), plus a
    /// diverged seed of c that must be counted and left out.
    #[test]
    fn verdicts_separate_clear_losers_from_noise_and_count_divergence() {
        let noise = [0.001, -0.002, 0.0015, -0.0005, 0.0];
        let mut records = Vec::new();
        for (s, n) in noise.iter().enumerate() {
            records.push(record("a", s as u64, 0.70 + n, false));
            records.push(record("b", s as u64, 0.60 - n, false));
            records.push(record("c", s as u64, 0.699 + noise[(s + 2) % 5], false));
        }
        records.push(record("c", 9, 0.0, true));
        let report = analyse_sweep(&view(), &records, &AnalysisOptions::default());
        let test = report.metric(Metric::TestAcc);
        assert_eq!(test.best.as_deref(), Some("a"));
        assert_eq!(test.verdict("a"), Some(Verdict::Best));
        assert_eq!(test.verdict("b"), Some(Verdict::Worse));
        assert_eq!(test.verdict("c"), Some(Verdict::Indistinguishable));
        let c = test.summary("c").unwrap();
        assert_eq!((c.trials, c.diverged, c.summary.n), (6, 1, 5));
        // Seeds 0..5 are shared by a and b: paired; c's extra diverged seed is dropped, so its
        // seeds match a's too.
        assert!(test.comparisons.iter().all(|x| x.test == "paired"));
        // Holm: adjusted p-values are at least the raw ones.
        assert!(test.comparisons.iter().all(|x| x.p_holm >= x.p_value));
        // Time: lower is better; every configuration took 0.5 s per epoch.
        let time = report.metric(Metric::TrainSecondsPerEpoch);
        assert!((time.summary("a").unwrap().summary.mean - 0.5).abs() < 1e-12);
    }

    #[test]
    fn epochs_to_target_counts_trials_that_never_reach_it() {
        let records = vec![
            record("a", 0, 0.70, false), // epoch 1: 0.60, epoch 2: 0.70
            record("a", 1, 0.64, false), // never reaches 0.65
        ];
        let report = analyse_sweep(&view(), &records, &AnalysisOptions::default());
        let m = report.metric(Metric::EpochsToTarget);
        let a = m.summary("a").unwrap();
        assert_eq!((a.summary.n, a.missing), (1, 1));
        assert_eq!(a.summary.mean, 2.0);
        assert!(m.summary("b").unwrap().summary.n == 0);
    }

    /// Seeds trained as one replica group share one wall time: one timing unit per
    /// configuration gives no CI, test or verdict (the t = 1e16 artefact of pseudo-
    /// replication); one seed per group keeps the tests.
    #[test]
    fn a_replica_group_is_one_timing_measurement() {
        let grouped = |id: &str, seed: u64, secs: f64, group: Option<&str>, s: usize| {
            let mut r = record(id, seed, 0.7, false);
            r.outcome.replicas = s;
            r.group = group.map(str::to_string);
            for (i, e) in r.outcome.epochs.iter_mut().enumerate() {
                e.train_seconds = secs + 0.01 * i as f64;
            }
            r
        };
        let mut records = Vec::new();
        for seed in 0..5 {
            records.push(grouped("a", seed, 0.5, Some("ga"), 5));
            records.push(grouped("b", seed, 0.9, Some("gb"), 5));
        }
        let report = analyse_sweep(&view(), &records, &AnalysisOptions::default());
        let time = report.metric(Metric::TrainSecondsPerEpoch);
        let a = time.summary("a").unwrap();
        assert_eq!(
            a.summary.n, 1,
            "five seeds of one group are one measurement"
        );
        assert!(a.summary.ci_low.is_nan());
        assert_eq!(a.unit.as_deref(), Some("replica group of 5 seeds"));
        assert!((a.per_seed.unwrap() - a.summary.mean / 5.0).abs() < 1e-15);
        let [median, min, max] = a.epoch_spread.unwrap();
        assert!(min <= median && median <= max && max > min);
        assert!(time.comparisons.is_empty() && time.best.is_none());
        assert!(time.not_compared.is_some());
        for m in report.metrics.iter().filter(|m| m.metric.is_time()) {
            assert!(m.comparisons.iter().all(|c| c.statistic.abs() < 1e6));
        }

        // One seed per group (--replicas 1): each seed is a unit, compared by Welch.
        let records: Vec<TrialRecord> = (0..5)
            .flat_map(|seed| {
                let g = |c: &str| format!("{c}{seed}");
                [
                    grouped("a", seed, 0.5 + 0.01 * seed as f64, Some(&g("a")), 1),
                    grouped("b", seed, 0.9 + 0.02 * seed as f64, Some(&g("b")), 1),
                ]
            })
            .collect();
        let report = analyse_sweep(&view(), &records, &AnalysisOptions::default());
        let time = report.metric(Metric::TrainSecondsPerEpoch);
        assert_eq!(time.summary("a").unwrap().summary.n, 5);
        assert_eq!(time.best.as_deref(), Some("a"));
        assert_eq!(time.comparisons.len(), 1);
        assert_eq!(time.comparisons[0].test, "welch");
        assert_eq!(time.verdict("b"), Some(Verdict::Worse));
    }

    /// Learning rates trained in the same replica groups share their times: no comparison
    /// between them (`trained together`), while a batch size timed in other groups is
    /// compared as a ratio with a log-scale Welch interval. Reference: scipy 1.17.1, `exp` of
    /// `ttest_ind(log c, log a, equal_var=False).confidence_interval(0.95)`
    /// (scripts/interval_reference.py, "mixed replica groups fixture").
    #[test]
    fn configurations_trained_together_share_one_time() {
        // a and b (two learning rates at batch 32) share groups g1 (seeds 0-1) and g2 (seeds
        // 2-3); c (batch 64) has its own groups g3 and g4.
        let trial = |id: &str, seed: u64, secs: f64, group: &str, configs: usize| {
            let mut r = record(id, seed, 0.7 + 0.001 * seed as f64, false);
            (r.outcome.replicas, r.outcome.configs) = (2 * configs, configs);
            r.group = Some(group.to_string());
            r.outcome.total_seconds = 2.0 * secs;
            for (i, e) in r.outcome.epochs.iter_mut().enumerate() {
                e.train_seconds = secs + 0.01 * i as f64;
            }
            r
        };
        let mut records = Vec::new();
        for seed in 0..4 {
            let (g, secs) = if seed < 2 { ("g1", 0.30) } else { ("g2", 0.32) };
            records.push(trial("a", seed, secs, g, 2));
            records.push(trial("b", seed, secs, g, 2));
            let (g, secs) = if seed < 2 { ("g3", 0.50) } else { ("g4", 0.51) };
            records.push(trial("c", seed, secs, g, 1));
        }
        let report = analyse_sweep(&view(), &records, &AnalysisOptions::default());
        let time = report.metric(Metric::TrainSecondsPerEpoch);
        assert_eq!(time.best.as_deref(), Some("a"));
        assert_eq!(time.trained_together, [["a", "b"]]);
        assert_eq!(time.verdict("b"), Some(Verdict::TrainedTogether));
        assert_eq!(time.comparisons.len(), 1, "{:?}", time.comparisons);
        let c = &time.comparisons[0];
        assert_eq!((c.a.as_str(), c.test.as_str()), ("c", "welch"));
        let d = c.difference;
        assert_eq!(d.scale, Scale::Ratio);
        let near = |x: f64, y: f64| (x - y).abs() < 1e-9 * y;
        assert!(near(d.estimate, 1.6197862328408903), "{d:?}");
        assert!(near(d.ci_low, 1.2089729185153517) && near(d.ci_high, 2.1701953781751038));
        let a = time.summary("a").unwrap();
        assert_eq!(
            a.unit.as_deref(),
            Some("replica group of 4 seeds, 2 configurations")
        );
        assert!(a.summary.ci_low > 0.0);
        let sweep = crate::report::text::conclusion(&report, time);
        assert!(
            sweep.contains("trained together: one shared time with it: b"),
            "{sweep}"
        );
        assert_eq!(
            crate::report::text::difference_cell(time, "b").text,
            "trained together: one shared time"
        );

        // One group per batch size: fewer than 2 units, nothing compared, and the hint names a
        // new directory (a rerun into this one trains nothing).
        for r in &mut records {
            r.group = Some(
                if r.config_id.as_deref() == Some("c") {
                    "g3"
                } else {
                    "g1"
                }
                .into(),
            );
            r.outcome.total_seconds = 1.0;
        }
        let report = analyse_sweep(&view(), &records, &AnalysisOptions::default());
        let time = report.metric(Metric::TrainSecondsPerEpoch);
        let why = time.not_compared.as_deref().expect("not compared");
        assert!(
            why.contains("configurations trained in one group share it"),
            "{why}"
        );
        assert!(why.contains("new directory (--out)"), "{why}");
        assert!(time.comparisons.is_empty() && time.verdict("b").is_none());
        // Not compared, but the tables still say which configurations share one time.
        assert_eq!(time.trained_together, [["a", "b"]]);
        let cell = |id: &str| crate::report::text::difference_cell(time, id).text;
        assert_eq!(cell("a"), "trained together: one shared time");
        assert_eq!(cell("c"), "");
    }

    /// Intervals stay in the metric's range: an accuracy's within [0, 100], a time's above
    /// zero (the t interval of these 2 values reaches below both).
    #[test]
    fn intervals_respect_the_metric_range() {
        let records: Vec<TrialRecord> = [0.05, 0.55]
            .iter()
            .enumerate()
            .map(|(seed, &acc)| {
                let mut r = record("a", seed as u64, acc, false);
                r.group = Some(format!("g{seed}"));
                r.outcome.replicas = 1;
                for e in &mut r.outcome.epochs {
                    e.train_seconds = [0.0894, 0.1366][seed];
                }
                r
            })
            .collect();
        let report = analyse_sweep(&view(), &records, &AnalysisOptions::default());
        let test = report.metric(Metric::TestAcc).summary("a").unwrap().summary;
        assert!(crate::stats::summarize(&[0.05, 0.55], 0.95).ci_low < 0.0);
        assert_eq!((test.ci_low, test.ci_high), (0.0, 1.0));
        let time = report
            .metric(Metric::TrainSecondsPerEpoch)
            .summary("a")
            .unwrap();
        // Cox's interval of [0.0894, 0.1366] (scripts/interval_reference.py, T3).
        let near = |x: f64, y: f64| (x - y).abs() < 1e-9 * y;
        assert!(
            near(time.summary.ci_low, 0.006946930626523779),
            "{:?}",
            time.summary
        );
        assert!(near(time.summary.ci_high, 1.9231864180114877));
    }

    /// A configuration whose surviving seed looks best but which diverged in 4 of 5 seeds
    /// is not the best; the one that diverged least is.
    #[test]
    fn divergence_disqualifies_a_survivor_from_best() {
        let mut records = Vec::new();
        for seed in 0..5 {
            records.push(record("a", seed, 0.80, seed > 0));
            records.push(record("b", seed, 0.70 + 0.001 * seed as f64, false));
        }
        let report = analyse_sweep(&view(), &records, &AnalysisOptions::default());
        let test = report.metric(Metric::TestAcc);
        assert_eq!(test.best.as_deref(), Some("b"));
        let a = test.summary("a").unwrap();
        assert_eq!((a.trials, a.diverged, a.summary.n), (5, 4, 1));
    }

    /// One selection rule: test accuracy's "best" is the configuration with the best final
    /// validation accuracy; a configuration clearly better on the test set says so.
    #[test]
    fn the_best_is_selected_on_validation_and_reported_on_test() {
        let noise = [0.001, -0.002, 0.0015, -0.0005, 0.0];
        let mut records = Vec::new();
        for (seed, n) in noise.iter().enumerate() {
            let mut a = record("a", seed as u64, 0.70 + n, false);
            a.outcome.test_acc = 0.60 + n;
            let mut b = record("b", seed as u64, 0.65 + n, false);
            b.outcome.test_acc = 0.70 - n;
            records.extend([a, b]);
        }
        let report = analyse_sweep(&view(), &records, &AnalysisOptions::default());
        let test = report.metric(Metric::TestAcc);
        assert_eq!(test.best.as_deref(), Some("a"));
        assert_eq!(test.selected_by, Some(Metric::FinalValAcc));
        assert_eq!(test.verdict("b"), Some(Verdict::Better));
        assert_eq!(
            report.metric(Metric::FinalValAcc).best.as_deref(),
            Some("a")
        );
    }
}
