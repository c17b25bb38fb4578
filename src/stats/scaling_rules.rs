//! Which rule the optimal learning rate follows across batch sizes: each candidate rule fitted
//! to the estimated optima by generalised least squares, with a goodness-of-fit test, a
//! leave-one-out prediction error and an interval for its free parameter.
//!
//! In log10 units, with `x_i = log10 lr*(B_i)` estimated at batch sizes `B_i` (`c_i = log10
//! B_i`), the rules are `x = a + o_i` with the offset `o_i` fixed by the rule — no scaling
//! (`0`), the square-root rule (`c_i/2`), the linear rule (`c_i`), McCandlish's noise-scale
//! curve `lr* = lr_max / (1 + B_noise/B)` (`−log10(1 + B_noise,i/B_i)`, from the measured noise
//! scale) — and the free power law `x = a + k·c_i`.
//!
//! The optima's estimation errors are correlated (the same seeds train every batch size) and
//! unequal (a flat curve pins its top less well), so the fits weight by the inverse of their
//! covariance `Σ`, estimated from the bootstrap replicates of the optima (with a small ridge,
//! 10⁻³ of the mean variance, so that a nearly degenerate replicate set cannot dominate).
//! `χ² = rᵀΣ⁻¹r` on `m − p` degrees of freedom tests each rule (a rule is *rejected* at level
//! α when `P(χ² ≥ observed) < α`); the leave-one-out error predicts each batch size's optimum
//! from the others (same weights) and reports the root mean square, in decades; the interval
//! of the free parameter (`a` of a fixed-slope rule, as `lr` at batch size 1; `k` of the free
//! law) is the percentile interval of the parameter refitted on every replicate.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::summary::quantile_sorted;

/// A candidate rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// `lr* = const`.
    NoScaling,
    /// `lr* ∝ √B`.
    SquareRoot,
    /// `lr* ∝ B`.
    Linear,
    /// `lr* = lr_max / (1 + B_noise/B)` with the measured noise scale.
    NoiseScale,
    /// `lr* ∝ B^k`, k fitted.
    FreeExponent,
}

impl Rule {
    /// The rule in words, as a sentence can use it.
    pub fn name(self) -> &'static str {
        match self {
            Rule::NoScaling => "no scaling",
            Rule::SquareRoot => "the square-root rule",
            Rule::Linear => "the linear rule",
            Rule::NoiseScale => "the noise-scale curve",
            Rule::FreeExponent => "a free exponent",
        }
    }
}

/// One rule fitted to the optima.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleFit {
    /// The rule.
    pub rule: Rule,
    /// Fitted parameters (1, or 2 for the free exponent).
    pub params: usize,
    /// `a`: the fitted log10 learning rate where the offset is 0.
    #[serde(with = "crate::jsonfloat")]
    pub intercept: f64,
    /// The exponent: fixed by the rule (NaN for the noise-scale curve), fitted for the free one.
    #[serde(with = "crate::jsonfloat")]
    pub exponent: f64,
    /// Interval of the free parameter (`k` for the free exponent, else `a`).
    #[serde(with = "crate::jsonfloat")]
    pub ci_low: f64,
    /// Upper end of that interval.
    #[serde(with = "crate::jsonfloat")]
    pub ci_high: f64,
    /// `χ² = rᵀΣ⁻¹r` of the residuals.
    #[serde(with = "crate::jsonfloat")]
    pub chi2: f64,
    /// Its degrees of freedom, `m − params`.
    pub df: usize,
    /// `P(χ²_df ≥ chi2)`.
    #[serde(with = "crate::jsonfloat")]
    pub p_value: f64,
    /// `p_value < alpha`.
    pub rejected: bool,
    /// Root mean square of the leave-one-out prediction errors, in decades.
    #[serde(with = "crate::jsonfloat")]
    pub loo_rmse: f64,
    /// The fitted log10 optimum at each batch size.
    pub fitted: Vec<f64>,
}

