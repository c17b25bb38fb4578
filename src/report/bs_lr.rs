//! The batch size × learning rate analysis of a sweep that varies exactly those two as a
//! Cartesian product (Lab 1's `bs_x_lr`): does the effect of the learning rate depend on the
//! batch size ([`Interaction`]), and how does the optimal learning rate move with batch size
//! ([`LrScaling`]: `optimal lr ∝ batch size^k`, compared with the linear rule k = 1 and the
//! square-root rule k = 0.5).
//!
//! Both use per-seed test accuracy and the same table: seed × batch size × learning rate.
//! Missing data (diverged trials, absent seeds): a learning rate with a cell where fewer than
//! half of the sweep's seeds have a value is dropped first (it cannot be the optimum, and
//! would otherwise cost every seed); then any seed missing a remaining cell is dropped whole.
//! Both are counted in the output.

use super::metric::Metric;
use super::sweep::{ConfigView, SweepView, by_config};
use crate::record::TrialRecord;
use crate::stats::{AnovaTerm, PeakOptions, RaggedCell, peak_scaling_ragged, rm_anova_two_way};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The metric both analyses use.
pub const METRIC: Metric = Metric::TestAcc;
/// Bootstrap resamples of [`LrScaling`].
pub const RESAMPLES: usize = 2000;
/// Fewest seeds (everywhere) with which the scaling rules are tested: their test weighs the
/// optima by the bootstrap covariance, which a handful of seeds cannot estimate (3 seeds give
/// 10 distinct resamples).
pub const MIN_SEEDS_FOR_RULES: usize = 5;
/// Seed of [`LrScaling`]'s bootstrap stream.
pub const BOOTSTRAP_SEED: u64 = 18;
/// Grid points either side of the best learning rate that the quadratic is fitted to (3-point
/// fits kept their coverage on a misspecified, asymmetric planted surface; 5-point ones did
/// not: docs/report.md).
pub const NEIGHBOURS: usize = 1;

/// One term of the interaction ANOVA.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Effect {
    /// `batch_size`, `lr` or `batch_size:lr`.
    pub term: String,
    /// F, degrees of freedom, p (sphericity assumed), Greenhouse–Geisser ε and p, partial η².
    #[serde(flatten)]
    pub anova: AnovaTerm,
}

/// Whether batch size and learning rate interact: a two-way repeated-measures ANOVA.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    /// The metric analysed (`test_acc`).
    pub metric: Metric,
    /// The method, in words.
    pub method: String,
    /// Seeds (subjects) used: those with a value in every remaining cell.
    pub seeds: usize,
    /// Seeds dropped for a missing cell.
    pub dropped_seeds: usize,
    /// Learning rates dropped because a cell had values for fewer than half the seeds.
    pub dropped_lrs: Vec<String>,
    /// Batch sizes analysed, ascending.
    pub batch_sizes: Vec<String>,
    /// Learning rates analysed, ascending.
    pub lrs: Vec<String>,
    /// `batch_size`, `lr` and `batch_size:lr`, in that order.
    pub effects: Vec<Effect>,
}

impl Interaction {
    /// The `batch_size:lr` term.
    pub fn interaction(&self) -> Option<&Effect> {
        self.effects.iter().find(|e| e.term == "batch_size:lr")
    }
}

/// The optimal learning rate at one batch size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LrOptimum {
    /// The batch size, as written in the study.
    pub batch_size: String,
    /// The optimal learning rate: 10^(vertex of the quadratic in log10 lr).
    #[serde(with = "crate::jsonfloat")]
    pub lr_opt: f64,
    /// Lower end of its bootstrap interval.
    #[serde(with = "crate::jsonfloat")]
    pub ci_low: f64,
    /// Upper end of its bootstrap interval.
    #[serde(with = "crate::jsonfloat")]
    pub ci_high: f64,
    /// The grid learning rate with the best mean.
    pub best_grid_lr: String,
    /// The estimate is the smallest or largest learning rate of the grid: the true optimum
    /// may lie beyond it.
    pub at_edge: bool,
    /// Share of bootstrap resamples whose optimum is at an edge of the grid.
    #[serde(with = "crate::jsonfloat")]
    pub edge_share: f64,
    /// Smallest and largest learning rate tried at this batch size (a searched sweep's
    /// points differ between batch sizes; a grid's are the grid's ends; NaN: unknown, in a
    /// report written before this field).
    #[serde(default = "unknown_range")]
    pub tried: (f64, f64),
}

fn unknown_range() -> (f64, f64) {
    (f64::NAN, f64::NAN)
}

/// Where the interval of k sits relative to the two scaling rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScalingVerdict {
    /// An optimum sits at the edge of the grid (or k could not be estimated): the grid
    /// cannot resolve the exponent.
    Unresolved,
    /// The interval covers both 0.5 and 1: the data cannot tell the rules apart.
    Both,
    /// Covers 1, not 0.5.
    Linear,
    /// Covers 0.5, not 1.
    SquareRoot,
    /// Entirely below 0.5.
    BelowSquareRoot,
    /// Entirely between 0.5 and 1.
    Between,
    /// Entirely above 1.
    AboveLinear,
}

