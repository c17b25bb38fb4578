//! Error bars: the mean (marker) and confidence interval (bar) of a metric at each value of
//! a numeric hyperparameter, on a linear or log x axis labelled with the values as written.

use super::{
    Chart, GREY, LIGHT, Labels, PALETTE, Plane, SIZE, fail, font, frame, no_data, range, render,
    runs, text, x_ticks,
};
use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use std::path::Path;

/// One x position with mean and CI (error bar).
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Tick label under the bar (e.g. the hyperparameter value as written in the study).
    pub label: String,
    /// Numeric x position.
    pub x: f64,
    /// Mean (marker).
    pub mean: f64,
    /// Lower CI bound.
    pub lo: f64,
    /// Upper CI bound.
    pub hi: f64,
}

/// How the x axis of an error-bar plot maps and joins its bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarAxis {
    /// Log-scale x (learning rate, batch size).
    pub log: bool,
    /// A faint line joins the means in x order (a numeric parameter); without it each bar
    /// stands alone (categories such as model names have no order between them).
    pub join: bool,
}

/// Mean with CI error bars against a numeric x (log-scale x if `axis.log`, e.g. learning rate
/// or batch size); tick labels from `Bar::label`. Writes png + svg.
pub fn error_bars(
    stem: &Path,
    labels: &Labels,
    axis: BarAxis,
    level: f64,
    bars: &[Bar],
) -> Result<()> {
    render!(stem, draw(labels, axis, level, bars))
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    labels: &Labels,
    axis: BarAxis,
    level: f64,
    bars: &[Bar],
) -> Result<()> {
    let log_x = axis.log;
    let area = frame(root, labels.title)?;
    // Log axes are linear axes over log10(x), labelled with the bars' own labels; bars
    // without a usable x (NaN, or <= 0 on a log axis) are left out, bars without values keep
    // their tick.
    let tx = |x: f64| if log_x { x.log10() } else { x };
    let mut bars: Vec<&Bar> = bars.iter().filter(|b| tx(b.x).is_finite()).collect();
    bars.sort_by(|a, b| a.x.total_cmp(&b.x));
    let bars: Vec<(f64, &Bar)> = bars.into_iter().map(|b| (tx(b.x), b)).collect();
    let (y0, y1, any) = range(
        bars.iter().flat_map(|(_, b)| [b.mean, b.lo, b.hi]),
        (0.0, 1.0),
    );
    let x_desc = match log_x {
        true => format!("{} (log scale)", labels.x),
        false => labels.x.to_string(),
    };
    let plane = Plane {
        labels: Labels {
            x: &x_desc,
            ..*labels
        },
        x: x_span(bars.iter().map(|(x, _)| *x)),
        y: (y0, y1),
        x_label_area: 56,
        margin_right: 30,
        x_ticks: None,
    };
    let mut chart = plane.draw(&area)?;
    draw_marks(&mut chart, &bars, (y0, y1), axis.join)?;
    let y_px = chart.backend_coord(&(plane.x.0, y0)).1;
    let ticks: Vec<(i32, String)> = bars
        .iter()
        .map(|(x, b)| (chart.backend_coord(&(*x, y0)).0, b.label.clone()))
        .collect();
    x_ticks(root, &ticks, y_px, true)?;
    if any {
        let note = format!(
            "marker: mean   bar: {} confidence interval",
            crate::format::level(level)
        );
        text(
            root,
            &note,
            font(12.0).color(&GREY),
            (SIZE.0 as i32 - 8, SIZE.1 as i32 - 6),
            (HPos::Right, VPos::Bottom),
        )?;
    } else {
        no_data(root, chart.plotting_area().get_pixel_range())?;
    }
    Ok(())
}

/// The x axis range over the positions `xs`: the data with a little room either side.
pub(super) fn x_span(xs: impl Iterator<Item = f64>) -> (f64, f64) {
    let (x0, x1, _) = range(xs, (0.0, 1.0));
    let pad = if x1 - x0 < 0.01 {
        0.5
    } else {
        0.04 * (x1 - x0)
    };
    (x0 - pad, x1 + pad)
}

