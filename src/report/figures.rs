//! Which figures a report has, and the numbers behind them (curves with CI bands, error
//! bars, the batch-size × learning-rate heatmap, the optimal learning rate against batch
//! size). Drawing is [`super::plot`]'s.

use super::Report;
use super::analysis::{Metric, SweepReport, by_config};
use super::plot::{
    Bar, Curve, Grid, Labels, RefLine, Scaling, ScalingPoint, error_bars, heatmap, learning_curves,
    scaling_plot,
};
use crate::Result;
use crate::format::num;
use crate::record::TrialRecord;
use crate::stats::summarize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

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

/// Mean and CI of `field` per epoch over one configuration's non-diverged trials (also
/// drawn by report.html, so both show the same curves).
pub(super) fn curve(
    label: String,
    trials: &[&TrialRecord],
    field: fn(&crate::train::EpochRecord) -> f64,
    level: f64,
) -> Curve {
    let kept: Vec<&&TrialRecord> = trials.iter().filter(|r| !r.diverged).collect();
    let epochs = kept
        .iter()
        .map(|r| r.outcome.epochs.len())
        .max()
        .unwrap_or(0);
    let mut c = Curve {
        label,
        epochs: Vec::new(),
        mean: Vec::new(),
        lo: Vec::new(),
        hi: Vec::new(),
    };
    for e in 0..epochs {
        let values: Vec<f64> = kept
            .iter()
            .filter_map(|r| r.outcome.epochs.get(e).map(field))
            .collect();
        let s = summarize(&values, level);
        c.epochs.push(e + 1);
        c.mean.push(s.mean);
        // A single seed has no interval: draw the line without a band.
        c.lo.push(if s.ci_low.is_finite() {
            s.ci_low
        } else {
            s.mean
        });
        c.hi.push(if s.ci_high.is_finite() {
            s.ci_high
        } else {
            s.mean
        });
    }
    c
}

/// Error bars of `metric` against the sweep's single varied parameter (accuracies in
/// percent, like the tables).
fn bars(sweep: &SweepReport, metric: Metric) -> Vec<Bar> {
    let m = sweep.metric(metric);
    let k = if metric.higher_is_better() {
        100.0
    } else {
        1.0
    };
    sweep
        .view
        .configs
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let s = &m.summary(&c.config_id)?.summary;
            let value = c.values.first()?;
            let x = value.parse::<f64>().unwrap_or(i as f64);
            (s.n > 0).then(|| Bar {
                label: value.clone(),
                x,
                mean: k * s.mean,
                lo: k * if s.ci_low.is_finite() {
                    s.ci_low
                } else {
                    s.mean
                },
                hi: k * if s.ci_high.is_finite() {
                    s.ci_high
                } else {
                    s.mean
                },
            })
        })
        .collect()
}

/// Writes every figure of `report` into `dir`; returns the stems written (each has a `.png`
/// and an `.svg`).
pub fn write_all(report: &Report, records: &[TrialRecord], dir: &Path) -> Result<Vec<PathBuf>> {
    let trials = by_config(records);
    let level = report.options.level;
    let sub = subtitle(report);
    let mut written = Vec::new();
    for sweep in &report.sweeps {
        written.extend(sweep_curves(sweep, &trials, level, dir, &sub)?);
        written.extend(sweep_bars(sweep, dir, level, &sub)?);
        written.extend(bs_lr_heatmap(sweep, dir, &sub)?);
        written.extend(lr_opt_vs_bs(sweep, level, dir, &sub)?);
    }
    Ok(written)
}

/// The second title line of every figure: the data it was computed on, and quick mode.
fn subtitle(report: &Report) -> String {
    let data = report
        .data
        .as_ref()
        .map(|d| d.label())
        .unwrap_or_else(|| "no data".into());
    let quick = if report.quick {
        " · quick run (subsampled data, ≤5 epochs)"
    } else {
        ""
    };
    format!("{data}{quick}")
}

