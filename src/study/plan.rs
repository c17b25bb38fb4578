//! The plan of a study run: the unique configurations of the selected sweeps, each with a
//! stable `config_id`, times the seeds; and how pending seeds are grouped into replica
//! batches.

use super::cost::{self, RowEstimate};
use super::file::Study;
use crate::config::params::{InId, PARAMS};
use crate::train::TrainConfig;
use crate::{Error, Result};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

/// Seeds per configuration in `--quick` runs (unless `--seeds` says otherwise).
pub const QUICK_SEEDS: usize = 3;
/// Epoch cap in `--quick` runs.
pub const QUICK_MAX_EPOCHS: usize = 5;
/// Most seeds per configuration a plan accepts.
pub const MAX_SEEDS: usize = 100_000;
/// Most trials (configurations × seeds) a plan accepts.
pub const MAX_TRIALS: usize = 10_000_000;
/// Most configurations the selected sweeps may list (each sweep's axis lengths multiplied,
/// summed over the sweeps), checked before any configuration is built.
pub const MAX_CONFIGS: usize = 100_000;
/// Most training rows per step across a replica group under `--replicas auto`: S replicas
/// of batch size b train together while S·b ≤ this (jsc-tiny: 16 replicas at batch 256, 128
/// at batch 32). Past it a step's activations outgrow the core's cache and the time per
/// replica rises again (docs/performance.md, "Group size").
pub const GROUP_ROWS: usize = 4096;

/// The stable, readable id of a configuration: `bs=256,lr=1e-3,model=jsc-tiny,epochs=20`,
/// followed by any non-default scheduler / Adam setting (`sched=constant`, `wd=1e-4`,
/// `beta1=…`, `beta2=…`, `eps=…`): every parameter of [`PARAMS`], in order, shown as its
/// entry says. Equal configurations have equal ids and vice versa.
pub fn config_id(c: &TrainConfig) -> String {
    let default = TrainConfig::default();
    PARAMS
        .iter()
        .filter(|p| p.in_id == InId::Always || !p.same(c, &default))
        .map(|p| format!("{}={}", p.id_name, p.text(c)))
        .collect::<Vec<_>>()
        .join(",")
}

/// A sweep whose question a quick run cannot answer (its configurations were merged by the
/// quick caps), with the sentence that says so. Displays as the sentence.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QuickCaveat {
    /// The sweep.
    pub sweep: String,
    /// The sentence for the reader.
    pub text: String,
}

impl fmt::Display for QuickCaveat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// What to take from a study.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlanOptions {
    /// Seeds per configuration (default: the study's, or [`QUICK_SEEDS`] when quick).
    pub seeds: Option<usize>,
    /// Only these sweeps (default: all).
    pub sweeps: Vec<String>,
    /// A quick look: epochs capped at [`QUICK_MAX_EPOCHS`], fewer seeds, subsampled data.
    pub quick: bool,
}

impl PlanOptions {
    /// These options with each override that is given put in: `seeds`, `sweeps` (when not
    /// empty) and `quick` (`trainbench status --seeds --sweep --quick/--full` over the plan
    /// options a run saved).
    pub fn override_with(&mut self, seeds: Option<usize>, sweeps: &[String], quick: Option<bool>) {
        if seeds.is_some() {
            self.seeds = seeds;
        }
        if !sweeps.is_empty() {
            self.sweeps = sweeps.to_vec();
        }
        if let Some(quick) = quick {
            self.quick = quick;
        }
    }
}

/// One unique configuration of the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedConfig {
    /// Its [`config_id`].
    pub id: String,
    /// The configuration as trained (epochs already capped when quick).
    pub config: TrainConfig,
    /// The sweeps it belongs to, in study order.
    pub sweeps: Vec<String>,
    /// Seeds beyond the plan's that a learning-rate search's stage 3 gave it, ascending.
    pub extra_seeds: Vec<u64>,
}

