//! The log of a baseline file: the changes accepted with `trainbench baseline accept`, each
//! with its reason and what was measured of it ([`Accepted`]). Timing and accuracy baselines
//! carry one; `trainbench history` shows it.

use serde::{Deserialize, Serialize};

/// One accepted change in a baseline file's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Accepted {
    /// When it was accepted (UTC, RFC 3339).
    pub date: String,
    /// Why, in the words of whoever accepted it.
    pub reason: String,
    /// The commit the baseline stands for from now on (full sha).
    pub commit: String,
    /// The commit it stood for before, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// What was measured of the change, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured: Option<Measured>,
}

/// What was measured of an accepted change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    /// How, in one line (`baseline ab, 10 rounds, base 0123… vs head 4567…, 2026-…`).
    pub by: String,
    /// `ratio` (head / base time per iteration) or `points` (new − old test accuracy).
    pub unit: String,
    /// Per benchmark or configuration.
    pub changes: Vec<MeasuredChange>,
}

/// One benchmark's (or configuration's) measured change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasuredChange {
    /// Benchmark or configuration id.
    pub id: String,
    /// The ratio or difference.
    #[serde(with = "crate::jsonfloat")]
    pub value: f64,
    /// Lower end of its confidence interval.
    #[serde(with = "crate::jsonfloat")]
    pub ci_low: f64,
    /// Upper end of its confidence interval.
    #[serde(with = "crate::jsonfloat")]
    pub ci_high: f64,
    /// The gate's verdict (`regressed`, `slower`, `no change`, `equivalent`, …).
    pub verdict: String,
}

impl MeasuredChange {
    /// The change of `id`: `value` with its interval `ci` and the gate's `verdict`.
    pub fn new(id: &str, value: f64, ci: (f64, f64), verdict: &str) -> MeasuredChange {
        MeasuredChange {
            id: id.to_string(),
            value,
            ci_low: ci.0,
            ci_high: ci.1,
            verdict: verdict.to_string(),
        }
    }
}

impl Measured {
    /// One change for people: `train_epoch/flex/jsc-tiny/bs32 ×1.124 [1.101, 1.150]
    /// regressed` (a ratio) or `bs=256,… -0.42 pts [-0.61, -0.23] equivalent` (points).
    pub fn line(&self, c: &MeasuredChange) -> String {
        if self.unit == "ratio" {
            format!(
                "{} ×{:.3} [{:.3}, {:.3}] {}",
                c.id, c.value, c.ci_low, c.ci_high, c.verdict
            )
        } else {
            format!(
                "{} {:+.2} pts [{:+.2}, {:+.2}] {}",
                c.id, c.value, c.ci_low, c.ci_high, c.verdict
            )
        }
    }
}
