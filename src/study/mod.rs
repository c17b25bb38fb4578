//! Hyperparameter studies: a TOML [`file`] of defaults and sweeps becomes a [`plan`] of unique
//! configurations × seeds; the [`runner`] trains what the append-only trial [`log`] lacks
//! (resume is the default), optionally one [`shard`] of it; [`merge`] unions logs from
//! several machines and [`status`] says what is left. [`cost`] estimates the work, [`data`]
//! prepares the study's data once per run, [`rundir`] describes a run directory.

pub mod cost;
pub mod data;
pub mod file;
pub mod log;
pub mod merge;
pub mod params;
pub mod plan;
pub mod rundir;
pub mod runner;
pub mod shard;
pub mod status;

pub use file::{Study, Sweep};
pub use log::{LOG_FILE, LogContents, TrialKey, TrialLog};
pub use plan::{Group, Plan, PlanOptions, PlannedConfig, Replicas, config_id};
pub use runner::{Event, StudyRun, Summary};
pub use shard::Shard;
