//! A learning-rate axis searched instead of listed: `lr = { search = "1e-5..1", points = 7 }`
//! in a sweep's `vary`, beside a list of batch sizes (or any other parameter).
//!
//! The axis lives on a lattice of eighth-decades (`10^(j/8)`, three significant digits:
//! 1, 1.33, 1.78, 2.37, 3.16, 4.22, 5.62, 7.5), so every learning rate a search can reach has a
//! stable config id and a value shared with other sweeps (1e-3, 3.16e-3, 1e-2, …).
//!
//! * **Stage 1** trains `points` learning rates `step` apart (default half a decade), centred
//!   in the bound `search = "LO..HI"` — with the study's seeds, like any sweep.
//! * **Stage 2**, for each value of the other axis (each batch size: a *cell*), moves the
//!   cell's points towards its optimum, from the cell's mean accuracies: while the best mean
//!   sits at the smallest or largest learning rate tried, one more point a `step` beyond it
//!   (up to the bound; not past a point where most seeds diverged) — a round of training per
//!   extension, at most [`MAX_EXTENSIONS`] rounds — then two points half a `step` either side
//!   of the best ([`refine`]), so that the quadratic through the best point and its
//!   neighbours is fitted close to the top.
//! * **Stage 3** spends a budget of trials (`budget`, or `--budget`) on more seeds where the
//!   optimum's interval is widest ([`allocate_seeds`]): a unit of seeds at a cell's best point
//!   and its two neighbours, to the cell whose interval a unit narrows most, until the budget
//!   is spent.
//!
//! Every decision is a pure function of the trials so far (same data and seeds ⇒ same stages),
//! so a rerun recomputes it and trains only what is missing; the stages are saved as
//! `lr_search.json` in the run directory (what each stage added, and why) for `status` and
//! the report, and each record carries its stage. The intervals of the optima and of the
//! exponent are bootstrap intervals over seeds conditional on the points chosen; their
//! coverage under this adaptive choice is checked by simulation (docs/report.md,
//! `examples/lr_search_simulation.rs`).

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The file name of the search's stages in a run directory.
pub const SEARCH_FILE: &str = "lr_search.json";
/// Lattice points per decade.
pub const PER_DECADE: i32 = 8;
/// Most extension rounds of stage 2.
pub const MAX_EXTENSIONS: usize = 3;

/// The learning rate of lattice point `j`: `10^(j/8)` rounded to three significant digits.
pub fn lattice_value(j: i32) -> f64 {
    let exact = 10f64.powf(j as f64 / PER_DECADE as f64);
    format!("{exact:.2e}")
        .parse()
        .expect("a formatted float parses")
}

/// The lattice point nearest to `lr` (in log scale).
pub fn lattice_index(lr: f64) -> i32 {
    (lr.log10() * PER_DECADE as f64).round() as i32
}

/// A searched learning-rate axis.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LrSearch {
    /// Lowest lattice point the search may reach.
    pub lo: i32,
    /// Highest lattice point the search may reach.
    pub hi: i32,
    /// Points of stage 1.
    pub points: usize,
    /// Lattice points between stage-1 points (4: half a decade).
    pub step: i32,
    /// Trials stage 3 may add (0: no stage 3).
    pub budget: usize,
}

