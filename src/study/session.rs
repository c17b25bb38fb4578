//! A study run, start to end — the one place that knows how the study steps combine.
//!
//! [`Session::prepare`] reads the study file and turns it into a plan, this process's
//! selection of it (a shard, or all of it), the estimated cost and the run directory,
//! without training anything (that is all `--dry-run` prints). [`Session::start`] opens and
//! locks the trial log, saves the study copy and plan options next to it, prepares the data
//! (loaded once) onto the device and works out what the log still lacks, as replica groups.
//! [`Ready::execute`] trains those groups, appending one fsynced line per seed as soon as its
//! group returns, and reports progress (with an ETA from the cost model) through a callback;
//! [`Ready::into_trials`] hands every trial of the run to the report without reading the log
//! back.

use super::adaptive::AdaptiveSeeds;
use super::cost::RowEstimate;
use super::experiment::{Experiment, RunScope};
use super::file::Study;
use super::log::{LogContents, TrialKey, TrialLog};
use super::plan::{Group, Grouping, Plan, PlanOptions, groups};
use super::run_data::{self, PlannedData};
use super::rundir::{RunDir, RunMeta};
use super::shard::{self, Shard};
use crate::backend::BackendKind;
use crate::data::{DataSource, DataSpec};
use crate::provenance::Provenance;
use crate::record::{DataInfo, TrialRecord};
use crate::train::{DeviceSplits, GroupOptions, Progress, Replica, train_group};
use crate::{Error, Result};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Training rows over which the groups of a searched sweep measure the gradient noise scale.
pub const NOISE_PROBE_ROWS: usize = 4096;

/// How to run a study: the checked form of `trainbench run`'s flags.
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// Seeds, sweeps and quick mode.
    pub plan: PlanOptions,
    /// Train on this data instead of the study's.
    pub data: Option<DataSource>,
    /// How pending trials are grouped into replica groups.
    pub grouping: Grouping,
    /// Run only this slice of the plan.
    pub shard: Option<Shard>,
    /// The run directory [default: [`RunDir::default_for`]].
    pub out: Option<PathBuf>,
    /// Run into a directory that holds another study's trials (normally refused).
    pub allow_mixed_studies: bool,
    /// A learning-rate search's stage-3 budget in trials, over the study's.
    pub budget: Option<usize>,
    /// One round of a learning-rate search, for a job of a `--jobs` run: the round and the
    /// directory of the `lr_search.json` that decided it (the parent's run directory).
    pub search_round: Option<(usize, PathBuf)>,
}

/// A planned study run: what would be trained, where, and at what estimated cost.
pub struct Session {
    /// The study file as given.
    pub study_file: PathBuf,
    /// Its text (saved as the run directory's study copy).
    pub study_text: String,
    /// The parsed study (with `--data` applied).
    pub study: Study,
    /// The plan: unique configurations × seeds.
    pub plan: Plan,
    /// The plan options as given (saved in the run directory).
    pub plan_options: PlanOptions,
    /// How trials are grouped.
    pub grouping: Grouping,
    /// The slice of the plan this process runs, if any.
    pub shard: Option<Shard>,
    /// The seeds of each configuration this process runs (all of them without a shard).
    pub selection: Vec<Vec<u64>>,
    /// The run directory.
    pub dir: RunDir,
    /// Whether this run may mix another study's trials into its directory.
    pub allow_mixed_studies: bool,
    /// A learning-rate search's stage-3 budget over the study's.
    pub budget: Option<usize>,
    /// The stage that a job running one round of a search tags its records with.
    pub search_stage: Option<u8>,
    data: PlannedData,
}

