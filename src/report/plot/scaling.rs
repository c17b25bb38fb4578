//! Scaling plots: estimates with confidence intervals on log-log axes (e.g. the optimal
//! learning rate against batch size), with straight reference lines of given slopes — power
//! laws — and light guide lines at chosen y values (e.g. the learning rates tried).

use super::{
    Chart, GREY, LEFT, LIGHT, Labels, PALETTE, Plane, SIZE, fail, font, frame, no_data, range,
    render, text, text_w, x_ticks,
};
use crate::error::{Error, Result};
use crate::format::sci;
pub use crate::report::figure::{RefLine, ScalingPoint};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use std::path::Path;

/// What a scaling plot shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scaling<'a> {
    /// The estimates.
    pub points: &'a [ScalingPoint],
    /// Reference lines, in legend order.
    pub lines: &'a [RefLine],
    /// y values marked by light horizontal lines where they fall in the plotted range.
    pub guides: &'a [f64],
    /// Legend entry of the markers.
    pub points_label: &'a str,
    /// Grey note in the bottom-right corner (e.g. what the guide lines are).
    pub note: &'a str,
}

/// Estimates with interval bars against `x` on log-log axes, reference power laws and guide
/// lines, with the legend to the right. Writes png + svg.
pub fn scaling_plot(stem: &Path, labels: &Labels, scaling: &Scaling) -> Result<()> {
    render!(stem, draw(labels, scaling))
}

/// A point's `(log10 x, [log10 y, log10 lo, log10 hi])`.
type LogPoint<'a> = (f64, [f64; 3], &'a ScalingPoint);

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    labels: &Labels,
    s: &Scaling,
) -> Result<()> {
    let area = frame(root, labels.title)?;
    let entries = legend_entries(s);
    let legend_w = entries
        .iter()
        .map(|(l, _)| text_w(root, l, 14.0) + 60)
        .max()
        .unwrap_or(0);
    let (plot, legend) = area.split_horizontally(SIZE.0 as i32 - legend_w);
    // Log axes are linear axes over log10; points without a positive x are left out.
    let pts: Vec<LogPoint> = s
        .points
        .iter()
        .filter(|p| p.x > 0.0 && p.x.is_finite())
        .map(|p| (p.x.log10(), [p.y.log10(), p.lo.log10(), p.hi.log10()], p))
        .collect();
    let x = super::bars::x_span(pts.iter().map(|p| p.0));
    // The estimates set the y range; reference lines are clipped to it.
    let (y0, y1, any) = range(pts.iter().flat_map(|p| p.1), (-4.0, -1.0));
    let x_desc = format!("{} (log scale)", labels.x);
    let y_desc = format!("{} (log scale)", labels.y);
    let plane = Plane {
        labels: Labels {
            x: &x_desc,
            y: &y_desc,
            ..*labels
        },
        x,
        y: (y0, y1),
        x_label_area: 56,
        margin_right: 12,
        x_ticks: None,
    };
    let mut chart = plane.draw_with(&plot, &|y: &f64| sci(10f64.powf(*y)))?;
    for g in s.guides.iter().map(|g| g.log10()) {
        if g > y0 && g < y1 {
            chart
                .draw_series(LineSeries::new([(x.0, g), (x.1, g)], LIGHT.stroke_width(2)))
                .map_err(fail)?;
        }
    }
    for (i, l) in s.lines.iter().enumerate() {
        let style = line_colour(i).stroke_width(2);
        if !l.curve.is_empty() {
            // A curve: its points in log coordinates, inside the plotted y range.
            let mut pts: Vec<(f64, f64)> = l
                .curve
                .iter()
                .map(|&(u, v)| (u.log10(), v.log10()))
                .filter(|(u, v)| u.is_finite() && v.is_finite() && *v >= y0 && *v <= y1)
                .collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            chart
                .draw_series(DashedLineSeries::new(pts, 4, 4, style))
                .map_err(fail)?;
            continue;
        }
        let Some(ends) = clip(l, x, (y0, y1)) else {
            continue;
        };
        if l.dashed {
            chart
                .draw_series(DashedLineSeries::new(ends, 10, 6, style))
                .map_err(fail)?;
        } else {
            chart
                .draw_series(LineSeries::new(ends, style))
                .map_err(fail)?;
        }
    }
    draw_points(&mut chart, &pts)?;
    let y_px = chart.backend_coord(&(x.0, y0)).1;
    let ticks: Vec<(i32, String)> = pts
        .iter()
        .map(|(lx, _, p)| (chart.backend_coord(&(*lx, y0)).0, p.label.clone()))
        .collect();
    x_ticks(root, &ticks, y_px, true)?;
    if any && !pts.is_empty() {
        text(
            root,
            s.note,
            font(12.0).color(&GREY),
            (SIZE.0 as i32 - 8, SIZE.1 as i32 - 6),
            (HPos::Right, VPos::Bottom),
        )?;
    } else {
        no_data(root, chart.plotting_area().get_pixel_range())?;
    }
    draw_legend(&legend, &entries)
}