impl LrSearch {
    /// Parses the `{ search = "LO..HI", points = N, step = DECADES, budget = TRIALS }` table
    /// of a sweep's `vary` (`at` names it in errors).
    pub fn parse(t: &toml::Table, at: &str) -> Result<LrSearch> {
        let bad = |m: String| Error::Usage(format!("{at}: {m}"));
        for k in t.keys() {
            if !["search", "points", "step", "budget"].contains(&k.as_str()) {
                return Err(bad(format!(
                    "unknown key '{k}' (search, points, step, budget)"
                )));
            }
        }
        let range = t
            .get("search")
            .and_then(|v| v.as_str())
            .ok_or_else(|| bad("expected search = \"LO..HI\" (e.g. \"1e-5..1\")".into()))?;
        let (lo, hi) = range
            .split_once("..")
            .and_then(|(a, b)| Some((a.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?)))
            .filter(|(a, b)| a.is_finite() && b.is_finite() && *a > 0.0 && a < b)
            .ok_or_else(|| {
                bad(format!(
                    "search = \"{range}\": expected \"LO..HI\" with 0 < LO < HI (e.g. \"1e-5..1\")"
                ))
            })?;
        let int = |key: &str, default: i64, min: i64, max: i64| -> Result<i64> {
            match t.get(key) {
                None => Ok(default),
                Some(v) => v
                    .as_integer()
                    .filter(|n| (min..=max).contains(n))
                    .ok_or_else(|| bad(format!("{key} must be an integer in {min}..={max}"))),
            }
        };
        let points = int("points", 7, 3, 25)? as usize;
        let step = match t.get("step") {
            None => 4,
            Some(v) => {
                let decades = v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
                match decades.map(|d| d * PER_DECADE as f64) {
                    Some(e) if (e - e.round()).abs() < 1e-9 && (1.0..=16.0).contains(&e) => {
                        e.round() as i32
                    }
                    _ => {
                        return Err(bad(
                            "step must be a multiple of 1/8 decade from 0.125 to 2 (e.g. 0.5)"
                                .into(),
                        ));
                    }
                }
            }
        };
        let budget = int("budget", 0, 0, 1_000_000)? as usize;
        let (lo, hi) = (
            (lo.log10() * PER_DECADE as f64).ceil() as i32,
            (hi.log10() * PER_DECADE as f64).floor() as i32,
        );
        let span = (points as i32 - 1) * step;
        if hi - lo < span {
            return Err(bad(format!(
                "search = \"{range}\" spans less than the {points} points {} decades apart \
                 ({} decades): widen the range or use fewer points",
                step as f64 / PER_DECADE as f64,
                span as f64 / PER_DECADE as f64
            )));
        }
        Ok(LrSearch {
            lo,
            hi,
            points,
            step,
            budget,
        })
    }

    /// Stage 1's lattice points: `points` of them `step` apart, centred in the bound.
    pub fn grid(&self) -> Vec<i32> {
        let span = (self.points as i32 - 1) * self.step;
        let first = self.lo + (self.hi - self.lo - span) / 2;
        (0..self.points as i32)
            .map(|k| first + k * self.step)
            .collect()
    }

    /// The rule of stages 2 and 3, in words (for `--dry-run` and the report).
    pub fn describe(&self) -> String {
        let d = |j: i32| format!("{:e}", lattice_value(j));
        format!(
            "learning rate searched in {}..{}: stage 1 trains {} points {} decades apart \
             ({}..{}); stage 2 extends a batch size's points while its best mean sits at an end \
             (a {}-decade step, up to the bound, at most {MAX_EXTENSIONS} rounds), then adds two \
             points {} decades either side of its best; stage 3 spends {} on more seeds where \
             the optimum's interval is widest",
            d(self.lo),
            d(self.hi),
            self.points,
            self.step as f64 / PER_DECADE as f64,
            d(self.grid()[0]),
            d(*self.grid().last().expect("points >= 3")),
            self.step as f64 / PER_DECADE as f64,
            self.step as f64 / (2 * PER_DECADE) as f64,
            match self.budget {
                0 => "no trials (no budget)".to_string(),
                b => format!("up to {b} trials"),
            }
        )
    }
}

/// What one learning rate of a cell has shown so far: per seed, the metric (accuracy) or
/// `None` for a diverged seed.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Lattice point.
    pub j: i32,
    /// Per-seed values; `None`: diverged.
    pub values: Vec<Option<f64>>,
}