/// The training and validation accuracy learning curves of a sweep, one curve per
/// configuration over its trials in `trials` (by config id), with bands and titles at the
/// confidence `level`.
fn sweep_curves(
    sweep: &SweepReport,
    trials: &HashMap<&str, Vec<&TrialRecord>>,
    level: f64,
    dir: &Path,
    sub: &str,
) -> Result<Vec<PathBuf>> {
    let per_config: Vec<(String, Vec<&TrialRecord>)> = sweep
        .view
        .configs
        .iter()
        .map(|c| {
            let label = super::table::label(sweep, &c.config_id);
            let t = trials
                .get(c.config_id.as_str())
                .cloned()
                .unwrap_or_default();
            (label, t)
        })
        .collect();
    let mut written = Vec::new();
    for (name, title, field) in [
        (
            "train_acc",
            "training accuracy (%)",
            (|e: &crate::train::EpochRecord| 100.0 * e.train_acc) as fn(&_) -> f64,
        ),
        ("val_acc", "validation accuracy (%)", |e| 100.0 * e.val_acc),
    ] {
        let curves: Vec<Curve> = per_config
            .iter()
            .map(|(label, t)| curve(label.clone(), t, field, level))
            .collect();
        let stem = dir.join(format!("{name}_{}", suffix(&sweep.view.name)));
        let labels = Labels {
            title: &format!(
                "{title} per epoch — sweep {} (mean, {:.0}% CI over seeds)\n{sub}",
                sweep.view.name,
                100.0 * level
            ),
            x: "epoch",
            y: title,
        };
        learning_curves(&stem, &labels, &curves)?;
        written.push(stem);
    }
    Ok(written)
}

/// For a sweep of a single parameter: final test accuracy against it, and for batch size
/// also the training seconds per epoch.
fn sweep_bars(sweep: &SweepReport, dir: &Path, level: f64, sub: &str) -> Result<Vec<PathBuf>> {
    let [param] = sweep.view.params.as_slice() else {
        return Ok(Vec::new());
    };
    if sweep.view.configs.len() < 2 {
        // One point is no trend (e.g. an epochs sweep merged by quick mode): no figure.
        return Ok(Vec::new());
    }
    let sfx = suffix(&sweep.view.name);
    let log_x = param == "lr" || param == "batch_size";
    let stem = dir.join(format!("test_acc_vs_{param}_{sfx}"));
    let labels = Labels {
        title: &format!(
            "final test accuracy vs {param} — sweep {}\n{sub}",
            sweep.view.name
        ),
        x: param,
        y: "test accuracy (%)",
    };
    error_bars(&stem, &labels, log_x, level, &bars(sweep, Metric::TestAcc))?;
    let mut written = vec![stem];
    if param == "batch_size" {
        let stem = dir.join(format!("time_per_epoch_{sfx}"));
        let labels = Labels {
            title: &format!(
                "training seconds per epoch vs batch size — sweep {}\n{sub}",
                sweep.view.name
            ),
            x: "batch size",
            y: "seconds per epoch",
        };
        let secs = bars(sweep, Metric::TrainSecondsPerEpoch);
        error_bars(&stem, &labels, true, level, &secs)?;
        written.push(stem);
    }
    Ok(written)
}

/// The batch size × learning rate heatmap of mean final validation accuracy, for a sweep
/// that varies exactly those two.
fn bs_lr_heatmap(sweep: &SweepReport, dir: &Path, sub: &str) -> Result<Option<PathBuf>> {
    let params = &sweep.view.params;
    let (Some(bi), Some(li)) = (
        params.iter().position(|p| p == "batch_size"),
        params.iter().position(|p| p == "lr"),
    ) else {
        return Ok(None);
    };
    if params.len() != 2 {
        return Ok(None);
    }
    let m = sweep.metric(Metric::FinalValAcc);
    let mut bss: Vec<String> = Vec::new();
    let mut lrs: Vec<String> = Vec::new();
    let mut cell: HashMap<(String, String), f64> = HashMap::new();
    for c in &sweep.view.configs {
        let (bs, lr) = (c.values[bi].clone(), c.values[li].clone());
        if !bss.contains(&bs) {
            bss.push(bs.clone());
        }
        if !lrs.contains(&lr) {
            lrs.push(lr.clone());
        }
        if let Some(s) = m.summary(&c.config_id).filter(|s| s.summary.n > 0) {
            cell.insert((bs, lr), s.summary.mean);
        }
    }
    let cells: Vec<Vec<Option<f64>>> = lrs
        .iter()
        .map(|lr| {
            bss.iter()
                .map(|bs| cell.get(&(bs.clone(), lr.clone())).copied())
                .collect()
        })
        .collect();
    let stem = dir.join(format!("heatmap_{}", suffix(&sweep.view.name)));
    let labels = Labels {
        title: &format!(
            "mean final validation accuracy — sweep {}\n{sub}",
            sweep.view.name
        ),
        x: "batch size",
        y: "learning rate",
    };
    let grid = Grid {
        col_labels: &bss,
        row_labels: &lrs,
        cells: &cells,
        fmt: &|v| format!("{:.1}%", 100.0 * v),
    };
    heatmap(&stem, &labels, &grid)?;
    Ok(Some(stem))
}

