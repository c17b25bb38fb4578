//! Every figure of a report, defined once: which figures a sweep has, their file stems,
//! titles, axes and the numbers behind them (learning curves with CI bands, a metric against
//! the swept parameter, the batch size × learning rate heatmap, the optimal learning rate
//! against batch size). Two backends draw these definitions with one style
//! ([`super::style`]): [`super::plot`] writes PNG and SVG files with plotters, and
//! report.html ([`super::html::study`]) draws its interactive SVG charts from the same
//! [`Figure`]s (the scaling plot, which the page does not draw, is inlined from its SVG
//! file).
//!
//! Values are in the metric's own unit (accuracy as a fraction, seconds); [`Unit`] says how
//! an axis writes them.

use super::Report;
use super::analysis::SweepReport;
use super::metric::Metric;
use super::sweep::by_config;
use super::text::{label, value_ci, verdict};
use crate::format::{num, pct};
use crate::record::TrialRecord;
use crate::train::EpochRecord;
use std::collections::HashMap;

/// One figure of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Index of the sweep it belongs to.
    pub sweep: usize,
    /// The file stem (`val_acc_BS`: `val_acc_BS.png`, `.svg`, and `fig-val_acc_BS` in
    /// report.html).
    pub stem: String,
    /// The title (the files add the data as a second line).
    pub title: String,
    /// The x axis.
    pub x: Axis,
    /// The y axis.
    pub y: Axis,
    /// What is drawn.
    pub body: Body,
}

/// An axis: its description, how values map onto it, and how they are written.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// The description.
    pub label: String,
    /// Log scale (where every value is positive).
    pub log: bool,
    /// The values are category indices 0, 1, … (a parameter that is not a number).
    pub categorical: bool,
    /// How values are written.
    pub unit: Unit,
    /// Ticks at given positions with given labels (the parameter values as written); empty:
    /// the backend's own.
    pub ticks: Vec<(f64, String)>,
}

/// How an axis writes its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Fractions written as percent.
    Percent,
    /// Seconds.
    Seconds,
    /// Plain numbers (epochs, parameter values).
    Plain,
}

/// What a figure draws.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// One line per configuration over the epochs, with its CI band.
    Curves(Vec<Series>),
    /// One point per configuration with its CI whisker.
    Points(Vec<Series>),
    /// Cells coloured by value.
    Heatmap(Heatmap),
    /// Estimates with intervals on log-log axes, with power-law reference lines.
    Scaling(Scaling),
}

/// The points of one configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Index of the configuration in the sweep (its colour, and its table row).
    pub config: usize,
    /// The legend text (the configuration label).
    pub label: String,
    /// The points, in x order.
    pub points: Vec<Point>,
}

/// One point: x, the mean with its interval, and its hover text.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// x value (category index on a categorical axis).
    pub x: f64,
    /// The mean (NaN: no value).
    pub mean: f64,
    /// Lower end of the interval (the mean where there is none).
    pub lo: f64,
    /// Upper end of the interval.
    pub hi: f64,
    /// Hover text (lines separated by `\n`).
    pub tip: String,
    /// Drawn emphasised (the history page's detected steps; a report marks none).
    pub mark: bool,
}

/// A grid of cells: rows (top to bottom) × columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    /// Column labels, left to right.
    pub cols: Vec<String>,
    /// Row labels, top to bottom.
    pub rows: Vec<String>,
    /// `cells[row][col]`; `None` is a missing value.
    pub cells: Vec<Vec<Option<HeatCell>>>,
    /// How the cells' values are written.
    pub unit: Unit,
}

/// One cell of a heatmap.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatCell {
    /// The value that sets the colour.
    pub value: f64,
    /// The text written in the cell.
    pub text: String,
    /// Hover text.
    pub tip: String,
    /// Index of the configuration in the sweep.
    pub config: usize,
}

/// What a scaling plot shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Scaling {
    /// The estimates.
    pub points: Vec<ScalingPoint>,
    /// Reference lines, in legend order.
    pub lines: Vec<RefLine>,
    /// y values marked by light horizontal lines where they fall in the plotted range.
    pub guides: Vec<f64>,
    /// Legend entry of the markers.
    pub points_label: String,
    /// Grey note in the bottom-right corner (e.g. what the guide lines are).
    pub note: String,
}

/// One estimate: a marker at `(x, y)` with a vertical interval `[lo, hi]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalingPoint {
    /// Tick label under the point (e.g. the batch size as written in the study).
    pub label: String,
    /// x (> 0; drawn on a log axis).
    pub x: f64,
    /// The estimate (> 0).
    pub y: f64,
    /// Lower end of its interval.
    pub lo: f64,
    /// Upper end of its interval.
    pub hi: f64,
    /// Draw the marker hollow (e.g. an estimate at the edge of the grid searched).
    pub hollow: bool,
}

