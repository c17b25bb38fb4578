//! One trial outside a study (`trainbench train`): one configuration and one seed on data
//! prepared for it alone — checked against the memory first ([`check_memory`]), then the
//! data prepared and put on the device, trained ([`crate::train::train`]) and recorded with
//! its provenance ([`train_one`]). What happens is told as [`TrialEvent`]s; printing them is
//! the caller's.

use crate::Result;
use crate::backend::BackendKind;
use crate::config::TrainConfig;
use crate::data::{DataSource, DataSpec, Splits};
use crate::provenance::Provenance;
use crate::record::{DataInfo, TrialRecord};
use crate::study::cost::{self, RowEstimate};
use crate::train::{DeviceSplits, Progress, train};

/// What [`train_one`] reports while it goes.
#[derive(Debug)]
pub enum TrialEvent<'a> {
    /// The data is about to be prepared (loaded, split, standardised).
    Preparing(&'a DataSpec),
    /// The data is prepared: its splits (their warnings among them), what they are, and where
    /// the trial trains.
    Prepared {
        /// The splits, before they go to the device.
        splits: &'a Splits,
        /// What the data is.
        info: &'a DataInfo,
        /// Where and how the trial trains.
        provenance: &'a Provenance,
    },
    /// Training progress.
    Train(Progress),
}

/// A usage error when training `config` on `spec`'s data would not fit in the memory
/// available (synthetic data: its rows; a file that exists has a size the machine could
/// already hold).
pub fn check_memory(config: &TrainConfig, spec: &DataSpec) -> Result<()> {
    let rows = match spec.source {
        DataSource::Synth { rows, .. } => rows,
        _ => 0,
    };
    let rows = RowEstimate::from_raw(rows, false);
    cost::check_memory(
        cost::estimate_bytes(config, 1, rows),
        &format!("training {} on {} rows", config.model, rows.train),
    )
}

/// Trains `config` for `seed` on `spec`'s data with `backend` on `device` and returns its
/// record.
pub fn train_one(
    config: &TrainConfig,
    seed: u64,
    spec: &DataSpec,
    backend: BackendKind,
    device: &burn::prelude::Device,
    mut on_event: impl FnMut(TrialEvent),
) -> Result<TrialRecord> {
    crate::train::check_engine(config.engine, backend)?;
    let provenance = Provenance::collect(backend);
    on_event(TrialEvent::Preparing(spec));
    let splits = spec.prepare()?;
    let info = DataInfo::new(spec, &splits);
    on_event(TrialEvent::Prepared {
        splits: &splits,
        info: &info,
        provenance: &provenance,
    });
    let data = DeviceSplits::upload(&splits, device);
    drop(splits);
    let mut outcomes = train(config, &[seed], &data, |p| on_event(TrialEvent::Train(p)))?;
    Ok(TrialRecord::new(
        config,
        info,
        outcomes.remove(0),
        provenance,
    ))
}
