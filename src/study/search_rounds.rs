//! The rounds of a learning-rate search on a plan: what the decisions of
//! [`lr_search`](super::lr_search) see of a plan's trials ([`observe`]), one decision taken and
//! added to the plan ([`take_step`]), and the trials a round added ([`round_selection`]).

use super::file::Study;
use super::lr_search::{
    Addition, Cell, Point, SearchState, SearchedCell, Step, extend, lattice_index, lattice_value,
    refine, stage_three,
};
use super::plan::Plan;
use crate::record::TrialRecord;

/// A cell's points as the decisions see them: per configuration of the cell (ascending in
/// learning rate), the final validation accuracy of each of the plan's seeds (`None`:
/// diverged or not trained), from `records` (this run's: see [`RunScope`](super::experiment::RunScope)). Decisions never look at test accuracy, and
/// stage 3's seeds are left out (so a rerun decides stage 3 from what it was decided from).
pub fn observe(plan: &Plan, cell: &SearchedCell, records: &[&TrialRecord]) -> Cell {
    let seeds = plan.seeds.len();
    let points = cell
        .configs
        .iter()
        .map(|&i| {
            let id = plan.configs[i].id.as_str();
            let mut values = vec![None; seeds];
            for r in records
                .iter()
                .filter(|r| r.config_id.as_deref() == Some(id))
            {
                let s = r.outcome.seed as usize;
                if s < seeds && !r.diverged {
                    values[s] = r.outcome.epochs.last().map(|e| e.val_acc);
                }
            }
            Point {
                j: lattice_index(plan.configs[i].config.lr),
                values,
            }
        })
        .collect();
    Cell {
        name: cell.name.clone(),
        covariate: cell.covariate,
        points,
    }
}

/// Takes `step` for every searched sweep of `plan` (the plan of `study`) from `records`: the
/// additions go into `state` as round `round` and into the plan. `budget` overrides the
/// sweeps' stage-3 budgets. Returns whether anything was added.
pub fn take_step(
    study: &Study,
    plan: &mut Plan,
    state: &mut SearchState,
    records: &[&TrialRecord],
    step: Step,
    round: usize,
    budget: Option<usize>,
) -> bool {
    let mut added = false;
    for searched in plan.searched(study) {
        let axis = searched.axis;
        let cells: Vec<Cell> = searched
            .cells
            .iter()
            .map(|c| observe(plan, c, records))
            .collect();
        let seeds = plan.seeds.len();
        let mut additions: Vec<(String, Addition)> = Vec::new();
        let addition = |lrs: Vec<f64>, seeds: usize, reason: String| Addition {
            round,
            stage: step.stage(),
            lrs,
            seeds,
            reason,
        };
        match step {
            Step::Extend => {
                for cell in &cells {
                    if let Some(j) = extend(&axis, &cell.points) {
                        let at = if j < cell.points[0].j {
                            "smallest"
                        } else {
                            "largest"
                        };
                        additions.push((
                            cell.name.clone(),
                            addition(
                                vec![lattice_value(j)],
                                seeds,
                                format!("the best mean was at the {at} learning rate tried"),
                            ),
                        ));
                    }
                }
            }
            Step::Refine => {
                for cell in &cells {
                    let js = refine(&axis, &cell.points);
                    if !js.is_empty() {
                        additions.push((
                            cell.name.clone(),
                            addition(
                                js.into_iter().map(lattice_value).collect(),
                                seeds,
                                "half a step either side of the best mean".into(),
                            ),
                        ));
                    }
                }
            }
            Step::Seeds => {
                // A quick look has no seeds to spare: stage 3 is for the real study.
                let budget = if plan.quick {
                    0
                } else {
                    budget.unwrap_or(axis.budget)
                };
                if budget > 0 && seeds >= 2 {
                    let unit = seeds.div_ceil(2);
                    let plan3 = stage_three(&cells, budget, unit, 0.95);
                    for (cell, (points, total)) in cells.iter().zip(plan3) {
                        if !points.is_empty() {
                            additions.push((
                                cell.name.clone(),
                                addition(
                                    points.into_iter().map(lattice_value).collect(),
                                    total,
                                    format!(
                                        "{} more seeds at the best mean and its neighbours: its \
                                         optimum's interval was among the widest",
                                        total - seeds
                                    ),
                                ),
                            ));
                        }
                    }
                }
            }
        }
        let sweep_state = state.sweeps.entry(searched.sweep.clone()).or_default();
        sweep_state.axis = Some(axis);
        for (cell, a) in additions {
            sweep_state.cells.entry(cell).or_default().push(a);
            added = true;
        }
    }
    plan.apply_search(study, state);
    added
}

/// The trials that round `round` of `state` added to `plan` (the plan of `study`, with the
/// state applied): per configuration, the seeds to train.
pub fn round_selection(
    study: &Study,
    plan: &Plan,
    state: &SearchState,
    round: usize,
) -> Vec<Vec<u64>> {
    let mut selection = vec![Vec::new(); plan.configs.len()];
    let n = plan.seeds.len();
    for searched in plan.searched(study) {
        let Some(s) = state.sweeps.get(&searched.sweep) else {
            continue;
        };
        for cell in &searched.cells {
            let Some(additions) = s.cells.get(&cell.name) else {
                continue;
            };
            for a in additions.iter().filter(|a| a.round == round) {
                for &lr in &a.lrs {
                    let found = cell
                        .configs
                        .iter()
                        .find(|&&i| plan.configs[i].config.lr.to_bits() == lr.to_bits());
                    if let Some(&i) = found {
                        let seeds = if a.stage == 3 { n..a.seeds } else { 0..n };
                        selection[i].extend(seeds.map(|s| s as u64));
                    }
                }
            }
        }
    }
    for seeds in &mut selection {
        seeds.sort_unstable();
        seeds.dedup();
    }
    selection
}