impl ScalingVerdict {
    /// The verdict of an interval `[lo, hi]` for k, given whether any optimum is at the edge.
    pub fn of(lo: f64, hi: f64, any_at_edge: bool) -> Self {
        let covers = |k: f64| lo <= k && k <= hi;
        if any_at_edge || !(lo.is_finite() && hi.is_finite()) {
            ScalingVerdict::Unresolved
        } else if covers(0.5) && covers(1.0) {
            ScalingVerdict::Both
        } else if covers(1.0) {
            ScalingVerdict::Linear
        } else if covers(0.5) {
            ScalingVerdict::SquareRoot
        } else if hi < 0.5 {
            ScalingVerdict::BelowSquareRoot
        } else if lo > 1.0 {
            ScalingVerdict::AboveLinear
        } else {
            ScalingVerdict::Between
        }
    }
}

/// How the optimal learning rate scales with batch size: `lr_opt ∝ batch_size^k`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LrScaling {
    /// The metric analysed (`test_acc`).
    pub metric: Metric,
    /// The method, in words.
    pub method: String,
    /// Confidence level of the intervals.
    pub level: f64,
    /// Bootstrap resamples.
    pub resamples: usize,
    /// Seeds used.
    pub seeds: usize,
    /// Seeds dropped for a missing cell.
    pub dropped_seeds: usize,
    /// Learning rates dropped because a cell had values for fewer than half the seeds.
    pub dropped_lrs: Vec<String>,
    /// Smallest learning rate of the grid analysed.
    #[serde(with = "crate::jsonfloat")]
    pub lr_min: f64,
    /// Largest learning rate of the grid analysed.
    #[serde(with = "crate::jsonfloat")]
    pub lr_max: f64,
    /// One per batch size, ascending.
    pub optima: Vec<LrOptimum>,
    /// The exponent: least-squares slope of log10(lr_opt) against log10(batch size).
    #[serde(with = "crate::jsonfloat")]
    pub k: f64,
    /// Lower end of k's bootstrap interval.
    #[serde(with = "crate::jsonfloat")]
    pub k_ci_low: f64,
    /// Upper end of k's bootstrap interval.
    #[serde(with = "crate::jsonfloat")]
    pub k_ci_high: f64,
    /// Intercept of the fitted line: `log10(lr_opt) ≈ log10_intercept + k·log10(batch size)`.
    #[serde(with = "crate::jsonfloat")]
    pub log10_intercept: f64,
    /// Where k's interval sits relative to the linear (1) and square-root (0.5) rules.
    pub verdict: ScalingVerdict,
    /// The learning rate was searched (`lr = { search = … }`): the optima come from each batch
    /// size's own points, and their intervals include the shape allowance
    /// ([`crate::study::lr_search::estimate`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub searched: bool,
    /// Each scaling rule fitted to the optima: no scaling, square-root, linear, the noise-scale
    /// curve (when the noise scale was measured) and a free exponent, with a χ² test, the
    /// leave-one-out error and an interval ([`crate::stats::scaling_rules`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<crate::stats::scaling_rules::RuleFit>,
    /// The gradient noise scale per batch size, when measured (a searched sweep).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub noise: Vec<CellNoise>,
}

/// The gradient noise scale measured at one batch size: `B_simple` of the seeds trained at the
/// sweep's reference learning rate ([`reference_point`]: the same for every batch size),
/// averaged over the probes after initialisation (a quarter, a half and all of training).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellNoise {
    /// The batch size, as written in the study.
    pub batch_size: String,
    /// The learning rate whose trials were probed (the reference learning rate).
    #[serde(with = "crate::jsonfloat")]
    pub lr: f64,
    /// Seeds with a finite estimate.
    pub seeds: usize,
    /// Mean over those seeds of each seed's mean `B_simple` over the probes.
    #[serde(with = "crate::jsonfloat")]
    pub b_noise: f64,
    /// Lower end of its interval over seeds (Cox's log-normal interval, at the report's level).
    #[serde(with = "crate::jsonfloat")]
    pub ci_low: f64,
    /// Upper end.
    #[serde(with = "crate::jsonfloat")]
    pub ci_high: f64,
    /// Mean `B_simple` at each probe (fraction of training, value), initialisation included.
    pub by_fraction: Vec<(f64, f64)>,
}

/// One level of a factor: as written in the study, and its value.
type Level = (String, f64);

/// Per-seed values of [`METRIC`] in a full batch size × learning rate grid.
struct Table {
    bss: Vec<Level>,
    lrs: Vec<Level>,
    /// Seed × batch size × lr, NaN where missing.
    values: Vec<f64>,
    seeds: usize,
    dropped_lrs: Vec<String>,
}