/// The segment of line `l` (in log10 coordinates) inside the box `x × y`, if any.
fn clip(l: &RefLine, x: (f64, f64), y: (f64, f64)) -> Option<[(f64, f64); 2]> {
    let (x_at, y_at) = (l.through.0.log10(), l.through.1.log10());
    if !(x_at.is_finite() && y_at.is_finite() && l.slope.is_finite()) {
        return None;
    }
    let at = |u: f64| y_at + l.slope * (u - x_at);
    // x where the line reaches height v (the whole x range for a flat line).
    let x_for = |v: f64| {
        if l.slope == 0.0 {
            None
        } else {
            Some(x_at + (v - y_at) / l.slope)
        }
    };
    let (mut a, mut b) = x;
    if l.slope != 0.0 {
        let (u0, u1) = (x_for(y.0)?, x_for(y.1)?);
        let (lo, hi) = (u0.min(u1), u0.max(u1));
        a = a.max(lo);
        b = b.min(hi);
    } else if !(y.0..=y.1).contains(&y_at) {
        return None;
    }
    (a < b).then(|| [(a, at(a)), (b, at(b))])
}

/// Colour of reference line `i` (the markers take the palette's first colour).
fn line_colour(i: usize) -> RGBColor {
    PALETTE[(i + 1) % PALETTE.len()]
}

/// The interval bars, then the markers (hollow where asked).
fn draw_points<DB: DrawingBackend>(chart: &mut Chart<'_, DB>, pts: &[LogPoint]) -> Result<()> {
    let c = PALETTE[0];
    for &(x, [y, lo, hi], p) in pts {
        if lo.is_finite() && hi.is_finite() {
            let mid = if y.is_finite() { y } else { (lo + hi) / 2.0 };
            chart
                .draw_series([ErrorBar::new_vertical(
                    x,
                    lo,
                    mid,
                    hi,
                    c.stroke_width(2),
                    12,
                )])
                .map_err(fail)?;
        }
        if y.is_finite() {
            let style = if p.hollow { WHITE.filled() } else { c.filled() };
            chart
                .draw_series([Circle::new((x, y), 6, style)])
                .map_err(fail)?;
            chart
                .draw_series([Circle::new((x, y), 6, c.stroke_width(2))])
                .map_err(fail)?;
        }
    }
    Ok(())
}

/// What a legend entry's swatch looks like.
#[derive(Clone, Copy)]
enum Swatch {
    /// A marker with an interval bar (filled or hollow).
    Marker(bool),
    /// Reference line `i`.
    Line(usize, bool),
}

fn legend_entries(s: &Scaling) -> Vec<(String, Swatch)> {
    let mut out = vec![(s.points_label.to_string(), Swatch::Marker(false))];
    if s.points.iter().any(|p| p.hollow) {
        out.push(("at the edge of the grid".into(), Swatch::Marker(true)));
    }
    for (i, l) in s.lines.iter().enumerate() {
        out.push((l.label.clone(), Swatch::Line(i, l.dashed)));
    }
    out
}