/// Solves `m·y = b` (small, symmetric positive definite) by Gaussian elimination with partial
/// pivoting; `None` when singular.
fn solve(m: &[Vec<f64>], b: &[f64]) -> Option<Vec<f64>> {
    let n = b.len();
    let mut a: Vec<Vec<f64>> = m
        .iter()
        .zip(b)
        .map(|(row, &bi)| {
            let mut r = row.clone();
            r.push(bi);
            r
        })
        .collect();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, pivot);
        let pivot_row = a[col].clone();
        for (row, r) in a.iter_mut().enumerate() {
            if row != col {
                let f = r[col] / pivot_row[col];
                for (x, p) in r.iter_mut().zip(&pivot_row).skip(col) {
                    *x -= f * p;
                }
            }
        }
    }
    Some((0..n).map(|i| a[i][n] / a[i][i]).collect())
}

/// The covariance of the replicate vectors that are finite everywhere, with a ridge of 10⁻³
/// of the mean variance; `None` with fewer than `m + 1` such replicates.
fn covariance(reps: &[Vec<f64>], m: usize) -> Option<Vec<Vec<f64>>> {
    let ok: Vec<&Vec<f64>> = reps
        .iter()
        .filter(|r| r.len() == m && r.iter().all(|v| v.is_finite()))
        .collect();
    if ok.len() <= m {
        return None;
    }
    let n = ok.len() as f64;
    let mean: Vec<f64> = (0..m)
        .map(|i| ok.iter().map(|r| r[i]).sum::<f64>() / n)
        .collect();
    let mut cov = vec![vec![0.0; m]; m];
    for r in &ok {
        for i in 0..m {
            for j in 0..m {
                cov[i][j] += (r[i] - mean[i]) * (r[j] - mean[j]) / (n - 1.0);
            }
        }
    }
    let ridge = 1e-3 * (0..m).map(|i| cov[i][i]).sum::<f64>() / m as f64;
    for (i, row) in cov.iter_mut().enumerate() {
        row[i] += ridge.max(1e-12);
    }
    Some(cov)
}

/// GLS fit of `x = X·β + o` with weight `w = Σ⁻¹` over the indices `keep`: `β`.
fn gls(
    design: &[Vec<f64>],
    x: &[f64],
    o: &[f64],
    w: &[Vec<f64>],
    keep: &[usize],
) -> Option<Vec<f64>> {
    let p = design[0].len();
    let mut xtwx = vec![vec![0.0; p]; p];
    let mut xtwy = vec![0.0; p];
    for (a, &i) in keep.iter().enumerate() {
        for (b, &j) in keep.iter().enumerate() {
            let wij = w[a][b];
            for u in 0..p {
                xtwy[u] += design[i][u] * wij * (x[j] - o[j]);
                for v in 0..p {
                    xtwx[u][v] += design[i][u] * wij * design[j][v];
                }
            }
        }
    }
    solve(&xtwx, &xtwy)
}

/// The inverse of the covariance restricted to `keep`.
fn inverse(cov: &[Vec<f64>], keep: &[usize]) -> Option<Vec<Vec<f64>>> {
    let sub: Vec<Vec<f64>> = keep
        .iter()
        .map(|&i| keep.iter().map(|&j| cov[i][j]).collect())
        .collect();
    let k = keep.len();
    let columns: Option<Vec<Vec<f64>>> = (0..k)
        .map(|c| {
            let e: Vec<f64> = (0..k).map(|r| f64::from(u8::from(r == c))).collect();
            solve(&sub, &e)
        })
        .collect();
    let columns = columns?;
    Some(
        (0..k)
            .map(|r| (0..k).map(|c| columns[c][r]).collect())
            .collect(),
    )
}

/// Leave-one-out prediction error of a GLS fit: each optimum predicted from the others' fit
/// (their own covariance block inverted), the root mean square of the misses; NaN when no
/// subset fits.
fn loo_rmse(design: &[Vec<f64>], x: &[f64], o: &[f64], cov: &[Vec<f64>]) -> f64 {
    let m = x.len();
    let mut errs = Vec::with_capacity(m);
    for left in 0..m {
        let keep: Vec<usize> = (0..m).filter(|&i| i != left).collect();
        if let Some(b) = inverse(cov, &keep).and_then(|wk| gls(design, x, o, &wk, &keep)) {
            let pred = o[left] + design[left].iter().zip(&b).map(|(d, b)| d * b).sum::<f64>();
            errs.push(x[left] - pred);
        }
    }
    if errs.is_empty() {
        f64::NAN
    } else {
        (errs.iter().map(|e| e * e).sum::<f64>() / errs.len() as f64).sqrt()
    }
}

