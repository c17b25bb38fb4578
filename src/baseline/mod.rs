//! Baselines: saved measurements a new run is checked against.
//!
//! Timing baselines (`baselines/<testbed>/timing.json`) hold criterion's results of a
//! `cargo bench` on one testbed, with the machine's [`Fingerprint`]; [`check_timing`]
//! compares a fresh run with one; [`ab`] and [`bench_build`] measure two builds side by
//! side on one machine instead (`trainbench baseline ab`, the CI gate). The verdict logic in [`compare`] is generic (any samples,
//! either direction of "worse"), so other baselines can reuse it. The workflow is described
//! in `docs/baselines.md`; [`table`] renders a check for the terminal. [`history`] reads
//! the committed versions of a testbed's baselines back from git (`trainbench history`).

pub mod ab;
pub mod accept;
pub mod accuracy;
pub mod bench_build;
pub mod check;
pub mod compare;
pub mod criterion;
pub mod fingerprint;
mod git;
pub mod history;
pub mod log;
pub mod table;
pub mod timing;

pub use accuracy::{AccuracyBaseline, AccuracyCheck, AccuracyVerdict, check_accuracy};
pub use check::{CheckOptions, CheckResult, check_timing};
pub use compare::{Change, ChangeVerdict, Direction, Rule, Threshold, check_gate, invalid};
pub use fingerprint::Fingerprint;
pub use timing::{BenchTiming, TIMING_FORMAT, TimingBaseline};
