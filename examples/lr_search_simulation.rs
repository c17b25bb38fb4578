//! Do the intervals of a searched learning-rate axis hold although its points were chosen from
//! the data? A simulation of the whole search on planted accuracy surfaces.
//!
//! Each run plants a batch size × learning rate surface, lets the search run on it exactly as
//! `trainbench run` does — stage 1's grid, stage 2's extensions and refinement, stage 3's seeds
//! within the budget, all by [`trainbench::study::lr_search`]'s own functions on simulated
//! per-seed accuracies — and estimates each batch size's optimum and the exponent `k` with the
//! report's estimator ([`lr_search::estimate`]). It counts how often the 95% intervals cover
//! the planted values.
//!
//! The surface (the spreads of Lab 1's 10-seed cells near the optimum, as in the tests of
//! `stats::peak`): accuracy `0.70 + u_s − q·(x − x*(bs) − v_s)² + e` in points/100, with
//! `x = log10 lr`, a seed offset `u_s` (sd 0.005), a seed's shift of the optimum shared by its
//! batch sizes `v_s` (sd 0.05 decades), cell noise `e` (sd 0.004) and curvature `q` 0.015 per
//! decade² below the optimum and 0.06 above (a cliff: the quadratic is misspecified); a seed
//! diverges more than 1.5 decades above its optimum. The optimum: `x*(bs) = x0 + k·log10(bs/128)`
//! for k = 0, 0.5, 1, or a rise-then-fall surface `x*(bs) = x0 − 1.2·log10(bs/128)²` (its
//! planted `k` is then the least-squares slope of the true optima, 0 by symmetry); `x0`
//! uniform within ±0.25 decades of log10 3e-3, so the optimum falls anywhere between points.
//!
//! ```sh
//! cargo run --release --example lr_search_simulation -- [RUNS] [BUDGET] [SEEDS]
//! ```
//! Defaults: 500 runs per surface, a budget of 150 trials, 10 seeds. Prints a markdown table
//! (docs/report.md, "Searched learning rates").

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use trainbench::study::lr_search::{
    self, Cell, LrSearch, MAX_EXTENSIONS, PER_DECADE, Point, extend, refine,
};

const BATCH_SIZES: [f64; 5] = [32.0, 64.0, 128.0, 256.0, 512.0];

#[derive(Clone, Copy)]
enum Surface {
    Power(f64),
    RiseFall,
}

impl Surface {
    fn name(self) -> String {
        match self {
            Surface::Power(k) => format!("k = {k}"),
            Surface::RiseFall => "rise then fall".into(),
        }
    }

    /// The planted optimum (log10 lr) at batch size `bs`.
    fn optimum(self, x0: f64, bs: f64) -> f64 {
        let c = (bs / 128.0).log10();
        match self {
            Surface::Power(k) => x0 + k * c,
            Surface::RiseFall => x0 - 1.2 * c * c,
        }
    }
}

/// One simulated study: its seeds' offsets and shifts, and a noise stream.
struct World {
    surface: Surface,
    x0: f64,
    offsets: Vec<f64>,
    shifts: Vec<f64>,
    rng: ChaCha8Rng,
}

impl World {
    fn seed_effects(&mut self, upto: usize) {
        let (u, v) = (
            Normal::new(0.0, 0.005).unwrap(),
            Normal::new(0.0, 0.05).unwrap(),
        );
        while self.offsets.len() < upto {
            self.offsets.push(u.sample(&mut self.rng));
            self.shifts.push(v.sample(&mut self.rng));
        }
    }

    /// Seed `s`'s accuracy at lattice point `j` and batch size `bs` (`None`: diverged).
    fn trial(&mut self, s: usize, j: i32, bs: f64) -> Option<f64> {
        self.seed_effects(s + 1);
        let x = j as f64 / PER_DECADE as f64;
        let d = x - self.surface.optimum(self.x0, bs) - self.shifts[s];
        if d > 1.5 {
            return None;
        }
        let q = if d < 0.0 { 0.015 } else { 0.06 };
        let e = Normal::new(0.0, 0.004).unwrap().sample(&mut self.rng);
        Some(0.70 + self.offsets[s] - q * d * d + e)
    }

    fn point(&mut self, j: i32, bs: f64, seeds: std::ops::Range<usize>) -> Vec<Option<f64>> {
        seeds.map(|s| self.trial(s, j, bs)).collect()
    }
}

/// Inserts point `j` (with `seeds` seeds) into a cell, keeping ascending order.
fn add_point(world: &mut World, cell: &mut Cell, j: i32, bs: f64, seeds: usize) {
    let values = world.point(j, bs, 0..seeds);
    let at = cell.points.partition_point(|p| p.j < j);
    cell.points.insert(at, Point { j, values });
}

