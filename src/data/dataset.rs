//! The in-memory dataset every loader produces, and its descriptive statistics.

/// The 16 JSC input features, in the order MASE feeds them to the network.
pub const FEATURE_NAMES: [&str; 16] = [
    "j_zlogz",
    "j_c1_b0_mmdt",
    "j_c1_b1_mmdt",
    "j_c1_b2_mmdt",
    "j_c2_b1_mmdt",
    "j_c2_b2_mmdt",
    "j_d2_b1_mmdt",
    "j_d2_b2_mmdt",
    "j_d2_a1_b1_mmdt",
    "j_d2_a1_b2_mmdt",
    "j_m2_b1_mmdt",
    "j_m2_b2_mmdt",
    "j_n2_b1_mmdt",
    "j_n2_b2_mmdt",
    "j_mass_mmdt",
    "j_multiplicity",
];

/// The five jet classes, in label order (class index 0..4): gluon, light quark, W, Z, top.
pub const CLASS_NAMES: [&str; 5] = ["g", "q", "w", "z", "t"];

/// The one-hot label columns of the MASE file, in class order.
pub const ONE_HOT_COLUMNS: [&str; 5] = ["j_g", "j_q", "j_w", "j_z", "j_t"];

/// A labelled table: row-major `f32` features and a class index per row.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Row-major features, `len() * n_features()` values.
    pub features: Vec<f32>,
    /// Class index (0..5) per row.
    pub labels: Vec<u8>,
    /// Column names of `features`, in order.
    pub feature_names: Vec<String>,
}

impl Dataset {
    /// A dataset with the 16 JSC feature names.
    pub fn jsc(features: Vec<f32>, labels: Vec<u8>) -> Self {
        Dataset {
            features,
            labels,
            feature_names: FEATURE_NAMES.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Number of feature columns.
    pub fn n_features(&self) -> usize {
        self.feature_names.len()
    }

    /// The features of row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        let f = self.n_features();
        &self.features[i * f..(i + 1) * f]
    }

    /// Rows per class (index = class).
    pub fn class_counts(&self) -> [usize; 5] {
        let mut counts = [0; 5];
        for &l in &self.labels {
            counts[l as usize] += 1;
        }
        counts
    }

    /// Share of rows per class (index = class), in percent; all 0 for an empty dataset.
    pub fn class_percentages(&self) -> [f64; 5] {
        let n = self.len().max(1) as f64;
        self.class_counts().map(|c| 100.0 * c as f64 / n)
    }

    /// Mean, standard deviation (population, ddof 0), minimum and maximum of each feature
    /// column, in column order. An empty dataset gives mean and std 0, min `+inf`, max `-inf`.
    pub fn feature_stats(&self) -> Vec<FeatureStats> {
        (0..self.n_features())
            .map(|j| {
                let col: Vec<f64> = (0..self.len()).map(|i| self.row(i)[j] as f64).collect();
                FeatureStats::of(&col)
            })
            .collect()
    }

    /// A new dataset made of the given rows, in the given order.
    pub fn subset(&self, rows: &[usize]) -> Dataset {
        let f = self.n_features();
        let mut features = Vec::with_capacity(rows.len() * f);
        let mut labels = Vec::with_capacity(rows.len());
        for &i in rows {
            features.extend_from_slice(self.row(i));
            labels.push(self.labels[i]);
        }
        Dataset {
            features,
            labels,
            feature_names: self.feature_names.clone(),
        }
    }
}

/// Descriptive statistics of one feature column (see [`Dataset::feature_stats`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeatureStats {
    /// Arithmetic mean.
    pub mean: f64,
    /// Population standard deviation (divides by n).
    pub std: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

impl FeatureStats {
    /// The statistics of `col`.
    fn of(col: &[f64]) -> Self {
        let n = col.len().max(1) as f64;
        let mean = col.iter().sum::<f64>() / n;
        let std = (col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
        FeatureStats {
            mean,
            std,
            min: col.iter().copied().fold(f64::INFINITY, f64::min),
            max: col.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }
}

/// A loaded table and the warnings its loading produced (problems that did not stop the
/// load, such as a data cache that could not be written), for the caller to show.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// The rows.
    pub data: Dataset,
    /// One sentence per problem, without a `warning:` prefix.
    pub warnings: Vec<String>,
}

impl Loaded {
    /// `data` without warnings.
    pub fn new(data: Dataset) -> Self {
        Loaded {
            data,
            warnings: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_percentages_and_feature_stats() {
        let d = Dataset {
            features: vec![1.0, -2.0, 3.0, 2.0, 5.0, 2.0, 7.0, 2.0],
            labels: vec![0, 4, 4, 1],
            feature_names: vec!["a".into(), "b".into()],
        };
        assert_eq!(d.class_percentages(), [25.0, 25.0, 0.0, 0.0, 50.0]);
        let s = d.feature_stats();
        assert_eq!(s.len(), 2);
        assert_eq!(
            s[0],
            FeatureStats {
                mean: 4.0,
                std: 5f64.sqrt(),
                min: 1.0,
                max: 7.0
            }
        );
        assert_eq!(
            (s[1].mean, s[1].std, s[1].min, s[1].max),
            (1.0, 3f64.sqrt(), -2.0, 2.0)
        );
    }

    #[test]
    fn empty_dataset_statistics_do_not_divide_by_zero() {
        let d = Dataset::jsc(Vec::new(), Vec::new());
        assert_eq!(d.class_percentages(), [0.0; 5]);
        let s = d.feature_stats();
        assert_eq!(s.len(), 16);
        assert_eq!((s[0].mean, s[0].std), (0.0, 0.0));
        assert_eq!((s[0].min, s[0].max), (f64::INFINITY, f64::NEG_INFINITY));
    }
}
