//! The statistics of `trainbench baseline ab`: two builds (base and head) measured side by
//! side on one machine, in interleaved rounds.
//!
//! # Design
//!
//! A *round* measures every selected benchmark four times, in the order base, head, head,
//! base (the next round again A B B A). A side's value in a round is the geometric mean of
//! its two runs, so a drift that is linear over the round (a neighbour starting, the CPU
//! warming up) hits both sides alike. The round is the unit of analysis: per benchmark,
//! `d_r = ln(head_r / base_r)` for each round `r`, and
//!
//! * the ratio is `exp(mean d)` (the geometric mean of the per-round ratios);
//! * its confidence interval is a percentile bootstrap over rounds (rounds resampled with
//!   replacement, [`bootstrap_mean_ci`], fixed seed);
//! * the test is a one-sample t-test of `mean d = 0` over rounds (`df = rounds − 1`), the
//!   paired t-test of `ln head` against `ln base`; p-values are Holm-adjusted across the
//!   benchmarks compared together;
//! * the verdict follows [`crate::baseline::compare::verdict`] with the ratio as the new mean and 1 as
//!   the old one: `regressed` only when significant *and* at least `threshold` slower.
//!
//! Measurement itself (worktrees, builds, running criterion) lives in
//! [`crate::baseline::bench_build`].

use crate::baseline::compare::{ChangeVerdict, Direction, Rule, verdict};
use crate::format::{p_value, seconds_si};
use crate::stats::{bootstrap_mean_ci, holm, median, paired_t_test};
use crate::{Error, Result};
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;
use std::collections::BTreeMap;

/// One side of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The reference build (`--base`).
    Base,
    /// The build under test (`--head`, default the working tree).
    Head,
}

/// The order of the four runs of every round.
pub const ROUND_ORDER: [Side; 4] = [Side::Base, Side::Head, Side::Head, Side::Base];

/// Per-iteration times (seconds) of every benchmark in one run of one side.
pub type RunTimes = BTreeMap<String, f64>;

/// One round: the two runs of each side.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Round {
    /// The base side's runs (two in a complete round).
    pub base: Vec<RunTimes>,
    /// The head side's runs.
    pub head: Vec<RunTimes>,
}

impl Round {
    /// Records one run of `side`.
    pub fn push(&mut self, side: Side, times: RunTimes) {
        match side {
            Side::Base => self.base.push(times),
            Side::Head => self.head.push(times),
        }
    }

    /// The side's value for `id` in this round: the geometric mean of its runs.
    fn value(runs: &[RunTimes], id: &str) -> Option<f64> {
        let logs: Vec<f64> = runs
            .iter()
            .map(|r| r.get(id).copied().filter(|t| *t > 0.0).map(f64::ln))
            .collect::<Option<_>>()?;
        (!logs.is_empty()).then(|| (logs.iter().sum::<f64>() / logs.len() as f64).exp())
    }
}

/// The result for one benchmark.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AbRow {
    /// The benchmark id.
    pub id: String,
    /// Rounds compared.
    pub rounds: usize,
    /// Median over rounds of the base side's per-iteration time, in seconds.
    pub base_s: f64,
    /// Median over rounds of the head side's per-iteration time, in seconds.
    pub head_s: f64,
    /// head / base: the geometric mean of the per-round ratios.
    pub ratio: f64,
    /// Bootstrap confidence interval of the ratio (rounds resampled).
    pub ci: (f64, f64),
    /// Paired t-test p-value (log ratios over rounds), unadjusted.
    pub p: f64,
    /// Holm-adjusted p-value.
    pub p_holm: f64,
    /// The verdict.
    pub verdict: ChangeVerdict,
}

/// The analysis of an A/B run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AbResult {
    /// Rows in benchmark-id order.
    pub rows: Vec<AbRow>,
    /// The practical threshold, percent slower.
    pub threshold_pct: f64,
    /// Family-wise significance level.
    pub alpha: f64,
    /// Confidence level of the intervals.
    pub ci_level: f64,
}