impl Session {
    /// Reads and plans `study_file`: no log is opened and nothing is trained. A data file is
    /// loaded (through its cache) to count its rows, and kept for [`Session::start`].
    pub fn prepare(study_file: &Path, options: SessionOptions) -> Result<Session> {
        let text = std::fs::read_to_string(study_file).map_err(|e| {
            Error::input(
                format!("could not read study file '{}'", study_file.display()),
                e,
            )
        })?;
        let mut study = Study::parse(&text, &study_file.display().to_string())?;
        if let Some(source) = options.data {
            study.data.source = source;
        }
        let mut plan = Plan::new(&study, &options.plan)?;
        let data = run_data::load(&study.data, plan.quick)?;
        // A job of one round of a search trains what that round added (its shard of it).
        let mut round_trials = None;
        let mut search_stage = None;
        if let Some((round, dir)) = &options.search_round {
            search_stage = Some(1);
            if *round > 1 {
                let state = super::lr_search::SearchState::load(dir)?.ok_or_else(|| {
                    Error::Usage(format!(
                        "no {} in '{}'",
                        super::lr_search::SEARCH_FILE,
                        dir.display()
                    ))
                })?;
                plan.apply_search(&study, &state);
                let added = super::search_rounds::round_selection(&study, &plan, &state, *round);
                search_stage = state
                    .sweeps
                    .values()
                    .flat_map(|s| s.cells.values().flatten())
                    .find(|a| a.round == *round)
                    .map(|a| a.stage);
                round_trials = Some(added);
            }
        }
        let mut selection: Vec<Vec<u64>> = match options.shard {
            Some(s) => shard::select(&plan, data.rows, s),
            None => (0..plan.configs.len()).map(|i| plan.seeds_of(i)).collect(),
        };
        if let Some(added) = round_trials {
            for (seeds, added) in selection.iter_mut().zip(added) {
                seeds.retain(|s| added.contains(s));
            }
        }
        check_resources(&plan, &selection, options.grouping, data.rows)?;
        let dir = match options.out {
            Some(out) => RunDir::new(out),
            None => RunDir::default_for(&study.name, options.shard.map(|s| (s.index, s.count))),
        };
        if !options.allow_mixed_studies {
            check_same_study(&dir, &study.name)?;
        }
        Ok(Session {
            study_file: study_file.to_path_buf(),
            study_text: text,
            study,
            plan,
            plan_options: options.plan,
            grouping: options.grouping,
            shard: options.shard,
            selection,
            dir,
            allow_mixed_studies: options.allow_mixed_studies,
            budget: options.budget,
            search_stage,
            data,
        })
    }

    /// Keeps only seeds below `min` in this process's selection: the pilot (stage 1) of an
    /// adaptive run.
    pub fn limit_to_pilot(&mut self, min: usize) {
        for seeds in &mut self.selection {
            seeds.retain(|&s| (s as usize) < min);
        }
    }

    /// Keeps only the seeds stage 2 of an adaptive run adds (from `min` up to each
    /// configuration's decided count) in this process's selection.
    pub fn limit_to_stage_two(&mut self, decision: &super::adaptive::Decision) {
        for (c, seeds) in self.plan.configs.iter().zip(&mut self.selection) {
            let added = decision.stage_two(&c.id);
            seeds.retain(|s| added.contains(s));
        }
    }

    /// The stage-2 decision of an adaptive run whose pilot was trained elsewhere (by the
    /// jobs of a `--jobs` run): from the pilot records of `experiment` in this run
    /// directory's log.
    pub fn decide_stage_two(
        &self,
        experiment: &Experiment,
        adaptive: AdaptiveSeeds,
    ) -> Result<super::adaptive::Decision> {
        let records = self.dir.read_log()?.records;
        let scope = RunScope::new(&self.plan, experiment);
        let pilot =
            super::adaptive::pilot_values(&records, adaptive.range.min, |r| scope.contains(r));
        Ok(super::adaptive::decide(
            &self.plan,
            &pilot,
            adaptive.range,
            adaptive.target_mde,
            adaptive.alpha,
        ))
    }

    /// One decision of a learning-rate search whose earlier rounds were trained elsewhere (by
    /// the jobs of a `--jobs` run): `step` from the records of `experiment` in this run
    /// directory's log, added to `state` as round `round` and to the plan; saves the state.
    /// Returns the additions of the round (none: nothing to train).
    pub fn search_step(
        &mut self,
        experiment: &Experiment,
        state: &mut super::lr_search::SearchState,
        step: super::lr_search::Step,
        round: usize,
    ) -> Result<Vec<(String, String, super::lr_search::Addition)>> {
        let records = self.dir.read_log()?.records;
        let scope = RunScope::new(&self.plan, experiment);
        let mine: Vec<&TrialRecord> = records.iter().filter(|r| scope.contains(r)).collect();
        super::search_rounds::take_step(
            &self.study,
            &mut self.plan,
            state,
            &mine,
            step,
            round,
            self.budget,
        );
        state.save(self.dir.path())?;
        Ok(state.round(round))
    }

    /// Estimated rows of each split.
    pub fn rows(&self) -> RowEstimate {
        self.data.rows
    }

    /// The data spec actually prepared (quick caps applied).
    pub fn data_spec(&self) -> &DataSpec {
        &self.data.spec
    }

    /// Trials selected for this process.
    pub fn selected(&self) -> usize {
        self.selection.iter().map(Vec::len).sum()
    }

    /// The replica groups of this process's selection (before the log is read: a rerun
    /// trains only what is missing).
    pub fn groups(&self) -> Vec<Group> {
        groups(&self.plan, &self.selection, self.grouping)
    }

    /// Estimated seconds of each configuration's selected seeds (its share of the groups it
    /// trains in).
    pub fn config_estimates(&self) -> Vec<f64> {
        self.plan
            .estimate_shares(&self.selection, self.grouping, self.rows())
    }