impl Point {
    /// Mean of the seeds that did not diverge; NaN when none.
    pub fn mean(&self) -> f64 {
        let v: Vec<f64> = self.values.iter().flatten().copied().collect();
        if v.is_empty() {
            f64::NAN
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    }

    /// More than half of the seeds diverged.
    pub fn mostly_diverged(&self) -> bool {
        2 * self.values.iter().filter(|v| v.is_none()).count() > self.values.len()
    }
}

/// The best point of a cell (highest mean; the smaller learning rate on ties), by index.
fn best(points: &[Point]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, p) in points.iter().enumerate() {
        let m = p.mean();
        if m.is_finite() && best.is_none_or(|b| m > points[b].mean()) {
            best = Some(i);
        }
    }
    best
}

/// Stage 2's extension for one cell (points in ascending order): the lattice point a `step`
/// beyond the end where the best mean sits, when that end is not the bound and has not mostly
/// diverged; `None` when the best is inside.
pub fn extend(axis: &LrSearch, points: &[Point]) -> Option<i32> {
    let b = best(points)?;
    let (first, last) = (points.first()?, points.last()?);
    if b == 0 && first.j > axis.lo && !first.mostly_diverged() {
        Some((first.j - axis.step).max(axis.lo))
    } else if b == points.len() - 1 && last.j < axis.hi && !last.mostly_diverged() {
        Some((last.j + axis.step).min(axis.hi))
    } else {
        None
    }
}

/// Stage 2's refinement for one cell: the lattice points half a `step` either side of the best
/// one, within the bound and not tried yet (none when half a step is under one lattice point).
pub fn refine(axis: &LrSearch, points: &[Point]) -> Vec<i32> {
    let half = axis.step / 2;
    let Some(b) = best(points) else {
        return Vec::new();
    };
    if half == 0 {
        return Vec::new();
    }
    let j = points[b].j;
    [j - half, j + half]
        .into_iter()
        .filter(|&k| k >= axis.lo && k <= axis.hi && !points.iter().any(|p| p.j == k))
        .collect()
}

/// A cell of a searched sweep: one value of the other axis (a batch size), with its points so
/// far in ascending order. Seed `s` of every point is `values[s]` (points that stage 3 gave
/// more seeds have longer rows).
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// The other axis's value, as written (`64`).
    pub name: String,
    /// Its covariate for the exponent: log10 of the value.
    pub covariate: f64,
    /// The learning rates tried, ascending.
    pub points: Vec<Point>,
}

/// Grid points either side of the best one that the quadratic is fitted to.
pub const NEIGHBOURS: usize = 1;
/// Bootstrap resamples of the estimate.
pub const RESAMPLES: usize = 2000;
/// Seed of the estimate's bootstrap stream.
pub const BOOTSTRAP_SEED: u64 = 18;

/// Share of the local point spacing by which each optimum's interval is widened on either side
/// (see [`estimate`]).
pub const SHAPE_ALLOWANCE: f64 = 0.25;

