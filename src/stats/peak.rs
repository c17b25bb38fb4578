//! Where a response curve peaks along one factor (B, on a numeric axis `x`), for each level of
//! another factor (A, with a numeric covariate `c`), and how fast the peak moves with `c`: the
//! slope of `peak(c)` against `c`, with seeded bootstrap intervals over subjects.
//!
//! For trainbench: B is log10(learning rate), A is batch size with `c = log10(batch size)`, a
//! subject is a seed, and the slope is the exponent `k` in `optimal lr ∝ batch size^k`.
//!
//! The peak of one curve is the vertex of a quadratic fitted by least squares to the grid
//! points within `window` of the best grid point (in `x` units), clamped to those points'
//! range: a local fit, because a response such as accuracy against log learning rate is only
//! parabola-shaped near its top (it plateaus far below the optimum and falls off a cliff above).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::StatsError;
use super::anova::{check_shape, complete_rows};
use super::summary::quantile_sorted;

/// The peak of one curve, as [`quadratic_peak`] finds it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Peak {
    /// Position of the peak on the `x` axis.
    pub x: f64,
    /// Index of the best grid point (highest `y`).
    pub best: usize,
    /// True when the peak lies at the smallest or largest `x` of the grid: the true peak may
    /// lie beyond it.
    pub at_edge: bool,
}

/// The peak of the curve `ys` over the grid `xs` (any order; points with a NaN `x` or `y` are
/// left out): the vertex of the least-squares quadratic through the best grid point and its
/// `neighbours` nearest grid points on either side (fewer at an end of the grid), clamped to
/// their range. With fewer than 3 points, or a fit that is not concave, the peak is the best
/// grid point itself. `None` when no point is finite or the lengths differ.
pub fn quadratic_peak(xs: &[f64], ys: &[f64], neighbours: usize) -> Option<Peak> {
    if xs.len() != ys.len() {
        return None;
    }
    let mut pts: Vec<(usize, f64, f64)> = xs
        .iter()
        .zip(ys)
        .enumerate()
        .filter(|(_, (x, y))| x.is_finite() && y.is_finite())
        .map(|(i, (&x, &y))| (i, x, y))
        .collect();
    pts.sort_by(|p, q| p.1.total_cmp(&q.1));
    // The first of equal maxima (in x order).
    let at = pts
        .iter()
        .enumerate()
        .fold(None, |acc: Option<usize>, (k, p)| match acc {
            Some(b) if pts[b].2 >= p.2 => Some(b),
            _ => Some(k),
        })?;
    let (best, xb) = (pts[at].0, pts[at].1);
    let near = &pts[at.saturating_sub(neighbours)..(at + neighbours + 1).min(pts.len())];
    let t: Vec<(f64, f64)> = near.iter().map(|&(_, x, y)| (x - xb, y)).collect();
    let (lo, hi) = (t[0].0, t[t.len() - 1].0);
    let x = match (t.len() >= 3).then(|| quadratic_fit(&t)).flatten() {
        Some([_, c1, c2]) if c2 < 0.0 => xb + (-c1 / (2.0 * c2)).clamp(lo, hi),
        _ => xb,
    };
    let (grid_lo, grid_hi) = (pts[0].1, pts[pts.len() - 1].1);
    let tol = 1e-9 * (grid_hi - grid_lo).abs().max(1.0);
    Some(Peak {
        x,
        best,
        at_edge: x <= grid_lo + tol || x >= grid_hi - tol,
    })
}

/// Least-squares `y = c0 + c1·t + c2·t²` through `(t, y)` points (normal equations, solved by
/// Cramer's rule; `t` is centred on the best point, so they are well conditioned). `None` when
/// the points do not determine a parabola (fewer than 3 distinct `t`).
fn quadratic_fit(pts: &[(f64, f64)]) -> Option<[f64; 3]> {
    let mut s = [0.0f64; 5]; // Σ t^k, k = 0..4
    let mut r = [0.0f64; 3]; // Σ y·t^k, k = 0..2
    for &(t, y) in pts {
        let mut p = 1.0;
        for (k, sk) in s.iter_mut().enumerate() {
            *sk += p;
            if k < 3 {
                r[k] += y * p;
            }
            p *= t;
        }
    }
    let m = [[s[0], s[1], s[2]], [s[1], s[2], s[3]], [s[2], s[3], s[4]]];
    let det3 = |m: &[[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det3(&m);
    if d.abs() <= 1e-12 * s[0] * s[4].max(1e-300) || !d.is_finite() {
        return None;
    }
    let mut c = [0.0; 3];
    for (col, ck) in c.iter_mut().enumerate() {
        let mut mc = m;
        for row in 0..3 {
            mc[row][col] = r[row];
        }
        *ck = det3(&mc) / d;
    }
    Some(c)
}

/// Settings of [`peak_scaling`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PeakOptions {
    /// Grid points either side of the best one that the quadratic is fitted to.
    pub neighbours: usize,
    /// Confidence level of the percentile intervals.
    pub level: f64,
    /// Bootstrap resamples.
    pub resamples: usize,
    /// Seed of the bootstrap's random stream.
    pub seed: u64,
}

/// The peak of one level of A, with its bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeakEstimate {
    /// The peak of the curve of subject means.
    pub x: f64,
    /// Lower end of the percentile interval.
    pub ci_low: f64,
    /// Upper end of the percentile interval.
    pub ci_high: f64,
    /// Index (into `xs`) of the best grid point of the subject means.
    pub best: usize,
    /// The estimate lies at the edge of the grid.
    pub at_edge: bool,
    /// Share of bootstrap replicates whose peak lies at the edge of the grid.
    pub edge_share: f64,
}

