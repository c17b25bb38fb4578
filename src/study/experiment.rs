//! Which trial records belong to a run — the one membership rule that the report, an
//! adaptive run's pilot (in one process or under `--jobs`) and the run's own report share.
//! A record belongs when it is one of the plan's configurations and seeds, in the plan's
//! mode (quick or full), of one experiment: a backend and a data set ([`Experiment`]).

use super::plan::Plan;
use crate::record::TrialRecord;
use std::collections::HashSet;

/// Which experiment a run or report is about, when logs hold trials of several: a backend
/// and/or a data fingerprint (none: any). Records of one (configuration, seed) from
/// different backends or data are different experiments and are never pooled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Experiment {
    /// Only trials on this backend (e.g. `flex`, `tch-cpu`).
    pub backend: Option<String>,
    /// Only trials on data with this fingerprint.
    pub fingerprint: Option<String>,
}

impl Experiment {
    /// Whether `r` ran on this experiment's backend and data.
    pub fn admits(&self, r: &TrialRecord) -> bool {
        self.backend
            .as_deref()
            .is_none_or(|b| r.provenance.backend == b)
            && self
                .fingerprint
                .as_deref()
                .is_none_or(|f| r.data.fingerprint == f)
    }
}

/// Why a record does or does not belong to a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    /// It belongs.
    Member,
    /// Not one of the plan's configurations and seeds in its mode.
    OutsidePlan,
    /// In the plan, but of another backend or data set.
    OtherExperiment,
}

/// The records of a run: a plan's configurations and seeds, in its mode, of one experiment.
pub struct RunScope<'a> {
    ids: HashSet<&'a str>,
    seeds: HashSet<u64>,
    /// Seeds a search added to one configuration.
    extra: HashSet<(&'a str, u64)>,
    quick: bool,
    experiment: &'a Experiment,
}

impl<'a> RunScope<'a> {
    /// The scope of `plan` on `experiment` (hashed once: a plan can hold a million
    /// configurations).
    pub fn new(plan: &'a Plan, experiment: &'a Experiment) -> RunScope<'a> {
        RunScope {
            ids: plan.configs.iter().map(|c| c.id.as_str()).collect(),
            seeds: plan.seeds.iter().copied().collect(),
            extra: plan
                .configs
                .iter()
                .flat_map(|c| c.extra_seeds.iter().map(|&s| (c.id.as_str(), s)))
                .collect(),
            quick: plan.quick,
            experiment,
        }
    }

    /// Whether `r` belongs, and if not, why.
    pub fn membership(&self, r: &TrialRecord) -> Membership {
        let seed = r.outcome.seed;
        let in_plan = r.quick == self.quick
            && r.config_id.as_deref().is_some_and(|id| {
                self.ids.contains(id)
                    && (self.seeds.contains(&seed) || self.extra.contains(&(id, seed)))
            });
        if !in_plan {
            Membership::OutsidePlan
        } else if !self.experiment.admits(r) {
            Membership::OtherExperiment
        } else {
            Membership::Member
        }
    }

    /// Whether `r` belongs.
    pub fn contains(&self, r: &TrialRecord) -> bool {
        self.membership(r) == Membership::Member
    }
}
