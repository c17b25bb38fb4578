//! JSC data: the dataset type, loaders (HDF5, CSV, binary cache), the synthetic generator,
//! MASE preprocessing and splits, the `--data` spec, and the CSV export of the splits.

pub mod cache;
pub mod csv;
pub mod dataset;
pub mod export;
pub mod hdf5;
pub mod prepare;
pub mod spec;
pub mod split;
pub mod synth;

pub use dataset::{CLASS_NAMES, Dataset, FEATURE_NAMES, FeatureStats, Loaded, ONE_HOT_COLUMNS};
pub use prepare::{Splits, ValMode};
pub use spec::{DataSource, DataSpec};
