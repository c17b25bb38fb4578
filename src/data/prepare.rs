//! MASE's preprocessing: drop duplicate rows, split off 20% test with scikit-learn's
//! permutation, standardise with the training part's mean/std, then carve the validation set.

use super::dataset::Dataset;
use super::split::{test_len, train_test_split};
use crate::seeding::{Purpose, rng_for, shuffle};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

/// Share of the de-duplicated rows held out for testing (MASE: 0.2).
pub const TEST_SHARE: f64 = 0.2;
/// Share of the training part held out for validation in [`ValMode::Holdout`].
pub const VAL_SHARE: f64 = 0.1;
/// MASE's split seed (`random_state=42`).
pub const DEFAULT_SPLIT_SEED: u64 = 42;

/// Rows in each prepared split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitSizes {
    /// Rows trained on.
    pub train: usize,
    /// Validation rows (the training rows themselves in [`ValMode::Mase`]).
    pub val: usize,
    /// Test rows.
    pub test: usize,
}

/// The split sizes [`prepare`] makes of `rows` distinct rows: [`TEST_SHARE`] of them for
/// testing (rounded up, as scikit-learn does), then, in [`ValMode::Holdout`], [`VAL_SHARE`] of
/// the rest (rounded up) for validation.
pub fn split_sizes(rows: usize, val_mode: ValMode) -> SplitSizes {
    let test = test_len(rows, TEST_SHARE);
    let rest = rows - test;
    match val_mode {
        ValMode::Mase => SplitSizes {
            train: rest,
            val: rest,
            test,
        },
        ValMode::Holdout => {
            let val = (VAL_SHARE * rest as f64).ceil() as usize;
            SplitSizes {
                train: rest - val,
                val,
                test,
            }
        }
    }
}

/// Where the validation metrics come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ValMode {
    /// A real held-out 10% of the training part, never trained on (the default).
    #[default]
    Holdout,
    /// MASE's quirk: "validation" is the training set itself, evaluated in eval mode.
    Mase,
}

impl fmt::Display for ValMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValMode::Holdout => "holdout",
            ValMode::Mase => "mase",
        })
    }
}

impl FromStr for ValMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "holdout" => Ok(ValMode::Holdout),
            "mase" => Ok(ValMode::Mase),
            other => Err(Error::Usage(format!(
                "unknown validation mode '{other}' (holdout or mase)"
            ))),
        }
    }
}

/// The prepared splits, standardised, ready to train on.
#[derive(Debug, Clone)]
pub struct Splits {
    /// Rows trained on.
    pub train: Dataset,
    /// Validation rows (a copy of `train` when `val_is_train`).
    pub val: Dataset,
    /// Test rows.
    pub test: Dataset,
    /// True in [`ValMode::Mase`].
    pub val_is_train: bool,
    /// Exact duplicate rows dropped before splitting.
    pub duplicates_dropped: usize,
    /// Per-feature (mean, std) fitted on the training part (before the validation holdout).
    pub scaler: Vec<(f64, f64)>,
    /// A hash of the prepared splits (hex), identifying the data in trial keys.
    pub fingerprint: String,
    /// Problems met while loading that did not stop it, one sentence each without a
    /// `warning:` prefix (see [`Loaded::warnings`](crate::data::Loaded::warnings)); the caller
    /// prints them.
    pub warnings: Vec<String>,
}

impl Splits {
    /// The three splits with their names, in the order `train`, `val`, `test`.
    pub fn parts(&self) -> [(&'static str, &Dataset); 3] {
        [
            ("train", &self.train),
            ("val", &self.val),
            ("test", &self.test),
        ]
    }
}

/// Indices of the first occurrence of every distinct row (features and label), in order —
/// `pandas.DataFrame.drop_duplicates()`.
fn unique_rows(data: &Dataset) -> Vec<usize> {
    let mut seen = HashSet::with_capacity(data.len());
    (0..data.len())
        .filter(|&i| {
            let mut key: Vec<u32> = data.row(i).iter().map(|v| v.to_bits()).collect();
            key.push(data.labels[i] as u32);
            seen.insert(key)
        })
        .collect()
}

/// Per-feature population mean and std (ddof 0, scikit-learn's `StandardScaler`); a zero std
/// is replaced by 1, as scikit-learn does.
fn fit_scaler(data: &Dataset) -> Vec<(f64, f64)> {
    let f = data.n_features();
    let n = data.len().max(1) as f64;
    let mut sum = vec![0f64; f];
    for i in 0..data.len() {
        for (s, &v) in sum.iter_mut().zip(data.row(i)) {
            *s += v as f64;
        }
    }
    let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
    let mut ss = vec![0f64; f];
    for i in 0..data.len() {
        for ((s, &v), m) in ss.iter_mut().zip(data.row(i)).zip(&mean) {
            *s += (v as f64 - m).powi(2);
        }
    }
    mean.into_iter()
        .zip(ss)
        .map(|(m, s)| {
            let sd = (s / n).sqrt();
            (m, if sd == 0.0 { 1.0 } else { sd })
        })
        .collect()
}

fn standardise(data: &mut Dataset, scaler: &[(f64, f64)]) {
    let f = scaler.len();
    for (k, v) in data.features.iter_mut().enumerate() {
        let (m, s) = scaler[k % f];
        *v = ((*v as f64 - m) / s) as f32;
    }
}

/// FNV-1a over the prepared splits' bytes.
fn fingerprint(parts: &[&Dataset], val_mode: ValMode) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(val_mode.to_string().as_bytes());
    for d in parts {
        eat(&(d.len() as u64).to_le_bytes());
        for v in &d.features {
            eat(&v.to_le_bytes());
        }
        eat(&d.labels);
    }
    format!("{h:016x}")
}

