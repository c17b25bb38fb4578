//! Multiple-comparison correction.

/// Holm–Bonferroni step-down adjusted p-values, returned in input order.
///
/// With the `m` p-values sorted ascending, `p_(1) ≤ … ≤ p_(m)`, the adjusted value of the
/// `i`-th smallest is `min(1, max_{j ≤ i} (m − j + 1)·p_(j))`: monotone non-decreasing in the
/// raw p-value and capped at 1. Rejecting where the adjusted value is `≤ α` controls the
/// family-wise error rate at `α`. Matches
/// `statsmodels.stats.multitest.multipletests(p, method='holm')[1]` (ties among raw p-values
/// receive the same adjusted value, as there).
///
/// Edge cases (never panics): an empty slice gives an empty vector; NaN p-values are left
/// out of the family (they do not count towards `m`) and their adjusted value is NaN. Values
/// outside `[0, 1]` are not validated; the result is still capped at 1.
pub fn holm(p_values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..p_values.len())
        .filter(|&i| !p_values[i].is_nan())
        .collect();
    // Stable sort: equal p-values keep input order; the running max makes them equal anyway.
    order.sort_by(|&i, &j| p_values[i].total_cmp(&p_values[j]));
    let m = order.len();
    let mut adjusted = vec![f64::NAN; p_values.len()];
    let mut running = 0.0_f64;
    for (rank, &i) in order.iter().enumerate() {
        let scaled = ((m - rank) as f64 * p_values[i]).min(1.0);
        running = running.max(scaled);
        adjusted[i] = running;
    }
    adjusted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::testutil::assert_rel;

    fn check(p: &[f64], want: &[f64]) {
        let got = holm(p);
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert_rel(*g, *w, 1e-12);
        }
    }

    #[test]
    fn holm_matches_statsmodels() {
        // statsmodels 0.15.0: multipletests(p, method='holm')[1]
        // [0.01, 0.04, 0.03, 0.005, 0.20] -> [0.04, 0.09, 0.09, 0.025, 0.2]
        check(
            &[0.01, 0.04, 0.03, 0.005, 0.20],
            &[0.04, 0.09, 0.09, 0.025, 0.2],
        );
        // [0.02, 0.02, 0.5, 0.001, 0.049, 0.9, 0.03]
        //   -> [0.12, 0.12, 1.0, 0.007, 0.14700000000000002, 1.0, 0.12]   (ties, cap at 1)
        check(
            &[0.02, 0.02, 0.5, 0.001, 0.049, 0.9, 0.03],
            &[0.12, 0.12, 1.0, 0.007, 0.14700000000000002, 1.0, 0.12],
        );
        // [0.3, 0.6, 0.4] -> [0.8999999999999999, 0.8999999999999999, 0.8999999999999999]
        //   (monotonicity: 2*0.4 = 0.8 and 1*0.6 are raised to 3*0.3)
        check(&[0.3, 0.6, 0.4], &[0.8999999999999999; 3]);
    }

    #[test]
    fn holm_edge_cases() {
        assert!(holm(&[]).is_empty());
        assert_eq!(holm(&[0.03]), vec![0.03]);
        let got = holm(&[0.01, f64::NAN, 0.04]);
        assert_rel(got[0], 0.02, 1e-12);
        assert!(got[1].is_nan());
        assert_rel(got[2], 0.04, 1e-12);
        assert!(holm(&[f64::NAN])[0].is_nan());
    }
}
