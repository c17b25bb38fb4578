//! The data of a study run: prepared once per run (and, with `--quick`, subsampled).
//!
//! Quick runs train on at most about 100,000 rows: a synthetic source generates
//! `min(rows, 100_000)` rows; a file's prepared splits are cut to seeded subsets of at most
//! 72,000 training, 8,000 validation and 20,000 test rows (the split sizes of 100,000 rows),
//! and the fingerprint gets a `-quick` suffix.

use super::cost::RowEstimate;
use crate::Result;
use crate::data::{DataSource, DataSpec, Dataset, Loaded, Splits, ValMode};
use crate::seeding::{Purpose, rng_for, shuffle};

/// Rows a quick run generates from a synthetic source.
pub const QUICK_SYNTH_ROWS: usize = 100_000;
/// Row caps of a quick run's (train, validation, test) splits from a file.
pub const QUICK_SPLIT_ROWS: (usize, usize, usize) = (72_000, 8_000, 20_000);

/// The spec actually prepared: with `quick`, a synthetic source is capped at
/// [`QUICK_SYNTH_ROWS`].
pub fn effective_spec(spec: &DataSpec, quick: bool) -> DataSpec {
    let mut spec = spec.clone();
    if let (true, DataSource::Synth { rows, .. }) = (quick, &mut spec.source) {
        *rows = (*rows).min(QUICK_SYNTH_ROWS);
    }
    spec
}

/// The study's data as loaded for planning: its estimated split sizes, and the raw table when
/// counting its rows meant loading it (a file, through its cache), so that
/// [`prepare`] does not load it a second time.
pub struct PlannedData {
    /// The spec actually prepared (see [`effective_spec`]).
    pub spec: DataSpec,
    /// Estimated rows of each split.
    pub rows: RowEstimate,
    /// The raw table, if it was loaded (files); a synthetic source is generated in [`prepare`].
    raw: Option<Loaded>,
}

/// Estimated split sizes without preparing the data (a file is loaded, through its cache, to
/// count its rows, and kept for [`prepare`]).
pub fn load(spec: &DataSpec, quick: bool) -> Result<PlannedData> {
    let spec = effective_spec(spec, quick);
    let (raw_rows, raw) = match &spec.source {
        DataSource::Synth { rows, .. } => (*rows, None),
        _ => {
            let raw = spec.source.load_with_warnings()?;
            (raw.data.len(), Some(raw))
        }
    };
    let mut rows = RowEstimate::from_raw(raw_rows, spec.val == ValMode::Mase);
    if quick {
        let (t, v, s) = QUICK_SPLIT_ROWS;
        rows.train = rows.train.min(t);
        rows.val = rows.val.min(if spec.val == ValMode::Mase { t } else { v });
        rows.test = rows.test.min(s);
    }
    Ok(PlannedData { spec, rows, raw })
}

/// A seeded subset of at most `max` rows of `data`, in the original order.
pub(crate) fn subsample(data: &Dataset, max: usize, seed: u64) -> Dataset {
    if data.len() <= max {
        return data.clone();
    }
    let mut order: Vec<u32> = (0..data.len() as u32).collect();
    shuffle(&mut order, &mut rng_for(seed, Purpose::Subsample));
    let mut rows: Vec<usize> = order[..max].iter().map(|&i| i as usize).collect();
    rows.sort_unstable();
    data.subset(&rows)
}

/// Prepares the study's data (MASE's preprocessing, then the quick caps): returns the spec
/// actually used and the splits.
pub fn prepare(planned: PlannedData, quick: bool) -> Result<(DataSpec, Splits)> {
    let PlannedData { spec, raw, .. } = planned;
    let mut splits = match raw {
        Some(raw) => {
            let mut splits = crate::data::prepare::prepare(&raw.data, spec.val, spec.split_seed)?;
            splits.warnings = raw.warnings;
            splits
        }
        None => spec.prepare()?,
    };
    let (t, v, s) = QUICK_SPLIT_ROWS;
    let too_big = splits.train.len() > t || splits.test.len() > s;
    if quick && too_big {
        let seed = spec.split_seed;
        splits.train = subsample(&splits.train, t, seed);
        splits.val = if splits.val_is_train {
            splits.train.clone()
        } else {
            subsample(&splits.val, v, seed ^ 1)
        };
        splits.test = subsample(&splits.test, s, seed ^ 2);
        splits.fingerprint = format!("{}-quick", splits.fingerprint);
    }
    Ok((spec, splits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_caps_synthetic_rows_and_keeps_small_data() {
        let spec = DataSpec {
            source: DataSource::Synth {
                rows: 1_000_000,
                seed: 3,
            },
            ..DataSpec::default()
        };
        assert_eq!(
            effective_spec(&spec, true).source,
            DataSource::Synth {
                rows: QUICK_SYNTH_ROWS,
                seed: 3
            }
        );
        assert_eq!(effective_spec(&spec, false), spec);
        let est = load(&spec, true).unwrap().rows;
        assert_eq!((est.train, est.val, est.test), (72_000, 8_000, 20_000));

        let small = DataSpec {
            source: DataSource::Synth {
                rows: 2_000,
                seed: 3,
            },
            ..DataSpec::default()
        };
        let (_, quick) = prepare(load(&small, true).unwrap(), true).unwrap();
        let (_, full) = prepare(load(&small, false).unwrap(), false).unwrap();
        assert_eq!(quick.fingerprint, full.fingerprint);
    }

    #[test]
    fn subsample_is_seeded_and_ordered() {
        let d = Dataset::jsc((0..16 * 100).map(|v| v as f32).collect(), vec![0; 100]);
        let a = subsample(&d, 10, 7);
        assert_eq!(a.len(), 10);
        assert_eq!(a, subsample(&d, 10, 7));
        assert_ne!(a, subsample(&d, 10, 8));
        assert!((1..10).all(|i| a.row(i)[0] > a.row(i - 1)[0]));
    }
}