/// Every cell's optimum (log10 learning rate) and the exponent, with bootstrap intervals over
/// seeds (the report's estimate, and stage 3's guide): see
/// [`peak_scaling_ragged`](crate::stats::peak_scaling_ragged), with the seeds stratified by
/// the points they were trained at.
///
/// Each optimum's interval is then widened on either side by [`SHAPE_ALLOWANCE`] of the mean
/// spacing between its best point and the two neighbours the quadratic is fitted to. A
/// symmetric quadratic through three points of an asymmetric top (accuracy falls off a cliff
/// above the optimum and slopes gently below it) puts the vertex towards the gentle side by
/// `h·(r − 1)/(2(r + 1))` when the middle point sits at the top and the curvatures differ by
/// `r`: a quarter of the spacing `h` for `r = 3`. The bootstrap sees the noise, not this shift;
/// without the allowance the simulated coverage of planted optima was about 70%, with it
/// 93–95% (docs/report.md). The exponent's interval needs none: the shift is common to every
/// batch size and cancels in the slope.
pub fn estimate(
    cells: &[Cell],
    level: f64,
) -> (crate::stats::PeakScaling, crate::stats::Replicates) {
    let seeds = cells
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.values.len()))
        .max()
        .unwrap_or(0);
    // A seed's stratum: the points it was trained at (the study's seeds: everywhere; a seed
    // stage 3 added: where it added it).
    let mut patterns: Vec<Vec<bool>> = Vec::new();
    let strata: Vec<usize> = (0..seeds)
        .map(|s| {
            let pattern: Vec<bool> = cells
                .iter()
                .flat_map(|c| c.points.iter().map(move |p| s < p.values.len()))
                .collect();
            match patterns.iter().position(|p| *p == pattern) {
                Some(k) => k,
                None => {
                    patterns.push(pattern);
                    patterns.len() - 1
                }
            }
        })
        .collect();
    let everywhere = cells
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.values.len()))
        .min()
        .unwrap_or(0);
    let ragged: Vec<crate::stats::RaggedCell> = cells
        .iter()
        .map(|c| crate::stats::RaggedCell {
            covariate: c.covariate,
            xs: c
                .points
                .iter()
                .map(|p| p.j as f64 / PER_DECADE as f64)
                .collect(),
            values: (0..seeds)
                .map(|s| {
                    c.points
                        .iter()
                        .map(|p| p.values.get(s).copied().flatten().unwrap_or(f64::NAN))
                        .collect()
                })
                .collect(),
        })
        .collect();
    let options = crate::stats::PeakOptions {
        neighbours: NEIGHBOURS,
        level,
        resamples: RESAMPLES,
        seed: BOOTSTRAP_SEED,
    };
    let (mut fit, reps) = crate::stats::peak_scaling_ragged(&ragged, &strata, everywhere, &options);
    for (peak, cell) in fit.peaks.iter_mut().zip(cells) {
        let xs: Vec<f64> = cell
            .points
            .iter()
            .map(|p| p.j as f64 / PER_DECADE as f64)
            .collect();
        if peak.best < xs.len() {
            let lo = xs[peak.best.saturating_sub(NEIGHBOURS)];
            let hi = xs[(peak.best + NEIGHBOURS).min(xs.len() - 1)];
            let gaps = usize::from(peak.best > 0) + usize::from(peak.best + 1 < xs.len());
            let spacing = if gaps == 0 {
                0.0
            } else {
                (hi - lo) / gaps as f64
            };
            peak.ci_low -= SHAPE_ALLOWANCE * spacing;
            peak.ci_high += SHAPE_ALLOWANCE * spacing;
        }
    }
    (fit, reps)
}

/// Stage 3's decision: from the estimate of `cells` (the stage-1 and stage-2 trials, every
/// point with the study's seeds), the width of each cell's optimum interval and its best point
/// with the two neighbours, then [`allocate_seeds`] of `budget` trials in units of `unit`
/// seeds. Returns, per cell, the points that get more seeds and how many seeds each then has
/// in all (none for a cell that gets none).
pub fn stage_three(
    cells: &[Cell],
    budget: usize,
    unit: usize,
    level: f64,
) -> Vec<(Vec<i32>, usize)> {
    let (fit, _) = estimate(cells, level);
    let intervals: Vec<CellInterval> = cells
        .iter()
        .zip(&fit.peaks)
        .map(|(c, p)| {
            let seeds = c.points.iter().map(|p| p.values.len()).min().unwrap_or(0);
            let at = p.best.min(c.points.len().saturating_sub(1));
            let lo = at.saturating_sub(NEIGHBOURS);
            let hi = (at + NEIGHBOURS + 1).min(c.points.len());
            let width = if p.ci_high.is_finite() && p.ci_low.is_finite() {
                p.ci_high - p.ci_low
            } else {
                f64::INFINITY
            };
            CellInterval {
                cell: c.name.clone(),
                width,
                seeds,
                points: c.points[lo..hi].iter().map(|p| p.j).collect(),
            }
        })
        .collect();
    allocate_seeds(&intervals, budget, unit)
        .into_iter()
        .zip(intervals)
        .map(|(added, i)| {
            if added == 0 {
                (Vec::new(), 0)
            } else {
                (i.points, i.seeds + added)
            }
        })
        .collect()
}

