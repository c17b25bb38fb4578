//! An offline, synthetic stand-in for the JSC data: "JSC-like" jets whose accuracies behave
//! like the real file's (a linear model clearly below an MLP, the MLP in the mid-70s %, most
//! errors W↔Z and q↔g), for users without the real file and for CI.
//!
//! # The generative model
//!
//! Every jet has five hidden "physics factors":
//!
//! * `m`  — log of the groomed (mMDT) jet mass,
//! * `n`  — log of the number of constituents,
//! * `w`  — radiation width (how broadly the energy is spread),
//! * `p2` — two-prong-ness (low for jets made of two hard subjets: W, Z),
//! * `p3` — three-prong-ness (low for three hard subjets: top).
//!
//! Per class the factors come from a small mixture of correlated Gaussians (the same factor
//! correlation matrix for every component, class-specific centres and widths):
//!
//! * **g** (gluon) and **q** (light quark): one-prong, low-mass continua (medians 55 and 45 GeV,
//!   log-normal, wide); gluons have ~1.5× more constituents (52 vs 35) and a radiation width
//!   that fluctuates much more (a scale mixture of a narrow and a wide core: a heavy tail).
//! * **W** and **Z**: 90% a resolved two-prong peak at 80.4 GeV (W) or 91.2 GeV (Z) with 8%
//!   (log-normal) detector smearing, so the two peaks overlap strongly; 10% a low-mass tail
//!   where grooming removed a prong. Z jets have a few more constituents.
//! * **t** (top): 65% a three-prong peak at 173 GeV, 22% a W sub-peak (the b subjet groomed
//!   away), 13% a broad tail around 120 GeV.
//!
//! Sixteen latent log-observables are then a fixed, class-independent linear function of the
//! factors plus independent Gaussian noise, `z = o + B (f − f_ref) + d ⊙ ε`: the b1/b2 variants
//! of an observable load on the same factors (so they are strongly correlated); C1 grows with
//! mass and width; C2, D2, N2 are driven by prong-ness; M2 and N2 grow with mass, D2 falls with
//! it. The features are a class-independent elementwise transform of `z`: `exp(z)` for the
//! positive observables (log-normal, heavy right tails), `j_zlogz = −exp(z)` (negative, more
//! negative for more constituents), `j_mass_mmdt = exp(z)` in GeV, and
//! `j_multiplicity = max(1, round(exp(z)))` (a positive integer).
//!
//! Because the map from `z` to the features does not depend on the class, the class-conditional
//! densities are known exactly (Gaussian mixtures in `z`; the Jacobian cancels between classes,
//! and the integer multiplicity is an interval probability of its conditional Gaussian), so the
//! Bayes-optimal accuracy can be computed. `scripts/synth_calibrate.py` holds a numpy copy of
//! the same model (same distributions, not the same random stream), the Bayes classifier and the
//! calibration fits; keep the parameter tables of the two files in step.
//!
//! # Determinism
//!
//! The output depends only on `(rows, seed)`: the labels (`i % 5`, shuffled) come from one
//! ChaCha8 stream, and the features are made in fixed chunks of [`CHUNK_ROWS`] rows, chunk `k`
//! drawing from stream `k + 1` of the same seed, so the thread count does not matter. Only
//! IEEE-exact arithmetic is used (`+ − × ÷ √`, rounding, and our own `exp`/`ln` built from those),
//! never the platform's libm, so every platform produces the same bits.

use super::dataset::Dataset;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Default row count: the real data after de-duplication (test 197,362 + train 789,450).
pub const DEFAULT_ROWS: usize = 986_812;
/// Default generator seed.
pub const DEFAULT_SEED: u64 = 1;
/// Rows per independently seeded chunk (chunk `k` uses ChaCha8 stream `k + 1`).
pub const CHUNK_ROWS: usize = 8192;

const N_FACTORS: usize = 5;
const N_FEATURES: usize = 16;
const ZLOGZ_COL: usize = 0;
const MULT_COL: usize = 15;
/// Mass loadings act on `m − ln 50`, multiplicity loadings on `n − ln 40`.
const M_REF_GEV: f64 = 50.0;
const N_REF: f64 = 40.0;