    /// Estimated wall seconds when the plan is split into `count` slices trained at once:
    /// the slowest slice sets the pace.
    pub fn estimate_parallel(&self, count: usize) -> f64 {
        (1..=count)
            .map(|index| {
                let slice = shard::select(&self.plan, self.rows(), Shard { index, count });
                self.plan
                    .estimate_selection(&slice, self.grouping, self.rows())
            })
            .fold(0.0, f64::max)
    }

    /// `jobs` bounded by the cores and the trials selected (more processes than either only
    /// cost memory and start-up), with a note when it was lowered.
    pub fn bounded_jobs(&self, jobs: usize) -> (usize, Option<String>) {
        let cores = crate::backend::available_cores();
        let bound = cores.min(self.selected()).max(1);
        if jobs > bound {
            let note = format!(
                "--jobs {jobs} bounded to {bound} ({cores} core(s), {} trial(s))",
                self.selected()
            );
            (bound, Some(note))
        } else {
            (jobs, None)
        }
    }

    /// The plan options to save in the run directory.
    pub fn meta(&self) -> RunMeta {
        RunMeta {
            study_file: self.study_file.display().to_string(),
            seeds: self.plan.seeds.len(),
            quick: self.plan.quick,
            sweeps: self.plan_options.sweeps.clone(),
        }
    }

    /// Opens and locks the trial log, saves the study copy and plan options, prepares the data
    /// on `device` and works out the pending replica groups.
    pub fn start(self, backend: BackendKind, device: &burn::prelude::Device) -> Result<Ready> {
        for planned in &self.plan.configs {
            crate::train::check_engine(planned.config.engine, backend)?;
        }
        let mut warnings = Vec::new();
        // A `--jobs` run killed before its merge left trials only in its job logs.
        let jobs: Vec<PathBuf> = self
            .dir
            .job_dirs()?
            .iter()
            .map(|d| d.path().to_path_buf())
            .collect();
        if !jobs.is_empty() {
            let options = super::merge::MergeOptions {
                allow_mixed_studies: self.allow_mixed_studies,
            };
            let merged = super::merge::merge_with(&jobs, self.dir.path(), &options)?;
            if merged.added > 0 {
                warnings.push(format!(
                    "merged {} trial(s) of an earlier --jobs run from {} into the log",
                    merged.added,
                    self.dir.jobs().display()
                ));
            }
        }
        let (log, contents) = self.dir.open_log()?;
        warnings.extend(contents.warnings(log.path()));
        self.dir.save_meta(&self.meta(), &self.study_text)?;
        let provenance = Provenance::collect(backend);
        let rows = self.data.rows;
        let (spec, mut splits) = run_data::prepare(self.data, self.plan.quick)?;
        warnings.append(&mut splits.warnings);
        let info = DataInfo::new(&spec, &splits);
        let device_data = DeviceSplits::upload(&splits, device);
        drop(splits);
        let LogContents { records, .. } = contents;
        let experiment = Experiment {
            backend: Some(backend.to_string()),
            fingerprint: Some(info.fingerprint.clone()),
        };
        warnings.extend(mixing_warnings(
            &records,
            &provenance,
            &info.fingerprint,
            &self.plan.name,
            self.plan.quick,
        ));
        let mut ready = Ready {
            selection: self.selection.clone(),
            selected: self.selection.iter().map(Vec::len).sum(),
            earlier: 0,
            shard: self.shard,
            study: self.study,
            plan: self.plan,
            grouping: self.grouping,
            dir: self.dir,
            rows,
            log,
            data: device_data,
            info,
            backend,
            provenance,
            existing: records,
            new: Vec::new(),
            warnings,
            groups: Vec::new(),
            estimates: Vec::new(),
            stage: self.search_stage,
            experiment,
            budget: self.budget,
            one_round: self.search_stage.is_some(),
            groups_trained: 0,
        };
        ready.schedule(&self.selection);
        Ok(ready)
    }
}

/// Refuses a run directory that already holds another study (its saved study copy, or its
/// trial records, name another study): two studies would overwrite each other's study copy
/// and mix their logs.
fn check_same_study(dir: &RunDir, name: &str) -> Result<()> {
    let mut others: Vec<String> = Vec::new();
    if dir.study_copy().is_file()
        && let Ok(saved) = Study::load(&dir.study_copy())
        && saved.name != name
    {
        others.push(saved.name);
    }
    if dir.log().is_file() {
        for r in dir.read_log()?.records {
            if let Some(s) = r.study.filter(|s| s != name && !others.contains(s)) {
                others.push(s);
            }
        }
    }
    if others.is_empty() {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "'{}' holds study '{}', not '{name}': use another --out (or --allow-mixed-studies if \
         you really mean to mix them)",
        dir.path().display(),
        others.join("', '")
    )))
}