/// Every trial of a study run: unique configurations × seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The study's name.
    pub name: String,
    /// Quick mode.
    pub quick: bool,
    /// The seeds of every configuration.
    pub seeds: Vec<u64>,
    /// The unique configurations, in order of first appearance.
    pub configs: Vec<PlannedConfig>,
    /// Each selected sweep with the indices (into `configs`) of its configurations, in sweep
    /// order.
    pub sweeps: Vec<(String, Vec<usize>)>,
    /// Sweeps whose configurations the quick caps merged: (sweep, configurations in the
    /// study, configurations left).
    pub merged: Vec<(String, usize, usize)>,
}

impl Plan {
    /// Builds the plan; unknown sweep names are a usage error.
    pub fn new(study: &Study, options: &PlanOptions) -> Result<Plan> {
        for name in &options.sweeps {
            if study.sweep(name).is_none() {
                let names: Vec<&str> = study.sweeps.iter().map(|s| s.name.as_str()).collect();
                return Err(Error::Usage(format!(
                    "--sweep {name}: no such sweep in study '{}' (it has: {})",
                    study.name,
                    names.join(", ")
                )));
            }
        }
        let seeds = match (options.seeds, options.quick) {
            (Some(0), _) => return Err(Error::Usage("--seeds must be at least 1".into())),
            (Some(n), _) => n,
            (None, true) => QUICK_SEEDS.min(study.seeds),
            (None, false) => study.seeds,
        };
        if seeds > MAX_SEEDS {
            return Err(Error::Usage(format!(
                "{seeds} seeds per configuration: at most {MAX_SEEDS} (a study of that size \
                 would not finish; statistics settle long before)"
            )));
        }
        check_listed_configs(study, options)?;
        let mut configs: Vec<PlannedConfig> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut sweeps = Vec::new();
        let mut merged = Vec::new();
        for sweep in &study.sweeps {
            if !options.sweeps.is_empty() && !options.sweeps.contains(&sweep.name) {
                continue;
            }
            let mut members = Vec::new();
            let mut member_set = HashSet::new();
            let mut original = HashSet::new();
            for mut config in sweep.configs() {
                if options.quick {
                    original.insert(config_id(&config));
                    config.epochs = config.epochs.min(QUICK_MAX_EPOCHS);
                }
                let id = config_id(&config);
                if !index.contains_key(&id) {
                    config
                        .validate()
                        .map_err(|e| Error::Usage(format!("sweep {}: {id}: {e}", sweep.name)))?;
                }
                let i = *index.entry(id.clone()).or_insert_with(|| {
                    configs.push(PlannedConfig {
                        id,
                        config,
                        sweeps: Vec::new(),
                        extra_seeds: Vec::new(),
                    });
                    configs.len() - 1
                });
                if !configs[i].sweeps.contains(&sweep.name) {
                    configs[i].sweeps.push(sweep.name.clone());
                }
                if member_set.insert(i) {
                    members.push(i);
                }
            }
            if options.quick && members.len() < original.len() {
                merged.push((sweep.name.clone(), original.len(), members.len()));
            }
            sweeps.push((sweep.name.clone(), members));
        }
        if configs.len().saturating_mul(seeds) > MAX_TRIALS {
            return Err(Error::Usage(format!(
                "{} configurations × {seeds} seeds: at most {MAX_TRIALS} trials per plan",
                configs.len()
            )));
        }
        Ok(Plan {
            name: study.name.clone(),
            quick: options.quick,
            seeds: (0..seeds as u64).collect(),
            configs,
            sweeps,
            merged,
        })
    }

    /// One caveat per sweep that quick mode merged: which question it cannot answer.
    pub fn quick_caveats(&self) -> Vec<QuickCaveat> {
        self.merged
            .iter()
            .map(|(sweep, before, after)| QuickCaveat {
                sweep: sweep.clone(),
                text: format!(
                    "quick mode caps epochs at {QUICK_MAX_EPOCHS}: sweep '{sweep}' has {after} \
                     configuration(s) left of its {before}, so its question cannot be answered \
                     in quick mode — run without --quick"
                ),
            })
            .collect()
    }

