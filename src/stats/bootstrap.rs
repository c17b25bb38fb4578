//! Seeded percentile bootstrap.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::drop_nan;
use super::summary::quantile_sorted;

/// Percentile-bootstrap confidence interval for `mean(a) − mean(b)`.
///
/// Each of the `resamples` replicates draws `n_a` values from `a` and then `n_b` values from
/// `b`, independently and with replacement (indices from `ChaCha8Rng::seed_from_u64(seed)` via
/// `random_range(0..n)`, in that order), and records the difference of the resample means.
/// The interval is the `(1 − level)/2` and `(1 + level)/2` quantiles of the sorted replicates,
/// interpolated linearly (see [`quantile`](super::quantile)). The result depends only on the
/// inputs and `seed`: the same call always returns the same interval.
///
/// Edge cases (never panics): NaN values are dropped from each sample first; either sample
/// empty, `resamples == 0`, or `level` outside the open interval `(0, 1)` gives
/// `(NaN, NaN)`. A sample of size 1 is allowed (it contributes no resampling variance).
pub fn bootstrap_mean_diff_ci(
    a: &[f64],
    b: &[f64],
    level: f64,
    resamples: usize,
    seed: u64,
) -> (f64, f64) {
    let (a, b) = (drop_nan(a), drop_nan(b));
    if a.is_empty() || b.is_empty() || resamples == 0 || !(level > 0.0 && level < 1.0) {
        return (f64::NAN, f64::NAN);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut resample_mean = |xs: &[f64]| {
        let n = xs.len();
        (0..n).map(|_| xs[rng.random_range(0..n)]).sum::<f64>() / n as f64
    };
    let mut diffs: Vec<f64> = (0..resamples)
        .map(|_| {
            let ma = resample_mean(&a);
            ma - resample_mean(&b)
        })
        .collect();
    diffs.sort_by(f64::total_cmp);
    let alpha = 1.0 - level;
    (
        quantile_sorted(&diffs, alpha / 2.0),
        quantile_sorted(&diffs, 1.0 - alpha / 2.0),
    )
}

/// Percentile-bootstrap confidence interval for the mean of one sample: as
/// [`bootstrap_mean_diff_ci`] with `b` a single 0 (which contributes no resampling
/// variance), so the same seed gives the same draws for `a`.
pub fn bootstrap_mean_ci(a: &[f64], level: f64, resamples: usize, seed: u64) -> (f64, f64) {
    bootstrap_mean_diff_ci(a, &[0.0], level, resamples, seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A1: [f64; 5] = [0.812, 0.797, 0.825, 0.804, 0.819];
    const B1: [f64; 7] = [0.781, 0.795, 0.776, 0.790, 0.788, 0.772, 0.799];

    #[test]
    fn deterministic_for_a_seed() {
        let x = bootstrap_mean_diff_ci(&A1, &B1, 0.95, 2000, 42);
        let y = bootstrap_mean_diff_ci(&A1, &B1, 0.95, 2000, 42);
        assert_eq!(x, y);
        let z = bootstrap_mean_diff_ci(&A1, &B1, 0.95, 2000, 43);
        assert_ne!(x, z);
        // Lies within the range of possible resample-mean differences and around the point
        // estimate mean(A1) - mean(B1) = 0.0257428...
        assert!(x.0 < x.1);
        assert!(x.0 > 0.797 - 0.799 && x.1 < 0.825 - 0.772);
        assert!(x.0 < 0.02574 && x.1 > 0.02575);
    }

    #[test]
    fn large_difference_excludes_zero_identical_includes_zero() {
        // Every A1 value beats every B1 value except one pair; the CI must exclude 0.
        let (lo, hi) = bootstrap_mean_diff_ci(&A1, &B1, 0.95, 4000, 7);
        assert!(lo > 0.0 && hi > lo, "({lo}, {hi})");
        let (lo, hi) = bootstrap_mean_diff_ci(&B1, &A1, 0.95, 4000, 7);
        assert!(hi < 0.0, "({lo}, {hi})");
        let (lo, hi) = bootstrap_mean_diff_ci(&B1, &B1, 0.95, 4000, 7);
        assert!(lo < 0.0 && hi > 0.0, "({lo}, {hi})");
        // A wider level gives a wider interval for the same seed.
        let (l99, h99) = bootstrap_mean_diff_ci(&B1, &B1, 0.99, 4000, 7);
        assert!(l99 <= lo && h99 >= hi);
    }

    #[test]
    fn edge_cases() {
        let nan = |(lo, hi): (f64, f64)| lo.is_nan() && hi.is_nan();
        assert!(nan(bootstrap_mean_diff_ci(&[], &B1, 0.95, 100, 1)));
        assert!(nan(bootstrap_mean_diff_ci(&A1, &[f64::NAN], 0.95, 100, 1)));
        assert!(nan(bootstrap_mean_diff_ci(&A1, &B1, 0.95, 0, 1)));
        assert!(nan(bootstrap_mean_diff_ci(&A1, &B1, 1.0, 100, 1)));
        assert!(nan(bootstrap_mean_diff_ci(&A1, &B1, f64::NAN, 100, 1)));
        assert_eq!(
            bootstrap_mean_diff_ci(&[3.0], &[1.0, 1.0], 0.95, 50, 1),
            (2.0, 2.0)
        );
        let mut a = A1.to_vec();
        a.push(f64::NAN);
        assert_eq!(
            bootstrap_mean_diff_ci(&a, &B1, 0.9, 500, 3),
            bootstrap_mean_diff_ci(&A1, &B1, 0.9, 500, 3)
        );
    }
}