/// A power law `y ∝ x^slope` through a point: a straight line on log-log axes.
#[derive(Debug, Clone, PartialEq)]
pub struct RefLine {
    /// Legend entry.
    pub label: String,
    /// Exponent (slope in log-log).
    pub slope: f64,
    /// A point `(x, y)` the line passes through.
    pub through: (f64, f64),
    /// Dashed instead of solid.
    pub dashed: bool,
    /// A curve instead of a straight line: its points `(x, y)` (drawn joined, in x order);
    /// empty for the line of `slope` through `through`.
    pub curve: Vec<(f64, f64)>,
}

/// The figure-name suffix of a sweep: the user's Lab 1 report names (`BS`, `Epoch`, `LR`,
/// `Large`) for the Lab 1 sweeps, the sweep name otherwise.
pub fn suffix(sweep: &str) -> String {
    match sweep {
        "batch_size" => "BS".into(),
        "epochs" => "Epoch".into(),
        "learning_rate" => "LR".into(),
        "model_size" => "Large".into(),
        other => other.into(),
    }
}

fn axis(label: impl Into<String>, unit: Unit) -> Axis {
    Axis {
        label: label.into(),
        log: false,
        categorical: false,
        unit,
        ticks: Vec::new(),
    }
}

/// Every figure of `report`, whose trials are `records`, sweep by sweep.
pub fn define(report: &Report, records: &[TrialRecord]) -> Vec<Figure> {
    let trials = by_config(records);
    let level = report.options.level;
    let mut out = Vec::new();
    for (si, sweep) in report.sweeps.iter().enumerate() {
        out.extend(curves(si, sweep, &trials, level));
        out.extend(against_parameter(si, sweep));
        out.extend(heatmap(si, sweep));
        out.extend(lr_opt_vs_bs(si, sweep, level));
    }
    out
}

/// Mean and CI of `field` per epoch over one configuration's non-diverged trials.
fn curve_points(trials: &[&TrialRecord], field: EpochField, level: f64) -> Points {
    let kept: Vec<&&TrialRecord> = trials.iter().filter(|r| !r.diverged).collect();
    let epochs = kept
        .iter()
        .map(|r| r.outcome.epochs.len())
        .max()
        .unwrap_or(0);
    (0..epochs)
        .map(|e| {
            let values: Vec<f64> = kept
                .iter()
                .filter_map(|r| r.outcome.epochs.get(e).map(field))
                .collect();
            // Accuracies: the t interval within [0, 1], as the tables' intervals.
            let s = Metric::FinalValAcc.summarize(&values, level);
            // A single seed has no interval: the line is drawn without a band.
            let or_mean = |v: f64| if v.is_finite() { v } else { s.mean };
            (e + 1, s.mean, or_mean(s.ci_low), or_mean(s.ci_high))
        })
        .collect()
}

/// A per-epoch number of a trial.
type EpochField = fn(&EpochRecord) -> f64;

/// `(epoch, mean, lo, hi)` per epoch.
type Points = Vec<(usize, f64, f64, f64)>;

/// `mean, CI lo–hi` of a curve point, or the mean alone without an interval.
fn curve_tip(mean: f64, lo: f64, hi: f64, level: f64) -> String {
    if hi > lo {
        format!(
            "mean {}, {} CI [{}, {}]",
            pct(mean),
            crate::format::level(level),
            pct(lo),
            pct(hi)
        )
    } else {
        format!("mean {} (no interval)", pct(mean))
    }
}

/// The training and validation accuracy learning curves of a sweep, one curve per
/// configuration.
fn curves(
    si: usize,
    sweep: &SweepReport,
    trials: &HashMap<&str, Vec<&TrialRecord>>,
    level: f64,
) -> Vec<Figure> {
    let fields: [(&str, &str, EpochField); 2] = [
        ("train_acc", "training accuracy", |e| e.train_acc),
        ("val_acc", "validation accuracy", |e| e.val_acc),
    ];
    fields
        .iter()
        .map(|(name, what, field)| {
            let series = sweep
                .view
                .configs
                .iter()
                .enumerate()
                .map(|(ci, c)| {
                    let lab = label(sweep, &c.config_id);
                    let t = trials
                        .get(c.config_id.as_str())
                        .cloned()
                        .unwrap_or_default();
                    let points = curve_points(&t, *field, level)
                        .into_iter()
                        .map(|(e, mean, lo, hi)| Point {
                            x: e as f64,
                            mean,
                            lo,
                            hi,
                            tip: format!(
                                "{lab} · epoch {e}\n{what}: {}",
                                curve_tip(mean, lo, hi, level)
                            ),
                            mark: false,
                        })
                        .collect();
                    Series {
                        config: ci,
                        label: lab,
                        points,
                    }
                })
                .collect();
            Figure {
                sweep: si,
                stem: format!("{name}_{}", suffix(&sweep.view.name)),
                title: format!(
                    "{what} (%) per epoch — sweep {} (mean, {} CI over seeds)",
                    sweep.view.name,
                    crate::format::level(level)
                ),
                x: axis("epoch", Unit::Plain),
                y: axis(format!("{what} (%)"), Unit::Percent),
                body: Body::Curves(series),
            }
        })
        .collect()
}