    /// Number of trials: unique configurations × seeds, and a search's added seeds.
    pub fn trials(&self) -> usize {
        self.configs.len() * self.seeds.len()
            + self
                .configs
                .iter()
                .map(|c| c.extra_seeds.len())
                .sum::<usize>()
    }

    /// The seeds of configuration `config`: the plan's, then any a search added.
    pub fn seeds_of(&self, config: usize) -> Vec<u64> {
        let mut seeds = self.seeds.clone();
        seeds.extend(&self.configs[config].extra_seeds);
        seeds
    }

    /// The searched sweeps (`lr = { search = … }`) of the plan, each with its cells: one per
    /// value of the other varied parameter (one cell when the learning rate is varied alone),
    /// each with its configurations ascending in learning rate.
    pub fn searched(&self, study: &Study) -> Vec<super::lr_search::SearchedSweep> {
        use super::lr_search::{SearchedCell, SearchedSweep};
        let mut out = Vec::new();
        for (name, members) in &self.sweeps {
            let Some(sweep) = study.sweep(name) else {
                continue;
            };
            let Some(axis) = sweep.search else {
                continue;
            };
            let other = sweep
                .vary
                .iter()
                .find(|(k, _)| k != "lr")
                .map(|(k, _)| k.clone());
            let mut cells: Vec<SearchedCell> = Vec::new();
            for &i in members {
                let c = &self.configs[i];
                let name = match &other {
                    Some(k) => crate::config::params::value_of(&c.config, k),
                    None => String::new(),
                };
                match cells.iter_mut().find(|cell| cell.name == name) {
                    Some(cell) => cell.configs.push(i),
                    None => {
                        let covariate = name.parse::<f64>().map_or(0.0, f64::log10);
                        cells.push(SearchedCell {
                            name,
                            covariate,
                            configs: vec![i],
                        });
                    }
                }
            }
            for cell in &mut cells {
                cell.configs.sort_by(|&a, &b| {
                    self.configs[a]
                        .config
                        .lr
                        .total_cmp(&self.configs[b].config.lr)
                });
            }
            out.push(SearchedSweep {
                sweep: name.clone(),
                axis,
                other,
                cells,
            });
        }
        out
    }

    /// Adds what the later stages of a search added (`state`) to the plan: the learning rates
    /// of stage 2 as configurations of their sweep (the cell's configuration with that
    /// learning rate), the seeds of stage 3 as extra seeds. Additions of a sweep or cell the
    /// study no longer has are ignored.
    pub fn apply_search(&mut self, study: &Study, state: &super::lr_search::SearchState) {
        for searched in self.searched(study) {
            let Some(sweep_state) = state.sweeps.get(&searched.sweep) else {
                continue;
            };
            for cell in &searched.cells {
                let Some(additions) = sweep_state.cells.get(&cell.name) else {
                    continue;
                };
                let template = self.configs[cell.configs[0]].config.clone();
                for a in additions {
                    for &lr in &a.lrs {
                        let config = TrainConfig {
                            lr,
                            ..template.clone()
                        };
                        let id = config_id(&config);
                        let i = match self.find(&id) {
                            Some(i) => i,
                            None => {
                                self.configs.push(PlannedConfig {
                                    id,
                                    config,
                                    sweeps: Vec::new(),
                                    extra_seeds: Vec::new(),
                                });
                                self.configs.len() - 1
                            }
                        };
                        if !self.configs[i].sweeps.contains(&searched.sweep) {
                            self.configs[i].sweeps.push(searched.sweep.clone());
                        }
                        if let Some((_, members)) =
                            self.sweeps.iter_mut().find(|(n, _)| *n == searched.sweep)
                            && !members.contains(&i)
                        {
                            members.push(i);
                        }
                        let n = self.seeds.len() as u64;
                        let extra = &mut self.configs[i].extra_seeds;
                        for seed in n..a.seeds as u64 {
                            if !extra.contains(&seed) {
                                extra.push(seed);
                            }
                        }
                        extra.sort_unstable();
                    }
                }
            }
        }
    }