fn draw_legend<DB: DrawingBackend>(
    legend: &DrawingArea<DB, Shift>,
    entries: &[(String, Swatch)],
) -> Result<()> {
    let lx = 4;
    for (i, (label, swatch)) in entries.iter().enumerate() {
        let y = 24 + 26 * i as i32;
        match *swatch {
            Swatch::Marker(hollow) => {
                let c = PALETTE[0];
                let bar = PathElement::new([(lx + 15, y - 9), (lx + 15, y + 9)], c.stroke_width(2));
                legend.draw(&bar).map_err(fail)?;
                let fill = if hollow { WHITE.filled() } else { c.filled() };
                legend
                    .draw(&Circle::new((lx + 15, y), 6, fill))
                    .map_err(fail)?;
                legend
                    .draw(&Circle::new((lx + 15, y), 6, c.stroke_width(2)))
                    .map_err(fail)?;
            }
            Swatch::Line(k, dashed) => {
                let dashes: &[(i32, i32)] = if dashed {
                    &[(0, 10), (16, 30)]
                } else {
                    &[(0, 30)]
                };
                for &(a, b) in dashes {
                    let style = line_colour(k).stroke_width(2);
                    let seg = PathElement::new([(lx + a, y), (lx + b, y)], style);
                    legend.draw(&seg).map_err(fail)?;
                }
            }
        }
        text(legend, label, font(14.0), (lx + 38, y), LEFT)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::check;
    use super::*;

    fn point(bs: f64, lr: f64, hollow: bool) -> ScalingPoint {
        ScalingPoint {
            label: format!("{bs}"),
            x: bs,
            y: lr,
            lo: lr / 1.5,
            hi: lr * 1.5,
            hollow,
        }
    }

    #[test]
    fn a_scaling_plot_has_points_reference_lines_and_a_legend() {
        let dir = tempfile::tempdir().unwrap();
        let points: Vec<ScalingPoint> = [32.0, 64.0, 128.0, 256.0, 512.0]
            .iter()
            .map(|&bs| point(bs, 1e-3 * (bs / 128.0f64).sqrt(), bs == 512.0))
            .collect();
        let lines = [
            RefLine {
                label: "linear rule (k = 1)".into(),
                slope: 1.0,
                through: (128.0, 1e-3),
                curve: Vec::new(),
                dashed: true,
            },
            RefLine {
                label: "square-root rule (k = 0.5)".into(),
                slope: 0.5,
                through: (128.0, 1e-3),
                curve: Vec::new(),
                dashed: true,
            },
        ];
        let scaling = Scaling {
            points: &points,
            lines: &lines,
            guides: &[3e-4, 1e-3, 3e-3],
            points_label: "optimal lr (95% CI)",
            note: "grey lines: learning rates tried",
        };
        let labels = Labels {
            title: "optimal learning rate vs batch size",
            x: "batch size",
            y: "optimal learning rate",
        };
        let stem = dir.path().join("lr_opt");
        scaling_plot(&stem, &labels, &scaling).unwrap();
        check(
            &stem,
            "optimal learning rate vs batch size",
            "square-root rule",
        );
        let svg = std::fs::read_to_string(dir.path().join("lr_opt.svg")).unwrap();
        assert!(svg.contains("512") && svg.contains("at the edge of the grid"));
    }

    #[test]
    fn a_scaling_plot_survives_nan_and_no_points() {
        let dir = tempfile::tempdir().unwrap();
        let mut odd = vec![point(32.0, 1e-3, false), point(0.0, 1e-3, false)];
        odd[0].lo = f64::NAN;
        let none = Scaling {
            points: &odd,
            lines: &[],
            guides: &[],
            points_label: "optimum",
            note: "",
        };
        let labels = Labels {
            title: "odd",
            x: "x",
            y: "y",
        };
        let stem = dir.path().join("odd");
        scaling_plot(&stem, &labels, &none).unwrap();
        check(&stem, "odd", "optimum");
        let empty = Scaling {
            points: &[],
            ..none
        };
        let stem = dir.path().join("empty");
        scaling_plot(&stem, &labels, &empty).unwrap();
        check(&stem, "odd", "no data");
    }
}
