//! Q3b of Lab 1 in words: whether batch size and learning rate interact, how the optimal
//! learning rate scales with batch size (k, its interval, and where it sits against the
//! linear and square-root rules), and the optimum per batch size — from a sweep's
//! [`Interaction`](crate::report::bs_lr::Interaction) and [`LrScaling`].

use crate::format::{num, p_value, pct_ci, sci, sci_ci};
use crate::report::analysis::{Metric, SweepReport, Verdict};
use crate::report::bs_lr::{LrOptimum, LrScaling, ScalingVerdict};
use crate::report::text::label;
use std::fmt::Write;

/// The interaction test and the scaling exponent, in two sentences a student can quote.
pub(super) fn answer(s: &SweepReport, alpha: f64) -> String {
    let mut text = String::new();
    if let Some(i) = &s.interaction
        && let Some(e) = i.interaction()
    {
        let a = &e.anova;
        let stats = format!(
            "two-way repeated-measures ANOVA of test accuracy over {} seeds: interaction \
             F({}, {}) = {}, Greenhouse–Geisser ε = {}, p = {}, partial η² = {}",
            i.seeds,
            num(a.df1, 0),
            num(a.df2, 0),
            num(a.f, 2),
            num(a.eps_gg, 2),
            p_value(a.p_gg),
            num(a.partial_eta_sq, 2)
        );
        let _ = if a.p_gg < alpha {
            write!(
                text,
                "Batch size and learning rate interact: the effect of the learning rate on \
                 test accuracy differs between batch sizes ({stats})."
            )
        } else if a.p_gg.is_finite() {
            write!(
                text,
                "No interaction between batch size and learning rate was detected ({stats}): \
                 the data do not show the learning rate's effect changing with batch size, \
                 which is not proof that it does not."
            )
        } else {
            write!(
                text,
                "The interaction of batch size and learning rate could not be tested ({} \
                 complete seeds).",
                i.seeds
            )
        };
        let mut dropped = Vec::new();
        if i.dropped_seeds > 0 {
            dropped.push(format!("{} seed(s) missing a cell", i.dropped_seeds));
        }
        if !i.dropped_lrs.is_empty() {
            dropped.push(format!(
                "learning rate(s) {} (a cell with values for fewer than half the seeds)",
                i.dropped_lrs.join(", ")
            ));
        }
        if !dropped.is_empty() {
            let _ = write!(text, " Left out: {}.", dropped.join("; "));
        }
    }
    if let Some(l) = &s.lr_scaling {
        let _ = write!(text, " {}", scaling_sentence(l));
        let _ = write!(text, "{}", rules_sentence(l, alpha));
        let _ = write!(text, "{}", noise_sentence(l));
    }
    text.trim_start().to_string()
}

/// " Of the scaling rules, the data reject …; they cannot reject …; the best held-out
/// prediction …." — which rules a χ² test at α rejects for the per-batch-size optima, which it
/// cannot, and which predicts a left-out batch size's optimum best; empty without fits.
fn rules_sentence(l: &LrScaling, alpha: f64) -> String {
    use crate::stats::scaling_rules::Rule;
    if l.models.is_empty() {
        return if l.seeds > 0 && l.seeds < crate::report::bs_lr::MIN_SEEDS_FOR_RULES {
            format!(
                " The scaling rules are not tested with {} seeds (their test needs at least {}).",
                l.seeds,
                crate::report::bs_lr::MIN_SEEDS_FOR_RULES
            )
        } else {
            String::new()
        };
    }
    let name = |f: &crate::stats::scaling_rules::RuleFit| match f.rule {
        Rule::FreeExponent => format!("a free exponent (k = {})", num(f.exponent, 2)),
        r => r.name().to_string(),
    };
    let list = |v: Vec<String>| match v.len() {
        0 => "none".to_string(),
        1 => v[0].clone(),
        _ => format!("{} and {}", v[..v.len() - 1].join(", "), v[v.len() - 1]),
    };
    let fixed = |f: &&crate::stats::scaling_rules::RuleFit| f.rule != Rule::FreeExponent;
    let rejected: Vec<String> = l
        .models
        .iter()
        .filter(fixed)
        .filter(|f| f.rejected)
        .map(|f| format!("{} (p = {})", name(f), p_value(f.p_value)))
        .collect();
    let kept: Vec<String> = l
        .models
        .iter()
        .filter(fixed)
        .filter(|f| !f.rejected)
        .map(|f| format!("{} (p = {})", name(f), p_value(f.p_value)))
        .collect();
    let best = l
        .models
        .iter()
        .filter(|f| f.loo_rmse.is_finite())
        .min_by(|a, b| a.loo_rmse.total_cmp(&b.loo_rmse));
    let held_out = best.map_or(String::new(), |f| {
        format!(
            "; the best held-out prediction of a left-out batch size's optimum is {}'s, off by \
             {} decades on average",
            name(f),
            num(f.loo_rmse, 2)
        )
    });
    let verdict = match (rejected.is_empty(), kept.is_empty()) {
        (true, _) => format!("the data reject none of them at α = {}", num(alpha, 2)),
        (false, true) => format!(
            "the data reject every one of them at α = {}: {}",
            num(alpha, 2),
            list(rejected)
        ),
        (false, false) => format!(
            "the data reject {} at α = {} and cannot reject {}",
            list(rejected),
            num(alpha, 2),
            list(kept)
        ),
    };
    format!(
        " Of the scaling rules fitted to the {} optima (weighted by their bootstrap \
         covariance), {verdict}{held_out}.",
        l.optima.len()
    )
}