/// The result of [`peak_scaling`].
#[derive(Debug, Clone, PartialEq)]
pub struct PeakScaling {
    /// Subjects used (complete: a value in every cell).
    pub subjects: usize,
    /// Subjects dropped because at least one of their cells was NaN.
    pub dropped_subjects: usize,
    /// One per level of A, in input order.
    pub peaks: Vec<PeakEstimate>,
    /// Least-squares slope of the peaks against the covariate.
    pub slope: f64,
    /// Lower end of the slope's percentile interval.
    pub slope_ci_low: f64,
    /// Upper end of the slope's percentile interval.
    pub slope_ci_high: f64,
    /// Intercept of that line: `peak ≈ intercept + slope·c`.
    pub intercept: f64,
}

/// Hesterberg's expanded percentile: the tail probability `α'` whose normal quantile matches
/// Student's t quantile with `n − 1` df scaled by `√(n/(n−1))`, i.e.
/// `α'/2 = Φ(−√(n/(n−1))·t_{(1+level)/2, n−1})`. It corrects the percentile interval's
/// narrowness in small samples (the bootstrap's plug-in variance is biased by `(n−1)/n`, and
/// the normal tails are too light for a t-shaped statistic).
pub(crate) fn expanded_alpha(level: f64, n: usize) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    if n < 2 {
        return 1.0 - level;
    }
    let nf = n as f64;
    let Ok(z) = Normal::new(0.0, 1.0) else {
        return 1.0 - level;
    };
    let q = super::t_inverse_cdf(nf - 1.0, (1.0 + level) / 2.0) * (nf / (nf - 1.0)).sqrt();
    2.0 * z.cdf(-q)
}

