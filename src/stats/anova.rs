//! Two-way repeated-measures ANOVA: every subject is measured once in every cell of an
//! `a × b` design (both factors within-subject), e.g. every seed trained at every batch size
//! × learning rate.
//!
//! The subject is a block: its mean level is removed, and each effect is tested against its
//! own subject interaction (A against A×S, B against B×S, A×B against A×B×S), which is what
//! makes the test paired across cells rather than treating the `n·a·b` values as independent.
//! Sphericity is not assumed to hold: each term also carries the Greenhouse–Geisser ε and the
//! p-value with both degrees of freedom scaled by it.

use serde::{Deserialize, Serialize};
use statrs::function::beta::beta_reg;

use super::StatsError;

/// One term of the ANOVA table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AnovaTerm {
    /// Sum of squares of the effect.
    #[serde(with = "crate::jsonfloat")]
    pub ss: f64,
    /// Numerator degrees of freedom.
    #[serde(with = "crate::jsonfloat")]
    pub df1: f64,
    /// Sum of squares of the term's error (its interaction with the subjects).
    #[serde(with = "crate::jsonfloat")]
    pub ss_error: f64,
    /// Denominator degrees of freedom.
    #[serde(with = "crate::jsonfloat")]
    pub df2: f64,
    /// `(ss/df1) / (ss_error/df2)`.
    #[serde(with = "crate::jsonfloat")]
    pub f: f64,
    /// `P(F(df1, df2) ≥ f)`, assuming sphericity.
    #[serde(with = "crate::jsonfloat")]
    pub p_value: f64,
    /// Greenhouse–Geisser ε (1 = sphericity holds; the lower bound is `1/df1`).
    #[serde(with = "crate::jsonfloat")]
    pub eps_gg: f64,
    /// `P(F(ε·df1, ε·df2) ≥ f)`: the p-value without assuming sphericity.
    #[serde(with = "crate::jsonfloat")]
    pub p_gg: f64,
    /// Partial η² = `ss / (ss + ss_error)`.
    #[serde(with = "crate::jsonfloat")]
    pub partial_eta_sq: f64,
}

impl AnovaTerm {
    const NAN: AnovaTerm = AnovaTerm {
        ss: f64::NAN,
        df1: f64::NAN,
        ss_error: f64::NAN,
        df2: f64::NAN,
        f: f64::NAN,
        p_value: f64::NAN,
        eps_gg: f64::NAN,
        p_gg: f64::NAN,
        partial_eta_sq: f64::NAN,
    };

    fn new(ss: f64, df1: f64, ss_error: f64, df2: f64, eps_gg: f64) -> Self {
        if !(df1 > 0.0 && df2 > 0.0) {
            return AnovaTerm {
                ss,
                df1,
                ss_error,
                df2,
                ..AnovaTerm::NAN
            };
        }
        // Zero error variance: the limit of the statistic (module conventions).
        let f = match (ss > 0.0, ss_error > 0.0) {
            (_, true) => (ss / df1) / (ss_error / df2),
            (true, false) => f64::INFINITY,
            (false, false) => 0.0,
        };
        AnovaTerm {
            ss,
            df1,
            ss_error,
            df2,
            f,
            p_value: f_sf(f, df1, df2),
            eps_gg,
            p_gg: f_sf(f, eps_gg * df1, eps_gg * df2),
            partial_eta_sq: if ss + ss_error > 0.0 {
                ss / (ss + ss_error)
            } else {
                f64::NAN
            },
        }
    }
}

/// The ANOVA table of [`rm_anova_two_way`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RmAnova {
    /// Subjects used (complete: a value in every cell).
    pub subjects: usize,
    /// Subjects dropped because at least one of their cells was NaN.
    pub dropped_subjects: usize,
    /// Main effect of factor A.
    pub a: AnovaTerm,
    /// Main effect of factor B.
    pub b: AnovaTerm,
    /// The A×B interaction.
    pub ab: AnovaTerm,
}

