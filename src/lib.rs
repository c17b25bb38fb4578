//! trainbench: a criterion-style benchmark harness for training-hyperparameter studies of the
//! MASE Lab 1 networks on JSC jet data.
//!
//! The pipeline, one module per concept: [`data`] (load, split, standardise) → [`model`]
//! (layer lists) → [`net`] (tensors on a device, S replicas) → [`train`] (the MASE loop,
//! with [`optim`]; gradients by [`backprop`], or the whole step on the CPU by [`fused`]) →
//! results with [`provenance`] ([`record`]). [`backend`] picks the device.
//! [`trial`] is one configuration and seed outside a study (`trainbench train`).
//!
//! Where things happen:
//! - **A study run** — plan, shard, prepare the data, train what the trial log lacks (an
//!   adaptive run's stages too), hand the trials to the report — is [`study::Session`]
//!   (`study/session.rs`); which records belong to a run is [`study::RunScope`]; the paths of
//!   a run directory are [`study::RunDir`]; the one cost model is [`study::Plan::estimate`].
//!   The same run as `--jobs N` child processes, merged back, is [`study::jobs`].
//! - **A training parameter** (its name, range, how a study file sets it, how a config id
//!   prints it) is defined once, in the table [`config::params::PARAMS`].
//! - **A number for people** (durations, p-values, percentages, CIs, a missing value) is
//!   formatted in [`format`].
//! - **What a report shows** is one model, [`report::Report`]: the statistics, the figures
//!   ([`report::figure`]) and the words and cells ([`report::text`]), built once; the
//!   terminal table, Markdown, HTML and figure files only lay it out.
//! - [`stats`] is pure statistics on `&[f64]`; [`baseline`] keeps timing and accuracy
//!   baselines and runs the side-by-side comparison ([`baseline::ab`]); [`bench`] says what
//!   `cargo bench --bench training` measures for a study file.
//!
//! The `trainbench` binary (`src/cli/`) only parses flags, calls the library and prints (and
//! turns Ctrl-C into the stop flag the library checks).

pub mod backend;
pub mod backprop;
pub mod baseline;
pub mod bench;
pub mod config;
pub mod data;
pub mod error;
pub mod format;
pub mod fused;
mod jsonfile;
pub mod jsonfloat;
pub mod model;
pub mod net;
pub mod noise_scale;
pub mod optim;
pub mod provenance;
pub mod record;
pub mod report;
pub mod seeding;
pub mod stats;
pub mod study;
pub mod train;
pub mod trial;

pub use error::{Error, Result};