/// One cell's current optimum interval, for stage 3.
#[derive(Debug, Clone, PartialEq)]
pub struct CellInterval {
    /// The cell (the other axis's value, as written).
    pub cell: String,
    /// Width of the optimum's interval, in decades (infinite when it could not be estimated).
    pub width: f64,
    /// Seeds per point now.
    pub seeds: usize,
    /// The lattice points a unit of seeds goes to: the best and its two neighbours.
    pub points: Vec<i32>,
}

/// Stage 3: units of `unit` more seeds to the cells whose interval they narrow most (the
/// width predicted to shrink as `1/√n`), each unit costing `unit` trials per point, until
/// `budget` trials are spent. Returns the seeds added per cell (cells in input order).
pub fn allocate_seeds(cells: &[CellInterval], budget: usize, unit: usize) -> Vec<usize> {
    let mut added = vec![0usize; cells.len()];
    let mut left = budget;
    let unit = unit.max(1);
    loop {
        // An interval that could not be estimated counts as very wide.
        let predicted = |i: usize, extra: usize| {
            let n = cells[i].seeds as f64;
            cells[i].width.min(1e9) * (n / (n + extra as f64)).sqrt()
        };
        let pick = (0..cells.len())
            .filter(|&i| cells[i].points.len() * unit <= left && cells[i].seeds > 0)
            .max_by(|&a, &b| {
                let gain = |i| predicted(i, added[i]) - predicted(i, added[i] + unit);
                gain(a).total_cmp(&gain(b)).then(b.cmp(&a))
            });
        let Some(i) = pick else {
            return added;
        };
        let gain = predicted(i, added[i]) - predicted(i, added[i] + unit);
        if gain.is_nan() || gain <= 0.0 {
            return added;
        }
        added[i] += unit;
        left -= cells[i].points.len() * unit;
    }
}

/// A cell of a searched sweep in a plan: the other parameter's value, its log10 (the
/// covariate of the exponent; 0 when not a number) and the cell's configurations (indices
/// into the plan), ascending in learning rate.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchedCell {
    /// The other varied parameter's value, as a config id writes it (`64`); empty when the
    /// learning rate is varied alone.
    pub name: String,
    /// log10 of the value.
    pub covariate: f64,
    /// Its configurations, ascending in learning rate.
    pub configs: Vec<usize>,
}

/// A searched sweep of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchedSweep {
    /// The sweep.
    pub sweep: String,
    /// Its learning-rate axis.
    pub axis: LrSearch,
    /// The other varied parameter, if any (`batch_size`).
    pub other: Option<String>,
    /// Its cells, in plan order.
    pub cells: Vec<SearchedCell>,
}

/// What one stage added to one cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Addition {
    /// The round of training that trained it (stage 1 is round 1; each decision after it
    /// trains one more round).
    pub round: usize,
    /// The stage (2: extension or refinement; 3: seeds).
    pub stage: u8,
    /// Learning rates added (stage 2) or given more seeds (stage 3).
    pub lrs: Vec<f64>,
    /// Seeds per learning rate after this addition (stage 3), else the study's.
    pub seeds: usize,
    /// Why, in words.
    pub reason: String,
}

impl Addition {
    /// What was added, in words: `lr 1e-2, 3e-3` (stage 2) or `6 seeds at lr 1e-2` (stage 3).
    pub fn describe(&self) -> String {
        let lrs: Vec<String> = self.lrs.iter().map(|l| format!("{l:e}")).collect();
        if self.stage == 3 {
            format!("{} seeds at lr {}", self.seeds, lrs.join(", "))
        } else {
            format!("lr {}", lrs.join(", "))
        }
    }
}

/// The stages of one searched sweep, cell by cell.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SweepSearch {
    /// The axis.
    pub axis: Option<LrSearch>,
    /// Per cell (the other axis's value as written, e.g. `64`), in order of decision.
    pub cells: BTreeMap<String, Vec<Addition>>,
}