/// Upper tail `P(F(d1, d2) ≥ f)`, as the regularized incomplete beta `I_{d2/(d2+d1 f)}(d2/2,
/// d1/2)` evaluated directly (no `1 − cdf` cancellation for large `f`).
fn f_sf(f: f64, d1: f64, d2: f64) -> f64 {
    if f.is_nan() || !(d1 > 0.0 && d2 > 0.0) {
        return f64::NAN;
    }
    if f.is_infinite() {
        return 0.0;
    }
    if f <= 0.0 {
        return 1.0;
    }
    beta_reg(d2 / 2.0, d1 / 2.0, d2 / (d2 + d1 * f))
}

/// The rows of `values` (each `cells` long) that have no NaN, and how many rows were dropped.
/// `values.len()` must be a multiple of `cells`.
pub(crate) fn complete_rows(values: &[f64], cells: usize) -> (Vec<&[f64]>, usize) {
    let rows: Vec<&[f64]> = values.chunks(cells).collect();
    let total = rows.len();
    let kept: Vec<&[f64]> = rows
        .into_iter()
        .filter(|r| r.iter().all(|v| !v.is_nan()))
        .collect();
    let dropped = total - kept.len();
    (kept, dropped)
}

/// Checks that `values` holds whole subjects of `a·b` cells.
pub(crate) fn check_shape(values: &[f64], a: usize, b: usize) -> Result<(), StatsError> {
    let cells = a * b;
    if cells == 0 || !values.len().is_multiple_of(cells) {
        return Err(StatsError::Shape {
            len: values.len(),
            cells,
        });
    }
    Ok(())
}

/// Two-way repeated-measures ANOVA of `values`, laid out subject by subject, then by level of
/// A, then by level of B: the value of subject `s` in cell `(i, j)` is
/// `values[(s·a + i)·b + j]`.
///
/// Sums of squares are the textbook decomposition (e.g. Maxwell & Delaney, ch. 12) of the
/// balanced table; each effect's F uses its interaction with the subjects as the error term.
/// It equals `statsmodels.stats.anova.AnovaRM(df, dv, subject, within=[A, B]).fit()` (F,
/// degrees of freedom, p) and `pingouin.rm_anova(..., effsize="np2")` (partial η², ε, GG
/// p-value).
///
/// The Greenhouse–Geisser ε of a term is `tr(M)² / (d·tr(M²))` (at most 1), where `M` is the
/// `d × d` covariance over subjects of the term's orthonormal contrasts: Helmert contrasts of
/// A applied to each subject's A means (averaged over B), of B likewise, and their Kronecker
/// product for A×B — as R (`car`, `afex`), SPSS, JASP and pingouin compute it.
///
/// Missing data: a subject with any NaN cell is dropped entirely (listwise deletion) and
/// counted in [`RmAnova::dropped_subjects`]. Fewer than 2 complete subjects, or a factor with
/// one level, gives NaN statistics for the affected terms. Zero error variance gives `F = ∞`,
/// `p = 0` if the effect is non-zero and `F = 0`, `p = 1` if it is zero too.
///
/// # Errors
/// [`StatsError::Shape`] when `values.len()` is not a multiple of `a·b` (or `a·b = 0`).
pub fn rm_anova_two_way(values: &[f64], a: usize, b: usize) -> Result<RmAnova, StatsError> {
    check_shape(values, a, b)?;
    let (rows, dropped) = complete_rows(values, a * b);
    let n = rows.len();
    if n == 0 {
        return Ok(RmAnova {
            subjects: 0,
            dropped_subjects: dropped,
            a: AnovaTerm::NAN,
            b: AnovaTerm::NAN,
            ab: AnovaTerm::NAN,
        });
    }
    let m = Means::new(&rows, a, b);
    let ss = m.sums_of_squares();
    let (da, db, ds) = (a as f64 - 1.0, b as f64 - 1.0, n as f64 - 1.0);
    let [eps_a, eps_b, eps_ab] = m.gg_epsilons();
    Ok(RmAnova {
        subjects: n,
        dropped_subjects: dropped,
        a: AnovaTerm::new(ss.a, da, ss.a_subj, da * ds, eps_a),
        b: AnovaTerm::new(ss.b, db, ss.b_subj, db * ds, eps_b),
        ab: AnovaTerm::new(ss.ab, da * db, ss.ab_subj, da * db * ds, eps_ab),
    })
}