/// " The gradient noise scale B_simple … at the reference learning rate 1e-2 …: bs 32 → 740
/// [610, 870]; …." — empty when it was not measured.
fn noise_sentence(l: &LrScaling) -> String {
    if l.noise.is_empty() {
        return String::new();
    }
    let list: Vec<String> = l
        .noise
        .iter()
        .map(|n| {
            format!(
                "bs {} → {} [{}, {}]",
                n.batch_size,
                num(n.b_noise, 0),
                num(n.ci_low, 0),
                num(n.ci_high, 0)
            )
        })
        .collect();
    let task = crate::report::bs_lr::noise_scale_of_task(&l.noise);
    let curve = if l.models.is_empty() || !task.is_finite() {
        String::new()
    } else {
        format!(
            "; McCandlish's curve lr_max / (1 + B_noise/B), with one B_noise for the task \
             (their geometric mean, {}), is among the rules above",
            num(task, 0)
        )
    };
    let lr = l.noise.first().map_or(String::new(), |n| sci(n.lr));
    format!(
        " The gradient noise scale B_simple (tr Σ / |G|², over a quarter, half and all of \
         training at the reference learning rate {lr}, the one tried at every batch size with the \
         best mean over them; {} interval over seeds): {}{curve}.",
        crate::format::level(l.level),
        list.join("; ")
    )
}

/// "The optimal learning rate scales as batch size^k with k = … [CI]: consistent with …".
fn scaling_sentence(l: &LrScaling) -> String {
    let k = format!(
        "k = {} [{}, {}] ({} bootstrap CI over {} seeds)",
        num(l.k, 2),
        num(l.k_ci_low, 2),
        num(l.k_ci_high, 2),
        crate::format::level(l.level),
        l.seeds
    );
    let rules = "the square-root rule (k = 0.5) and the linear rule (k = 1)";
    let edge: Vec<&LrOptimum> = l.optima.iter().filter(|o| o.at_edge).collect();
    let verdict = match l.verdict {
        ScalingVerdict::Unresolved if edge.is_empty() => {
            return format!(
                "The scaling exponent of the optimal learning rate could not be estimated ({k})."
            );
        }
        ScalingVerdict::Unresolved => {
            let top = |o: &&LrOptimum| o.lr_opt >= l.lr_max * (1.0 - 1e-9);
            let bss = |f: &dyn Fn(&&LrOptimum) -> bool| {
                edge.iter()
                    .filter(|o| f(o))
                    .map(|o| o.batch_size.as_str())
                    .collect::<Vec<_>>()
            };
            let (high, low) = (bss(&top), bss(&|o| !top(o)));
            let mut where_ = Vec::new();
            if !high.is_empty() {
                where_.push(format!(
                    "at the largest learning rate tried ({}) for {}",
                    sci(l.lr_max),
                    batch_sizes(&high)
                ));
            }
            if !low.is_empty() {
                where_.push(format!(
                    "at the smallest ({}) for {}",
                    sci(l.lr_min),
                    batch_sizes(&low)
                ));
            }
            return format!(
                "The grid cannot resolve how the optimal learning rate scales with batch size: \
                 the best test accuracy sits {}, so the optimum may lie beyond the grid \
                 (k = {} fitted anyway; widen the learning-rate grid).",
                where_.join(" and "),
                num(l.k, 2)
            );
        }
        ScalingVerdict::Both => format!(
            "the interval contains both {rules}, so this grid and these seeds cannot tell them apart"
        ),
        ScalingVerdict::Linear => {
            "consistent with the linear rule (k = 1) and not with the square-root rule (k = 0.5)"
                .into()
        }
        ScalingVerdict::SquareRoot => {
            "consistent with the square-root rule (k = 0.5) and not with the linear rule (k = 1)"
                .into()
        }
        ScalingVerdict::BelowSquareRoot if l.k_ci_low <= 0.0 => format!(
            "below both {rules}, and the interval contains 0: no detectable movement of the \
             optimum with batch size"
        ),
        ScalingVerdict::BelowSquareRoot => format!("below both {rules}"),
        ScalingVerdict::Between => format!("between {rules}, excluding both"),
        ScalingVerdict::AboveLinear => format!("steeper than both {rules}"),
    };
    let censored: Vec<&str> = l
        .optima
        .iter()
        .filter(|o| {
            let (lo, hi) = if o.tried.0.is_finite() {
                o.tried
            } else {
                (l.lr_min, l.lr_max)
            };
            o.ci_low <= lo * (1.0 + 1e-9) || o.ci_high >= hi * (1.0 - 1e-9)
        })
        .map(|o| o.batch_size.as_str())
        .collect();
    let note = if censored.is_empty() {
        String::new()
    } else {
        format!(
            " The interval of the optimum reaches the end of the learning rates tried for {}, so k's \
             interval may be too narrow on that side.",
            batch_sizes(&censored)
        )
    };
    if !l.models.is_empty() {
        // The rules' own tests below give the verdict (they also test the shape, which k's
        // interval alone does not).
        return format!("The optimal learning rate scales as batch size^k with {k}.{note}");
    }
    format!("The optimal learning rate scales as batch size^k with {k}: {verdict}.{note}")
}