/// Least-squares line `y = intercept + slope·c`; NaN without two distinct `c`.
fn line(c: &[f64], y: &[f64]) -> (f64, f64) {
    let n = c.len() as f64;
    let (mc, my) = (c.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxx: f64 = c.iter().map(|v| (v - mc) * (v - mc)).sum();
    let sxy: f64 = c.iter().zip(y).map(|(u, v)| (u - mc) * (v - my)).sum();
    if sxx <= 0.0 || c.len() < 2 {
        return (f64::NAN, f64::NAN);
    }
    let slope = sxy / sxx;
    (slope, my - slope * mc)
}

/// Peaks of every level of A from the cell means `means[i·b + j]`.
fn peaks_of(means: &[f64], xs: &[f64], neighbours: usize) -> Vec<Option<Peak>> {
    means
        .chunks(xs.len())
        .map(|ys| quadratic_peak(xs, ys, neighbours))
        .collect()
}

/// Peaks of the response along `xs` (factor B) for each level of factor A, and the slope of
/// those peaks against A's `covariate`, with percentile-bootstrap intervals over subjects.
///
/// `values` is laid out as for [`rm_anova_two_way`](super::rm_anova_two_way): subject `s`,
/// A level `i`, B level `j` at `values[(s·a + i)·b + j]`, with `a = covariate.len()` and
/// `b = xs.len()`. Subjects with any NaN cell are dropped (listwise, as the ANOVA does).
///
/// Point estimates come from the cell means over the subjects. Each of the `resamples`
/// replicates draws `n` subjects with replacement (`ChaCha8Rng::seed_from_u64(seed)`,
/// `random_range(0..n)`) — a subject's whole row of cells together, so the correlation
/// between its cells (a seed that is lucky at one batch size is lucky at another) is kept —
/// and recomputes every peak and the slope. Intervals are Hesterberg's *expanded percentile*
/// intervals: the `α'/2` and `1 − α'/2` quantiles of the replicates (linear interpolation),
/// with `α'` from [`expanded_alpha`] rather than `1 − level` — with 10 seeds at 95% that is
/// the 0.85% and 99.15% quantiles. (Hesterberg 2015, "What teachers should know about the
/// bootstrap", *Am. Stat.* 69(4); the plain percentile interval covered the planted exponent
/// in only 90–93% of simulated 10-seed studies, the expanded one in 94–98%: see
/// docs/report.md.) Deterministic for a given `seed`.
///
/// Fewer than 2 subjects gives NaN intervals (a single subject has no resampling variance to
/// show); fewer than 2 distinct covariates gives a NaN slope.
///
/// # Errors
/// [`StatsError::Shape`] when `values.len()` is not a multiple of `a·b` (or `a·b = 0`).
pub fn peak_scaling(
    values: &[f64],
    covariate: &[f64],
    xs: &[f64],
    options: &PeakOptions,
) -> Result<PeakScaling, StatsError> {
    let (a, b) = (covariate.len(), xs.len());
    check_shape(values, a, b)?;
    let (rows, dropped) = complete_rows(values, a * b);
    let n = rows.len();
    let cell_means = |pick: &[usize]| -> Vec<f64> {
        (0..a * b)
            .map(|c| pick.iter().map(|&s| rows[s][c]).sum::<f64>() / pick.len() as f64)
            .collect()
    };
    let xs_of = |p: &[Option<Peak>]| -> Vec<f64> {
        p.iter().map(|p| p.map_or(f64::NAN, |p| p.x)).collect()
    };
    let all: Vec<usize> = (0..n).collect();
    let point = if n > 0 {
        peaks_of(&cell_means(&all), xs, options.neighbours)
    } else {
        vec![None; a]
    };
    let (slope, intercept) = line(covariate, &xs_of(&point));

    let level_ok = options.level > 0.0 && options.level < 1.0;
    let replicates = if n >= 2 && level_ok {
        options.resamples
    } else {
        0
    };
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let mut peak_reps: Vec<Vec<f64>> = vec![Vec::with_capacity(replicates); a];
    let mut edges = vec![0usize; a];
    let mut slope_reps = Vec::with_capacity(replicates);
    let mut pick = vec![0usize; n];
    for _ in 0..replicates {
        for p in pick.iter_mut() {
            *p = rng.random_range(0..n);
        }
        let peaks = peaks_of(&cell_means(&pick), xs, options.neighbours);
        for (i, p) in peaks.iter().enumerate() {
            peak_reps[i].push(p.map_or(f64::NAN, |p| p.x));
            edges[i] += usize::from(p.is_some_and(|p| p.at_edge));
        }
        slope_reps.push(line(covariate, &xs_of(&peaks)).0);
    }
    let alpha = expanded_alpha(options.level, n);
    let peaks = point
        .iter()
        .zip(peak_reps)
        .zip(edges)
        .map(|((p, reps), e)| peak_estimate(*p, percentile_interval(reps, alpha), e, replicates))
        .collect();
    let (slope_ci_low, slope_ci_high) = percentile_interval(slope_reps, alpha);
    Ok(PeakScaling {
        subjects: n,
        dropped_subjects: dropped,
        peaks,
        slope,
        slope_ci_low,
        slope_ci_high,
        intercept,
    })
}

/// One level of factor A in a ragged design: its covariate, its own points along B, and each
/// subject's values there.
#[derive(Debug, Clone, PartialEq)]
pub struct RaggedCell {
    /// A's covariate (log10 batch size).
    pub covariate: f64,
    /// This level's points along B (log10 learning rate), any order.
    pub xs: Vec<f64>,
    /// `values[s][j]`: subject `s` at point `j` (NaN: not measured or diverged). Every cell has
    /// a row for each of the design's subjects (the same subjects in every cell).
    pub values: Vec<Vec<f64>>,
}

/// The bootstrap replicates behind [`peak_scaling_ragged`]'s intervals: per replicate, each
/// cell's peak (NaN where none) and the slope.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Replicates {
    /// `peaks[r][i]`: replicate `r`, cell `i`.
    pub peaks: Vec<Vec<f64>>,
    /// `slopes[r]`.
    pub slopes: Vec<f64>,
}

/// The central `1 − alpha` percentile interval of `reps`; NaN bounds when there are none or any
/// is NaN (a replicate without a peak).
fn percentile_interval(mut reps: Vec<f64>, alpha: f64) -> (f64, f64) {
    if reps.is_empty() || reps.iter().any(|v| v.is_nan()) {
        return (f64::NAN, f64::NAN);
    }
    reps.sort_by(f64::total_cmp);
    (
        quantile_sorted(&reps, alpha / 2.0),
        quantile_sorted(&reps, 1.0 - alpha / 2.0),
    )
}

/// A cell's estimate: its point peak, the interval, and the share of the `replicates` whose
/// peak sat at an edge (`edges` of them).
fn peak_estimate(
    point: Option<Peak>,
    (ci_low, ci_high): (f64, f64),
    edges: usize,
    replicates: usize,
) -> PeakEstimate {
    PeakEstimate {
        x: point.map_or(f64::NAN, |p| p.x),
        ci_low,
        ci_high,
        best: point.map_or(usize::MAX, |p| p.best),
        at_edge: point.is_none_or(|p| p.at_edge),
        edge_share: if replicates > 0 {
            edges as f64 / replicates as f64
        } else {
            f64::NAN
        },
    }
}