/// The levels of parameter `p` (index into the view's params), ascending by value; `None` if
/// one is not a positive number.
fn levels(configs: &[ConfigView], p: usize) -> Option<Vec<Level>> {
    let mut out: Vec<Level> = Vec::new();
    for c in configs {
        let text = c.values.get(p)?;
        let v: f64 = text.parse().ok().filter(|v: &f64| *v > 0.0)?;
        if !out.iter().any(|(t, _)| t == text) {
            out.push((text.clone(), v));
        }
    }
    out.sort_by(|a, b| a.1.total_cmp(&b.1));
    Some(out)
}

impl Table {
    /// The table of a sweep varying exactly `batch_size` and `lr` over their full product;
    /// `None` for any other sweep.
    fn build(view: &SweepView, records: &[TrialRecord], target: f64) -> Option<Table> {
        let [p0, p1] = view.params.as_slice() else {
            return None;
        };
        let (bi, li) = match (p0.as_str(), p1.as_str()) {
            ("batch_size", "lr") => (0, 1),
            ("lr", "batch_size") => (1, 0),
            _ => return None,
        };
        let (bss, mut lrs) = (levels(&view.configs, bi)?, levels(&view.configs, li)?);
        let trials = by_config(records);
        let mut cells: BTreeMap<(usize, usize), BTreeMap<u64, f64>> = BTreeMap::new();
        for c in &view.configs {
            let b = bss.iter().position(|(t, _)| *t == c.values[bi])?;
            let l = lrs.iter().position(|(t, _)| *t == c.values[li])?;
            let by_seed = trials
                .get(c.config_id.as_str())
                .map(|t| {
                    t.iter()
                        .filter_map(|r| Some((r.outcome.seed, METRIC.value(r, target)?)))
                        .collect()
                })
                .unwrap_or_default();
            cells.insert((b, l), by_seed);
        }
        if cells.len() != bss.len() * lrs.len() {
            return None;
        }
        let seeds: BTreeSet<u64> = records
            .iter()
            .filter(|r| {
                r.config_id
                    .as_deref()
                    .is_some_and(|id| view.configs.iter().any(|c| c.config_id == id))
            })
            .map(|r| r.outcome.seed)
            .collect();
        // Drop learning rates with a cell that fewer than half the seeds reached.
        let keep: Vec<bool> = (0..lrs.len())
            .map(|l| (0..bss.len()).all(|b| 2 * cells[&(b, l)].len() >= seeds.len()))
            .collect();
        let dropped_lrs = lrs
            .iter()
            .zip(&keep)
            .filter(|(_, k)| !**k)
            .map(|(l, _)| l.0.clone())
            .collect();
        let kept: Vec<usize> = (0..lrs.len()).filter(|&l| keep[l]).collect();
        let mut values = Vec::with_capacity(seeds.len() * bss.len() * kept.len());
        for s in &seeds {
            for b in 0..bss.len() {
                for &l in &kept {
                    values.push(cells[&(b, l)].get(s).copied().unwrap_or(f64::NAN));
                }
            }
        }
        lrs = kept.iter().map(|&l| lrs[l].clone()).collect();
        Some(Table {
            bss,
            lrs,
            values,
            seeds: seeds.len(),
            dropped_lrs,
        })
    }
}

/// The interaction test and the learning-rate scaling of a batch size × learning rate sweep;
/// `(None, None)` for any other sweep.
pub fn analyse(
    view: &SweepView,
    records: &[TrialRecord],
    level: f64,
    target: f64,
) -> (Option<Interaction>, Option<LrScaling>) {
    if let Some(axis) = view.search {
        return searched(view, &axis, records, level, target);
    }
    let Some(t) = Table::build(view, records, target) else {
        return (None, None);
    };
    if t.seeds == 0 || t.lrs.is_empty() {
        return (None, None);
    }
    (Some(interaction(&t)), Some(scaling(&t, level)))
}

/// The analysis of a sweep whose learning rate was searched: the interaction on stage 1's grid
/// (every batch size, the study's seeds), the optima from each batch size's own points
/// ([`crate::study::lr_search::estimate`]), the scaling rules and the noise scale.
fn searched(
    view: &SweepView,
    axis: &crate::study::lr_search::LrSearch,
    records: &[TrialRecord],
    level: f64,
    target: f64,
) -> (Option<Interaction>, Option<LrScaling>) {
    let bi = view.params.iter().position(|p| p == "batch_size");
    let li = view.params.iter().position(|p| p == "lr");
    let (Some(bi), Some(li)) = (bi, li) else {
        return (None, None);
    };
    let interaction = stage_one_interaction(view, axis, li, records, target);
    let cells = search_cells(view, bi, li, records, target);
    if cells.is_empty() {
        return (interaction, None);
    }
    let trials = by_config(records);
    let scaling = searched_scaling(&cells, view, bi, li, &trials, level);
    (interaction, Some(scaling))
}

