//! `status`: how far a run directory is through its plan, per sweep.

use super::log::TrialKey;
use super::plan::Plan;
use crate::record::TrialRecord;
use std::collections::{BTreeSet, HashMap, HashSet};

/// Progress of one sweep (or of the whole plan).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SweepStatus {
    /// Sweep name (`all` for the whole plan).
    pub name: String,
    /// Unique configurations.
    pub configs: usize,
    /// Trials planned (configurations × seeds).
    pub planned: usize,
    /// Trials in the log.
    pub done: usize,
    /// Of those, diverged.
    pub diverged: usize,
    /// Configurations with missing seeds: (config_id, missing seeds).
    pub missing: Vec<(String, Vec<u64>)>,
}

impl SweepStatus {
    /// Trials still to run.
    pub fn missing_trials(&self) -> usize {
        self.missing.iter().map(|m| m.1.len()).sum()
    }
}

/// A run directory's state against its plan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Status {
    /// One entry per sweep, in plan order.
    pub sweeps: Vec<SweepStatus>,
    /// The whole plan (shared configurations counted once).
    pub total: SweepStatus,
    /// Records of this plan's mode whose configuration or seed is not in the plan.
    pub outside_plan: usize,
    /// The distinct (backend, data fingerprint) pairs among the counted records.
    pub variants: BTreeSet<(String, String)>,
}

/// Compares `records` with `plan`. A trial counts as done when a record of the plan's mode
/// (quick or full) has its configuration and seed, on any backend and data; `variants` says
/// which backends and data the counted records used.
pub fn status(plan: &Plan, records: &[TrialRecord]) -> Status {
    let mut done: HashMap<(String, u64), bool> = HashMap::new();
    let mut variants = BTreeSet::new();
    let planned: HashSet<(&str, u64)> = (0..plan.configs.len())
        .flat_map(|i| {
            let id = plan.configs[i].id.as_str();
            plan.seeds_of(i).into_iter().map(move |s| (id, s))
        })
        .collect();
    let mut outside = 0;
    for r in records.iter().filter(|r| r.quick == plan.quick) {
        let key = TrialKey::of(r);
        if !planned.contains(&(key.config_id.as_str(), key.seed)) {
            outside += 1;
            continue;
        }
        variants.insert((key.backend, key.fingerprint));
        *done.entry((key.config_id, key.seed)).or_default() |= r.diverged;
    }
    let summarise = |name: &str, members: &[usize]| {
        let mut s = SweepStatus {
            name: name.to_string(),
            configs: members.len(),
            planned: members.iter().map(|&i| plan.seeds_of(i).len()).sum(),
            ..SweepStatus::default()
        };
        for &i in members {
            let id = &plan.configs[i].id;
            let mut missing = Vec::new();
            for seed in plan.seeds_of(i) {
                match done.get(&(id.clone(), seed)) {
                    Some(&diverged) => {
                        s.done += 1;
                        s.diverged += usize::from(diverged);
                    }
                    None => missing.push(seed),
                }
            }
            if !missing.is_empty() {
                s.missing.push((id.clone(), missing));
            }
        }
        s
    };
    let all: Vec<usize> = (0..plan.configs.len()).collect();
    Status {
        sweeps: plan
            .sweeps
            .iter()
            .map(|(name, members)| summarise(name, members))
            .collect(),
        total: summarise("all", &all),
        outside_plan: outside,
        variants,
    }
}