/// Fits every rule to the optima `x` (log10 learning rates) at `c` (log10 batch sizes), with
/// `replicates` of `x` from the bootstrap (one vector per replicate) for the covariance and the
/// intervals, the noise-scale offsets `log10(1 + B_noise/B)` per batch size when measured, at
/// significance `alpha` and interval `level` (percentile over replicates). Empty when fewer than
/// 3 optima are finite or the covariance cannot be estimated.
pub fn fit_rules(
    c: &[f64],
    x: &[f64],
    replicates: &[Vec<f64>],
    noise_offsets: Option<&[f64]>,
    alpha: f64,
    level: f64,
) -> Vec<RuleFit> {
    let m = x.len();
    if m < 3 || c.len() != m || x.iter().chain(c).any(|v| !v.is_finite()) {
        return Vec::new();
    }
    let Some(cov) = covariance(replicates, m) else {
        return Vec::new();
    };
    let all: Vec<usize> = (0..m).collect();
    let Some(w) = inverse(&cov, &all) else {
        return Vec::new();
    };
    let mut rules = vec![
        (Rule::NoScaling, Some(0.0)),
        (Rule::SquareRoot, Some(0.5)),
        (Rule::Linear, Some(1.0)),
    ];
    if noise_offsets.is_some_and(|o| o.len() == m && o.iter().all(|v| v.is_finite())) {
        rules.push((Rule::NoiseScale, None));
    }
    rules.push((Rule::FreeExponent, None));
    let ok_reps: Vec<&Vec<f64>> = replicates
        .iter()
        .filter(|r| r.len() == m && r.iter().all(|v| v.is_finite()))
        .collect();
    rules
        .into_iter()
        .filter_map(|(rule, k)| {
            let free = rule == Rule::FreeExponent;
            let design: Vec<Vec<f64>> = c
                .iter()
                .map(|&ci| if free { vec![1.0, ci] } else { vec![1.0] })
                .collect();
            let o: Vec<f64> = match (rule, k) {
                (Rule::NoiseScale, _) => noise_offsets
                    .expect("checked above")
                    .iter()
                    .map(|v| -v)
                    .collect(),
                (_, Some(k)) => c.iter().map(|ci| k * ci).collect(),
                _ => vec![0.0; m],
            };
            let beta = gls(&design, x, &o, &w, &all)?;
            let fitted: Vec<f64> = (0..m)
                .map(|i| o[i] + design[i].iter().zip(&beta).map(|(d, b)| d * b).sum::<f64>())
                .collect();
            let r: Vec<f64> = (0..m).map(|i| x[i] - fitted[i]).collect();
            let chi2: f64 = (0..m)
                .flat_map(|i| (0..m).map(move |j| (i, j)))
                .map(|(i, j)| r[i] * w[i][j] * r[j])
                .sum();
            let p = design[0].len();
            let df = m - p;
            let p_value = ChiSquared::new(df as f64).map_or(f64::NAN, |d| d.sf(chi2));
            let loo_rmse = loo_rmse(&design, x, &o, &cov);
            let which = if free { 1 } else { 0 };
            let mut refits: Vec<f64> = ok_reps
                .iter()
                .filter_map(|rep| gls(&design, rep, &o, &w, &all).map(|b| b[which]))
                .collect();
            refits.sort_by(f64::total_cmp);
            let (ci_low, ci_high) = if refits.len() >= 2 {
                (
                    quantile_sorted(&refits, (1.0 - level) / 2.0),
                    quantile_sorted(&refits, (1.0 + level) / 2.0),
                )
            } else {
                (f64::NAN, f64::NAN)
            };
            Some(RuleFit {
                rule,
                params: p,
                intercept: beta[0],
                exponent: if free { beta[1] } else { k.unwrap_or(f64::NAN) },
                ci_low,
                ci_high,
                chi2,
                df,
                p_value,
                rejected: p_value < alpha,
                loo_rmse,
                fitted,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, Normal};

    /// Optima on the square-root rule with independent errors of sd 0.1 decades, and
    /// replicates drawn with that spread: the square-root rule and the free exponent fit, no
    /// scaling and the linear rule are rejected, the free k's interval covers 0.5, and GLS
    /// with equal independent errors is ordinary least squares.
    #[test]
    fn a_square_root_law_is_kept_and_the_others_rejected() {
        let c: Vec<f64> = [32.0f64, 64.0, 128.0, 256.0, 512.0, 1024.0, 2048.0]
            .iter()
            .map(|b| b.log10())
            .collect();
        let x: Vec<f64> = c.iter().map(|ci| -4.0 + 0.5 * ci).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let noise = Normal::new(0.0, 0.1).unwrap();
        let reps: Vec<Vec<f64>> = (0..4000)
            .map(|_| x.iter().map(|v| v + noise.sample(&mut rng)).collect())
            .collect();
        let fits = fit_rules(&c, &x, &reps, None, 0.05, 0.95);
        let get = |r: Rule| fits.iter().find(|f| f.rule == r).unwrap();
        assert!(!get(Rule::SquareRoot).rejected && get(Rule::SquareRoot).chi2 < 1e-6);
        assert!(get(Rule::NoScaling).rejected && get(Rule::Linear).rejected);
        let free = get(Rule::FreeExponent);
        assert!((free.exponent - 0.5).abs() < 1e-9, "{free:?}");
        assert!(free.ci_low < 0.5 && 0.5 < free.ci_high);
        // k's spread: sd(x)/√Σ(c−c̄)² = 0.1/1.593 = 0.063 ⇒ half-width 1.96·0.063 = 0.123.
        let half = (free.ci_high - free.ci_low) / 2.0;
        assert!((half - 0.123).abs() < 0.01, "{half}");
        assert!(fits.iter().all(|f| f.loo_rmse.is_finite()));
        assert!(fits.iter().all(|f| f.rule != Rule::NoiseScale));
        // With noise offsets: the curve is fitted with one free scale.
        let offsets: Vec<f64> = c
            .iter()
            .map(|ci| (1.0 + 300.0 / 10f64.powf(*ci)).log10())
            .collect();
        let with = fit_rules(&c, &x, &reps, Some(&offsets), 0.05, 0.95);
        assert!(with.iter().any(|f| f.rule == Rule::NoiseScale));
        assert!(fit_rules(&c[..2], &x[..2], &reps, None, 0.05, 0.95).is_empty());
    }

    /// The χ² test's level: on data drawn from the rule itself, the rule is rejected about 5%
    /// of the time at α = 0.05 (here 2,000 data sets, each with its own replicates).
    #[test]
    fn a_true_rule_is_rejected_at_about_the_nominal_rate() {
        let c: Vec<f64> = [32.0f64, 64.0, 128.0, 256.0, 512.0]
            .iter()
            .map(|b| b.log10())
            .collect();
        let truth: Vec<f64> = c.iter().map(|ci| -3.0 + ci).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let noise = Normal::new(0.0, 0.15).unwrap();
        let mut rejected = 0;
        let runs = 2000;
        for _ in 0..runs {
            let x: Vec<f64> = truth.iter().map(|v| v + noise.sample(&mut rng)).collect();
            let reps: Vec<Vec<f64>> = (0..300)
                .map(|_| x.iter().map(|v| v + noise.sample(&mut rng)).collect())
                .collect();
            let fits = fit_rules(&c, &x, &reps, None, 0.05, 0.95);
            rejected += usize::from(fits.iter().any(|f| f.rule == Rule::Linear && f.rejected));
        }
        let rate = rejected as f64 / runs as f64;
        assert!((0.03..0.08).contains(&rate), "{rate}");
    }
}