/// Every searched sweep's stages: `lr_search.json`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SearchState {
    /// Per sweep name.
    pub sweeps: BTreeMap<String, SweepSearch>,
}

/// One decision of a search after stage 1, in the order a run takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Stage 2: one more point where a cell's best mean sits at an end ([`extend`]).
    Extend,
    /// Stage 2: points half a step either side of each cell's best ([`refine`]).
    Refine,
    /// Stage 3: more seeds where the optimum's interval is widest ([`stage_three`]).
    Seeds,
}

impl Step {
    /// The steps of a search after stage 1: up to [`MAX_EXTENSIONS`] extensions (a run stops
    /// extending after one that adds nothing), a refinement, the seeds.
    pub fn sequence() -> Vec<Step> {
        let mut steps = vec![Step::Extend; MAX_EXTENSIONS];
        steps.extend([Step::Refine, Step::Seeds]);
        steps
    }

    /// The stage a step's trials are tagged with.
    pub fn stage(self) -> u8 {
        match self {
            Step::Extend | Step::Refine => 2,
            Step::Seeds => 3,
        }
    }
}

impl SearchState {
    /// What round `round` added: (sweep, cell, addition), cells in numeric order.
    pub fn round(&self, round: usize) -> Vec<(String, String, Addition)> {
        let mut out = Vec::new();
        for (sweep, s) in &self.sweeps {
            let mut cells: Vec<(&String, &Vec<Addition>)> = s.cells.iter().collect();
            cells.sort_by(|a, b| match (a.0.parse::<f64>(), b.0.parse::<f64>()) {
                (Ok(x), Ok(y)) => x.total_cmp(&y),
                _ => a.0.cmp(b.0),
            });
            for (cell, adds) in cells {
                for a in adds.iter().filter(|a| a.round == round) {
                    out.push((sweep.clone(), cell.clone(), a.clone()));
                }
            }
        }
        out
    }