/// The sums of squares of the effects and of their interactions with the subjects.
struct SumsOfSquares {
    a: f64,
    b: f64,
    ab: f64,
    a_subj: f64,
    b_subj: f64,
    ab_subj: f64,
}

/// The complete subjects' rows of an `a × b` design with their marginal means.
struct Means<'r> {
    rows: &'r [&'r [f64]],
    a: usize,
    b: usize,
    /// Grand mean.
    grand: f64,
    /// Per subject.
    subj: Vec<f64>,
    /// Per (subject, A level), averaged over B.
    a_subj: Vec<Vec<f64>>,
    /// Per (subject, B level), averaged over A.
    b_subj: Vec<Vec<f64>>,
    /// Per cell `i·b + j`, over subjects.
    cell: Vec<f64>,
    /// Per A level.
    a_mean: Vec<f64>,
    /// Per B level.
    b_mean: Vec<f64>,
}

impl<'r> Means<'r> {
    /// Marginal means: grand, per subject, per cell, per A level, per B level, per (A,
    /// subject) and per (B, subject). `rows` must not be empty.
    fn new(rows: &'r [&'r [f64]], a: usize, b: usize) -> Self {
        let nf = rows.len() as f64;
        let (af, bf) = (a as f64, b as f64);
        let at = |r: &[f64], i: usize, j: usize| r[i * b + j];
        let grand = rows.iter().flat_map(|r| r.iter()).sum::<f64>() / (nf * af * bf);
        let subj: Vec<f64> = rows
            .iter()
            .map(|r| r.iter().sum::<f64>() / (af * bf))
            .collect();
        let a_subj: Vec<Vec<f64>> = rows
            .iter()
            .map(|r| {
                (0..a)
                    .map(|i| (0..b).map(|j| at(r, i, j)).sum::<f64>() / bf)
                    .collect()
            })
            .collect();
        let b_subj: Vec<Vec<f64>> = rows
            .iter()
            .map(|r| {
                (0..b)
                    .map(|j| (0..a).map(|i| at(r, i, j)).sum::<f64>() / af)
                    .collect()
            })
            .collect();
        let cell: Vec<f64> = (0..a * b)
            .map(|c| rows.iter().map(|r| r[c]).sum::<f64>() / nf)
            .collect();
        let a_mean: Vec<f64> = (0..a)
            .map(|i| a_subj.iter().map(|m| m[i]).sum::<f64>() / nf)
            .collect();
        let b_mean: Vec<f64> = (0..b)
            .map(|j| b_subj.iter().map(|m| m[j]).sum::<f64>() / nf)
            .collect();
        Means {
            rows,
            a,
            b,
            grand,
            subj,
            a_subj,
            b_subj,
            cell,
            a_mean,
            b_mean,
        }
    }

    /// The textbook decomposition of the balanced table (Maxwell & Delaney, ch. 12).
    fn sums_of_squares(&self) -> SumsOfSquares {
        let (a, b, grand) = (self.a, self.b, self.grand);
        let (nf, af, bf) = (self.rows.len() as f64, a as f64, b as f64);
        let (subj, a_subj, b_subj) = (&self.subj, &self.a_subj, &self.b_subj);
        let (cell, a_mean, b_mean) = (&self.cell, &self.a_mean, &self.b_mean);
        let sq = |x: f64| x * x;
        let ss_a = nf * bf * a_mean.iter().map(|&m| sq(m - grand)).sum::<f64>();
        let ss_b = nf * af * b_mean.iter().map(|&m| sq(m - grand)).sum::<f64>();
        let mut ss_ab = 0.0;
        for i in 0..a {
            for j in 0..b {
                ss_ab += sq(cell[i * b + j] - a_mean[i] - b_mean[j] + grand);
            }
        }
        ss_ab *= nf;
        let (mut ss_as, mut ss_bs, mut ss_abs) = (0.0, 0.0, 0.0);
        for (s, r) in self.rows.iter().enumerate() {
            for i in 0..a {
                ss_as += bf * sq(a_subj[s][i] - a_mean[i] - subj[s] + grand);
            }
            for j in 0..b {
                ss_bs += af * sq(b_subj[s][j] - b_mean[j] - subj[s] + grand);
            }
            for i in 0..a {
                for j in 0..b {
                    // Residual: the cell's deviation after removing every lower-order effect.
                    let fitted = cell[i * b + j] + a_subj[s][i] - a_mean[i] + b_subj[s][j]
                        - b_mean[j]
                        - (subj[s] - grand);
                    ss_abs += sq(r[i * b + j] - fitted);
                }
            }
        }
        SumsOfSquares {
            a: ss_a,
            b: ss_b,
            ab: ss_ab,
            a_subj: ss_as,
            b_subj: ss_bs,
            ab_subj: ss_abs,
        }
    }

    /// The Greenhouse–Geisser ε of A, B and A×B, from contrast scores per subject: A on the
    /// A means, B on the B means, A×B on the cells (Helmert contrasts, their Kronecker
    /// product for A×B).
    fn gg_epsilons(&self) -> [f64; 3] {
        let (a, b) = (self.a, self.b);
        let ha = helmert(a);
        let hb = helmert(b);
        let za: Vec<Vec<f64>> = self.a_subj.iter().map(|m| apply(&ha, m)).collect();
        let zb: Vec<Vec<f64>> = self.b_subj.iter().map(|m| apply(&hb, m)).collect();
        let zab: Vec<Vec<f64>> = self
            .rows
            .iter()
            .map(|r| {
                ha.iter()
                    .flat_map(|ca| {
                        hb.iter().map(move |cb| {
                            (0..a)
                                .map(|i| ca[i] * (0..b).map(|j| cb[j] * r[i * b + j]).sum::<f64>())
                                .sum::<f64>()
                        })
                    })
                    .collect()
            })
            .collect();
        [gg_epsilon(&za), gg_epsilon(&zb), gg_epsilon(&zab)]
    }
}