/// The interaction on a searched sweep's stage-1 grid (every batch size has those points),
/// without the seeds stage 3 added.
fn stage_one_interaction(
    view: &SweepView,
    axis: &crate::study::lr_search::LrSearch,
    li: usize,
    records: &[TrialRecord],
    target: f64,
) -> Option<Interaction> {
    let grid: Vec<f64> = axis
        .grid()
        .into_iter()
        .map(crate::study::lr_search::lattice_value)
        .collect();
    let on_grid = |c: &ConfigView| {
        c.values[li]
            .parse::<f64>()
            .is_ok_and(|v| grid.iter().any(|g| g.to_bits() == v.to_bits()))
    };
    let stage1_view = SweepView {
        configs: view
            .configs
            .iter()
            .filter(|c| on_grid(c))
            .cloned()
            .collect(),
        search: None,
        ..view.clone()
    };
    let base: Vec<TrialRecord> = records
        .iter()
        .filter(|r| r.stage != Some(3))
        .cloned()
        .collect();
    Table::build(&stage1_view, &base, target)
        .filter(|t| t.seeds > 0 && !t.lrs.is_empty())
        .map(|t| interaction(&t))
}

/// A searched sweep's cells, ascending in batch size, each with its points ascending in
/// learning rate and every seed's [`METRIC`] (`None`: diverged); points without a value left
/// out.
fn search_cells(
    view: &SweepView,
    bi: usize,
    li: usize,
    records: &[TrialRecord],
    target: f64,
) -> Vec<crate::study::lr_search::Cell> {
    use crate::study::lr_search::{Cell, Point, lattice_index};
    let trials = by_config(records);
    let mut cells: Vec<(f64, Cell)> = Vec::new();
    for c in &view.configs {
        let (Ok(bs), Ok(lr)) = (c.values[bi].parse::<f64>(), c.values[li].parse::<f64>()) else {
            continue;
        };
        let mine = trials
            .get(c.config_id.as_str())
            .cloned()
            .unwrap_or_default();
        let len = mine
            .iter()
            .map(|r| r.outcome.seed as usize + 1)
            .max()
            .unwrap_or(0);
        let mut values = vec![None; len];
        for r in &mine {
            values[r.outcome.seed as usize] = METRIC.value(r, target);
        }
        let point = Point {
            j: lattice_index(lr),
            values,
        };
        match cells.iter_mut().find(|(_, cell)| cell.name == c.values[bi]) {
            Some((_, cell)) => cell.points.push(point),
            None => cells.push((
                bs,
                Cell {
                    name: c.values[bi].clone(),
                    covariate: bs.log10(),
                    points: vec![point],
                },
            )),
        }
    }
    cells.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut cells: Vec<Cell> = cells.into_iter().map(|(_, c)| c).collect();
    for cell in &mut cells {
        cell.points.sort_by_key(|p| p.j);
        cell.points.retain(|p| p.values.iter().any(Option::is_some));
    }
    cells.retain(|c| !c.points.is_empty());
    cells
}

