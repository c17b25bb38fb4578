//! Learning curves: per configuration the mean per epoch as a line and its confidence interval
//! as a translucent band, with the legend to the right of the plot.

use super::{
    Chart, LEFT, Labels, PALETTE, Plane, SIZE, fail, fit, font, frame, no_data, range, render,
    runs, text, text_w,
};
use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// A learning curve: mean over seeds per epoch with a CI band (at whatever level the caller
/// computed it).
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// Legend entry.
    pub label: String,
    /// Epoch numbers (x), usually `1..=n`.
    pub epochs: Vec<usize>,
    /// Mean per epoch; NaN = no value (gap in the line).
    pub mean: Vec<f64>,
    /// Lower CI bound per epoch.
    pub lo: Vec<f64>,
    /// Upper CI bound per epoch.
    pub hi: Vec<f64>,
}

/// A curve's points `(epoch, [mean, lo, hi])`, as many as all four series have.
type Points = Vec<(f64, [f64; 3])>;

/// Learning curves (e.g. validation accuracy vs epoch, one curve per configuration), mean line
/// with a translucent CI band each. Writes `<stem>.png` and `<stem>.svg`.
pub fn learning_curves(stem: &Path, labels: &Labels, curves: &[Curve]) -> Result<()> {
    render!(stem, draw(labels, curves))
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    labels: &Labels,
    curves: &[Curve],
) -> Result<()> {
    let area = frame(root, labels.title)?;
    // Legend outside the plot, on the right, as wide as the labels need.
    let legend_labels = legend_labels(root, curves);
    let legend_w = legend_labels
        .iter()
        .map(|l| text_w(root, l, 14.0) + 60)
        .max()
        .unwrap_or(0);
    let (plot, legend) = area.split_horizontally(SIZE.0 as i32 - legend_w);
    let pts: Vec<Points> = curves.iter().map(points).collect();
    let finite = || {
        pts.iter()
            .flatten()
            .filter(|p| p.1.iter().any(|v| v.is_finite()))
    };
    let x = epoch_span(finite().map(|p| p.0));
    let (y0, y1, any) = range(finite().flat_map(|p| p.1), (0.0, 1.0));
    let plane = Plane {
        labels: *labels,
        x,
        y: (y0, y1),
        x_label_area: 48,
        margin_right: 12,
        x_ticks: Some(((x.1 - x.0) as usize + 1).min(11)),
    };
    let mut chart = plane.draw(&plot)?;
    // Longest curves first, so shorter ones stay visible on top of them.
    let mut order: Vec<usize> = (0..pts.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(pts[i].len()));
    draw_bands(&mut chart, &pts, &order)?;
    draw_lines(&mut chart, &pts, &order)?;
    if !any {
        no_data(root, chart.plotting_area().get_pixel_range())?;
    }
    draw_legend(&legend, &legend_labels)
}

/// Colour of curve `i`.
fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Beyond eight curves the colours repeat: every other round of the palette is dashed.
fn dashed(i: usize) -> bool {
    (i / PALETTE.len()) % 2 == 1
}

/// Legend entries, at most a third of the figure wide; curves without any mean say so.
fn legend_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    curves: &[Curve],
) -> Vec<String> {
    let max_label = SIZE.0 as i32 / 3 - 60;
    curves
        .iter()
        .map(|c| match c.mean.iter().any(|v| v.is_finite()) {
            true => fit(root, &c.label, 14.0, max_label),
            false => fit(root, &c.label, 14.0, max_label - 70) + " (no data)",
        })
        .collect()
}

fn points(c: &Curve) -> Points {
    let n = c
        .epochs
        .len()
        .min(c.mean.len())
        .min(c.lo.len())
        .min(c.hi.len());
    (0..n)
        .map(|i| (c.epochs[i] as f64, [c.mean[i], c.lo[i], c.hi[i]]))
        .collect()
}

/// The epoch axis spans exactly the epochs `xs` (one epoch either side for a single epoch,
/// 1..10 for none).
fn epoch_span(xs: impl Iterator<Item = f64>) -> (f64, f64) {
    let (x0, x1) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    });
    match (x0, x1) {
        (a, b) if a > b => (1.0, 10.0),
        (a, b) if a == b => (a - 1.0, b + 1.0),
        ab => ab,
    }
}

