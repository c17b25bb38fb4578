//! Running a plan: skip every trial already in the log, train each configuration's pending
//! seeds together as replicas, and append one fsynced line per seed as soon as its group
//! returns.

use super::log::{TrialKey, TrialLog};
use super::plan::{Group, Plan, Replicas, groups};
use crate::Result;
use crate::backend::BackendKind;
use crate::provenance::Provenance;
use crate::record::{DataInfo, TrialRecord};
use crate::train::{DeviceSplits, Progress, train};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// What a run reports while it goes.
#[derive(Debug)]
pub enum Event<'a> {
    /// Group `index` (0-based) of `total` starts training.
    GroupStart {
        /// The group.
        group: &'a Group,
        /// Its position.
        index: usize,
        /// Groups in this run.
        total: usize,
    },
    /// Training progress inside the current group.
    Train(Progress),
    /// The group finished; its records are on disk.
    GroupDone {
        /// The group.
        group: &'a Group,
        /// One record per seed, as written.
        records: &'a [TrialRecord],
        /// Wall seconds of the group.
        seconds: f64,
    },
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Trials trained and written.
    pub ran: usize,
    /// Groups trained.
    pub groups: usize,
    /// Keys of the written trials that diverged.
    pub diverged: Vec<TrialKey>,
    /// True if the run stopped early on request; the rest is still pending.
    pub stopped: bool,
    /// Trials still pending when it stopped.
    pub remaining: usize,
    /// Wall seconds.
    pub seconds: f64,
}

/// A plan bound to its data and backend, ready to run.
pub struct StudyRun<'a> {
    /// The plan.
    pub plan: &'a Plan,
    /// The data, already on the device.
    pub data: &'a DeviceSplits,
    /// What the data is (spec, fingerprint, sizes).
    pub info: &'a DataInfo,
    /// The backend the data lives on.
    pub backend: BackendKind,
    /// How seeds are grouped.
    pub replicas: Replicas,
}

impl StudyRun<'_> {
    /// The key of a trial of configuration `config` (index into the plan) and `seed`.
    pub fn key(&self, config: usize, seed: u64) -> TrialKey {
        TrialKey {
            config_id: self.plan.configs[config].id.clone(),
            seed,
            backend: self.backend.to_string(),
            fingerprint: self.info.fingerprint.clone(),
            quick: self.plan.quick,
        }
    }

    /// The seeds of each configuration in `selection` whose key is not in `done`.
    pub fn pending(&self, selection: &[Vec<u64>], done: &HashSet<TrialKey>) -> Vec<Vec<u64>> {
        selection
            .iter()
            .enumerate()
            .map(|(i, seeds)| {
                seeds
                    .iter()
                    .copied()
                    .filter(|&s| !done.contains(&self.key(i, s)))
                    .collect()
            })
            .collect()
    }

    /// The replica groups for `pending` seeds.
    pub fn groups(&self, pending: &[Vec<u64>]) -> Vec<Group> {
        groups(pending, self.replicas)
    }

    /// Trains `groups` in order, appending each seed's record to `log` when its group
    /// returns. Checks `stop` before every group: once set, the run ends cleanly with every
    /// finished group written and the rest pending.
    pub fn execute(
        &self,
        groups: &[Group],
        log: &mut TrialLog,
        stop: &AtomicBool,
        mut on_event: impl FnMut(Event),
    ) -> Result<Summary> {
        let started = Instant::now();
        let mut summary = Summary::default();
        for (index, group) in groups.iter().enumerate() {
            if stop.load(Ordering::SeqCst) {
                summary.stopped = true;
                summary.remaining = groups[index..].iter().map(|g| g.seeds.len()).sum();
                break;
            }
            on_event(Event::GroupStart {
                group,
                index,
                total: groups.len(),
            });
            let t0 = Instant::now();
            let planned = &self.plan.configs[group.config];
            let provenance = Provenance::collect(self.backend);
            let outcomes = train(&planned.config, &group.seeds, self.data, |p| {
                on_event(Event::Train(p))
            })?;
            let mut records = Vec::with_capacity(outcomes.len());
            for outcome in outcomes {
                let mut record = TrialRecord::new(
                    &planned.config,
                    self.info.clone(),
                    outcome,
                    provenance.clone(),
                );
                record.study = Some(self.plan.study.clone());
                record.config_id = Some(planned.id.clone());
                record.quick = self.plan.quick;
                log.append(&record)?;
                if record.diverged {
                    summary.diverged.push(TrialKey::of(&record));
                }
                records.push(record);
            }
            summary.ran += records.len();
            summary.groups += 1;
            on_event(Event::GroupDone {
                group,
                records: &records,
                seconds: t0.elapsed().as_secs_f64(),
            });
        }
        summary.seconds = started.elapsed().as_secs_f64();
        Ok(summary)
    }
}

/// Warnings about records in an existing log that this run should not silently mix with:
/// another trainbench version or git sha, or other data for the same study and mode.
pub fn mixing_warnings(
    existing: &[TrialRecord],
    current: &Provenance,
    fingerprint: &str,
    study: &str,
    quick: bool,
) -> Vec<String> {
    let mut versions: Vec<String> = Vec::new();
    let mut other_data: Vec<String> = Vec::new();
    let (mut n_version, mut n_data) = (0, 0);
    let describe = |p: &Provenance| {
        format!(
            "trainbench {} (git {})",
            p.trainbench_version,
            p.git_sha.as_deref().unwrap_or("unknown")
        )
    };
    let now = describe(current);
    for r in existing {
        let v = describe(&r.provenance);
        if v != now {
            n_version += 1;
            if !versions.contains(&v) {
                versions.push(v);
            }
        }
        let same_run = r.study.as_deref() == Some(study) && r.quick == quick;
        if same_run && r.data.fingerprint != fingerprint {
            n_data += 1;
            if !other_data.contains(&r.data.fingerprint) {
                other_data.push(r.data.fingerprint.clone());
            }
        }
    }
    let mut w = Vec::new();
    if n_version > 0 {
        w.push(format!(
            "{n_version} trial(s) in the log were written by {} — this is {now}; their keys \
             still count as done (delete those lines, or use another --out, to redo them)",
            versions.join(", ")
        ));
    }
    if n_data > 0 {
        w.push(format!(
            "{n_data} trial(s) in the log were trained on other data (fingerprint {}) — this \
             run's data is {fingerprint}; they are kept but do not count for this run",
            other_data.join(", ")
        ));
    }
    w
}