impl AbResult {
    /// Ids of the benchmarks that regressed.
    pub fn regressed(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter(|r| r.verdict == ChangeVerdict::Regressed)
            .map(|r| r.id.clone())
            .collect()
    }
}

/// Analyses complete rounds of the benchmarks `ids` with `rule` (a timing rule: the
/// threshold is relative, slower is worse). Fewer than 2 rounds, or a benchmark missing from
/// a run, is an error: every benchmark must be measured on both sides in every round.
pub fn analyze(ids: &[String], rounds: &[Round], rule: &Rule) -> Result<AbResult> {
    if rounds.len() < 2 {
        return Err(Error::Usage(format!(
            "an A/B comparison needs at least 2 rounds, got {}",
            rounds.len()
        )));
    }
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        let mut base = Vec::with_capacity(rounds.len());
        let mut head = Vec::with_capacity(rounds.len());
        for (i, round) in rounds.iter().enumerate() {
            let (Some(b), Some(h)) = (Round::value(&round.base, id), Round::value(&round.head, id))
            else {
                return Err(Error::Usage(format!(
                    "benchmark '{id}' has no time on both sides in round {}",
                    i + 1
                )));
            };
            base.push(b);
            head.push(h);
        }
        rows.push(row(id, &base, &head, rule));
    }
    let adjusted = holm(&rows.iter().map(|r| r.p).collect::<Vec<_>>());
    let threshold = match rule.threshold {
        crate::baseline::Threshold::Relative(t) => t,
        crate::baseline::Threshold::Absolute(t) => t,
    };
    for (r, p_holm) in rows.iter_mut().zip(adjusted) {
        r.p_holm = p_holm;
        r.verdict = verdict(rule, p_holm, 1.0, r.ratio - 1.0);
    }
    Ok(AbResult {
        rows,
        threshold_pct: threshold * 100.0,
        alpha: rule.alpha,
        ci_level: rule.ci_level,
    })
}

/// One benchmark's row before the Holm adjustment.
fn row(id: &str, base: &[f64], head: &[f64], rule: &Rule) -> AbRow {
    let ln = |xs: &[f64]| xs.iter().map(|x| x.ln()).collect::<Vec<_>>();
    let (lb, lh) = (ln(base), ln(head));
    let d: Vec<f64> = lh.iter().zip(&lb).map(|(h, b)| h - b).collect();
    let mean_d = d.iter().sum::<f64>() / d.len() as f64;
    let p = paired_t_test(&lh, &lb).map_or(f64::NAN, |t| t.p_value);
    let (lo, hi) = bootstrap_mean_ci(&d, rule.ci_level, rule.resamples, rule.seed);
    AbRow {
        id: id.to_string(),
        rounds: d.len(),
        base_s: median(base),
        head_s: median(head),
        ratio: mean_d.exp(),
        ci: (lo.exp(), hi.exp()),
        p,
        p_holm: p,
        verdict: ChangeVerdict::NoChange,
    }
}

/// A ratio as a signed percentage change: 1.034 → `+3.4%`.
fn ratio_change(r: f64) -> String {
    crate::format::change(r - 1.0)
}