/// Refuses a plan whose largest replica group would not fit in memory, naming the estimate.
fn check_resources(
    plan: &Plan,
    selection: &[Vec<u64>],
    grouping: Grouping,
    rows: RowEstimate,
) -> Result<()> {
    let worst = groups(plan, selection, grouping)
        .into_iter()
        .map(|g| {
            let c = &plan.configs[g.members[0].config];
            (
                super::cost::estimate_bytes(&c.config, g.len(), rows),
                &c.id,
                g.len(),
            )
        })
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match worst {
        Some((bytes, id, group)) => super::cost::check_memory(
            bytes,
            &format!(
                "training {id} ({group} replicas at once, {} train rows)",
                rows.train
            ),
        ),
        None => Ok(()),
    }
}

/// What a run reports while it goes.
#[derive(Debug)]
pub enum Event<'a> {
    /// A stage of the run starts: what it will do ([`Ready::describe`]), before its groups.
    StageStart {
        /// The adaptive stage (1: the pilot, 2: the seeds it decided), or `None`.
        stage: Option<u8>,
        /// What this stage will do, in one line.
        describe: String,
        /// Trials selected for it (done or not).
        selected: usize,
        /// Trials of the run's earlier stages, in the log (stage 2: the pilot's).
        earlier: usize,
        /// Trials it will train.
        to_run: usize,
        /// Their estimated seconds.
        estimate: f64,
        /// The trial log.
        log: PathBuf,
    },
    /// A stage ended (every group trained, or stopped on request).
    StageDone(&'a RunSummary),
    /// An adaptive run decided stage 2 from the pilot (saved as `adaptive.json`).
    Decided(&'a super::adaptive::Decision),
    /// A learning-rate search decided its next round (saved as `lr_search.json`): what it
    /// added, per sweep and cell.
    Searched {
        /// The round to train next.
        round: usize,
        /// What was added: (sweep, cell, addition).
        additions: Vec<(String, String, super::lr_search::Addition)>,
        /// The plan with the additions.
        plan: &'a Plan,
    },
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
        /// Estimated seconds left: elapsed time scaled by the estimated work left over the
        /// estimated work done.
        eta: f64,
    },
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunSummary {
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

/// A started run: the log locked, the data on the device, the pending groups known.
pub struct Ready {
    /// The seeds of each configuration this process runs (all stages).
    selection: Vec<Vec<u64>>,
    selected: usize,
    /// Trials of this run's earlier stages, all in the log (an adaptive run's stage 2: the
    /// pilot's); not part of `selected`.
    earlier: usize,
    shard: Option<Shard>,
    study: Study,
    plan: Plan,
    grouping: Grouping,
    dir: RunDir,
    rows: RowEstimate,
    log: TrialLog,
    data: DeviceSplits,
    /// What the data is (spec, fingerprint, sizes).
    pub info: DataInfo,
    backend: BackendKind,
    /// Where and how this run trains.
    pub provenance: Provenance,
    existing: Vec<TrialRecord>,
    new: Vec<TrialRecord>,
    /// Things the user should know before training starts (torn log lines, trials from
    /// another version or other data).
    pub warnings: Vec<String>,
    /// The replica groups still to train, in order.
    pub groups: Vec<Group>,
    /// The estimated seconds of each group.
    pub estimates: Vec<f64>,
    /// The adaptive stage that this run's records are tagged with (`None`: not adaptive).
    pub stage: Option<u8>,
    /// Its backend and data.
    experiment: Experiment,
    /// A learning-rate search's stage-3 budget over the study's.
    budget: Option<usize>,
    /// This process trains one round of a search (a job of a `--jobs` run): no decisions.
    one_round: bool,
    /// Groups this process has trained (numbers the group ids).
    groups_trained: usize,
}

impl Ready {
    /// What the log already holds of this stage: `3 already in DIR/trials.jsonl`, or in an
    /// adaptive run's stage 2 `15 pilot trials in DIR/trials.jsonl` (and how many of stage 2,
    /// when it resumes).
    fn in_log(&self) -> String {
        let log = self.log_path().display();
        let done = self.selected - self.to_run();
        match (self.earlier, done) {
            (0, done) => format!("{done} already in {log}"),
            (pilot, 0) => format!("{pilot} pilot trials in {log}"),
            (pilot, done) => format!("{pilot} pilot trials and {done} of this stage in {log}"),
        }
    }

    /// The line that says what this run will do: plan, trials already in the log and to
    /// run, groups, estimate, data and backend.
    pub fn describe(&self) -> String {
        let plan = &self.plan;
        format!(
            "{}{}: {} configs × {} seeds = {} trials{}; {}, {} to run in {} group(s) ({}), \
             est. {} | data {} train rows, fingerprint {} | backend {}, {} threads",
            plan.name,
            if plan.quick { " (QUICK)" } else { "" },
            plan.configs.len(),
            plan.seeds.len(),
            plan.trials(),
            self.shard
                .map(|s| format!(", shard {s}: {}", self.selected))
                .unwrap_or_default(),
            self.in_log(),
            self.to_run(),
            self.groups.len(),
            self.grouping,
            crate::format::duration(self.estimate()),
            self.info.train_rows,
            self.info.fingerprint,
            self.provenance.backend,
            self.provenance.threads,
        )
    }

    /// The plan.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The trial log's path.
    pub fn log_path(&self) -> &Path {
        self.log.path()
    }

    /// Trials selected for this process (done or not).
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// Trials still to train.
    pub fn to_run(&self) -> usize {
        self.groups.iter().map(Group::len).sum()
    }

    /// Estimated seconds of everything still to train.
    pub fn estimate(&self) -> f64 {
        self.estimates.iter().sum()
    }

    /// How trials are grouped.
    pub fn grouping(&self) -> Grouping {
        self.grouping
    }

    /// The run directory.
    pub fn dir(&self) -> &RunDir {
        &self.dir
    }

    /// The key of a trial of configuration `config` (index into the plan) and `seed`.
    fn key(&self, config: usize, seed: u64) -> TrialKey {
        TrialKey {
            config_id: self.plan.configs[config].id.clone(),
            seed,
            backend: self.backend.to_string(),
            fingerprint: self.info.fingerprint.clone(),
            quick: self.plan.quick,
        }
    }

    /// Sets the pending groups to the seeds of `selection` (per configuration) that neither the
    /// log nor this run holds yet, with their estimates.
    pub fn schedule(&mut self, selection: &[Vec<u64>]) {
        let done: HashSet<TrialKey> = self
            .existing
            .iter()
            .chain(&self.new)
            .map(TrialKey::of)
            .collect();
        self.selected = selection.iter().map(Vec::len).sum();
        let pending = self.pending(selection, &done);
        self.groups = groups(&self.plan, &pending, self.grouping);
        self.estimates = self
            .groups
            .iter()
            .map(|g| self.plan.estimate_group(g, self.rows))
            .collect();
    }

    /// The adaptive decision from this run's pilot (seeds below `range.min` of this run's
    /// backend, data and mode, in the log or trained now), and the selection of stage 2: per
    /// configuration, the seeds from `range.min` up to its decided count.
    pub fn adaptive_stage_two(
        &self,
        range: super::adaptive::SeedRange,
        target_mde: f64,
        alpha: f64,
    ) -> (super::adaptive::Decision, Vec<Vec<u64>>) {
        let scope = RunScope::new(&self.plan, &self.experiment);
        let pilot =
            super::adaptive::pilot_values(self.existing.iter().chain(&self.new), range.min, |r| {
                scope.contains(r)
            });
        let decision = super::adaptive::decide(&self.plan, &pilot, range, target_mde, alpha);
        let selection = self
            .plan
            .configs
            .iter()
            .map(|c| decision.stage_two(&c.id).collect())
            .collect();
        (decision, selection)
    }

    /// The seeds of each configuration in `selection` whose key is not in `done`.
    fn pending(&self, selection: &[Vec<u64>], done: &HashSet<TrialKey>) -> Vec<Vec<u64>> {
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

    /// The experiment this run trains: its backend and data.
    pub fn experiment(&self) -> Experiment {
        self.experiment.clone()
    }

    /// Runs the study: trains what is pending; with `adaptive` seeds, first the pilot (the
    /// seeds below MIN), then decides stage 2 from its spread (saved as `adaptive.json`) and
    /// trains that. Each stage is announced ([`Event::StageStart`], [`Event::StageDone`]);
    /// returns the last stage's summary (a stopped pilot ends the run).
    pub fn run(
        &mut self,
        adaptive: Option<AdaptiveSeeds>,
        stop: &AtomicBool,
        mut on_event: impl FnMut(Event),
    ) -> Result<RunSummary> {
        if adaptive.is_none() && !self.one_round && !self.plan.searched(&self.study).is_empty() {
            // A shard trains stage 1 only: later rounds need every batch size's trials.
            if self.shard.is_some() {
                self.stage = Some(1);
                return self.run_stage(stop, &mut on_event);
            }
            return self.run_search(stop, on_event);
        }
        if let Some(a) = adaptive {
            let pilot: Vec<Vec<u64>> = self
                .selection
                .iter()
                .map(|seeds| {
                    let below = seeds.iter().filter(|&&s| (s as usize) < a.range.min);
                    below.copied().collect()
                })
                .collect();
            self.schedule(&pilot);
            self.stage = Some(1);
            let summary = self.run_stage(stop, &mut on_event)?;
            if summary.stopped {
                return Ok(summary);
            }
            // Every pilot trial is in the log now; stage 2 counts them apart from its own.
            self.earlier = pilot.iter().map(Vec::len).sum();
            let (decision, selection) = self.adaptive_stage_two(a.range, a.target_mde, a.alpha);
            decision.save(self.dir.path())?;
            on_event(Event::Decided(&decision));
            self.schedule(&selection);
            self.stage = Some(2);
        }
        self.run_stage(stop, &mut on_event)
    }

    /// A study with a searched learning rate: stage 1 (everything planned), then each
    /// [`Step`](super::lr_search::Step) decided from the trials so far, saved, announced and
    /// trained as one more round, until the search is done. Returns the last round's summary
    /// (a stopped round ends the run; a rerun replays the same decisions from the log and
    /// trains only what is missing).
    fn run_search(
        &mut self,
        stop: &AtomicBool,
        mut on_event: impl FnMut(Event),
    ) -> Result<RunSummary> {
        use super::lr_search::{SearchState, Step};
        use super::search_rounds::{round_selection, take_step};
        self.stage = Some(1);
        let mut summary = self.run_stage(stop, &mut on_event)?;
        if summary.stopped {
            return Ok(summary);
        }
        let mut state = SearchState::default();
        let (mut round, mut extending) = (1, true);
        for step in Step::sequence() {
            if step == Step::Extend && !extending {
                continue;
            }
            let scope = RunScope::new(&self.plan, &self.experiment);
            let records: Vec<TrialRecord> = self
                .existing
                .iter()
                .chain(&self.new)
                .filter(|r| scope.contains(r))
                .cloned()
                .collect();
            let refs: Vec<&TrialRecord> = records.iter().collect();
            let added = take_step(
                &self.study,
                &mut self.plan,
                &mut state,
                &refs,
                step,
                round + 1,
                self.budget,
            );
            state.save(self.dir.path())?;
            if !added {
                extending &= step != Step::Extend;
                continue;
            }
            round += 1;
            let additions = state.round(round);
            on_event(Event::Searched {
                round,
                additions,
                plan: &self.plan,
            });
            let selection = round_selection(&self.study, &self.plan, &state, round);
            self.schedule(&selection);
            self.stage = Some(step.stage());
            summary = self.run_stage(stop, &mut on_event)?;
            if summary.stopped {
                return Ok(summary);
            }
        }
        Ok(summary)
    }

    /// One stage: announced, trained, summarised.
    fn run_stage(
        &mut self,
        stop: &AtomicBool,
        on_event: &mut impl FnMut(Event),
    ) -> Result<RunSummary> {
        on_event(Event::StageStart {
            stage: self.stage,
            describe: self.describe(),
            selected: self.selected,
            earlier: self.earlier,
            to_run: self.to_run(),
            estimate: self.estimate(),
            log: self.log.path().to_path_buf(),
        });
        let summary = self.execute(stop, &mut *on_event)?;
        on_event(Event::StageDone(&summary));
        Ok(summary)
    }

    /// Trains the pending groups in order, appending each seed's record to the log when its
    /// group returns. Checks `stop` before every group: once set, the run ends cleanly with
    /// every finished group written and the rest pending.
    pub fn execute(
        &mut self,
        stop: &AtomicBool,
        mut on_event: impl FnMut(Event),
    ) -> Result<RunSummary> {
        let started = Instant::now();
        let est_total = self.estimate();
        let mut est_done = 0.0;
        let mut summary = RunSummary::default();
        let groups = std::mem::take(&mut self.groups);
        for (index, group) in groups.iter().enumerate() {
            if stop.load(Ordering::SeqCst) {
                summary.stopped = true;
                summary.remaining = groups[index..].iter().map(Group::len).sum();
                break;
            }
            on_event(Event::GroupStart {
                group,
                index,
                total: groups.len(),
            });
            let t0 = Instant::now();
            let records = self.train_group(group, &mut on_event)?;
            summary
                .diverged
                .extend(records.iter().filter(|r| r.diverged).map(TrialKey::of));
            summary.ran += records.len();
            summary.groups += 1;
            est_done += self.estimates[index];
            let elapsed = started.elapsed().as_secs_f64();
            let eta = if est_done > 0.0 {
                elapsed * (est_total - est_done).max(0.0) / est_done
            } else {
                est_total
            };
            on_event(Event::GroupDone {
                group,
                records: &records,
                seconds: t0.elapsed().as_secs_f64(),
                eta,
            });
            self.new.extend(records);
        }
        self.groups = groups[summary.groups..].to_vec();
        self.estimates.drain(..summary.groups);
        summary.seconds = started.elapsed().as_secs_f64();
        Ok(summary)
    }

    /// Trains one group and appends its records to the log.
    fn train_group(
        &mut self,
        group: &Group,
        on_event: &mut impl FnMut(Event),
    ) -> Result<Vec<TrialRecord>> {
        let members = group.replicas();
        let shared = &self.plan.configs[members[0].0].config;
        let replicas: Vec<Replica> = members
            .iter()
            .map(|&(c, seed)| Replica::of(&self.plan.configs[c].config, &[seed])[0])
            .collect();
        let provenance = Provenance::collect(self.backend);
        // Groups of a searched sweep measure the gradient noise scale as they train.
        let searched: Vec<String> = self
            .plan
            .searched(&self.study)
            .into_iter()
            .map(|s| s.sweep)
            .collect();
        let probed = members.iter().any(|&(c, _)| {
            self.plan.configs[c]
                .sweeps
                .iter()
                .any(|s| searched.contains(s))
        });
        let options = GroupOptions {
            noise_probe: if probed { NOISE_PROBE_ROWS } else { 0 },
        };
        let outcomes = train_group(shared, &replicas, &self.data, &options, |p| {
            on_event(Event::Train(p))
        })?;
        let mut records = Vec::with_capacity(outcomes.len());
        // Unique in the log: two groups of one shape can start in the same second (jobs, or a
        // small study), and a group is the report's timing unit.
        self.groups_trained += 1;
        let group_id = format!(
            "{} {} (pid {} group {})",
            provenance.started_at,
            group_label(group),
            std::process::id(),
            self.groups_trained
        );
        for (outcome, &(c, _)) in outcomes.into_iter().zip(&members) {
            let planned = &self.plan.configs[c];
            let mut record = TrialRecord::new(
                &planned.config,
                self.info.clone(),
                outcome,
                provenance.clone(),
            );
            record.study = Some(self.plan.name.clone());
            record.config_id = Some(planned.id.clone());
            record.quick = self.plan.quick;
            record.group = Some(group_id.clone());
            record.stage = self.stage;
            self.log.append(&record)?;
            records.push(record);
        }
        Ok(records)
    }

    /// The study, the plan and every trial of this run directory — those the log held and
    /// those trained now, in log order — for the report, without reading the log back (the
    /// log is closed).
    pub fn into_trials(self) -> (Study, Plan, Vec<TrialRecord>) {
        let mut records = self.existing;
        records.extend(self.new);
        (self.study, self.plan, records)
    }
}

/// A group's configuration ids taken apart: every parameter name that appears (in id order),
/// and each member's value of each (`None`: not in its id, i.e. the default).
fn id_parts<'a>(plan: &'a Plan, group: &Group) -> (Vec<&'a str>, Vec<Vec<Option<&'a str>>>) {
    let ids: Vec<Vec<(&str, &str)>> = group
        .members
        .iter()
        .map(|m| {
            plan.configs[m.config]
                .id
                .split(',')
                .map(|p| p.split_once('=').unwrap_or((p, "")))
                .collect()
        })
        .collect();
    let mut names: Vec<&str> = Vec::new();
    for (name, _) in ids.iter().flatten() {
        if !names.contains(name) {
            names.push(name);
        }
    }
    let values = ids
        .iter()
        .map(|id| {
            names
                .iter()
                .map(|n| id.iter().find(|(k, _)| k == n).map(|(_, v)| *v))
                .collect()
        })
        .collect();
    (names, values)
}

/// What a group trains, for people: `bs=32,lr=1e-3,model=jsc-tiny,epochs=20 seeds 0-9` for one
/// configuration; for several, the settings they share with the varying ones in braces:
/// `bs=32,lr={1e-1,3e-2,1e-2},model=jsc-tiny,epochs=20 seeds 0-9`.
pub fn group_title(plan: &Plan, group: &Group) -> String {
    let (names, values) = id_parts(plan, group);
    let parts: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let mut seen: Vec<&str> = Vec::new();
            for v in &values {
                let v = v[k].unwrap_or("default");
                if !seen.contains(&v) {
                    seen.push(v);
                }
            }
            match seen.as_slice() {
                [one] => format!("{name}={one}"),
                many => format!("{name}={{{}}}", many.join(",")),
            }
        })
        .collect();
    let mut seeds: Vec<u64> = group.members.iter().flat_map(|m| m.seeds.clone()).collect();
    seeds.sort_unstable();
    seeds.dedup();
    format!(
        "{} seeds {}",
        parts.join(","),
        crate::format::seed_ranges(&seeds)
    )
}