/// Parameters that only set the optimiser: configurations that differ only in these train
/// together (`--group-by auto`), so a time figure is drawn against another parameter.
const OPTIMISER_ONLY: [&str; 5] = ["lr", "weight_decay", "beta1", "beta2", "eps"];

/// For a sweep with at least two configurations (one point is no trend, e.g. an epochs sweep
/// merged by quick mode): for a single parameter, final test accuracy against it; for every
/// sweep, the training seconds per epoch against its first parameter that is not an
/// optimiser setting (the one that changes the time), or its first.
fn against_parameter(si: usize, sweep: &SweepReport) -> Vec<Figure> {
    let params = &sweep.view.params;
    if sweep.view.configs.len() < 2 || params.is_empty() {
        return Vec::new();
    }
    let sfx = suffix(&sweep.view.name);
    let name = &sweep.view.name;
    let mut out = Vec::new();
    if let [param] = params.as_slice() {
        out.push(metric_points(
            si,
            sweep,
            Metric::TestAcc,
            (0, format!("test_acc_vs_{param}_{sfx}")),
            format!("final test accuracy vs {param} — sweep {name}"),
            (param, "test accuracy (%)"),
        ));
    }
    let at = params
        .iter()
        .position(|p| !OPTIMISER_ONLY.contains(&p.as_str()))
        .unwrap_or(0);
    let param = &params[at];
    let x = if param == "batch_size" {
        "batch size"
    } else {
        param
    };
    out.push(metric_points(
        si,
        sweep,
        Metric::TrainSecondsPerEpoch,
        (at, format!("time_per_epoch_{sfx}")),
        format!("training seconds per epoch vs {x} — sweep {name}"),
        (x, "seconds per epoch"),
    ));
    out
}

/// `metric` against the sweep's parameter number `at`: one point with its CI per
/// configuration (no value: a NaN mean, its tick kept). Values that are not numbers (model
/// names) are categories 0, 1, … in order of first appearance, drawn as points, never
/// joined.
fn metric_points(
    si: usize,
    sweep: &SweepReport,
    metric: Metric,
    (at, stem): (usize, String),
    title: String,
    (x_label, y_label): (&str, &str),
) -> Figure {
    let param = &sweep.view.params[at];
    let m = sweep.metric(metric);
    let values: Vec<&str> = sweep
        .view
        .configs
        .iter()
        .map(|c| c.values.get(at).map(String::as_str).unwrap_or(""))
        .collect();
    let numeric: Option<Vec<f64>> = values.iter().map(|v| v.parse::<f64>().ok()).collect();
    let categorical = numeric.is_none();
    let mut categories: Vec<&str> = Vec::new();
    for v in &values {
        if !categories.contains(v) {
            categories.push(v);
        }
    }
    let xs = numeric.unwrap_or_else(|| {
        let index = |v: &&str| categories.iter().position(|c| c == v).unwrap_or(0) as f64;
        values.iter().map(index).collect()
    });
    let series = sweep
        .view
        .configs
        .iter()
        .enumerate()
        .filter_map(|(ci, c)| {
            let sm = &m.summary(&c.config_id)?.summary;
            let lab = label(sweep, &c.config_id);
            let unit = m.summary(&c.config_id).and_then(|s| s.unit.clone());
            let n = match unit {
                Some(u) if u != "seed" => format!("{} timing unit(s), each a {u}", sm.n),
                _ => format!("{} seeds", sm.n),
            };
            let tip = format!(
                "{lab}\n{}: {}\nn = {n} · {}",
                metric.name(),
                value_ci(metric, sm),
                verdict(m, &c.config_id)
            );
            let or_mean = |v: f64| if v.is_finite() { v } else { sm.mean };
            let mean = if sm.n > 0 { sm.mean } else { f64::NAN };
            let (lo, hi) = (or_mean(sm.ci_low), or_mean(sm.ci_high));
            let points = vec![Point {
                x: xs[ci],
                mean,
                lo,
                hi,
                tip,
                mark: false,
            }];
            Some(Series {
                config: ci,
                label: lab,
                points,
            })
        })
        .collect();
    let unit = if metric.higher_is_better() {
        Unit::Percent
    } else {
        Unit::Seconds
    };
    Figure {
        sweep: si,
        stem,
        title,
        x: Axis {
            log: param == "lr" || param == "batch_size",
            categorical,
            ticks: {
                let mut ticks: Vec<(f64, String)> = Vec::new();
                for (x, v) in xs.iter().zip(&values) {
                    if !ticks.iter().any(|t| t.0 == *x) {
                        ticks.push((*x, v.to_string()));
                    }
                }
                ticks
            },
            ..axis(x_label, Unit::Plain)
        },
        y: axis(y_label, unit),
        body: Body::Points(series),
    }
}