/// Correlation of the factors (m, n, w, p2, p3) inside every mixture component.
const FACTOR_CORR: [[f64; N_FACTORS]; N_FACTORS] = [
    [1.00, 0.30, 0.40, 0.20, 0.10],
    [0.30, 1.00, 0.35, 0.10, 0.10],
    [0.40, 0.35, 1.00, 0.30, 0.20],
    [0.20, 0.10, 0.30, 1.00, 0.40],
    [0.10, 0.10, 0.20, 0.40, 1.00],
];

/// One mixture component: weight, centre and widths of the factors. Mass is given in GeV
/// and multiplicity as a count (their logs are the factors); w, p2, p3 as they are.
struct Component {
    weight: f64,
    mass_gev: f64,
    mult: f64,
    w: f64,
    p2: f64,
    p3: f64,
    /// Standard deviations of (m, n, w, p2, p3).
    sd: [f64; N_FACTORS],
}

const fn comp(weight: f64, centre: [f64; 5], sd: [f64; 5]) -> Component {
    Component {
        weight,
        mass_gev: centre[0],
        mult: centre[1],
        w: centre[2],
        p2: centre[3],
        p3: centre[4],
        sd,
    }
}

const TAIL_SD: [f64; 5] = [0.50, 0.20, 0.35, 0.40, 0.40];

/// Per class (g, q, w, z, t): the mixture components. Mirrors `CLASSES` in the calibration
/// script.
const CLASSES: [&[Component]; 5] = [
    // g: one-prong continuum, many constituents, scale-mixture width (narrow + wide core)
    &[
        comp(
            0.60,
            [55.0, 52.0, 0.20, 0.55, 0.35],
            [0.80, 0.30, 0.35, 0.55, 0.50],
        ),
        comp(
            0.40,
            [55.0, 52.0, 0.20, 0.55, 0.35],
            [0.80, 0.30, 0.90, 0.55, 0.50],
        ),
    ],
    // q: one-prong continuum, fewer constituents, narrow width
    &[comp(
        1.00,
        [45.0, 35.0, 0.00, 0.45, 0.30],
        [0.80, 0.18, 0.22, 0.55, 0.50],
    )],
    // W: resolved two-prong peak at 80.4 GeV + groomed-away low-mass tail
    &[
        comp(
            0.90,
            [80.4, 40.0, 0.00, -0.55, 0.10],
            [0.08, 0.15, 0.25, 0.16, 0.30],
        ),
        comp(0.10, [35.0, 38.0, 0.05, -0.10, 0.25], TAIL_SD),
    ],
    // Z: resolved two-prong peak at 91.2 GeV + low-mass tail
    &[
        comp(
            0.90,
            [91.2, 44.0, 0.02, -0.45, 0.10],
            [0.08, 0.15, 0.25, 0.16, 0.30],
        ),
        comp(0.10, [38.0, 41.0, 0.07, -0.10, 0.25], TAIL_SD),
    ],
    // t: three-prong peak at 173 GeV, W sub-peak, broad tail
    &[
        comp(
            0.65,
            [173.0, 64.0, 0.30, 0.00, -0.70],
            [0.10, 0.15, 0.30, 0.30, 0.30],
        ),
        comp(
            0.22,
            [80.4, 52.0, 0.20, -0.40, -0.25],
            [0.12, 0.18, 0.30, 0.30, 0.35],
        ),
        comp(
            0.13,
            [120.0, 56.0, 0.25, 0.10, -0.10],
            [0.40, 0.20, 0.35, 0.40, 0.40],
        ),
    ],
];

/// One latent observable `z_j = ln(scale_j) + B_j · (f − f_ref) + noise_j · ε_j`.
struct Observable {
    /// `exp` of the offset: the observable's value at the reference factors.
    scale: f64,
    /// Loadings on (m − ln 50, n − ln 40, w, p2, p3).
    loading: [f64; N_FACTORS],
    /// Standard deviation of the observable's own noise.
    noise: f64,
}

const fn obs(scale: f64, loading: [f64; N_FACTORS], noise: f64) -> Observable {
    Observable {
        scale,
        loading,
        noise,
    }
}