    /// The index of the configuration with id `id`.
    pub fn find(&self, id: &str) -> Option<usize> {
        self.configs.iter().position(|c| c.id == id)
    }

    /// Estimated seconds to train `seeds` seeds of configuration `config` together as one
    /// replica group on `rows` (the one cost model: [`cost::estimate_seconds`]).
    pub fn estimate(&self, config: usize, seeds: usize, rows: RowEstimate) -> f64 {
        cost::estimate_seconds(&self.configs[config].config, seeds, rows)
    }

    /// Estimated seconds of `seeds` seeds of each configuration as they train by default
    /// ([`Grouping::default`]): their share of a group of the size its pool (the
    /// configurations that may share a group with it, all seeds) fills. Depends only on the
    /// plan, so every shard of one plan balances the same way.
    pub fn default_shares(&self, rows: RowEstimate) -> impl Fn(usize, usize) -> f64 + '_ {
        let keys: Vec<String> = (0..self.configs.len())
            .map(|c| self.group_key(c, Grouping::default()))
            .collect();
        let mut pools: HashMap<&str, usize> = HashMap::new();
        for k in &keys {
            *pools.entry(k).or_default() += self.seeds.len();
        }
        let sizes: Vec<usize> = (0..self.configs.len())
            .map(|c| {
                pools[keys[c].as_str()].min(Replicas::Auto.cap(self.configs[c].config.batch_size))
            })
            .collect();
        move |config, seeds| {
            let size = sizes[config].max(1);
            let distinct = size.min(self.seeds.len());
            let group =
                cost::estimate_group_seconds(&self.configs[config].config, size, distinct, rows);
            group * seeds as f64 / size as f64
        }
    }

    /// Estimated seconds of one replica group (its distinct seeds draw their batches once
    /// each).
    pub fn estimate_group(&self, group: &Group, rows: RowEstimate) -> f64 {
        let mut seeds: Vec<u64> = group.members.iter().flat_map(|m| m.seeds.clone()).collect();
        seeds.sort_unstable();
        seeds.dedup();
        let config = &self.configs[group.members[0].config].config;
        cost::estimate_group_seconds(config, group.len(), seeds.len(), rows)
    }

    /// Estimated seconds of a whole `selection` (seeds per configuration), grouped as
    /// [`groups`] groups them.
    pub fn estimate_selection(
        &self,
        selection: &[Vec<u64>],
        grouping: Grouping,
        rows: RowEstimate,
    ) -> f64 {
        groups(self, selection, grouping)
            .iter()
            .map(|g| self.estimate_group(g, rows))
            .sum()
    }

    /// Each configuration's share of the estimated seconds of `selection` (grouped as
    /// [`groups`] groups them): a group's time split over its replicas.
    pub fn estimate_shares(
        &self,
        selection: &[Vec<u64>],
        grouping: Grouping,
        rows: RowEstimate,
    ) -> Vec<f64> {
        let mut shares = vec![0.0; self.configs.len()];
        for g in groups(self, selection, grouping) {
            let per_replica = self.estimate_group(&g, rows) / g.len() as f64;
            for m in &g.members {
                shares[m.config] += per_replica * m.seeds.len() as f64;
            }
        }
        shares
    }

    /// The key that configurations training in one replica group share: everything but the
    /// optimiser settings (learning rate, weight decay, Adam betas and eps), as a config id.
    fn group_key(&self, config: usize, grouping: Grouping) -> String {
        let c = &self.configs[config];
        match grouping.by {
            GroupBy::Config => c.id.clone(),
            GroupBy::Auto => config_id(&TrainConfig {
                lr: 1.0,
                adam: crate::optim::AdamConfig::default(),
                ..c.config.clone()
            }),
        }
    }
}