/// "The best single configuration by mean final validation accuracy is …: 71.32% [71.11,
/// 71.53] (10 seeds); 12 of the other 34 are statistically indistinguishable from it." —
/// short, because the sweep's table and comparisons follow in the report.
pub(super) fn best_config(s: &SweepReport) -> String {
    let m = s.metric(Metric::FinalValAcc);
    let Some(best) = &m.best else {
        return String::new();
    };
    let Some(summary) = m.summary(best).map(|b| &b.summary) else {
        return String::new();
    };
    let same = m
        .comparisons
        .iter()
        .filter(|c| c.verdict == Verdict::Indistinguishable)
        .count();
    format!(
        "The best single configuration by mean final validation accuracy is {}: {} ({} \
         seeds); {} of the other {} are statistically indistinguishable from it.",
        label(s, best),
        pct_ci(summary),
        summary.n,
        same,
        m.comparisons.len()
    )
}

/// "batch size 32" or "batch sizes 256, 512".
fn batch_sizes(list: &[&str]) -> String {
    match list {
        [one] => format!("batch size {one}"),
        many => format!("batch sizes {}", many.join(", ")),
    }
}

/// " Optimal learning rate per batch size (…): bs 32 → 3.2e-3 [2.1e-3, 4.5e-3]; …." — the
/// fitted optima with their intervals; empty when there are none.
pub(super) fn best_lr_per_bs(s: &SweepReport) -> String {
    let Some(l) = &s.lr_scaling else {
        return String::new();
    };
    let list: Vec<String> = l
        .optima
        .iter()
        .map(|o| {
            format!(
                "bs {} → {}{}",
                o.batch_size,
                sci_ci(o.lr_opt, o.ci_low, o.ci_high),
                if o.at_edge { " (edge of the grid)" } else { "" }
            )
        })
        .collect();
    let how = if l.searched {
        "the learning rate searched per batch size; the vertex of a quadratic in log lr \
         through its best point and the two neighbours, the interval widened by a quarter of \
         their spacing for an asymmetric top"
    } else {
        "the vertex of a quadratic in log lr through the best grid learning rate and its two \
         neighbours"
    };
    format!(
        " Optimal learning rate per batch size ({} bootstrap CI; {how}): {}.",
        crate::format::level(l.level),
        list.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::analysis::Metric;

    fn optimum(bs: &str, lr: f64, at_edge: bool) -> LrOptimum {
        LrOptimum {
            batch_size: bs.into(),
            lr_opt: lr,
            ci_low: lr / 1.4,
            ci_high: (lr * 1.4).min(1e-1),
            best_grid_lr: "3e-3".into(),
            at_edge,
            edge_share: 0.0,
            tried: (f64::NAN, f64::NAN),
        }
    }

    fn scaling(lo: f64, hi: f64, optima: Vec<LrOptimum>) -> LrScaling {
        let at_edge = optima.iter().any(|o| o.at_edge);
        LrScaling {
            metric: Metric::TestAcc,
            method: String::new(),
            level: 0.95,
            resamples: 2000,
            seeds: 10,
            dropped_seeds: 0,
            dropped_lrs: Vec::new(),
            lr_min: 1e-5,
            lr_max: 1e-1,
            optima,
            k: (lo + hi) / 2.0,
            k_ci_low: lo,
            k_ci_high: hi,
            log10_intercept: -4.0,
            verdict: ScalingVerdict::of(lo, hi, at_edge),
            searched: false,
            models: Vec::new(),
            noise: Vec::new(),
        }
    }

    /// The exponent sentence names k, its interval and where it sits against both rules.
    #[test]
    fn the_scaling_sentence_states_k_with_its_interval_against_both_rules() {
        let inside = vec![optimum("32", 1e-3, false), optimum("512", 4e-3, false)];
        let s = scaling_sentence(&scaling(0.41, 0.83, inside.clone()));
        assert_eq!(
            s,
            "The optimal learning rate scales as batch size^k with k = 0.62 [0.41, 0.83] \
             (95% bootstrap CI over 10 seeds): consistent with the square-root rule (k = 0.5) \
             and not with the linear rule (k = 1)."
        );
        let s = scaling_sentence(&scaling(0.3, 1.2, inside.clone()));
        assert!(s.contains("cannot tell them apart"), "{s}");
        let s = scaling_sentence(&scaling(-0.2, 0.3, inside));
        assert!(s.contains("contains 0"), "{s}");
        // A CI reaching the top of the grid is called out.
        let s = scaling_sentence(&scaling(0.7, 1.3, vec![optimum("512", 8e-2, false)]));
        assert!(s.contains("linear rule (k = 1) and not") && s.contains("batch size 512"));
    }

    /// McCandlish's curve uses one noise scale for the task, the geometric mean of the batch
    /// sizes' measurements, and the sentence names it; without rule fits there is no curve.
    #[test]
    fn the_noise_sentence_names_the_task_s_one_noise_scale() {
        use crate::report::bs_lr::{CellNoise, noise_scale_of_task};
        use crate::stats::scaling_rules::{Rule, RuleFit};
        let noise = |bs: &str, b: f64| CellNoise {
            batch_size: bs.into(),
            lr: 1e-2,
            seeds: 5,
            b_noise: b,
            ci_low: b / 2.0,
            ci_high: b * 2.0,
            by_fraction: Vec::new(),
        };
        let optima = vec![optimum("32", 1e-3, false), optimum("512", 4e-3, false)];
        let mut l = scaling(0.4, 0.8, optima);
        l.noise = vec![noise("32", 100.0), noise("512", 10_000.0)];
        assert!((noise_scale_of_task(&l.noise) - 1000.0).abs() < 1e-9);
        let s = noise_sentence(&l);
        assert!(s.contains("bs 32 → 100 [50, 200]"), "{s}");
        assert!(!s.contains("McCandlish"), "{s}");
        l.models = vec![RuleFit {
            rule: Rule::NoiseScale,
            params: 1,
            intercept: -1.0,
            exponent: f64::NAN,
            ci_low: -1.2,
            ci_high: -0.8,
            chi2: 1.0,
            df: 1,
            p_value: 0.3,
            rejected: false,
            loo_rmse: 0.1,
            fitted: vec![-3.0, -2.0],
        }];
        assert!(
            noise_sentence(&l).contains("one B_noise for the task (their geometric mean, 1000)"),
            "{}",
            noise_sentence(&l)
        );
        l.noise[0].b_noise = 0.0;
        assert!(noise_scale_of_task(&l.noise).is_nan());
    }

    #[test]
    fn an_optimum_at_the_edge_of_the_grid_makes_the_exponent_unresolved() {
        let edge = vec![
            optimum("32", 1e-2, false),
            optimum("256", 1e-1, true),
            optimum("512", 1e-1, true),
        ];
        let s = scaling_sentence(&scaling(0.1, 0.9, edge));
        assert!(
            s.starts_with("The grid cannot resolve")
                && s.contains("largest learning rate tried (1.0e-1) for batch sizes 256, 512"),
            "{s}"
        );
    }
}