/// The members of each stratum, in subject order: `strata[s]` is subject `s`'s stratum
/// (missing entries are stratum 0).
fn stratum_members(strata: &[usize], n: usize) -> Vec<Vec<usize>> {
    let mut members: Vec<Vec<usize>> = Vec::new();
    for s in 0..n {
        let k = strata.get(s).copied().unwrap_or(0);
        if members.len() <= k {
            members.resize(k + 1, Vec::new());
        }
        members[k].push(s);
    }
    members
}

/// A ragged cell's curve over the subjects `pick` (repeats count again): the mean at each point
/// of the finite values of the picked subjects measured there, NaN where none is.
fn ragged_means(cell: &RaggedCell, pick: &[usize]) -> Vec<f64> {
    (0..cell.xs.len())
        .map(|j| {
            let (mut sum, mut k) = (0.0, 0usize);
            for &s in pick {
                if let Some(v) = cell.values.get(s).map(|row| row[j])
                    && v.is_finite()
                {
                    sum += v;
                    k += 1;
                }
            }
            if k == 0 { f64::NAN } else { sum / k as f64 }
        })
        .collect()
}

/// [`peak_scaling`] for a design where each level of A has its own points along B and a point
/// may have more subjects than another (an adaptive search: points chosen per level, more seeds
/// where the peak is least certain). A cell's curve is the mean at each point over the subjects
/// measured there; the peaks, the slope and their expanded-percentile intervals are as in
/// [`peak_scaling`], with each replicate drawing subjects (all cells of a subject together)
/// with replacement *within their stratum* — `strata[s]` groups subjects measured at the same
/// points (the study's seeds, everywhere; the seeds a search added, only where it added them),
/// so a replicate keeps the design — and averaging, at each point, the drawn subjects measured
/// there. `alpha_n` is the sample size of the expanded percentile (the subjects measured
/// everywhere). Also returns the replicates (for the scaling-rule fits). Deterministic for a
/// given seed; with one stratum it draws exactly as [`peak_scaling`].
pub fn peak_scaling_ragged(
    cells: &[RaggedCell],
    strata: &[usize],
    alpha_n: usize,
    options: &PeakOptions,
) -> (PeakScaling, Replicates) {
    let n = cells.iter().map(|c| c.values.len()).max().unwrap_or(0);
    let members = stratum_members(strata, n);
    let covariate: Vec<f64> = cells.iter().map(|c| c.covariate).collect();
    let peaks_for = |pick: &[usize]| -> Vec<Option<Peak>> {
        cells
            .iter()
            .map(|c| quadratic_peak(&c.xs, &ragged_means(c, pick), options.neighbours))
            .collect()
    };
    let xs_of = |p: &[Option<Peak>]| -> Vec<f64> {
        p.iter().map(|p| p.map_or(f64::NAN, |p| p.x)).collect()
    };
    let all: Vec<usize> = (0..n).collect();
    let point = peaks_for(&all);
    let (slope, intercept) = line(&covariate, &xs_of(&point));
    let level_ok = options.level > 0.0 && options.level < 1.0;
    let replicates = if n >= 2 && level_ok {
        options.resamples
    } else {
        0
    };
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let mut reps = Replicates::default();
    let mut edges = vec![0usize; cells.len()];
    let mut pick = Vec::with_capacity(n);
    for _ in 0..replicates {
        pick.clear();
        for m in members.iter().filter(|m| !m.is_empty()) {
            for _ in 0..m.len() {
                pick.push(m[rng.random_range(0..m.len())]);
            }
        }
        let peaks = peaks_for(&pick);
        for (i, p) in peaks.iter().enumerate() {
            edges[i] += usize::from(p.is_some_and(|p| p.at_edge));
        }
        let xs = xs_of(&peaks);
        reps.slopes.push(line(&covariate, &xs).0);
        reps.peaks.push(xs);
    }
    let alpha = expanded_alpha(options.level, alpha_n);
    let peaks = point
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let ci = percentile_interval(reps.peaks.iter().map(|r| r[i]).collect(), alpha);
            peak_estimate(*p, ci, edges[i], replicates)
        })
        .collect();
    let (slope_ci_low, slope_ci_high) = percentile_interval(reps.slopes.clone(), alpha);
    let scaling = PeakScaling {
        subjects: n,
        dropped_subjects: 0,
        peaks,
        slope,
        slope_ci_low,
        slope_ci_high,
        intercept,
    };
    (scaling, reps)
}

#[cfg(test)]
mod tests;