/// Each member of a group named by the settings that differ between the members
/// (`lr=1e-1`, `lr=1e-2,wd=1e-4`); the whole id for a group of one configuration.
pub fn member_labels(plan: &Plan, group: &Group) -> Vec<String> {
    if group.members.len() == 1 {
        return vec![plan.configs[group.members[0].config].id.clone()];
    }
    let (names, values) = id_parts(plan, group);
    let varies: Vec<bool> = (0..names.len())
        .map(|k| values.iter().any(|v| v[k] != values[0][k]))
        .collect();
    values
        .iter()
        .map(|v| {
            names
                .iter()
                .enumerate()
                .filter(|(k, _)| varies[*k])
                .map(|(k, n)| format!("{n}={}", v[k].unwrap_or("default")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect()
}

/// A group as its trial records name it: `seeds 0-9` for one configuration's seeds, `7 configs
/// seeds 0-9` for a group of several configurations (the seeds of all of them).
pub fn group_label(group: &Group) -> String {
    let mut seeds: Vec<u64> = group
        .members
        .iter()
        .flat_map(|m| m.seeds.iter().copied())
        .collect();
    seeds.sort_unstable();
    seeds.dedup();
    match group.members.len() {
        1 => format!("seeds {}", crate::format::seed_ranges(&seeds)),
        n => format!("{n} configs seeds {}", crate::format::seed_ranges(&seeds)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    /// A study of two configurations on 1,200 synthetic rows, one epoch each.
    fn prepare(dir: &Path, seeds: usize) -> Session {
        let study = dir.join("s.toml");
        std::fs::write(
            &study,
            "name = \"s\"\n[defaults]\nmodel = \"jsc-tiny\"\nepochs = 1\nbatch_size = 64\n\
             lr = 1e-2\ndata = \"synth:1200\"\n[[sweep]]\nname = \"lr\"\n\
             vary = { lr = [1e-2, 1e-3] }\n",
        )
        .unwrap();
        let options = SessionOptions {
            plan: PlanOptions {
                seeds: Some(seeds),
                ..PlanOptions::default()
            },
            out: Some(dir.join("run")),
            ..SessionOptions::default()
        };
        Session::prepare(&study, options).unwrap()
    }

    fn start(session: Session) -> Ready {
        let (backend, device) = crate::backend::open(Some("flex"), None).unwrap();
        session.start(backend, &device).unwrap()
    }

    /// What the events of a run were, in order: `stage N`, `group`, `done`, `decided`.
    fn run(ready: &mut Ready, adaptive: Option<AdaptiveSeeds>) -> (RunSummary, Vec<String>) {
        let mut seen = Vec::new();
        let summary = ready
            .run(adaptive, &AtomicBool::new(false), |e| match e {
                Event::StageStart { stage, .. } => seen.push(format!("stage {stage:?}")),
                Event::GroupDone { records, .. } => seen.push(format!("group {}", records.len())),
                Event::StageDone(s) => seen.push(format!("done {}", s.ran)),
                Event::Decided(_) => seen.push("decided".into()),
                _ => {}
            })
            .unwrap();
        (summary, seen)
    }

    /// An adaptive run is one library call: the pilot (seeds below MIN) as stage 1, the
    /// decision saved next to the log, the seeds it adds as stage 2 — announced as events and
    /// tagged in the records; a rerun has nothing to do.
    #[test]
    fn a_session_runs_the_adaptive_flow_and_resumes() {
        let dir = tempfile::tempdir().unwrap();
        let adaptive = AdaptiveSeeds {
            range: "2..4".parse().unwrap(),
            target_mde: 1.0,
            alpha: 0.05,
        };
        let mut ready = start(prepare(dir.path(), 4));
        let (summary, seen) = run(&mut ready, Some(adaptive));
        assert!(!summary.stopped);
        // The two learning rates share one replica group (they differ only in lr).
        assert_eq!(&seen[..3], ["stage Some(1)", "group 4", "done 4"]);
        assert_eq!(seen[3], "decided");
        assert_eq!(seen[4], "stage Some(2)");
        let decision = super::super::adaptive::Decision::load(&dir.path().join("run"))
            .unwrap()
            .expect("adaptive.json");
        let added: usize = decision.configs.iter().map(|c| c.seeds - 2).sum();
        assert_eq!(summary.ran, added, "stage 2 trains what the decision adds");
        let (_, _, records) = ready.into_trials();
        assert_eq!(records.len(), 4 + added);
        for r in &records {
            let stage = if r.outcome.seed < 2 { 1 } else { 2 };
            assert_eq!(r.stage, Some(stage), "seed {}", r.outcome.seed);
        }

        let mut again = start(prepare(dir.path(), 4));
        let (summary, seen) = run(&mut again, Some(adaptive));
        assert_eq!(summary.ran, 0);
        assert_eq!(
            seen,
            [
                "stage Some(1)",
                "done 0",
                "decided",
                "stage Some(2)",
                "done 0"
            ]
        );
    }

    /// A plain run trains every selected seed in one stage; trials of another study in its
    /// directory are refused.
    #[test]
    fn a_plain_run_is_one_stage_and_a_directory_holds_one_study() {
        let dir = tempfile::tempdir().unwrap();
        let mut ready = start(prepare(dir.path(), 2));
        let (summary, seen) = run(&mut ready, None);
        assert_eq!(seen, ["stage None", "group 4", "done 4"]);
        assert_eq!(summary.ran, 4);
        drop(ready);
        let e = check_same_study(&RunDir::new(dir.path().join("run")), "other").unwrap_err();
        assert!(e.to_string().contains("holds study 's'"), "{e}");
    }
}