/// The optimal learning rate per batch size with its interval on log-log axes, the fitted
/// power law, and the linear and square-root rules drawn through the middle batch size's
/// estimate, for a sweep with an `lr_scaling` analysis.
fn lr_opt_vs_bs(sweep: &SweepReport, level: f64, dir: &Path, sub: &str) -> Result<Option<PathBuf>> {
    let Some(l) = &sweep.lr_scaling else {
        return Ok(None);
    };
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
    let mut lines = Vec::new();
    if let Some(mid) = points.get(points.len() / 2).filter(|p| p.y.is_finite()) {
        if l.k.is_finite() {
            // The fitted line passes through (mean log bs, mean log lr_opt).
            let x =
                10f64.powf(points.iter().map(|p| p.x.log10()).sum::<f64>() / points.len() as f64);
            lines.push(RefLine {
                label: format!(
                    "fit: k = {} [{}, {}]",
                    num(l.k, 2),
                    num(l.k_ci_low, 2),
                    num(l.k_ci_high, 2)
                ),
                slope: l.k,
                through: (x, 10f64.powf(l.log10_intercept + l.k * x.log10())),
                dashed: false,
            });
        }
        for (label, slope) in [
            ("linear rule (k = 1)", 1.0),
            ("square-root rule (k = 0.5)", 0.5),
        ] {
            lines.push(RefLine {
                label: label.into(),
                slope,
                through: (mid.x, mid.y),
                dashed: true,
            });
        }
    }
    let grid: Vec<f64> = sweep
        .interaction
        .iter()
        .flat_map(|i| i.lrs.iter().filter_map(|v| v.parse().ok()))
        .collect();
    let stem = dir.join(format!("lr_opt_vs_bs_{}", suffix(&sweep.view.name)));
    let labels = Labels {
        title: &format!(
            "optimal learning rate vs batch size — sweep {} ({:.0}% bootstrap CI over seeds)\n{sub}",
            sweep.view.name,
            100.0 * level
        ),
        x: "batch size",
        y: "optimal learning rate",
    };
    let points_label = format!("optimum of test accuracy ({:.0}% CI)", 100.0 * level);
    let scaling = Scaling {
        points: &points,
        lines: &lines,
        guides: &grid,
        points_label: &points_label,
        note: "grey lines: learning rates tried; rules drawn through the middle batch size",
    };
    scaling_plot(&stem, &labels, &scaling)?;
    Ok(Some(stem))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::analysis::AnalysisOptions;

    /// The learning-curve titles name the level the bands were computed at.
    #[test]
    fn curve_titles_say_the_configured_confidence_level() {
        let (view, records) = crate::report::testing::batch_size_sweep();
        for (level, ci) in [(0.90, "90% CI"), (0.95, "95% CI")] {
            let options = AnalysisOptions {
                level,
                ..AnalysisOptions::default()
            };
            let report = Report::build("t", std::slice::from_ref(&view), &records, options);
            let dir = tempfile::tempdir().unwrap();
            write_all(&report, &records, dir.path()).unwrap();
            for name in ["train_acc_BS", "val_acc_BS"] {
                let svg = dir.path().join(format!("{name}.svg"));
                let svg = std::fs::read_to_string(svg).unwrap();
                assert!(svg.contains(ci), "{name} at level {level}: no '{ci}'");
                assert_eq!(svg.matches("% CI").count(), 1, "{name}");
            }
        }
    }
}