/// The optima, the exponent, the scaling rules and the noise scale of a searched sweep's
/// `cells`.
fn searched_scaling(
    cells: &[crate::study::lr_search::Cell],
    view: &SweepView,
    bi: usize,
    li: usize,
    trials: &std::collections::HashMap<&str, Vec<&TrialRecord>>,
    level: f64,
) -> LrScaling {
    use crate::study::lr_search::{estimate, lattice_value};
    let (fit, reps) = estimate(cells, level);
    let lr = |x: f64| 10f64.powf(x);
    let optima: Vec<LrOptimum> = cells
        .iter()
        .zip(&fit.peaks)
        .map(|(cell, p)| LrOptimum {
            batch_size: cell.name.clone(),
            lr_opt: lr(p.x),
            ci_low: lr(p.ci_low),
            ci_high: lr(p.ci_high),
            best_grid_lr: cell
                .points
                .get(p.best)
                .map(|q| format!("{:e}", lattice_value(q.j)))
                .unwrap_or_default(),
            at_edge: p.at_edge,
            edge_share: p.edge_share,
            tried: (
                cell.points.first().map_or(f64::NAN, |q| lattice_value(q.j)),
                cell.points.last().map_or(f64::NAN, |q| lattice_value(q.j)),
            ),
        })
        .collect();
    let noise = reference_point(cells)
        .map(|j| cell_noise(cells, j, &view.configs, bi, li, trials, level))
        .unwrap_or_default();
    // McCandlish et al.'s B_noise is one number for a model and task; the batch sizes' values
    // (at one learning rate, in their own training states) differ, so the curve uses their
    // geometric mean.
    let offsets: Option<Vec<f64>> = (noise.len() == cells.len()).then(|| {
        let b_noise = noise_scale_of_task(&noise);
        cells
            .iter()
            .map(|c| (1.0 + b_noise / 10f64.powf(c.covariate)).log10())
            .collect()
    });
    let cs: Vec<f64> = cells.iter().map(|c| c.covariate).collect();
    let xs: Vec<f64> = fit.peaks.iter().map(|p| p.x).collect();
    let everywhere = cells
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.values.len()))
        .min()
        .unwrap_or(0);
    let models = if everywhere >= MIN_SEEDS_FOR_RULES {
        crate::stats::scaling_rules::fit_rules(
            &cs,
            &xs,
            &reps.peaks,
            offsets.as_deref(),
            1.0 - level,
            level,
        )
    } else {
        Vec::new()
    };
    let any_at_edge = optima.iter().any(|o| o.at_edge);
    let all_lrs: Vec<f64> = cells
        .iter()
        .flat_map(|c| c.points.iter().map(|p| lattice_value(p.j)))
        .collect();
    LrScaling {
        metric: METRIC,
        method: format!(
            "learning rate searched per batch size (docs/studies.md); per batch size, the vertex \
             of a quadratic in log10(lr) through its best point and the neighbours either side; \
             k = least-squares slope of log10(lr_opt) on log10(batch size); expanded-percentile \
             bootstrap over seeds ({} resamples, a seed's trials together, seeds added by stage \
             3 resampled among themselves), each optimum's interval widened by a quarter of the \
             local spacing for an asymmetric top",
            crate::study::lr_search::RESAMPLES
        ),
        level,
        resamples: crate::study::lr_search::RESAMPLES,
        seeds: fit.subjects,
        dropped_seeds: 0,
        dropped_lrs: Vec::new(),
        lr_min: all_lrs.iter().copied().fold(f64::INFINITY, f64::min),
        lr_max: all_lrs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        optima,
        k: fit.slope,
        k_ci_low: fit.slope_ci_low,
        k_ci_high: fit.slope_ci_high,
        log10_intercept: fit.intercept,
        verdict: ScalingVerdict::of(fit.slope_ci_low, fit.slope_ci_high, any_at_edge),
        searched: true,
        models,
        noise,
    }
}

/// The one noise scale of McCandlish's curve: the geometric mean of the batch sizes'
/// measured `B_noise` (NaN when any is not positive).
pub(crate) fn noise_scale_of_task(noise: &[CellNoise]) -> f64 {
    if noise.is_empty() || noise.iter().any(|n| n.b_noise.is_nan() || n.b_noise <= 0.0) {
        return f64::NAN;
    }
    (noise.iter().map(|n| n.b_noise.ln()).sum::<f64>() / noise.len() as f64).exp()
}