/// The 16 observables in `FEATURE_NAMES` order. Mirrors `OBSERVABLES` in the script.
const OBSERVABLES: [Observable; N_FEATURES] = [
    obs(3.0, [0.05, 0.45, 0.20, 0.05, 0.00], 0.08), // j_zlogz (negated)
    obs(0.25, [0.35, 0.05, 0.50, 0.00, 0.00], 0.10), // j_c1_b0_mmdt
    obs(0.08, [0.45, 0.05, 0.60, 0.00, 0.00], 0.10), // j_c1_b1_mmdt
    obs(0.03, [0.55, 0.05, 0.70, 0.00, 0.00], 0.12), // j_c1_b2_mmdt
    obs(0.25, [0.00, 0.00, 0.10, 0.60, 0.25], 0.12), // j_c2_b1_mmdt
    obs(0.18, [0.00, 0.00, 0.10, 0.65, 0.25], 0.14), // j_c2_b2_mmdt
    obs(2.0, [-0.20, 0.00, 0.00, 0.80, 0.20], 0.15), // j_d2_b1_mmdt
    obs(1.6, [-0.25, 0.00, 0.00, 0.85, 0.20], 0.17), // j_d2_b2_mmdt
    obs(1.4, [0.15, 0.00, 0.10, 0.70, 0.15], 0.15), // j_d2_a1_b1_mmdt
    obs(1.2, [0.15, 0.00, 0.10, 0.75, 0.15], 0.17), // j_d2_a1_b2_mmdt
    obs(0.08, [0.50, 0.00, 0.00, 0.40, 0.30], 0.15), // j_m2_b1_mmdt
    obs(0.05, [0.55, 0.00, 0.00, 0.45, 0.30], 0.17), // j_m2_b2_mmdt
    obs(0.25, [0.15, 0.00, 0.00, 0.60, 0.20], 0.10), // j_n2_b1_mmdt
    obs(0.20, [0.15, 0.00, 0.00, 0.65, 0.20], 0.12), // j_n2_b2_mmdt
    obs(M_REF_GEV, [1.00, 0.00, 0.00, 0.00, 0.00], 0.02), // j_mass_mmdt (GeV)
    obs(N_REF, [0.00, 1.00, 0.00, 0.00, 0.00], 0.05), // j_multiplicity (rounded)
];

/// A mixture component compiled to `z = mean + A e + noise ⊙ ε`, with `e, ε` standard normal.
struct Compiled {
    /// Cumulative (normalised) weight within the class, for picking the component.
    cum_weight: f64,
    mean: [f64; N_FEATURES],
    /// `B · diag(sd) · chol(FACTOR_CORR)`, 16×5.
    a: [[f64; N_FACTORS]; N_FEATURES],
}

/// The model compiled to per-component affine maps (built once per `generate` call).
struct Model {
    classes: Vec<Vec<Compiled>>,
    noise: [f64; N_FEATURES],
}

impl Model {
    fn build() -> Model {
        let chol = cholesky5(&FACTOR_CORR);
        let f_ref = [det_ln(M_REF_GEV), det_ln(N_REF), 0.0, 0.0, 0.0];
        let classes = CLASSES
            .iter()
            .map(|comps| {
                let total: f64 = comps.iter().map(|c| c.weight).sum();
                let mut cum = 0.0;
                comps
                    .iter()
                    .map(|c| {
                        cum += c.weight / total;
                        let centre = [det_ln(c.mass_gev), det_ln(c.mult), c.w, c.p2, c.p3];
                        let mut mean = [0.0; N_FEATURES];
                        let mut a = [[0.0; N_FACTORS]; N_FEATURES];
                        for (j, o) in OBSERVABLES.iter().enumerate() {
                            let mut zj = det_ln(o.scale);
                            for k in 0..N_FACTORS {
                                zj += o.loading[k] * (centre[k] - f_ref[k]);
                            }
                            mean[j] = zj;
                            for col in 0..N_FACTORS {
                                a[j][col] = (col..N_FACTORS)
                                    .map(|k| o.loading[k] * c.sd[k] * chol[k][col])
                                    .fold(0.0, |s, v| s + v);
                            }
                        }
                        Compiled {
                            cum_weight: cum,
                            mean,
                            a,
                        }
                    })
                    .collect()
            })
            .collect();
        Model {
            classes,
            noise: OBSERVABLES.map(|o| o.noise),
        }
    }