/// A light guide line at each bar's position `x` over the y range `(y0, y1)`, a faint line
/// through the means when `join`, then the error bars and mean markers.
fn draw_marks<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    bars: &[(f64, &Bar)],
    (y0, y1): (f64, f64),
    join: bool,
) -> Result<()> {
    let c = PALETTE[0];
    for &(x, _) in bars {
        chart
            .draw_series(LineSeries::new([(x, y0), (x, y1)], LIGHT))
            .map_err(fail)?;
    }
    let joined = bars.iter().filter(|_| join);
    for run in runs(joined.map(|(x, b)| (*x, [b.mean]))) {
        chart
            .draw_series(LineSeries::new(
                run.iter().map(|(x, v)| (*x, v[0])),
                c.mix(0.35).stroke_width(1),
            ))
            .map_err(fail)?;
    }
    for &(x, b) in bars {
        let m = b.mean;
        // The error bar draws a ring of radius 6 at `mid`; the filled marker covers it.
        if b.lo.is_finite() && b.hi.is_finite() {
            let mid = if m.is_finite() {
                m
            } else {
                (b.lo + b.hi) / 2.0
            };
            chart
                .draw_series([ErrorBar::new_vertical(
                    x,
                    b.lo,
                    mid,
                    b.hi,
                    c.stroke_width(2),
                    12,
                )])
                .map_err(fail)?;
        }
        if m.is_finite() {
            chart
                .draw_series([Circle::new((x, m), 6, c.filled())])
                .map_err(fail)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::check;
    use super::*;

    fn labels<'a>(title: &'a str, x: &'a str, y: &'a str) -> Labels<'a> {
        Labels { title, x, y }
    }

    #[test]
    fn error_bars_log_and_linear() {
        let dir = tempfile::tempdir().unwrap();
        let bars: Vec<Bar> = [0.1, 0.01, 0.001]
            .iter()
            .map(|&x| Bar {
                label: format!("{x}"),
                x,
                mean: 0.7,
                lo: 0.69,
                hi: 0.71,
            })
            .collect();
        let stem = dir.path().join("lr");
        let lr = labels("test accuracy vs lr", "lr", "test accuracy");
        let log = BarAxis {
            log: true,
            join: true,
        };
        let lin = BarAxis {
            log: false,
            join: false,
        };
        error_bars(&stem, &lr, log, 0.95, &bars).unwrap();
        check(&stem, "test accuracy vs lr", "0.001");
        let mut odd = bars.clone();
        odd.push(Bar {
            label: "zero".into(),
            x: 0.0,
            mean: f64::NAN,
            lo: f64::NAN,
            hi: f64::NAN,
        });
        odd[0].lo = f64::NAN;
        let stem = dir.path().join("lin");
        error_bars(&stem, &labels("linear", "x", "y"), lin, 0.95, &odd).unwrap();
        check(&stem, "linear", "zero");
        let stem = dir.path().join("empty");
        error_bars(&stem, &labels("no bars", "x", "y"), log, 0.95, &[]).unwrap();
        check(&stem, "no bars", "no data");
        error_bars(&stem, &labels("bad log", "x", "y"), log, 0.95, &odd[3..]).unwrap();
        check(&stem, "bad log", "no data");
        // Without `join` the means are not connected: one line (the run through the three
        // means) fewer than with it.
        let lines = |join: bool| {
            let stem = dir.path().join(format!("join-{join}"));
            let axis = BarAxis { log: true, join };
            error_bars(&stem, &lr, axis, 0.95, &bars).unwrap();
            let svg = std::fs::read_to_string(stem.with_extension("svg")).unwrap();
            svg.matches("<polyline").count()
        };
        assert_eq!(lines(true), lines(false) + 1);
    }
}