/// Runs MASE's preprocessing on a loaded table (the result has no warnings).
pub fn prepare(raw: &Dataset, val_mode: ValMode, split_seed: u64) -> Result<Splits> {
    let seed = u32::try_from(split_seed).map_err(|_| {
        Error::Usage(format!(
            "split seed {split_seed} is too large (numpy's RandomState takes 0..2^32)"
        ))
    })?;
    let unique = unique_rows(raw);
    let duplicates_dropped = raw.len() - unique.len();
    if unique.len() < 10 {
        return Err(Error::Usage(format!(
            "only {} distinct rows: too few to split into train and test",
            unique.len()
        )));
    }
    let sizes = split_sizes(unique.len(), val_mode);
    let (train_idx, test_idx) = train_test_split(unique.len(), TEST_SHARE, seed);
    let pick = |idx: &[usize]| -> Vec<usize> { idx.iter().map(|&i| unique[i]).collect() };
    let mut train = raw.subset(&pick(&train_idx));
    let mut test = raw.subset(&pick(&test_idx));
    let scaler = fit_scaler(&train);
    standardise(&mut train, &scaler);
    standardise(&mut test, &scaler);
    let (train, val, val_is_train) = match val_mode {
        ValMode::Mase => (train.clone(), train, true),
        ValMode::Holdout => {
            let n_val = sizes.val;
            let mut order: Vec<u32> = (0..train.len() as u32).collect();
            shuffle(&mut order, &mut rng_for(split_seed, Purpose::Split));
            let mut val_rows: Vec<usize> = order[..n_val].iter().map(|&i| i as usize).collect();
            let mut fit_rows: Vec<usize> = order[n_val..].iter().map(|&i| i as usize).collect();
            val_rows.sort_unstable();
            fit_rows.sort_unstable();
            (train.subset(&fit_rows), train.subset(&val_rows), false)
        }
    };
    let fingerprint = fingerprint(&[&train, &val, &test], val_mode);
    Ok(Splits {
        train,
        val,
        test,
        val_is_train,
        duplicates_dropped,
        scaler,
        fingerprint,
        warnings: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: usize) -> Dataset {
        let mut features = Vec::new();
        let mut labels = Vec::new();
        for i in 0..rows {
            for j in 0..16 {
                features.push((i * 16 + j) as f32 * 0.5);
            }
            labels.push((i % 5) as u8);
        }
        Dataset::jsc(features, labels)
    }

    #[test]
    fn drops_duplicates_and_splits_80_20_then_10_percent_val() {
        let mut raw = table(1000);
        let dup = raw.subset(&[3, 7]);
        raw.features.extend(dup.features);
        raw.labels.extend(dup.labels);
        let s = prepare(&raw, ValMode::Holdout, 42).unwrap();
        assert_eq!(s.duplicates_dropped, 2);
        assert_eq!(s.test.len(), 200);
        assert_eq!(s.val.len(), 80);
        assert_eq!(s.train.len(), 720);
        assert!(!s.val_is_train);
    }

    #[test]
    fn scaler_is_fitted_on_train_only_and_standardises_it() {
        let s = prepare(&table(500), ValMode::Mase, 42).unwrap();
        assert!(s.val_is_train);
        assert_eq!(s.val, s.train);
        let f = 16;
        for j in 0..f {
            let col: Vec<f64> = (0..s.train.len())
                .map(|i| s.train.row(i)[j] as f64)
                .collect();
            let mean = col.iter().sum::<f64>() / col.len() as f64;
            let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / col.len() as f64;
            assert!(mean.abs() < 1e-4, "feature {j} mean {mean}");
            assert!((var - 1.0).abs() < 1e-3, "feature {j} var {var}");
        }
    }

    #[test]
    fn split_seed_changes_the_split_and_is_reproducible() {
        let raw = table(300);
        let a = prepare(&raw, ValMode::Holdout, 42).unwrap();
        let b = prepare(&raw, ValMode::Holdout, 42).unwrap();
        let c = prepare(&raw, ValMode::Holdout, 43).unwrap();
        assert_eq!(a.fingerprint, b.fingerprint);
        assert_ne!(a.fingerprint, c.fingerprint);
        assert!(prepare(&raw, ValMode::Holdout, 1 << 40).is_err());
    }
}