    /// Appends one jet of class `class` to `out`.
    fn sample(&self, class: u8, rng: &mut ChaCha8Rng, normal: &mut Normal, out: &mut Vec<f32>) {
        let comps = &self.classes[class as usize];
        let u: f64 = rng.random();
        let c = comps
            .iter()
            .find(|c| u < c.cum_weight)
            .unwrap_or(&comps[comps.len() - 1]);
        let mut e = [0.0; N_FACTORS];
        for v in &mut e {
            *v = normal.sample(rng);
        }
        for j in 0..N_FEATURES {
            let z = c.a[j].iter().zip(&e).fold(c.mean[j], |z, (a, e)| z + a * e)
                + self.noise[j] * normal.sample(rng);
            let x = det_exp(z);
            let v = match j {
                ZLOGZ_COL => -x,
                MULT_COL => x.round().max(1.0),
                _ => x,
            };
            out.push(v as f32);
        }
    }
}

/// Generates `rows` JSC-like jets, classes balanced (row `i` gets class `i % 5`, then the
/// labels are shuffled by the seed, so every class has `rows / 5` or one more rows),
/// deterministic for `(rows, seed)` on every platform and for any thread count. See the
/// module documentation for the generative model.
pub fn generate(rows: usize, seed: u64) -> Dataset {
    let mut labels: Vec<u8> = (0..rows).map(|i| (i % 5) as u8).collect();
    let mut shuffle_rng = ChaCha8Rng::seed_from_u64(seed);
    shuffle_rng.set_stream(0);
    labels.shuffle(&mut shuffle_rng);

    let model = Model::build();
    let chunks: Vec<Vec<f32>> = labels
        .par_chunks(CHUNK_ROWS)
        .enumerate()
        .map(|(k, chunk)| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(k as u64 + 1);
            let mut normal = Normal::default();
            let mut out = Vec::with_capacity(chunk.len() * N_FEATURES);
            for &class in chunk {
                model.sample(class, &mut rng, &mut normal, &mut out);
            }
            out
        })
        .collect();
    let mut features = Vec::with_capacity(rows * N_FEATURES);
    for c in chunks {
        features.extend_from_slice(&c);
    }
    Dataset::jsc(features, labels)
}

/// Standard normal deviates by Marsaglia's polar method (two per accepted pair), using only
/// IEEE-exact operations and [`det_ln`].
#[derive(Default)]
struct Normal {
    spare: Option<f64>,
}

impl Normal {
    fn sample(&mut self, rng: &mut ChaCha8Rng) -> f64 {
        if let Some(v) = self.spare.take() {
            return v;
        }
        loop {
            let u = 2.0 * rng.random::<f64>() - 1.0;
            let v = 2.0 * rng.random::<f64>() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let f = (-2.0 * det_ln(s) / s).sqrt();
                self.spare = Some(v * f);
                return u * f;
            }
        }
    }
}

/// Cholesky factor (lower triangular) of a 5×5 positive-definite matrix.
fn cholesky5(m: &[[f64; N_FACTORS]; N_FACTORS]) -> [[f64; N_FACTORS]; N_FACTORS] {
    let mut l = [[0.0; N_FACTORS]; N_FACTORS];
    for i in 0..N_FACTORS {
        for j in 0..=i {
            let s = (0..j).fold(m[i][j], |s, k| s - l[i][k] * l[j][k]);
            l[i][j] = if i == j { s.sqrt() } else { s / l[j][j] };
        }
    }
    l
}

/// `INV[i] = 1 / i` (correctly rounded at compile time; `INV[0]` unused).
const INV: [f64; 24] = {
    let mut t = [0.0; 24];
    let mut i = 1;
    while i < 24 {
        t[i] = 1.0 / i as f64;
        i += 1;
    }
    t
};

const LN2_HI: f64 = 6.931_471_803_691_238e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;

/// Natural log of a positive, finite, normal `x` from IEEE-exact operations only (a few ulp
/// accurate), so that results are bit-identical on every platform.
fn det_ln(x: f64) -> f64 {
    debug_assert!(x > 0.0 && x.is_finite() && x.is_normal());
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | (1023u64 << 52));
    if m > std::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    // ln m = 2 atanh(t), t = (m − 1)/(m + 1), |t| ≤ 0.172
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let mut p = INV[23];
    for k in (1..=10).rev() {
        p = p * t2 + INV[2 * k + 1];
    }
    let series = 2.0 * t + 2.0 * t * t2 * p;
    let e = e as f64;
    e * LN2_HI + (series + e * LN2_LO)
}