/// Refuses, before any configuration is built, sweeps that list more than [`MAX_CONFIGS`]
/// configurations (the count follows from the axis lengths; building a 10,000 × 10,000 product
/// to count it took 23 GB), naming the largest sweep and its axes.
fn check_listed_configs(study: &Study, options: &PlanOptions) -> Result<()> {
    let selected: Vec<&super::file::Sweep> = study
        .sweeps
        .iter()
        .filter(|s| options.sweeps.is_empty() || options.sweeps.contains(&s.name))
        .collect();
    let listed = selected
        .iter()
        .fold(0usize, |n, s| n.saturating_add(s.config_count()));
    if listed <= MAX_CONFIGS {
        return Ok(());
    }
    let largest = selected
        .iter()
        .max_by_key(|s| s.config_count())
        .expect("a sweep lists more than 0 configurations");
    let axes: Vec<String> = largest
        .vary
        .iter()
        .map(|(key, values)| format!("{} {key}", values.len()))
        .collect();
    Err(Error::Usage(format!(
        "the sweeps list {listed} configurations (sweep {}: {} = {}): at most {MAX_CONFIGS} per \
         plan; shorten the value lists",
        largest.name,
        axes.join(" × "),
        largest.config_count()
    )))
}

/// How configurations share replica groups (`--group-by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    /// Configurations that differ only in optimiser settings (learning rate, weight decay,
    /// Adam betas and eps) train together, each replica with its own settings: a batch size ×
    /// learning rate grid trains one group per batch size.
    #[default]
    Auto,
    /// Each configuration's seeds alone.
    Config,
}

impl FromStr for GroupBy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(GroupBy::Auto),
            "config" => Ok(GroupBy::Config),
            _ => Err(Error::Usage(format!(
                "--group-by '{s}': expected auto or config"
            ))),
        }
    }
}

impl fmt::Display for GroupBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GroupBy::Auto => "auto",
            GroupBy::Config => "config",
        })
    }
}

/// How pending trials become replica groups: which configurations may share one, and how many
/// replicas one holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Grouping {
    /// Which configurations share a group.
    pub by: GroupBy,
    /// How many replicas a group holds.
    pub replicas: Replicas,
}

impl fmt::Display for Grouping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "replicas {}, group by {}", self.replicas, self.by)
    }
}

/// How many replicas train together in one group (`--replicas auto|N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Replicas {
    /// As many as keep a step's rows within [`GROUP_ROWS`] (split evenly: 20 replicas under a
    /// cap of 16 → 10 + 10).
    #[default]
    Auto,
    /// At most N replicas per group (1 = every seed alone).
    Max(usize),
}

impl FromStr for Replicas {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(Replicas::Auto),
            n => match n.parse::<usize>() {
                Ok(n) if n >= 1 => Ok(Replicas::Max(n)),
                _ => Err(Error::Usage(format!(
                    "--replicas '{s}': expected auto or a number >= 1"
                ))),
            },
        }
    }
}

impl fmt::Display for Replicas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Replicas::Auto => write!(f, "auto (≤ {GROUP_ROWS} rows a step)"),
            Replicas::Max(n) => write!(f, "{n}"),
        }
    }
}

impl Replicas {
    /// The most replicas of batch size `batch_size` in one group.
    pub fn cap(&self, batch_size: usize) -> usize {
        match self {
            Replicas::Auto => (GROUP_ROWS / batch_size.max(1)).max(1),
            Replicas::Max(n) => *n,
        }
    }
}

/// Splits `items` into the fewest runs of at most `cap`, as evenly as possible (20 under a cap
/// of 16 → 10 + 10), in order.
fn split_evenly<T: Clone>(items: &[T], cap: usize) -> Vec<Vec<T>> {
    if items.is_empty() {
        return Vec::new();
    }
    let groups = items.len().div_ceil(cap.max(1));
    let (base, extra) = (items.len() / groups, items.len() % groups);
    let mut out = Vec::with_capacity(groups);
    let mut rest = items;
    for g in 0..groups {
        let (head, tail) = rest.split_at(base + usize::from(g < extra));
        out.push(head.to_vec());
        rest = tail;
    }
    out
}

