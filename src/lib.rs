//! trainbench: a criterion-style benchmark harness for training-hyperparameter studies of the
//! MASE Lab 1 networks on JSC jet data.
//!
//! The pipeline, one module per concept: [`data`] (load, split, standardise) → [`model`]
//! (layer lists) → [`net`] (tensors on a device, S replicas) → [`train`] (the MASE loop,
//! with [`optim`]) → results with [`provenance`] ([`record`]). [`backend`] picks the device.
//!
//! Where things happen:
//! - **A study run** — plan, shard, prepare the data, train what the trial log lacks, hand the
//!   trials to the report — is [`study::Session`] (`study/session.rs`); the paths of a run
//!   directory are [`study::RunDir`]; the one cost model is [`study::Plan::estimate`].
//! - **A training parameter** (its name, range, how a study file sets it, how a config id
//!   prints it) is defined once, in the table [`config::params::PARAMS`].
//! - **A number for people** (durations, p-values, percentages, CIs, a missing value) is
//!   formatted in [`format`].
//! - [`stats`] is pure statistics on `&[f64]`; [`report`] analyses a run's trials and renders
//!   tables, Markdown, JSON and figures; [`baseline`] keeps timing and accuracy baselines.
//!
//! The `trainbench` binary (`src/cli/`) only parses flags, prints and handles processes.

pub mod backend;
pub mod baseline;
pub mod config;
pub mod data;
pub mod error;
pub mod format;
mod jsonfile;
pub mod jsonfloat;
pub mod model;
pub mod net;
pub mod optim;
pub mod provenance;
pub mod record;
pub mod report;
pub mod seeding;
pub mod stats;
pub mod study;
pub mod train;

pub use error::{Error, Result};