/// The batch size × learning rate heatmap of mean final validation accuracy, for a sweep
/// that varies exactly those two.
fn heatmap(si: usize, sweep: &SweepReport) -> Option<Figure> {
    let params = &sweep.view.params;
    let bi = params.iter().position(|p| p == "batch_size")?;
    let li = params.iter().position(|p| p == "lr")?;
    if params.len() != 2 {
        return None;
    }
    let m = sweep.metric(Metric::FinalValAcc);
    let mut cols: Vec<String> = Vec::new();
    let mut rows: Vec<String> = Vec::new();
    for c in &sweep.view.configs {
        if !cols.contains(&c.values[bi]) {
            cols.push(c.values[bi].clone());
        }
        if !rows.contains(&c.values[li]) {
            rows.push(c.values[li].clone());
        }
    }
    let cell = |bs: &String, lr: &String| {
        let (ci, c) = sweep
            .view
            .configs
            .iter()
            .enumerate()
            .find(|(_, c)| &c.values[bi] == bs && &c.values[li] == lr)?;
        let s = m.summary(&c.config_id).filter(|s| s.summary.n > 0)?;
        Some(HeatCell {
            value: s.summary.mean,
            text: format!("{:.1}%", 100.0 * s.summary.mean),
            tip: format!(
                "{}\nfinal_val_acc: {}\nn = {} seeds · {}",
                label(sweep, &c.config_id),
                value_ci(m.metric, &s.summary),
                s.summary.n,
                verdict(m, &c.config_id)
            ),
            config: ci,
        })
    };
    let cells = rows
        .iter()
        .map(|lr| cols.iter().map(|bs| cell(bs, lr)).collect())
        .collect();
    Some(Figure {
        sweep: si,
        stem: format!("heatmap_{}", suffix(&sweep.view.name)),
        title: format!("mean final validation accuracy — sweep {}", sweep.view.name),
        x: axis("batch size", Unit::Plain),
        y: axis("learning rate", Unit::Plain),
        body: Body::Heatmap(Heatmap {
            cols,
            rows,
            cells,
            unit: Unit::Percent,
        }),
    })
}

/// The optimal learning rate per batch size with its interval on log-log axes, the fitted
/// power law, and the linear and square-root rules drawn through the middle batch size's
/// estimate, for a sweep with an `lr_scaling` analysis.
fn lr_opt_vs_bs(si: usize, sweep: &SweepReport, level: f64) -> Option<Figure> {
    let l = sweep.lr_scaling.as_ref()?;
    let points: Vec<ScalingPoint> = l
        .optima
        .iter()
        .filter_map(|o| {
            Some(ScalingPoint {
                label: o.batch_size.clone(),
                x: o.batch_size.parse().ok()?,
                y: o.lr_opt,
                lo: o.ci_low,
                hi: o.ci_high,
                hollow: o.at_edge,
            })
        })
        .collect();
    let lines = scaling_lines(l, &points);
    let guides: Vec<f64> = sweep
        .interaction
        .iter()
        .flat_map(|i| i.lrs.iter().filter_map(|v| v.parse().ok()))
        .collect();
    Some(Figure {
        sweep: si,
        stem: format!("lr_opt_vs_bs_{}", suffix(&sweep.view.name)),
        title: format!(
            "optimal learning rate vs batch size — sweep {} ({} bootstrap CI over seeds)",
            sweep.view.name,
            crate::format::level(level)
        ),
        x: Axis {
            log: true,
            ..axis("batch size", Unit::Plain)
        },
        y: Axis {
            log: true,
            ..axis("optimal learning rate", Unit::Plain)
        },
        body: Body::Scaling(Scaling {
            points,
            lines,
            guides,
            points_label: format!(
                "optimum of test accuracy ({} CI)",
                crate::format::level(level)
            ),
            note: if l.models.is_empty() {
                "grey lines: learning rates tried; rules drawn through the middle batch size".into()
            } else {
                "grey lines: learning rates tried; rules as fitted to the optima".into()
            },
        }),
    })
}

