//! trainbench: a criterion-style benchmark harness for training-hyperparameter studies of the
//! MASE Lab 1 networks on JSC jet data.
//!
//! The pipeline, one module per concept: [`data`] (load, split, standardise) → [`model`]
//! (layer lists) → [`net`] (tensors on a device, S replicas) → [`train`] (the MASE loop,
//! with [`optim`]) → results with [`provenance`]. [`backend`] picks the device; [`study`] runs
//! whole hyperparameter studies (plans, resumable trial logs, shards); [`report`] analyses
//! them; [`baseline`] keeps timing and accuracy baselines.

pub mod backend;
pub mod baseline;
pub mod data;
pub mod error;
pub mod format;
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