/// The seeds of one configuration in a replica group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Index into [`Plan::configs`].
    pub config: usize,
    /// Its seeds in this group, ascending.
    pub seeds: Vec<u64>,
}

/// Replicas trained together in one `train_group` call: seeds of one configuration, or of
/// configurations that differ only in optimiser settings ([`GroupBy::Auto`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Its configurations in plan order, each with its seeds.
    pub members: Vec<Member>,
}

impl Group {
    /// Replicas in the group.
    pub fn len(&self) -> usize {
        self.members.iter().map(|m| m.seeds.len()).sum()
    }

    /// True for a group without replicas (never formed by [`groups`]).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The (configuration, seed) of every replica, in training order: seed by seed, and within
    /// a seed the configurations in plan order (replicas of one seed share their batches).
    pub fn replicas(&self) -> Vec<(usize, u64)> {
        let mut order: Vec<(u64, usize, usize)> = self
            .members
            .iter()
            .enumerate()
            .flat_map(|(k, m)| m.seeds.iter().map(move |&s| (s, k, m.config)))
            .collect();
        order.sort_unstable();
        order.into_iter().map(|(s, _, c)| (c, s)).collect()
    }
}

/// Groups the pending seeds of each configuration (`pending[i]` for config `i` of `plan`)
/// into replica groups: configurations that may share a group (`grouping.by`) pool their
/// (configuration, seed) pairs seed by seed, and each pool is cut into the fewest groups within
/// the replica cap, as evenly as possible. Pools in plan order.
pub fn groups(plan: &Plan, pending: &[Vec<u64>], grouping: Grouping) -> Vec<Group> {
    let mut keys: Vec<String> = Vec::new();
    let mut pools: Vec<Vec<usize>> = Vec::new();
    for (config, seeds) in pending.iter().enumerate() {
        if seeds.is_empty() {
            continue;
        }
        let key = plan.group_key(config, grouping);
        match keys.iter().position(|k| *k == key) {
            Some(i) => pools[i].push(config),
            None => {
                keys.push(key);
                pools.push(vec![config]);
            }
        }
    }
    let mut out = Vec::new();
    for configs in pools {
        // Seed by seed, configurations in plan order within a seed.
        let mut pairs: Vec<(u64, usize)> = configs
            .iter()
            .enumerate()
            .flat_map(|(k, &c)| pending[c].iter().map(move |&s| (s, k)))
            .collect();
        pairs.sort_unstable();
        let cap = grouping
            .replicas
            .cap(plan.configs[configs[0]].config.batch_size);
        for chunk in split_evenly(&pairs, cap) {
            let mut seeds: Vec<Vec<u64>> = vec![Vec::new(); configs.len()];
            for (s, k) in chunk {
                seeds[k].push(s);
            }
            let members = configs
                .iter()
                .zip(seeds)
                .filter(|(_, seeds)| !seeds.is_empty())
                .map(|(&config, seeds)| Member { config, seeds })
                .collect();
            out.push(Group { members });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::{AdamConfig, Scheduler};

    const STUDY: &str = r#"
        name = "t"
        seeds = 4
        [defaults]
        epochs = 20
        [[sweep]]
        name = "bs"
        vary = { batch_size = [64, 128] }
        [[sweep]]
        name = "epochs"
        vary = { epochs = [10, 20] }
    "#;

    #[test]
    fn config_ids_are_readable_and_distinguish_settings() {
        let mut c = TrainConfig {
            batch_size: 256,
            lr: 1e-3,
            ..TrainConfig::default()
        };
        assert_eq!(config_id(&c), "bs=256,lr=1e-3,model=jsc-tiny,epochs=20");
        c.scheduler = Scheduler::Constant;
        c.adam.weight_decay = 1e-4;
        assert_eq!(
            config_id(&c),
            "bs=256,lr=1e-3,model=jsc-tiny,epochs=20,sched=constant,wd=1e-4"
        );
        c.lr = 1.5e-2;
        assert!(config_id(&c).contains("lr=1.5e-2"));
    }

    /// `config_id` keys trial logs on disk: these ids were produced by the code before the
    /// parameter table and must never change.
    #[test]
    fn config_ids_are_stable() {
        let d = TrainConfig::default();
        let with = |f: &dyn Fn(&mut TrainConfig)| {
            let mut c = d.clone();
            f(&mut c);
            config_id(&c)
        };
        let got = [
            config_id(&d),
            with(&|c| c.scheduler = Scheduler::Constant),
            with(&|c| c.adam.weight_decay = 1e-4),
            with(&|c| c.adam.weight_decay = -0.0),
            with(&|c| c.adam.beta1 = 0.8),
            with(&|c| c.adam.beta2 = 0.99),
            with(&|c| c.adam.eps = 1e-6),
            with(&|c| {
                c.batch_size = 256;
                c.lr = 3e-4;
                c.model = "jsc-toy".into();
                c.epochs = 50;
            }),
            with(&|c| c.lr = 1.5e-2),
            with(&|c| c.lr = 0.1 + 0.2),
            with(&|c| {
                c.batch_size = 1;
                c.lr = 1.0;
                c.epochs = 1;
                c.scheduler = Scheduler::Constant;
                c.adam = AdamConfig {
                    beta1: 0.5,
                    beta2: 0.9,
                    eps: 1e-7,
                    weight_decay: 0.01,
                };
            }),
        ];
        let want = [
            "bs=128,lr=1e-5,model=jsc-tiny,epochs=20",
            "bs=128,lr=1e-5,model=jsc-tiny,epochs=20,sched=constant",
            "bs=128,lr=1e-5,model=jsc-tiny,epochs=20,wd=1e-4",
            "bs=128,lr=1e-5,model=jsc-tiny,epochs=20",
            "bs=128,lr=1e-5,model=jsc-tiny,epochs=20,beta1=8e-1",
            "bs=128,lr=1e-5,model=jsc-tiny,epochs=20,beta2=9.9e-1",
            "bs=128,lr=1e-5,model=jsc-tiny,epochs=20,eps=1e-6",
            "bs=256,lr=3e-4,model=jsc-toy,epochs=50",
            "bs=128,lr=1.5e-2,model=jsc-tiny,epochs=20",
            "bs=128,lr=3.0000000000000004e-1,model=jsc-tiny,epochs=20",
            "bs=1,lr=1e0,model=jsc-tiny,epochs=1,sched=constant,wd=1e-2,beta1=5e-1,beta2=9e-1,eps=1e-7",
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn shared_configurations_run_once_and_quick_caps_epochs() {
        let study = Study::parse(STUDY, "t").unwrap();
        let plan = Plan::new(&study, &PlanOptions::default()).unwrap();
        // bs=128,epochs=20 is in both sweeps.
        assert_eq!(plan.configs.len(), 3);
        assert_eq!(plan.trials(), 12);
        let shared = plan
            .find("bs=128,lr=1e-5,model=jsc-tiny,epochs=20")
            .unwrap();
        assert_eq!(plan.configs[shared].sweeps, ["bs", "epochs"]);
        assert_eq!(plan.sweeps[1].1.len(), 2);

        let quick = PlanOptions {
            quick: true,
            ..PlanOptions::default()
        };
        let q = Plan::new(&study, &quick).unwrap();
        assert_eq!(q.seeds, [0, 1, 2]);
        assert!(
            q.configs
                .iter()
                .all(|c| c.config.epochs == QUICK_MAX_EPOCHS)
        );
        assert_eq!(q.configs.len(), 2, "epochs 10 and 20 both become 5");
        // The merged epochs sweep is named as unanswerable in quick mode; the bs sweep is not.
        let caveats = q.quick_caveats();
        assert_eq!(caveats.len(), 1);
        assert_eq!(caveats[0].sweep, "epochs");
        assert!(caveats[0].text.contains("1 configuration(s) left of its 2"));
        assert!(plan.quick_caveats().is_empty());

        let only = PlanOptions {
            sweeps: vec!["epochs".into()],
            seeds: Some(2),
            ..PlanOptions::default()
        };
        let p = Plan::new(&study, &only).unwrap();
        assert_eq!((p.configs.len(), p.trials()), (2, 4));
        let bad = PlanOptions {
            sweeps: vec!["nope".into()],
            ..PlanOptions::default()
        };
        assert!(
            Plan::new(&study, &bad)
                .unwrap_err()
                .to_string()
                .contains("bs, epochs")
        );
    }

    #[test]
    fn groups_split_evenly_under_the_cap() {
        let study = Study::parse(
            "name='t'\nseeds=20\n[[sweep]]\nname='a'\nvary={batch_size=[256], lr=[1e-1, 1e-3]}",
            "t",
        )
        .unwrap();
        let plan = Plan::new(&study, &PlanOptions::default()).unwrap();
        let all = vec![plan.seeds.clone(); 2];
        let sizes =
            |g: Grouping| -> Vec<usize> { groups(&plan, &all, g).iter().map(Group::len).collect() };
        let by = |by, replicas| Grouping { by, replicas };
        // 4096 rows a step at batch 256: at most 16 replicas; 40 → 14 + 13 + 13, both
        // learning rates in every group.
        assert_eq!(Replicas::Auto.cap(256), 16);
        assert_eq!(Replicas::Auto.cap(32), 128);
        assert_eq!(Replicas::Auto.cap(100_000), 1);
        assert_eq!(sizes(by(GroupBy::Auto, Replicas::Auto)), [14, 13, 13]);
        let mixed = groups(&plan, &all, by(GroupBy::Auto, Replicas::Auto));
        assert!(mixed.iter().all(|g| g.members.len() == 2));
        assert_eq!(mixed[0].members[0].seeds, (0..7).collect::<Vec<u64>>());
        assert_eq!(&mixed[0].replicas()[..3], [(0, 0), (1, 0), (0, 1)]);
        // By configuration: 20 seeds each → 10 + 10 per configuration.
        assert_eq!(sizes(by(GroupBy::Config, Replicas::Auto)), [10, 10, 10, 10]);
        assert_eq!(sizes(by(GroupBy::Config, Replicas::Max(1))).len(), 40);
        assert_eq!(sizes(by(GroupBy::Auto, Replicas::Max(8))), [8, 8, 8, 8, 8]);
        assert_eq!("4".parse::<Replicas>().unwrap(), Replicas::Max(4));
        assert!("0".parse::<Replicas>().is_err());
        assert_eq!("config".parse::<GroupBy>().unwrap(), GroupBy::Config);
        assert!("lr".parse::<GroupBy>().is_err());
        // Only pending seeds are grouped; a configuration with none is left out.
        let g = groups(&plan, &[vec![3], vec![]], Grouping::default());
        assert_eq!(
            g,
            [Group {
                members: vec![Member {
                    config: 0,
                    seeds: vec![3]
                }]
            }]
        );
        // Configurations that differ in more than optimiser settings never share a group.
        let two = Study::parse(
            "name='t'\nseeds=2\n[[sweep]]\nname='a'\nvary={batch_size=[64, 128]}",
            "t",
        )
        .unwrap();
        let p = Plan::new(&two, &PlanOptions::default()).unwrap();
        assert_eq!(
            groups(&p, &[p.seeds.clone(), p.seeds.clone()], Grouping::default()).len(),
            2
        );
    }
}