/// The CI bands, one polygon per run of finite bounds, in `order`.
fn draw_bands<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    pts: &[Points],
    order: &[usize],
) -> Result<()> {
    for &i in order {
        for run in runs(pts[i].iter().map(|(x, v)| (*x, [v[1], v[2]])))
            .iter()
            .filter(|r| r.len() > 1)
        {
            let poly: Vec<(f64, f64)> = run
                .iter()
                .map(|(x, v)| (*x, v[1]))
                .chain(run.iter().rev().map(|(x, v)| (*x, v[0])))
                .collect();
            chart
                .draw_series([Polygon::new(poly, colour(i).mix(0.18).filled())])
                .map_err(fail)?;
        }
    }
    Ok(())
}

/// The mean lines, one per run of finite means (a dot for a run of one), in `order`.
fn draw_lines<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    pts: &[Points],
    order: &[usize],
) -> Result<()> {
    for &i in order {
        for run in runs(pts[i].iter().map(|(x, v)| (*x, [v[0]]))) {
            let line = run.iter().map(|(x, v)| (*x, v[0]));
            if run.len() == 1 {
                chart
                    .draw_series(line.map(|c| Circle::new(c, 3, colour(i).filled())))
                    .map_err(fail)?;
            } else if dashed(i) {
                let style = colour(i).stroke_width(2);
                chart
                    .draw_series(DashedLineSeries::new(line, 8, 5, style))
                    .map_err(fail)?;
            } else {
                chart
                    .draw_series(LineSeries::new(line, colour(i).stroke_width(2)))
                    .map_err(fail)?;
            }
        }
    }
    Ok(())
}

/// Legend entries, in pixels relative to the legend strip; tighter if there are many.
fn draw_legend<DB: DrawingBackend>(
    legend: &DrawingArea<DB, Shift>,
    labels: &[String],
) -> Result<()> {
    let step = ((legend.dim_in_pixel().1 as i32 - 30) / labels.len().max(1) as i32).clamp(12, 24);
    let lx = 4;
    for (i, label) in labels.iter().enumerate() {
        let y = 24 + step * i as i32;
        legend
            .draw(&Rectangle::new(
                [(lx, y - 6), (lx + 30, y + 6)],
                colour(i).mix(0.18).filled(),
            ))
            .map_err(fail)?;
        let dashes: &[(i32, i32)] = if dashed(i) {
            &[(0, 8), (13, 21), (26, 30)]
        } else {
            &[(0, 30)]
        };
        for &(a, b) in dashes {
            let line = PathElement::new([(lx + a, y), (lx + b, y)], colour(i).stroke_width(2));
            legend.draw(&line).map_err(fail)?;
        }
        text(legend, label, font(14.0), (lx + 38, y), LEFT)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::check;
    use super::*;

    fn curve(label: &str, n: usize, base: f64) -> Curve {
        let mean: Vec<f64> = (0..n)
            .map(|e| base + 0.1 * (1.0 - (-(e as f64) / 5.0).exp()))
            .collect();
        Curve {
            label: label.into(),
            epochs: (1..=n).collect(),
            lo: mean.iter().map(|m| m - 0.01).collect(),
            hi: mean.iter().map(|m| m + 0.01).collect(),
            mean,
        }
    }

    fn labels(title: &str) -> Labels<'_> {
        Labels {
            title,
            x: "epoch",
            y: "accuracy",
        }
    }

    #[test]
    fn learning_curves_write_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let stem = dir.path().join("sub/val_acc_BS");
        let curves = [
            curve("batch_size=64", 20, 0.6),
            curve("batch_size=256", 100, 0.55),
        ];
        let labels = Labels {
            title: "validation accuracy per epoch",
            x: "epoch",
            y: "validation accuracy",
        };
        learning_curves(&stem, &labels, &curves).unwrap();
        check(&stem, "validation accuracy per epoch", "batch_size=256");
    }

    #[test]
    fn learning_curves_survive_nan_and_empty() {
        let dir = tempfile::tempdir().unwrap();
        let mut gappy = curve("gappy", 10, 0.6);
        gappy.mean[3] = f64::NAN;
        gappy.lo[5] = f64::NAN;
        gappy.hi.truncate(7);
        let mut dead = curve("all-nan", 5, 0.6);
        dead.mean
            .iter_mut()
            .chain(&mut dead.lo)
            .chain(&mut dead.hi)
            .for_each(|v| *v = f64::NAN);
        let one = curve("single", 1, 0.7);
        let stem = dir.path().join("nan");
        learning_curves(&stem, &labels("nan curves"), &[gappy, dead.clone(), one]).unwrap();
        check(&stem, "nan curves", "all-nan");
        let stem = dir.path().join("dead");
        learning_curves(&stem, &labels("only nan"), &[dead]).unwrap();
        check(&stem, "only nan", "no data");
        let stem = dir.path().join("empty");
        learning_curves(&stem, &labels("nothing"), &[]).unwrap();
        check(&stem, "nothing", "no data");
    }
}
