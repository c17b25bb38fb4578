//! Splitting a plan over machines: `--shard I/N` takes the I-th of N disjoint slices,
//! balanced by estimated cost (a configuration's share of the replica groups it trains in by
//! default); `--shard auto` reads the slice from a SLURM array task or a
//! Kubernetes Indexed Job.
//!
//! The slices depend only on the plan (study, sweeps, seeds, quick) and the data's size, never
//! on what is already done, so every shard of one plan computes the same split. Units are a
//! configuration with all its seeds (keeping the replica fast path) — or, when there are
//! fewer than 4 units per shard, with its seeds cut into a few contiguous chunks. Units are
//! dealt largest first to the least-loaded shard (LPT).

use super::cost::RowEstimate;
use super::plan::Plan;
use crate::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// One slice of a plan: `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based slice number.
    pub index: usize,
    /// Number of slices.
    pub count: usize,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    fn new(index: usize, count: usize, what: &str) -> Result<Shard> {
        if count == 0 || index == 0 || index > count {
            return Err(Error::Usage(format!(
                "{what}: shard {index}/{count} is out of range (expected 1 <= I <= N)"
            )));
        }
        Ok(Shard { index, count })
    }

    /// `--shard`: `I/N`, or `auto` — the shard of this process's SLURM array task or
    /// Kubernetes Indexed Job ([`Shard::from_env`] on the environment), with `count` slices
    /// when the environment does not say (`--shard-count`).
    pub fn from_flag(s: &str, count: Option<usize>) -> Result<Shard> {
        match s {
            "auto" => Shard::from_env(|k| std::env::var(k).ok(), count),
            s => s.parse(),
        }
    }

    /// The shard of a SLURM array task or a Kubernetes Indexed Job, read through `var`.
    ///
    /// SLURM: without `count`, slice `SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN` of
    /// `SLURM_ARRAY_TASK_COUNT` (one submission of the whole array). With `count`
    /// (`--shard-count N`), the task id itself is the 0-based slice of N, so one task
    /// resubmitted alone (`--array=3`) still runs its own slice. Kubernetes:
    /// `JOB_COMPLETION_INDEX` (0-based) of `count`.
    pub fn from_env(var: impl Fn(&str) -> Option<String>, count: Option<usize>) -> Result<Shard> {
        let num = |name: &str| -> Result<Option<usize>> {
            match var(name) {
                None => Ok(None),
                Some(v) => v.trim().parse().map(Some).map_err(|_| {
                    Error::Usage(format!("--shard auto: {name}='{v}' is not a number"))
                }),
            }
        };
        if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
            let min = match count {
                Some(_) => 0,
                None => num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0),
            };
            let n = match count.or(num("SLURM_ARRAY_TASK_COUNT")?) {
                Some(n) => n,
                None => {
                    return Err(Error::Usage(
                        "--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is \
                         not; pass --shard-count N"
                            .into(),
                    ));
                }
            };
            let i = id.checked_sub(min).ok_or_else(|| {
                Error::Usage(format!(
                    "--shard auto: task id {id} < SLURM_ARRAY_TASK_MIN {min}"
                ))
            })?;
            return Shard::new(i + 1, n, "--shard auto (SLURM)");
        }
        if let Some(i) = num("JOB_COMPLETION_INDEX")? {
            let n = count.ok_or_else(|| {
                Error::Usage(
                    "--shard auto: JOB_COMPLETION_INDEX is set; also pass --shard-count N \
                     (the Job's completions) or set TRAINBENCH_SHARD_COUNT"
                        .into(),
                )
            })?;
            return Shard::new(i + 1, n, "--shard auto (Kubernetes)");
        }
        Err(Error::Usage(
            "--shard auto: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set".into(),
        ))
    }
}

impl FromStr for Shard {
    type Err = Error;
    /// Parses `I/N`.
    fn from_str(s: &str) -> Result<Shard> {
        let parsed = s
            .split_once('/')
            .and_then(|(i, n)| Some((i.trim().parse().ok()?, n.trim().parse().ok()?)));
        match parsed {
            Some((i, n)) => Shard::new(i, n, &format!("--shard {s}")),
            None => Err(Error::Usage(format!(
                "--shard '{s}': expected I/N (e.g. 2/8) or auto"
            ))),
        }
    }
}