/// The fitted exponent's line, `fit: k = … [CI]` (least squares over the optima, bootstrap
/// interval: the k Q3b states), through (mean log batch size, its fitted log optimum); none
/// when k is not finite or there are no points.
fn k_line(l: &crate::report::bs_lr::LrScaling, points: &[ScalingPoint]) -> Option<RefLine> {
    if !l.k.is_finite() || points.is_empty() {
        return None;
    }
    let x = 10f64.powf(points.iter().map(|p| p.x.log10()).sum::<f64>() / points.len() as f64);
    Some(RefLine {
        label: format!(
            "fit: k = {} [{}, {}]",
            num(l.k, 2),
            num(l.k_ci_low, 2),
            num(l.k_ci_high, 2)
        ),
        slope: l.k,
        through: (x, 10f64.powf(l.log10_intercept + l.k * x.log10())),
        dashed: false,
        curve: Vec::new(),
    })
}

/// The reference lines of `lr_opt_vs_bs`: the fitted exponent (solid, [`k_line`]); with rule
/// fits, the other rules as fitted (dashed; the noise-scale curve through its fitted optima);
/// without, the two rules drawn through the middle batch size.
fn scaling_lines(l: &crate::report::bs_lr::LrScaling, points: &[ScalingPoint]) -> Vec<RefLine> {
    let mut lines = Vec::new();
    if !l.models.is_empty() {
        // The rules as fitted (weighted least squares): each through its fitted optima.
        use crate::stats::scaling_rules::Rule;
        let xs: Vec<f64> = points.iter().map(|p| p.x).collect();
        for f in &l.models {
            if f.rule == Rule::FreeExponent {
                // The exponent Q3b states (least squares over the optima, bootstrap interval),
                // so that the figure and the text give one k.
                lines.extend(k_line(l, points));
                continue;
            }
            let verdict = if f.rejected {
                "rejected"
            } else {
                "not rejected"
            };
            let label = format!(
                "{} ({verdict}, p = {})",
                f.rule.name(),
                crate::format::p_value(f.p_value)
            );
            let (Some(&x0), Some(&y0)) = (xs.first(), f.fitted.first()) else {
                continue;
            };
            lines.push(RefLine {
                label,
                slope: if f.exponent.is_finite() {
                    f.exponent
                } else {
                    0.0
                },
                through: (x0, 10f64.powf(y0)),
                dashed: true,
                curve: if f.rule == Rule::NoiseScale {
                    xs.iter()
                        .zip(&f.fitted)
                        .map(|(&x, &y)| (x, 10f64.powf(y)))
                        .collect()
                } else {
                    Vec::new()
                },
            });
        }
    } else if let Some(mid) = points.get(points.len() / 2).filter(|p| p.y.is_finite()) {
        lines.extend(k_line(l, points));
        for (label, slope) in [
            ("linear rule (k = 1)", 1.0),
            ("square-root rule (k = 0.5)", 0.5),
        ] {
            lines.push(RefLine {
                label: label.into(),
                slope,
                through: (mid.x, mid.y),
                dashed: true,
                curve: Vec::new(),
            });
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use crate::report::Report;
    use crate::report::analysis::AnalysisOptions;
    use crate::report::plot::joined;

    /// A sweep of models gets a time figure too, and its test-accuracy figure draws the
    /// models as separate points (a category has no order to join); a batch-size sweep's
    /// points are joined.
    #[test]
    fn every_sweep_has_a_time_figure_and_categories_are_not_joined() {
        let (view, records) = crate::report::testing::model_sweep();
        let report = Report::build("s", &[view], &records, AnalysisOptions::default());
        let stem = |s: &str| report.figures.iter().find(|f| f.stem == s);
        assert!(stem("time_per_epoch_model").is_some());
        let acc = stem("test_acc_vs_model_model").expect("test accuracy vs model");
        assert!(acc.x.categorical && !joined(acc));
        let (view, records) = crate::report::testing::batch_size_sweep();
        let report = Report::build("s", &[view], &records, AnalysisOptions::default());
        let acc = report
            .figures
            .iter()
            .find(|f| f.stem == "test_acc_vs_batch_size_BS")
            .unwrap();
        assert!(!acc.x.categorical && joined(acc));
    }
}
