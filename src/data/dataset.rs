//! The in-memory dataset every loader produces.

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