/// The seeds of each configuration (indexed like [`Plan::configs`]) that belong to `shard`.
pub fn select(plan: &Plan, rows: RowEstimate, shard: Shard) -> Vec<Vec<u64>> {
    let n_seeds = plan.seeds.len();
    let n_configs = plan.configs.len().max(1);
    // Chunks per configuration: the fewest that give at least 4 units per shard.
    let chunks = (4 * shard.count)
        .div_ceil(n_configs)
        .clamp(1, n_seeds.max(1));
    let share = plan.default_shares(rows);
    let mut units: Vec<(f64, usize, &[u64])> = Vec::new();
    let all: Vec<Vec<u64>> = (0..plan.configs.len()).map(|i| plan.seeds_of(i)).collect();
    for (i, seeds) in all.iter().enumerate() {
        let n_seeds = seeds.len();
        let (base, extra) = (n_seeds / chunks, n_seeds % chunks);
        let mut rest = seeds.as_slice();
        for k in 0..chunks {
            let (head, tail) = rest.split_at(base + usize::from(k < extra));
            rest = tail;
            if !head.is_empty() {
                units.push((share(i, head.len()), i, head));
            }
        }
    }
    // Largest first; ties in plan order, so every shard sorts identically.
    units.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(b.2)));
    let mut load = vec![0f64; shard.count];
    let mut mine = vec![Vec::new(); plan.configs.len()];
    for (cost, config, seeds) in units {
        let target = (0..shard.count)
            .min_by(|&a, &b| load[a].total_cmp(&load[b]).then(a.cmp(&b)))
            .expect("count >= 1");
        load[target] += cost;
        if target + 1 == shard.index {
            mine[config].extend_from_slice(seeds);
        }
    }
    for seeds in &mut mine {
        seeds.sort_unstable();
    }
    mine
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::{PlanOptions, Study};

    fn plan() -> Plan {
        let s = Study::parse(
            "name='t'\nseeds=5\n[[sweep]]\nname='a'\nvary={batch_size=[32,64,128], epochs=[1,5]}",
            "t",
        )
        .unwrap();
        Plan::new(&s, &PlanOptions::default()).unwrap()
    }

    #[test]
    fn parses_i_of_n_and_rejects_out_of_range() {
        assert_eq!(
            "2/8".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 8 }
        );
        for bad in ["0/2", "3/2", "1/0", "1", "a/b", "auto"] {
            assert_eq!(bad.parse::<Shard>().unwrap_err().exit_code(), 2, "{bad}");
        }
    }

    #[test]
    fn auto_reads_slurm_and_kubernetes() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|p| p.0 == k).map(|p| p.1.to_string())
        };
        let slurm = env(&[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]);
        assert_eq!(
            Shard::from_env(slurm, None).unwrap(),
            Shard { index: 4, count: 4 }
        );
        let one_based = env(&[
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]);
        assert_eq!(Shard::from_env(one_based, None).unwrap().index, 1);
        // One task of a 0..7 array resubmitted alone: its own slice, not 1/1.
        let alone = env(&[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_MIN", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "1"),
        ]);
        assert_eq!(
            Shard::from_env(alone, Some(8)).unwrap(),
            Shard { index: 4, count: 8 }
        );
        let k8s = env(&[("JOB_COMPLETION_INDEX", "0")]);
        assert_eq!(
            Shard::from_env(k8s, Some(3)).unwrap(),
            Shard { index: 1, count: 3 }
        );
        assert!(Shard::from_env(env(&[("JOB_COMPLETION_INDEX", "0")]), None).is_err());
        assert!(Shard::from_env(env(&[]), Some(2)).is_err());
    }

    #[test]
    fn shards_are_disjoint_complete_and_balanced() {
        let plan = plan();
        let rows = RowEstimate::from_raw(100_000, false);
        for count in [1, 2, 3, 7, 40] {
            let mut seen = vec![Vec::new(); plan.configs.len()];
            let mut loads = Vec::new();
            let share = plan.default_shares(rows);
            for index in 1..=count {
                let part = select(&plan, rows, Shard { index, count });
                let mut load = 0.0;
                for (i, seeds) in part.iter().enumerate() {
                    seen[i].extend_from_slice(seeds);
                    if !seeds.is_empty() {
                        load += share(i, seeds.len());
                    }
                }
                loads.push(load);
            }
            for seeds in &mut seen {
                seeds.sort_unstable();
                assert_eq!(*seeds, plan.seeds, "{count} shards cover every trial once");
            }
            if count == 2 {
                let (lo, hi) = (loads[0].min(loads[1]), loads[0].max(loads[1]));
                assert!(lo > 0.6 * hi, "balanced: {loads:?}");
            }
        }
    }
}