/// The terminal (or markdown) table of an A/B result.
pub fn render(result: &AbResult, markdown: bool) -> String {
    let header = [
        "benchmark".to_string(),
        "base".into(),
        "head".into(),
        "head/base".into(),
        format!("{:.0}% CI (unadjusted)", result.ci_level * 100.0),
        "p (Holm)".into(),
        "verdict".into(),
    ];
    let cells = |r: &AbRow| {
        [
            r.id.clone(),
            seconds_si(r.base_s),
            seconds_si(r.head_s),
            format!("{:.3} ({})", r.ratio, ratio_change(r.ratio)),
            format!("[{:.3}, {:.3}]", r.ci.0, r.ci.1),
            p_value(r.p_holm),
            r.verdict.label(Direction::HigherIsWorse).to_string(),
        ]
    };
    if markdown {
        let mut out = format!("| {} |\n", header.join(" | "));
        out += "|---|---:|---:|---:|---:|---:|---|\n";
        for r in &result.rows {
            out += &format!("| {} |\n", cells(r).join(" | "));
        }
        return out;
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(header);
    for r in &result.rows {
        let [id, rest @ ..] = cells(r);
        let mut row = vec![Cell::new(id)];
        let last = rest.len() - 1;
        for (i, c) in rest.into_iter().enumerate() {
            let cell = Cell::new(c);
            row.push(if i == last {
                cell
            } else {
                cell.set_alignment(CellAlignment::Right)
            });
        }
        table.add_row(row);
    }
    table.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(pairs: &[(&str, f64)]) -> RunTimes {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    /// Rounds where head = base × factor_r for the given per-round factors, base times
    /// drifting from round to round.
    fn rounds(factors: &[f64]) -> Vec<Round> {
        factors
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let b = 0.1 * (1.0 + 0.05 * i as f64);
                let mut round = Round::default();
                for side in ROUND_ORDER {
                    let t = if side == Side::Base { b } else { b * f };
                    round.push(side, run(&[("x", t)]));
                }
                round
            })
            .collect()
    }

    #[test]
    fn a_consistent_slowdown_beyond_the_threshold_regresses() {
        let rule = Rule::timing(5.0, 0.05);
        let r = analyze(
            &["x".into()],
            &rounds(&[1.10, 1.12, 1.09, 1.11, 1.10, 1.13]),
            &rule,
        )
        .unwrap();
        let row = &r.rows[0];
        assert_eq!(row.verdict, ChangeVerdict::Regressed);
        assert!(row.ci.0 > 1.08 && row.ci.1 < 1.13, "{:?}", row.ci);
        assert_eq!(r.regressed(), vec!["x".to_string()]);
    }

    #[test]
    fn a_small_significant_slowdown_is_reported_but_does_not_regress() {
        let r = analyze(
            &["x".into()],
            &rounds(&[1.02, 1.021, 1.019, 1.02, 1.022]),
            &Rule::timing(5.0, 0.05),
        )
        .unwrap();
        assert_eq!(r.rows[0].verdict, ChangeVerdict::SlightlyWorse);
    }

    #[test]
    fn noise_around_one_is_no_change_whatever_the_drift() {
        let r = analyze(
            &["x".into()],
            &rounds(&[1.08, 0.93, 1.05, 0.96, 1.01, 0.98]),
            &Rule::timing(5.0, 0.05),
        )
        .unwrap();
        assert_eq!(r.rows[0].verdict, ChangeVerdict::NoChange);
        assert!(r.rows[0].ci.0 < 1.0 && r.rows[0].ci.1 > 1.0);
    }

    /// The ratio is the geometric mean of per-round ratios and the test is scipy's paired
    /// t-test on the logs: `scipy.stats.ttest_rel(np.log(h), np.log(b))` with per-round
    /// factors 1.10, 1.12, 1.09, 1.11 (the bases cancel) gives t = 17.0823, p = 4.3702e-4
    /// (scipy 1.17.1).
    #[test]
    fn ratio_and_p_match_a_paired_t_test_on_logs() {
        let f = [1.10, 1.12, 1.09, 1.11];
        let r = analyze(&["x".into()], &rounds(&f), &Rule::timing(5.0, 0.05)).unwrap();
        let geo = (f.iter().map(|x: &f64| x.ln()).sum::<f64>() / 4.0).exp();
        assert!((r.rows[0].ratio - geo).abs() < 1e-12);
        assert!((r.rows[0].p - 4.3702e-4).abs() < 1e-8, "{}", r.rows[0].p);
    }

    #[test]
    fn a_benchmark_missing_on_one_side_is_invalid() {
        let mut rs = rounds(&[1.0, 1.0]);
        rs[1].head[0].clear();
        let e = analyze(&["x".into()], &rs, &Rule::timing(5.0, 0.05)).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("round 2"), "{e}");
    }
}