/// `exp(x)` from IEEE-exact operations only (a few ulp accurate), bit-identical everywhere.
/// Clamped to `[-700, 700]`.
fn det_exp(x: f64) -> f64 {
    let x = x.clamp(-700.0, 700.0);
    let k = (x / std::f64::consts::LN_2).round();
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // Taylor series to r^13 / 13! on |r| ≤ 0.35
    let mut p = 1.0;
    for i in (1..=13).rev() {
        p = 1.0 + p * r * INV[i];
    }
    let scale = f64::from_bits(((k as i64 + 1023) as u64) << 52);
    p * scale
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::dataset::{CLASS_NAMES, FEATURE_NAMES};

    const MASS_COL: usize = 14;

    fn column(d: &Dataset, col: usize, class: u8) -> Vec<f32> {
        (0..d.len())
            .filter(|&i| d.labels[i] == class)
            .map(|i| d.row(i)[col])
            .collect()
    }

    fn median(mut v: Vec<f32>) -> f32 {
        v.sort_by(f32::total_cmp);
        v[v.len() / 2]
    }

    fn mean(v: &[f32]) -> f64 {
        v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64
    }

    #[test]
    fn defaults() {
        assert_eq!(DEFAULT_ROWS, 197_362 + 789_450);
        assert_eq!(DEFAULT_SEED, 1);
    }

    #[test]
    fn same_seed_same_data_for_any_thread_count() {
        let a = generate(20_000, 7);
        let b = generate(20_000, 7);
        assert_eq!(a, b);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let c = pool.install(|| generate(20_000, 7));
        assert_eq!(a, c);
        // a prefix of a longer run is not required to match, but the row count is exact
        assert_eq!(a.len(), 20_000);
        assert_eq!(a.features.len(), 20_000 * 16);
    }

    #[test]
    fn different_seed_different_data() {
        let a = generate(5_000, 1);
        let b = generate(5_000, 2);
        assert_ne!(a.labels, b.labels);
        assert_ne!(a.features, b.features);
        let same = a
            .features
            .iter()
            .zip(&b.features)
            .filter(|(x, y)| x == y)
            .count();
        // only a few equal integer multiplicities may coincide
        assert!(same < a.features.len() / 32, "{same} equal values");
    }

    #[test]
    fn classes_balanced_exactly() {
        for rows in [0, 1, 4, 5, 7, 12, 8191, 8193, 20_001] {
            let d = generate(rows, 3);
            assert_eq!(d.len(), rows);
            let counts = d.class_counts();
            let (lo, hi) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
            assert!(hi - lo <= 1, "rows {rows}: {counts:?}");
            assert_eq!(counts.iter().sum::<usize>(), rows);
        }
    }

    #[test]
    fn labels_are_shuffled() {
        let d = generate(1_000, 5);
        let in_order = (0..1_000)
            .filter(|&i| d.labels[i] as usize == i % 5)
            .count();
        assert!(in_order < 400, "{in_order} rows keep class i % 5");
    }

    #[test]
    fn names_and_value_ranges() {
        let d = generate(30_000, 11);
        assert_eq!(d.n_features(), 16);
        assert_eq!(d.feature_names, FEATURE_NAMES.map(String::from).to_vec());
        assert_eq!(CLASS_NAMES.len(), 5);
        assert!(d.features.iter().all(|v| v.is_finite()));
        assert!(d.labels.iter().all(|&l| l < 5));
        for i in 0..d.len() {
            let r = d.row(i);
            assert!(r[ZLOGZ_COL] < 0.0, "zlogz {}", r[ZLOGZ_COL]);
            let n = r[MULT_COL];
            assert!(n >= 1.0 && n.fract() == 0.0, "multiplicity {n}");
            for (j, &v) in r.iter().enumerate().take(MULT_COL).skip(1) {
                assert!(v > 0.0, "feature {j} = {v}");
            }
        }
    }

    #[test]
    fn mass_peaks_where_designed() {
        let d = generate(50_000, 1);
        let med: Vec<f32> = (0..5).map(|c| median(column(&d, MASS_COL, c))).collect();
        let (g, q, w, z, t) = (med[0], med[1], med[2], med[3], med[4]);
        assert!((77.0..83.0).contains(&w), "W median {w}");
        assert!((87.0..94.0).contains(&z), "Z median {z}");
        assert!(z - w > 7.0, "W {w}, Z {z}");
        assert!((150.0..178.0).contains(&t), "top median {t}");
        assert!(g < 70.0 && q < 70.0, "g {g}, q {q}");
        // W and Z overlap strongly: many W jets lie above the midpoint of the two peaks
        let wm = column(&d, MASS_COL, 2);
        let above = wm.iter().filter(|&&m| m > 85.8).count() as f64 / wm.len() as f64;
        assert!((0.1..0.4).contains(&above), "W above 85.8 GeV: {above}");
        // top has a W sub-peak
        let tm = column(&d, MASS_COL, 4);
        let wpeak = tm.iter().filter(|&&m| (70.0..90.0).contains(&m)).count();
        assert!(wpeak as f64 / tm.len() as f64 > 0.12);
    }

    #[test]
    fn gluons_have_more_constituents() {
        let d = generate(20_000, 2);
        let g = mean(&column(&d, MULT_COL, 0));
        let q = mean(&column(&d, MULT_COL, 1));
        assert!((1.3..2.0).contains(&(g / q)), "g {g}, q {q}");
        // b1/b2 variants are strongly correlated (in log space)
        let x: Vec<f64> = (0..d.len()).map(|i| (d.row(i)[12] as f64).ln()).collect();
        let y: Vec<f64> = (0..d.len()).map(|i| (d.row(i)[13] as f64).ln()).collect();
        assert!(correlation(&x, &y) > 0.9);
    }

    fn correlation(x: &[f64], y: &[f64]) -> f64 {
        let n = x.len() as f64;
        let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
        let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
        for (a, b) in x.iter().zip(y) {
            sxy += (a - mx) * (b - my);
            sxx += (a - mx) * (a - mx);
            syy += (b - my) * (b - my);
        }
        sxy / (sxx * syy).sqrt()
    }

    #[test]
    fn features_are_informative() {
        // nearest class mean on standardised features, fitted and scored on the same rows
        let d = generate(20_000, 4);
        let f = d.n_features();
        let mut mu = vec![0.0f64; f];
        let mut sd = vec![0.0f64; f];
        for i in 0..d.len() {
            for (j, &v) in d.row(i).iter().enumerate() {
                mu[j] += v as f64;
                sd[j] += (v as f64) * (v as f64);
            }
        }
        let n = d.len() as f64;
        for j in 0..f {
            mu[j] /= n;
            sd[j] = (sd[j] / n - mu[j] * mu[j]).sqrt();
        }
        let std_row = |i: usize| -> Vec<f64> {
            d.row(i)
                .iter()
                .enumerate()
                .map(|(j, &v)| (v as f64 - mu[j]) / sd[j])
                .collect()
        };
        let mut centre = vec![vec![0.0f64; f]; 5];
        let counts = d.class_counts();
        for i in 0..d.len() {
            for (j, v) in std_row(i).into_iter().enumerate() {
                centre[d.labels[i] as usize][j] += v / counts[d.labels[i] as usize] as f64;
            }
        }
        let correct = (0..d.len())
            .filter(|&i| {
                let r = std_row(i);
                let best = (0..5)
                    .min_by(|&a, &b| {
                        let da: f64 = r.iter().zip(&centre[a]).map(|(x, c)| (x - c).powi(2)).sum();
                        let db: f64 = r.iter().zip(&centre[b]).map(|(x, c)| (x - c).powi(2)).sum();
                        da.total_cmp(&db)
                    })
                    .unwrap();
                best == d.labels[i] as usize
            })
            .count();
        let acc = correct as f64 / n;
        assert!(acc > 0.45, "nearest-class-mean accuracy {acc}");
    }

    #[test]
    fn det_math_is_accurate() {
        for &x in &[
            1e-300, 1e-10, 0.001, 0.3, 0.999_999, 1.0, 1.5, 2.0, 80.4, 1e10,
        ] {
            let (a, b) = (det_ln(x), x.ln());
            assert!(
                (a - b).abs() <= 4.0 * f64::EPSILON * b.abs().max(1.0),
                "ln {x}"
            );
        }
        for i in -2000..=2000 {
            let x = i as f64 * 0.01;
            let (a, b) = (det_exp(x), x.exp());
            assert!(
                (a - b).abs() <= 4.0 * f64::EPSILON * b,
                "exp {x}: {a} vs {b}"
            );
        }
    }
}