/// One search, start to end; returns (optimum covered per batch size, k covered, k's width).
fn one_run(
    surface: Surface,
    axis: &LrSearch,
    seeds: usize,
    rng: &mut ChaCha8Rng,
) -> (Vec<bool>, bool, f64, usize) {
    let x0 = (3e-3f64).log10() + rng.random_range(-0.25..0.25);
    let mut world = World {
        surface,
        x0,
        offsets: Vec::new(),
        shifts: Vec::new(),
        rng: ChaCha8Rng::seed_from_u64(rng.random()),
    };
    let mut cells: Vec<Cell> = BATCH_SIZES
        .iter()
        .map(|&bs| Cell {
            name: bs.to_string(),
            covariate: bs.log10(),
            points: Vec::new(),
        })
        .collect();
    let mut trials = 0;
    // Stage 1.
    for (cell, &bs) in cells.iter_mut().zip(&BATCH_SIZES) {
        for j in axis.grid() {
            add_point(&mut world, cell, j, bs, seeds);
            trials += seeds;
        }
    }
    // Stage 2: extension rounds, then refinement.
    for _ in 0..MAX_EXTENSIONS {
        let mut any = false;
        for (cell, &bs) in cells.iter_mut().zip(&BATCH_SIZES) {
            if let Some(j) = extend(axis, &cell.points) {
                add_point(&mut world, cell, j, bs, seeds);
                trials += seeds;
                any = true;
            }
        }
        if !any {
            break;
        }
    }
    for (cell, &bs) in cells.iter_mut().zip(&BATCH_SIZES) {
        for j in refine(axis, &cell.points) {
            add_point(&mut world, cell, j, bs, seeds);
            trials += seeds;
        }
    }
    // Stage 3.
    let unit = seeds.div_ceil(2);
    let plan = lr_search::stage_three(&cells, axis.budget, unit, 0.95);
    for ((cell, &bs), (points, total)) in cells.iter_mut().zip(&BATCH_SIZES).zip(plan) {
        for j in points {
            let p = cell
                .points
                .iter_mut()
                .find(|p| p.j == j)
                .expect("a tried point");
            let have = p.values.len();
            let more = world.point(j, bs, have..total);
            trials += more.len();
            p.values.extend(more);
        }
    }
    let (fit, _) = lr_search::estimate(&cells, 0.95);
    let truth: Vec<f64> = BATCH_SIZES
        .iter()
        .map(|&bs| surface.optimum(x0, bs))
        .collect();
    let covered: Vec<bool> = fit
        .peaks
        .iter()
        .zip(&truth)
        .map(|(p, t)| p.ci_low <= *t && *t <= p.ci_high)
        .collect();
    let cs: Vec<f64> = BATCH_SIZES.iter().map(|b| b.log10()).collect();
    let k_true = {
        let mc = cs.iter().sum::<f64>() / cs.len() as f64;
        let mt = truth.iter().sum::<f64>() / truth.len() as f64;
        cs.iter()
            .zip(&truth)
            .map(|(c, t)| (c - mc) * (t - mt))
            .sum::<f64>()
            / cs.iter().map(|c| (c - mc) * (c - mc)).sum::<f64>()
    };
    let k_covered = fit.slope_ci_low <= k_true && k_true <= fit.slope_ci_high;
    (
        covered,
        k_covered,
        fit.slope_ci_high - fit.slope_ci_low,
        trials,
    )
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("a number"))
        .collect();
    let runs = args.first().copied().unwrap_or(500);
    let budget = args.get(1).copied().unwrap_or(150);
    let seeds = args.get(2).copied().unwrap_or(10);
    let table: toml::Table = format!("search = \"1e-5..1\"\npoints = 7\nbudget = {budget}")
        .parse()
        .unwrap();
    let axis = LrSearch::parse(&table, "simulation").unwrap();
    println!(
        "{runs} runs per surface; search 1e-5..1, 7 points half a decade apart, {seeds} seeds, \
         stage-3 budget {budget} trials; nominal 95% intervals\n"
    );
    println!(
        "| surface | optimum covered (per batch size, all runs) | lowest of the 5 batch sizes | k covered | mean k interval half-width | trials per run (mean) |"
    );
    println!("|---|---|---|---|---|---|");
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    for surface in [
        Surface::Power(0.0),
        Surface::Power(0.5),
        Surface::Power(1.0),
        Surface::RiseFall,
    ] {
        let mut per_bs = vec![0usize; BATCH_SIZES.len()];
        let (mut k_hits, mut width, mut trials) = (0usize, 0.0, 0usize);
        for _ in 0..runs {
            let (covered, k, w, t) = one_run(surface, &axis, seeds, &mut rng);
            for (h, c) in per_bs.iter_mut().zip(covered) {
                *h += usize::from(c);
            }
            k_hits += usize::from(k);
            width += if w.is_finite() { w / 2.0 } else { f64::NAN };
            trials += t;
        }
        let pct = |h: usize| 100.0 * h as f64 / runs as f64;
        let all: usize = per_bs.iter().sum();
        let lowest = per_bs.iter().copied().min().unwrap_or(0);
        println!(
            "| {} | {:.1}% | {:.1}% | {:.1}% | {:.3} | {:.0} |",
            surface.name(),
            100.0 * all as f64 / (runs * BATCH_SIZES.len()) as f64,
            pct(lowest),
            pct(k_hits),
            width / runs as f64,
            trials as f64 / runs as f64
        );
    }
}