/// The reference learning rate of the noise scale (a lattice point): of the points every batch
/// size tried, the one with the best mean over the batch sizes of their mean metric. One
/// learning rate for all, so that the batch sizes' noise scales differ by batch size, not by
/// how far each was from its own optimum. None when no point was tried everywhere.
fn reference_point(cells: &[crate::study::lr_search::Cell]) -> Option<i32> {
    let first = cells.first()?;
    first
        .points
        .iter()
        .map(|p| p.j)
        .filter_map(|j| {
            let means: Vec<f64> = cells
                .iter()
                .map(|c| {
                    c.points
                        .iter()
                        .find(|p| p.j == j)
                        .map_or(f64::NAN, |p| p.mean())
                })
                .collect();
            means
                .iter()
                .all(|m| m.is_finite())
                .then(|| (j, means.iter().sum::<f64>() / means.len() as f64))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(j, _)| j)
}

/// The noise scale of each cell from the probes of the trials at the reference point `j` (see
/// [`CellNoise`]); empty when any cell has none.
fn cell_noise(
    cells: &[crate::study::lr_search::Cell],
    j: i32,
    configs: &[ConfigView],
    bi: usize,
    li: usize,
    trials: &std::collections::HashMap<&str, Vec<&TrialRecord>>,
    level: f64,
) -> Vec<CellNoise> {
    use crate::stats::mean;
    let mut out = Vec::new();
    for cell in cells {
        let lr = crate::study::lr_search::lattice_value(j);
        let Some(config) = configs.iter().find(|c| {
            c.values[bi] == cell.name
                && c.values[li]
                    .parse::<f64>()
                    .is_ok_and(|v| v.to_bits() == lr.to_bits())
        }) else {
            return Vec::new();
        };
        let mine = trials
            .get(config.config_id.as_str())
            .cloned()
            .unwrap_or_default();
        let per_seed: Vec<f64> = mine
            .iter()
            .filter(|r| !r.diverged)
            .map(|r| {
                let v: Vec<f64> = r
                    .outcome
                    .noise_scale
                    .iter()
                    .filter(|p| p.fraction > 0.0 && p.noise.b_simple.is_finite())
                    .map(|p| p.noise.b_simple)
                    .collect();
                if v.is_empty() { f64::NAN } else { mean(&v) }
            })
            .filter(|v| v.is_finite())
            .collect();
        if per_seed.len() < 2 {
            return Vec::new();
        }
        // A positive, skewed quantity: Cox's log-normal interval (both ends positive).
        let ci = crate::stats::lognormal_mean_ci(&per_seed, level);
        let m = mean(&per_seed);
        let mut fractions: Vec<f64> = mine
            .iter()
            .flat_map(|r| r.outcome.noise_scale.iter().map(|p| p.fraction))
            .collect();
        fractions.sort_by(f64::total_cmp);
        fractions.dedup();
        let by_fraction = fractions
            .into_iter()
            .map(|f| {
                let v: Vec<f64> = mine
                    .iter()
                    .flat_map(|r| r.outcome.noise_scale.iter())
                    .filter(|p| p.fraction == f && p.noise.b_simple.is_finite())
                    .map(|p| p.noise.b_simple)
                    .collect();
                (f, if v.is_empty() { f64::NAN } else { mean(&v) })
            })
            .collect();
        out.push(CellNoise {
            batch_size: cell.name.clone(),
            lr,
            seeds: per_seed.len(),
            b_noise: m,
            ci_low: ci.low,
            ci_high: ci.high,
            by_fraction,
        });
    }
    out
}

fn names(levels: &[Level]) -> Vec<String> {
    levels.iter().map(|l| l.0.clone()).collect()
}

fn interaction(t: &Table) -> Interaction {
    let anova = rm_anova_two_way(&t.values, t.bss.len(), t.lrs.len())
        .expect("the table is seeds × batch sizes × learning rates");
    let effect = |term: &str, anova: AnovaTerm| Effect {
        term: term.into(),
        anova,
    };
    Interaction {
        metric: METRIC,
        method: "two-way repeated-measures ANOVA with seed as subject (both factors \
                 within-seed), Greenhouse–Geisser corrected"
            .into(),
        seeds: anova.subjects,
        dropped_seeds: anova.dropped_subjects,
        dropped_lrs: t.dropped_lrs.clone(),
        batch_sizes: names(&t.bss),
        lrs: names(&t.lrs),
        effects: vec![
            effect("batch_size", anova.a),
            effect("lr", anova.b),
            effect("batch_size:lr", anova.ab),
        ],
    }
}

fn scaling(t: &Table, level: f64) -> LrScaling {
    let log = |l: &[Level]| -> Vec<f64> { l.iter().map(|(_, v)| v.log10()).collect() };
    let options = PeakOptions {
        neighbours: NEIGHBOURS,
        level,
        resamples: RESAMPLES,
        seed: BOOTSTRAP_SEED,
    };
    // The grid as ragged cells (one stratum of seeds): the estimate of `peak_scaling`, with
    // its replicates for the scaling rules.
    let (xs, cs) = (log(&t.lrs), log(&t.bss));
    let (a, b) = (cs.len(), xs.len());
    let (rows, _) = crate::stats::complete_rows(&t.values, a * b);
    let cells: Vec<RaggedCell> = (0..a)
        .map(|i| RaggedCell {
            covariate: cs[i],
            xs: xs.clone(),
            values: rows
                .iter()
                .map(|r| r[i * b..(i + 1) * b].to_vec())
                .collect(),
        })
        .collect();
    let n = rows.len();
    let (mut fit, reps) = peak_scaling_ragged(&cells, &vec![0; n], n, &options);
    fit.dropped_subjects = t.seeds - n;
    let peaks: Vec<f64> = fit.peaks.iter().map(|p| p.x).collect();
    let models =
        crate::stats::scaling_rules::fit_rules(&cs, &peaks, &reps.peaks, None, 1.0 - level, level);
    let lr = |x: f64| 10f64.powf(x);
    let optima: Vec<LrOptimum> = t
        .bss
        .iter()
        .zip(&fit.peaks)
        .map(|((bs, _), p)| LrOptimum {
            batch_size: bs.clone(),
            lr_opt: lr(p.x),
            ci_low: lr(p.ci_low),
            ci_high: lr(p.ci_high),
            best_grid_lr: t.lrs.get(p.best).map(|l| l.0.clone()).unwrap_or_default(),
            at_edge: p.at_edge,
            edge_share: p.edge_share,
            tried: (
                t.lrs.first().map_or(f64::NAN, |l| l.1),
                t.lrs.last().map_or(f64::NAN, |l| l.1),
            ),
        })
        .collect();
    let any_at_edge = optima.iter().any(|o| o.at_edge);
    LrScaling {
        metric: METRIC,
        method: format!(
            "per batch size, the vertex of a quadratic in log10(lr) through the best grid \
             learning rate and its neighbours; k = least-squares slope of log10(lr_opt) on \
             log10(batch size); expanded-percentile bootstrap over seeds ({RESAMPLES} \
             resamples, a seed's cells resampled together)"
        ),
        level,
        resamples: RESAMPLES,
        seeds: fit.subjects,
        dropped_seeds: fit.dropped_subjects,
        dropped_lrs: t.dropped_lrs.clone(),
        lr_min: t.lrs.first().map_or(f64::NAN, |l| l.1),
        lr_max: t.lrs.last().map_or(f64::NAN, |l| l.1),
        optima,
        k: fit.slope,
        k_ci_low: fit.slope_ci_low,
        k_ci_high: fit.slope_ci_high,
        log10_intercept: fit.intercept,
        verdict: ScalingVerdict::of(fit.slope_ci_low, fit.slope_ci_high, any_at_edge),
        searched: false,
        models,
        noise: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The noise scale's reference learning rate is tried at every batch size and has the
    /// best mean over them, although another point is one batch size's best.
    #[test]
    fn the_reference_point_is_common_to_every_batch_size_and_best_on_average() {
        use crate::study::lr_search::{Cell, Point};
        let cell = |name: &str, points: &[(i32, f64)]| Cell {
            name: name.into(),
            covariate: name.parse::<f64>().unwrap().log10(),
            points: points
                .iter()
                .map(|&(j, v)| Point {
                    j,
                    values: vec![Some(v), Some(v + 0.2)],
                })
                .collect(),
        };
        let cells = [
            // 8 is 32's best, but 512 never tried it; 4 is the best on average.
            cell("32", &[(0, 60.0), (4, 69.0), (6, 70.0), (8, 71.0)]),
            cell("512", &[(0, 55.0), (4, 70.0), (6, 68.0), (12, 72.0)]),
        ];
        assert_eq!(reference_point(&cells), Some(4));
        let disjoint = [cell("32", &[(0, 60.0)]), cell("512", &[(4, 70.0)])];
        assert_eq!(reference_point(&disjoint), None);
    }
    use crate::report::analysis::tests::record;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    const BSS: [&str; 5] = ["32", "64", "128", "256", "512"];
    const LRS: [&str; 7] = ["1e-1", "3e-2", "1e-2", "3e-3", "1e-3", "3e-4", "1e-5"];

    /// Lab 1's `bs_x_lr` layout (batch size first, learning rates in the study's order).
    fn view() -> SweepView {
        let configs = BSS
            .iter()
            .flat_map(|bs| {
                LRS.iter().map(move |lr| ConfigView {
                    config_id: format!("bs={bs},lr={lr}"),
                    values: vec![bs.to_string(), lr.to_string()],
                })
            })
            .collect();
        SweepView {
            name: "bs_x_lr".into(),
            params: vec!["batch_size".into(), "lr".into()],
            configs,
            search: None,
        }
    }

    /// Test accuracy `0.70 − 0.03·(log10 lr − log10 lr*)²` with `lr* = 3e-3·(bs/128)^k`, plus
    /// seed noise (sd ≈ 0.3 pts), for `seeds` seeds.
    fn planted(k: f64, seeds: u64) -> Vec<TrialRecord> {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut out = Vec::new();
        for seed in 0..seeds {
            for bs in BSS {
                let opt = 3e-3f64.log10() + k * (bs.parse::<f64>().unwrap() / 128.0).log10();
                for lr in LRS {
                    let d = lr.parse::<f64>().unwrap().log10() - opt;
                    let noise = 0.005 * (rng.random::<f64>() - 0.5);
                    let acc = 0.70 - 0.03 * d * d + noise;
                    out.push(record(&format!("bs={bs},lr={lr}"), seed, acc, false));
                }
            }
        }
        out
    }

    #[test]
    fn a_planted_square_root_law_is_found_with_an_interaction() {
        let (i, l) = analyse(&view(), &planted(0.5, 10), 0.95, 0.65);
        let (i, l) = (i.unwrap(), l.unwrap());
        assert_eq!((i.seeds, i.dropped_seeds), (10, 0));
        assert_eq!(i.batch_sizes, BSS);
        assert_eq!(i.lrs.first().map(String::as_str), Some("1e-5"));
        let ab = &i.interaction().unwrap().anova;
        assert_eq!((ab.df1, ab.df2), (24.0, 216.0));
        assert!(ab.p_gg < 1e-6, "{ab:?}");
        assert!(l.k_ci_low < 0.5 && 0.5 < l.k_ci_high, "{l:?}");
        assert_eq!(l.verdict, ScalingVerdict::SquareRoot);
        for o in &l.optima {
            let planted = 3e-3 * (o.batch_size.parse::<f64>().unwrap() / 128.0).sqrt();
            assert!(o.ci_low < planted && planted < o.ci_high, "{o:?}");
            assert!(!o.at_edge);
        }
        assert_eq!((l.lr_min, l.lr_max), (1e-5, 1e-1));
    }

    #[test]
    fn a_constant_optimum_shows_no_scaling_and_at_the_edge_is_unresolved() {
        let (_, l) = analyse(&view(), &planted(0.0, 10), 0.95, 0.65);
        let l = l.unwrap();
        assert!(l.k_ci_low < 0.0 && 0.0 < l.k_ci_high, "{l:?}");
        assert_eq!(l.verdict, ScalingVerdict::BelowSquareRoot);
        // k = 3: at bs 512 the optimum (0.19) lies beyond the grid's 1e-1.
        let (_, l) = analyse(&view(), &planted(3.0, 10), 0.95, 0.65);
        let l = l.unwrap();
        assert!(l.optima[4].at_edge && l.optima[4].best_grid_lr == "1e-1");
        assert_eq!(l.verdict, ScalingVerdict::Unresolved);
    }

    #[test]
    fn diverged_cells_drop_their_seed_or_when_most_diverge_their_learning_rate() {
        let mut records = planted(0.5, 10);
        // Seed 3 diverges at bs 32, lr 3e-2: seed 3 is dropped.
        let id = "bs=32,lr=3e-2";
        records.retain(|r| !(r.config_id.as_deref() == Some(id) && r.outcome.seed == 3));
        records.push(record(id, 3, 0.0, true));
        // Every seed but one diverges at bs 512, lr 1e-1: that learning rate is dropped.
        let id = "bs=512,lr=1e-1";
        records.retain(|r| !(r.config_id.as_deref() == Some(id) && r.outcome.seed > 0));
        records.extend((1..10).map(|s| record(id, s, 0.0, true)));
        let (i, l) = analyse(&view(), &records, 0.95, 0.65);
        let (i, l) = (i.unwrap(), l.unwrap());
        assert_eq!((i.seeds, i.dropped_seeds), (9, 1));
        assert_eq!(i.dropped_lrs, ["1e-1"]);
        assert_eq!((l.seeds, l.dropped_seeds, l.lr_max), (9, 1, 3e-2));
        assert_eq!(i.lrs.len(), 6);
    }

    #[test]
    fn only_a_full_batch_size_by_learning_rate_product_is_analysed() {
        let records = planted(0.5, 3);
        let mut one = view();
        one.params = vec!["batch_size".into()];
        assert_eq!(analyse(&one, &records, 0.95, 0.65), (None, None));
        let mut other = view();
        other.params = vec!["batch_size".into(), "epochs".into()];
        assert_eq!(analyse(&other, &records, 0.95, 0.65), (None, None));
        let mut holes = view();
        holes.configs.remove(3);
        assert_eq!(analyse(&holes, &records, 0.95, 0.65), (None, None));
        // Parameters in the other order give the same analysis.
        let mut swapped = view();
        swapped.params.reverse();
        for c in &mut swapped.configs {
            c.values.reverse();
        }
        let a = analyse(&view(), &records, 0.95, 0.65);
        assert_eq!(analyse(&swapped, &records, 0.95, 0.65), a);
        // No trials: nothing to analyse.
        assert_eq!(analyse(&view(), &[], 0.95, 0.65), (None, None));
    }

    #[test]
    fn the_verdict_places_the_interval_against_both_rules() {
        use ScalingVerdict::*;
        let of = |lo, hi| ScalingVerdict::of(lo, hi, false);
        assert_eq!(of(0.3, 1.2), Both);
        assert_eq!(of(0.7, 1.2), Linear);
        assert_eq!(of(0.3, 0.8), SquareRoot);
        assert_eq!(of(-0.2, 0.4), BelowSquareRoot);
        assert_eq!(of(0.6, 0.9), Between);
        assert_eq!(of(1.1, 1.4), AboveLinear);
        assert_eq!(of(f64::NAN, f64::NAN), Unresolved);
        assert_eq!(ScalingVerdict::of(0.3, 0.8, true), Unresolved);
    }

    /// The new objects round-trip through JSON, and a sweep written before them (schema 1)
    /// still reads.
    #[test]
    fn sweep_reports_round_trip_and_old_ones_still_read() {
        use crate::report::analysis::{AnalysisOptions, SweepReport, analyse_sweep};
        let report = analyse_sweep(&view(), &planted(0.5, 3), &AnalysisOptions::default());
        assert!(report.interaction.is_some() && report.lr_scaling.is_some());
        let json = serde_json::to_value(&report).unwrap();
        assert!(json["interaction"]["effects"][2]["p_gg"].is_number());
        assert!(json["lr_scaling"]["optima"][0]["lr_opt"].is_number());
        let back: SweepReport = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back.lr_scaling, report.lr_scaling);
        let mut old = json;
        let map = old.as_object_mut().unwrap();
        map.remove("interaction");
        map.remove("lr_scaling");
        let old: SweepReport = serde_json::from_value(old).unwrap();
        assert!(old.interaction.is_none() && old.lr_scaling.is_none());
    }
}