/// The `(k − 1) × k` orthonormal Helmert contrasts: row `r` (1-based) is `1/√(r(r+1))` on
/// the first `r` levels, `−r/√(r(r+1))` on level `r + 1`, 0 after. Rows are orthonormal and
/// orthogonal to the constant vector; ε does not depend on which such basis is used.
fn helmert(k: usize) -> Vec<Vec<f64>> {
    (1..k)
        .map(|r| {
            let norm = ((r * (r + 1)) as f64).sqrt();
            (0..k)
                .map(|i| match i.cmp(&r) {
                    std::cmp::Ordering::Less => 1.0 / norm,
                    std::cmp::Ordering::Equal => -(r as f64) / norm,
                    std::cmp::Ordering::Greater => 0.0,
                })
                .collect()
        })
        .collect()
}

fn apply(rows: &[Vec<f64>], v: &[f64]) -> Vec<f64> {
    rows.iter()
        .map(|c| c.iter().zip(v).map(|(x, y)| x * y).sum())
        .collect()
}

/// Greenhouse–Geisser ε from per-subject contrast scores `z[s][d]`: `tr(S)² / (d·tr(S²))`
/// with `S` their covariance, capped at 1; 1 when `d ≤ 1` or `S = 0`, NaN with one subject.
fn gg_epsilon(z: &[Vec<f64>]) -> f64 {
    let d = z.first().map_or(0, Vec::len);
    if d <= 1 {
        return 1.0;
    }
    let n = z.len();
    if n < 2 {
        return f64::NAN;
    }
    let mean: Vec<f64> = (0..d)
        .map(|k| z.iter().map(|r| r[k]).sum::<f64>() / n as f64)
        .collect();
    let mut trace = 0.0;
    let mut trace_sq = 0.0;
    for p in 0..d {
        for q in 0..d {
            let cov = z
                .iter()
                .map(|r| (r[p] - mean[p]) * (r[q] - mean[q]))
                .sum::<f64>()
                / (n - 1) as f64;
            if p == q {
                trace += cov;
            }
            // tr(S²) = Σ S_pq² for a symmetric S.
            trace_sq += cov * cov;
        }
    }
    if trace_sq == 0.0 {
        return 1.0;
    }
    (trace * trace / (d as f64 * trace_sq)).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::testutil::assert_rel;

    /// 6 subjects × A (3 levels) × B (4 levels); scripts/anova_reference.py prints it and its
    /// reference values (statsmodels 0.15.0 `AnovaRM`, pingouin 0.7.0 `rm_anova`).
    const FIXTURE: [f64; 72] = [
        0.7056, 0.6969, 0.6929, 0.697, 0.7045, 0.7109, 0.6976, 0.6648, 0.7085, 0.7164, 0.7254,
        0.6898, 0.6924, 0.6816, 0.6567, 0.6267, 0.6909, 0.6894, 0.679, 0.6552, 0.6924, 0.704,
        0.6872, 0.7003, 0.7282, 0.7149, 0.6898, 0.6805, 0.73, 0.7245, 0.7063, 0.7296, 0.7296,
        0.7253, 0.7324, 0.7202, 0.6943, 0.677, 0.6465, 0.6536, 0.6889, 0.6775, 0.6695, 0.6466,
        0.6926, 0.6988, 0.7108, 0.6564, 0.7612, 0.7462, 0.7085, 0.6778, 0.7543, 0.7334, 0.7449,
        0.6971, 0.7542, 0.7525, 0.7509, 0.7498, 0.7309, 0.7316, 0.6796, 0.6575, 0.7334, 0.7345,
        0.7204, 0.6981, 0.7345, 0.7424, 0.7238, 0.7388,
    ];
    /// 5 subjects × 2 × 2 (every ε is 1), same script.
    #[allow(clippy::approx_constant)] // 0.7071 is a generated accuracy, not 1/√2
    const FIXTURE_2X2: [f64; 20] = [
        0.7005, 0.694, 0.7302, 0.7246, 0.7072, 0.7034, 0.7342, 0.7353, 0.6952, 0.6878, 0.7234,
        0.7123, 0.6838, 0.6605, 0.7071, 0.696, 0.6929, 0.6743, 0.7189, 0.7207,
    ];

    /// (F, df1, df2, p) from statsmodels `AnovaRM(df, "acc", "seed", within=["A", "B"])`;
    /// (SS, partial η², ε, p_GG) from `pingouin.rm_anova(..., effsize="np2")`.
    #[track_caller]
    fn check(t: &AnovaTerm, sm: [f64; 4], pg: [f64; 4]) {
        assert_rel(t.f, sm[0], 1e-9);
        assert_eq!((t.df1, t.df2), (sm[1], sm[2]));
        assert_rel(t.p_value, sm[3], 1e-8);
        assert_rel(t.ss, pg[0], 1e-9);
        assert_rel(t.partial_eta_sq, pg[1], 1e-9);
        assert_rel(t.eps_gg, pg[2], 1e-9);
        assert_rel(t.p_gg, pg[3], 1e-8);
    }

    #[test]
    fn matches_statsmodels_anovarm_and_pingouin_on_a_3x4_fixture() {
        let r = rm_anova_two_way(&FIXTURE, 3, 4).unwrap();
        assert_eq!((r.subjects, r.dropped_subjects), (6, 0));
        check(
            &r.a,
            [29.99333323508855, 2.0, 10.0, 5.955571722871748e-05],
            [
                0.007801900833333382,
                0.8571156406733434,
                0.7563220813260896,
                0.0003808939153017461,
            ],
        );
        check(
            &r.b,
            [31.044793163625332, 3.0, 15.0, 1.1178202353852822e-06],
            [
                0.011735059444444374,
                0.8612837094860606,
                0.8245609297397175,
                8.322969250198693e-06,
            ],
        );
        check(
            &r.ab,
            [4.346697773662803, 6.0, 30.0, 0.002852609490976773],
            [
                0.00432253472222229,
                0.46505170905504367,
                0.2959553574794555,
                0.05154353176728349,
            ],
        );
    }

    #[test]
    fn matches_statsmodels_on_a_2x2_fixture_where_every_epsilon_is_one() {
        let r = rm_anova_two_way(&FIXTURE_2X2, 2, 2).unwrap();
        check(
            &r.a,
            [353.5690341947772, 1.0, 4.0, 4.710403357247147e-05],
            [
                0.004593480499999985,
                0.9888133489830594,
                1.0,
                4.7104033572505956e-05,
            ],
        );
        check(
            &r.b,
            [10.707029053421016, 1.0, 4.0, 0.030726603535459945],
            [
                0.0003570124999999964,
                0.7280212077183975,
                1.0,
                0.030726603535458114,
            ],
        );
        check(
            &r.ab,
            [2.6558953602506192, 1.0, 4.0, 0.17849965653687566],
            [
                6.020450000004707e-05,
                0.399029013604057,
                1.0,
                0.17849965653666067,
            ],
        );
    }

    #[test]
    fn a_subject_with_a_missing_cell_is_dropped_whole() {
        let mut with_nan = FIXTURE.to_vec();
        // Seventh subject: one NaN cell; the other six are the fixture.
        with_nan.extend((0..12).map(|c| if c == 5 { f64::NAN } else { 0.9 }));
        let r = rm_anova_two_way(&with_nan, 3, 4).unwrap();
        assert_eq!((r.subjects, r.dropped_subjects), (6, 1));
        assert_eq!(r.ab, rm_anova_two_way(&FIXTURE, 3, 4).unwrap().ab);
    }

    #[test]
    fn degenerate_inputs_give_nan_limits_or_an_error_never_a_panic() {
        assert_eq!(
            rm_anova_two_way(&FIXTURE[..71], 3, 4),
            Err(StatsError::Shape { len: 71, cells: 12 })
        );
        assert!(rm_anova_two_way(&FIXTURE, 0, 4).is_err());
        // One subject: no error term.
        let one = rm_anova_two_way(&FIXTURE[..12], 3, 4).unwrap();
        assert!(one.ab.f.is_nan() && one.a.p_value.is_nan());
        // All NaN: no subjects.
        let none = rm_anova_two_way(&[f64::NAN; 24], 3, 4).unwrap();
        assert_eq!((none.subjects, none.dropped_subjects), (0, 2));
        assert!(none.a.f.is_nan());
        // A factor with one level has no effect to test.
        let flat = rm_anova_two_way(&FIXTURE, 1, 12).unwrap();
        assert!(flat.a.f.is_nan() && flat.ab.f.is_nan() && flat.b.f.is_finite());
        // Additive data without noise: zero error; the effects are infinitely significant,
        // the (absent) interaction is F = 0, p = 1.
        let additive: Vec<f64> = (0..4)
            .flat_map(|s| (0..3).flat_map(move |i| (0..2).map(move |j| (s + 2 * i + j) as f64)))
            .collect();
        let r = rm_anova_two_way(&additive, 3, 2).unwrap();
        assert_eq!((r.a.f, r.a.p_value), (f64::INFINITY, 0.0));
        assert_eq!((r.ab.f, r.ab.p_value, r.ab.p_gg), (0.0, 1.0, 1.0));
    }
}
