//! Hyperparameter studies: a TOML [`file`] of defaults and sweeps (each parameter defined
//! in [`crate::config::params`]) becomes a [`plan`] of unique configurations × seeds; a
//! [`session`] runs it — plan, select (optionally one [`shard`]), prepare the data
//! ([`run_data`]), train what the append-only trial [`log`] lacks (resume is the default) and
//! hand the trials to the report. [`rundir`] owns every path of a run directory; [`cost`] is
//! the one cost model (through [`Plan::estimate`]); [`merge`] unions logs from several
//! machines and [`status`] says what is left. [`adaptive`] decides, from a pilot's variance,
//! how many seeds each configuration of a `--seeds MIN..MAX` run gets. [`jobs`] splits a run
//! into `--jobs N` child processes on one machine (its adaptive stages and search rounds
//! too) and merges them back.

pub mod adaptive;
pub mod cost;
pub mod experiment;
pub mod file;
pub mod jobs;
pub mod log;
pub mod lr_search;
pub mod merge;
pub mod plan;
pub mod run_data;
pub mod rundir;
pub mod search_rounds;
pub mod seeds;
pub mod session;
pub mod shard;
pub mod status;

pub use adaptive::AdaptiveSeeds;
pub use experiment::{Experiment, RunScope};
pub use file::{Study, Sweep};
pub use log::{LOG_FILE, LogContents, TrialKey, TrialLog};
pub use plan::{
    Group, GroupBy, Grouping, Member, Plan, PlanOptions, PlannedConfig, Replicas, config_id,
};
pub use rundir::{RunDir, RunMeta};
pub use seeds::{SeedRange, Seeds};
pub use session::{
    Event, Ready, RunSummary, Session, SessionOptions, group_label, group_title, member_labels,
};
pub use shard::Shard;