    /// Saves the state as [`SEARCH_FILE`] in `dir`.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).expect("serialisable");
        crate::jsonfile::write_replace(&dir.join(SEARCH_FILE), text.as_bytes())
    }

    /// Loads [`SEARCH_FILE`] from `dir`, if there is one.
    pub fn load(dir: &Path) -> Result<Option<SearchState>> {
        crate::jsonfile::read_if_exists(&dir.join(SEARCH_FILE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(text: &str) -> LrSearch {
        let t: toml::Table = text.parse().unwrap();
        LrSearch::parse(&t, "sweep.s.vary.lr").unwrap()
    }

    fn pts(means: &[(i32, f64)]) -> Vec<Point> {
        means
            .iter()
            .map(|&(j, m)| Point {
                j,
                values: vec![Some(m - 0.01), Some(m + 0.01)],
            })
            .collect()
    }

    #[test]
    fn the_lattice_has_stable_three_digit_values() {
        let v: Vec<f64> = (0..8).map(lattice_value).collect();
        assert_eq!(v, [1.0, 1.33, 1.78, 2.37, 3.16, 4.22, 5.62, 7.5]);
        assert_eq!(lattice_value(-24), 1e-3);
        assert_eq!(lattice_value(-20), 3.16e-3);
        assert_eq!(lattice_value(-40), 1e-5);
        for j in -48..8 {
            assert_eq!(lattice_index(lattice_value(j)), j);
        }
    }

    #[test]
    fn stage_one_is_centred_half_decades() {
        let a = axis("search = \"1e-5..1\"\npoints = 7");
        assert_eq!((a.lo, a.hi, a.step, a.budget), (-40, 0, 4, 0));
        let lrs: Vec<f64> = a.grid().into_iter().map(lattice_value).collect();
        assert_eq!(lrs, [1e-4, 3.16e-4, 1e-3, 3.16e-3, 1e-2, 3.16e-2, 1e-1]);
        assert!(
            a.describe()
                .contains("stage 1 trains 7 points 0.5 decades apart")
        );
        let fine = axis("search = \"1e-4..1e-2\"\npoints = 5\nstep = 0.25\nbudget = 100");
        assert_eq!(fine.grid(), [-28, -26, -24, -22, -20]);
        assert_eq!(fine.budget, 100);
    }

    #[test]
    fn bad_axes_name_what_is_wrong() {
        let err = |text: &str| {
            let t: toml::Table = text.parse().unwrap();
            LrSearch::parse(&t, "sweep.s.vary.lr")
                .unwrap_err()
                .to_string()
        };
        assert!(err("search = \"1..1e-5\"").contains("0 < LO < HI"));
        assert!(err("search = \"x\"").contains("LO..HI"));
        assert!(err("points = 7").contains("expected search"));
        assert!(err("search = \"1e-3..1e-2\"\npoints = 7").contains("spans less"));
        assert!(err("search = \"1e-5..1\"\nstep = 0.3").contains("multiple of 1/8"));
        assert!(err("search = \"1e-5..1\"\nwidth = 1").contains("unknown key 'width'"));
        assert!(err("search = \"1e-5..1\"\npoints = 2").contains("points must be"));
    }

    #[test]
    fn extension_follows_the_best_mean_to_the_bound() {
        let a = axis("search = \"1e-5..1\"\npoints = 3");
        // Best at the top end: one step up.
        assert_eq!(
            extend(&a, &pts(&[(-24, 0.5), (-20, 0.6), (-16, 0.7)])),
            Some(-12)
        );
        // At the bottom: one step down.
        assert_eq!(
            extend(&a, &pts(&[(-24, 0.7), (-20, 0.6), (-16, 0.5)])),
            Some(-28)
        );
        // Inside: none.
        assert_eq!(
            extend(&a, &pts(&[(-24, 0.5), (-20, 0.7), (-16, 0.6)])),
            None
        );
        // At the bound: none; a step past it is clipped to it.
        assert_eq!(extend(&a, &pts(&[(-8, 0.5), (-4, 0.6), (0, 0.7)])), None);
        assert_eq!(
            extend(&a, &pts(&[(-10, 0.5), (-6, 0.6), (-2, 0.7)])),
            Some(0)
        );
        // An end where most seeds diverged is not extended past.
        let mut p = pts(&[(-24, 0.5), (-20, 0.6), (-16, 0.7)]);
        p[2].values = vec![Some(0.7), None, None];
        assert_eq!(extend(&a, &p), None);
    }

    #[test]
    fn refinement_adds_half_steps_around_the_best() {
        let a = axis("search = \"1e-5..1\"\npoints = 3");
        let p = pts(&[(-24, 0.5), (-20, 0.7), (-16, 0.6)]);
        assert_eq!(refine(&a, &p), [-22, -18]);
        // Already tried, or outside the bound: left out.
        let p = pts(&[(-4, 0.5), (-2, 0.55), (0, 0.7)]);
        assert_eq!(refine(&a, &p), Vec::<i32>::new());
        let a8 = axis("search = \"1e-5..1\"\npoints = 3\nstep = 0.125");
        assert!(refine(&a8, &pts(&[(-24, 0.5), (-23, 0.7), (-22, 0.6)])).is_empty());
    }

    #[test]
    fn seeds_go_where_the_interval_is_widest() {
        let cell = |name: &str, width: f64| CellInterval {
            cell: name.into(),
            width,
            seeds: 10,
            points: vec![-22, -20, -18],
        };
        let cells = [cell("32", 0.8), cell("64", 0.2), cell("128", 0.4)];
        // 5 seeds at 3 points = 15 trials a unit; 60 trials: 4 units.
        let added = allocate_seeds(&cells, 60, 5);
        assert_eq!(added.iter().sum::<usize>(), 20);
        assert!(added[0] > added[2] && added[2] >= added[1], "{added:?}");
        assert_eq!(allocate_seeds(&cells, 14, 5), [0, 0, 0]);
        let infinite = [cell("32", f64::INFINITY), cell("64", 0.5)];
        assert_eq!(allocate_seeds(&infinite, 15, 5), [5, 0]);
    }
}
