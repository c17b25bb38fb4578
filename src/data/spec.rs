//! The `--data` spec: where rows come from, and how they are split.

use super::dataset::{Dataset, Loaded};
use super::prepare::{DEFAULT_SPLIT_SEED, Splits, ValMode, prepare};
use super::{cache, csv, hdf5, synth};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Where the rows come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum DataSource {
    /// The synthetic JSC-like generator (`synth`, `synth:ROWS`, `synth:ROWS:SEED`).
    Synth {
        /// Rows generated before de-duplication.
        rows: usize,
        /// Generator seed.
        seed: u64,
    },
    /// A CSV file with a header.
    Csv(PathBuf),
    /// MASE's HDF5 file (`.z`, `.h5`, `.hdf5`), dataset `t_allpar_new`.
    Hdf5(PathBuf),
}

impl Default for DataSource {
    fn default() -> Self {
        DataSource::Synth {
            rows: synth::DEFAULT_ROWS,
            seed: synth::DEFAULT_SEED,
        }
    }
}

impl fmt::Display for DataSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataSource::Synth { rows, seed } => write!(f, "synth:{rows}:{seed}"),
            DataSource::Csv(p) | DataSource::Hdf5(p) => write!(f, "{}", p.display()),
        }
    }
}

impl FromStr for DataSource {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        if s == "synth" {
            return Ok(DataSource::default());
        }
        if let Some(rest) = s.strip_prefix("synth:") {
            let bad = || {
                Error::Usage(format!(
                    "invalid data spec '{s}': expected synth, synth:ROWS or synth:ROWS:SEED"
                ))
            };
            let mut parts = rest.split(':');
            let rows: usize = parts
                .next()
                .and_then(|r| r.replace('_', "").parse().ok())
                .filter(|&r| r > 0)
                .ok_or_else(bad)?;
            let seed = match parts.next() {
                Some(v) => v.parse().map_err(|_| bad())?,
                None => synth::DEFAULT_SEED,
            };
            if parts.next().is_some() {
                return Err(bad());
            }
            return Ok(DataSource::Synth { rows, seed });
        }
        let path = PathBuf::from(s);
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("csv") => Ok(DataSource::Csv(path)),
            Some("z" | "h5" | "hdf5") => Ok(DataSource::Hdf5(path)),
            _ => Err(Error::Usage(format!(
                "data spec '{s}' is neither synth[:ROWS[:SEED]] nor a .csv / .z / .h5 / .hdf5 file"
            ))),
        }
    }
}

impl From<DataSource> for String {
    fn from(d: DataSource) -> String {
        d.to_string()
    }
}

impl TryFrom<String> for DataSource {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

/// The directory for data caches: `$TRAINBENCH_CACHE/data`, else `~/.cache/trainbench/data`.
pub fn cache_dir() -> PathBuf {
    let base = std::env::var_os("TRAINBENCH_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/trainbench")))
        .unwrap_or_else(|| PathBuf::from(".trainbench-cache"));
    base.join("data")
}

impl DataSource {
    /// Loads the raw table (files go through the binary cache), with the warnings of the load
    /// (a data cache that could not be written) for the caller to show.
    pub fn load_with_warnings(&self) -> Result<Loaded> {
        match self {
            DataSource::Synth { rows, seed } => Ok(Loaded::new(synth::generate(*rows, *seed))),
            DataSource::Csv(path) => cache::load_cached(path, &cache_dir(), csv::load_csv),
            DataSource::Hdf5(path) => cache::load_cached(path, &cache_dir(), hdf5::load_hdf5),
        }
    }

    /// Loads the raw table (files go through the binary cache), dropping the warnings of the
    /// load; use [`DataSource::load_with_warnings`] where a user should see them.
    pub fn load(&self) -> Result<Dataset> {
        self.load_with_warnings().map(|loaded| loaded.data)
    }
}

/// A full data spec: source, validation mode and split seed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSpec {
    /// Where the rows come from.
    pub source: DataSource,
    /// Validation mode.
    pub val: ValMode,
    /// Seed of the test split (and of the validation holdout).
    pub split_seed: u64,
}

impl Default for DataSpec {
    fn default() -> Self {
        DataSpec {
            source: DataSource::default(),
            val: ValMode::default(),
            split_seed: DEFAULT_SPLIT_SEED,
        }
    }
}

impl DataSpec {
    /// Loads and prepares the splits; the load's warnings are in [`Splits::warnings`].
    pub fn prepare(&self) -> Result<Splits> {
        let loaded = self.source.load_with_warnings()?;
        let mut splits = prepare(&loaded.data, self.val, self.split_seed)?;
        splits.warnings = loaded.warnings;
        Ok(splits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        assert_eq!(
            "synth".parse::<DataSource>().unwrap(),
            DataSource::default()
        );
        assert_eq!(
            "synth:5000:7".parse::<DataSource>().unwrap(),
            DataSource::Synth {
                rows: 5000,
                seed: 7
            }
        );
        assert_eq!(
            "synth:10_000".parse::<DataSource>().unwrap(),
            DataSource::Synth {
                rows: 10_000,
                seed: synth::DEFAULT_SEED
            }
        );
        assert!(matches!("a/b.CSV".parse(), Ok(DataSource::Csv(_))));
        assert!(matches!("x_truth.z".parse(), Ok(DataSource::Hdf5(_))));
        for bad in [
            "synth:",
            "synth:0",
            "synth:1:2:3",
            "synth:x",
            "data.parquet",
            "data",
        ] {
            let err = bad.parse::<DataSource>().unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad}");
        }
    }

    #[test]
    fn serialises_as_its_spec_string() {
        let d = DataSource::Synth { rows: 100, seed: 3 };
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(json, "\"synth:100:3\"");
        assert_eq!(serde_json::from_str::<DataSource>(&json).unwrap(), d);
    }
}
