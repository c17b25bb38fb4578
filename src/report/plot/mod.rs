//! The plotters backend of a report's figures ([`crate::report::figure`]): learning curves
//! with CI bands, error bars against a hyperparameter, annotated heatmaps, and log-log
//! scaling plots with reference lines. Every figure is written twice, as `<stem>.png`
//! (900×600) and `<stem>.svg`; [`write_all`] draws every figure of a report.
//!
//! Text is rendered with the DejaVu Sans font compiled into the binary (crate `dejavu`,
//! registered with plotters' `ab_glyph` support), so PNGs render identically on machines
//! without system fonts. Colours are the Okabe–Ito palette (lines, markers) and viridis
//! (heatmap), both colour-blind safe. Values are drawn as given — no rescaling.
//!
//! One file per figure kind (`curves.rs`, `bars.rs`, `heatmap.rs`, `scaling.rs`); this file
//! holds what they share: the fonts, the output paths, text helpers, the title frame, axis
//! ranges, and [`Labels`] (title and axis descriptions, which every figure takes) with
//! `Plane`, the x–y chart and mesh style that the curves, error bars and scaling plots have in
//! common.

mod bars;
mod curves;
mod heatmap;
mod scaling;

pub use bars::{Bar, BarAxis, error_bars};
pub use curves::{Curve, learning_curves};
pub use heatmap::{Grid, heatmap};
pub use scaling::{RefLine, Scaling, ScalingPoint, scaling_plot};

use crate::error::{Error, Result};
use crate::report::figure::{Body, Figure, Unit};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, register_font};
use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The title and axis descriptions of a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Labels<'a> {
    /// Title above the figure (shrunk to fit the width).
    pub title: &'a str,
    /// Description of the x axis.
    pub x: &'a str,
    /// Description of the y axis.
    pub y: &'a str,
}

/// Draws every figure of `report` into `dir`; returns the stems written (each has a `.png`
/// and an `.svg`).
pub fn write_all(report: &crate::report::Report, dir: &Path) -> Result<Vec<PathBuf>> {
    let subtitle = &report.text.figure_subtitle;
    let level = report.options.level;
    let mut written = Vec::new();
    for figure in &report.figures {
        let stem = dir.join(&figure.stem);
        draw(figure, subtitle, level, &stem)?;
        written.push(stem);
    }
    Ok(written)
}

/// Whether a points figure joins its means by a line: not across categories (model names
/// have no order), nor where several configurations share an x (a sweep of two parameters).
pub(crate) fn joined(figure: &Figure) -> bool {
    let Body::Points(series) = &figure.body else {
        return false;
    };
    let mut xs: Vec<u64> = series
        .iter()
        .flat_map(|s| s.points.iter().filter(|p| p.mean.is_finite()))
        .map(|p| p.x.to_bits())
        .collect();
    let points = xs.len();
    xs.sort_unstable();
    xs.dedup();
    !figure.x.categorical && xs.len() == points
}

/// Draws one figure at `stem`, titled with its title and `subtitle` (the data) below it;
/// `level` names the confidence level of error bars.
fn draw(figure: &Figure, subtitle: &str, level: f64, stem: &Path) -> Result<()> {
    let title = format!("{}\n{subtitle}", figure.title);
    let labels = Labels {
        title: &title,
        x: &figure.x.label,
        y: &figure.y.label,
    };
    let k = match figure.y.unit {
        Unit::Percent => 100.0,
        Unit::Seconds | Unit::Plain => 1.0,
    };
    match &figure.body {
        Body::Curves(series) => {
            let curves: Vec<Curve> = series
                .iter()
                .map(|s| Curve {
                    label: s.label.clone(),
                    epochs: s.points.iter().map(|p| p.x as usize).collect(),
                    mean: s.points.iter().map(|p| k * p.mean).collect(),
                    lo: s.points.iter().map(|p| k * p.lo).collect(),
                    hi: s.points.iter().map(|p| k * p.hi).collect(),
                })
                .collect();
            learning_curves(stem, &labels, &curves)
        }
        Body::Points(series) => {
            let bars: Vec<Bar> = series
                .iter()
                .flat_map(|s| s.points.iter().map(move |p| (s.config, p)))
                .filter(|(_, p)| p.mean.is_finite())
                .map(|(_, p)| Bar {
                    label: figure
                        .x
                        .ticks
                        .iter()
                        .find(|t| t.0 == p.x)
                        .map(|t| t.1.clone())
                        .unwrap_or_default(),
                    x: p.x,
                    mean: k * p.mean,
                    lo: k * p.lo,
                    hi: k * p.hi,
                })
                .collect();
            let axis = BarAxis {
                log: figure.x.log,
                join: joined(figure),
            };
            error_bars(stem, &labels, axis, level, &bars)
        }
        Body::Heatmap(h) => {
            let cells: Vec<Vec<Option<f64>>> = h
                .cells
                .iter()
                .map(|row| row.iter().map(|c| c.as_ref().map(|c| c.value)).collect())
                .collect();
            let unit = h.unit;
            let fmt = move |v: f64| match unit {
                Unit::Percent => format!("{:.1}%", 100.0 * v),
                Unit::Seconds | Unit::Plain => format!("{v}"),
            };
            let grid = Grid {
                col_labels: &h.cols,
                row_labels: &h.rows,
                cells: &cells,
                fmt: &fmt,
            };
            heatmap(stem, &labels, &grid)
        }
        Body::Scaling(s) => {
            let scaling = Scaling {
                points: &s.points,
                lines: &s.lines,
                guides: &s.guides,
                points_label: &s.points_label,
                note: &s.note,
            };
            scaling_plot(stem, &labels, &scaling)
        }
    }
}

const SIZE: (u32, u32) = (900, 600);
const FONT: &str = "sans-serif";
/// The series colours ([`crate::report::style::PALETTE`]).
const PALETTE: [RGBColor; 8] = {
    let p = crate::report::style::PALETTE;
    let mut out = [RGBColor(0, 0, 0); 8];
    let mut i = 0;
    while i < 8 {
        out[i] = RGBColor(p[i].0, p[i].1, p[i].2);
        i += 1;
    }
    out
};
const MID: (HPos, VPos) = (HPos::Center, VPos::Center);
const TOP: (HPos, VPos) = (HPos::Center, VPos::Top);
const LEFT: (HPos, VPos) = (HPos::Left, VPos::Center);
const RIGHT: (HPos, VPos) = (HPos::Right, VPos::Center);
const GREY: RGBColor = RGBColor(0x55, 0x55, 0x55);
const LIGHT: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);

/// A chart with linear f64 axes, as every figure draws.
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Registers the embedded DejaVu Sans once per process.
fn fonts() -> Result<()> {
    static DONE: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        for (style, bytes) in [
            (FontStyle::Normal, dejavu::sans::regular()),
            (FontStyle::Bold, dejavu::sans::bold()),
        ] {
            register_font(FONT, style, bytes)
                .map_err(|_| "could not load the embedded DejaVu Sans font".to_string())?;
        }
        Ok(())
    })
    .clone()
    .map_err(Error::Other)
}

fn fail(e: impl Display) -> Error {
    Error::Other(format!("figure rendering failed: {e}"))
}

/// `<stem>.png` and `<stem>.svg`, creating the parent folder.
fn paths(stem: &Path) -> Result<(PathBuf, PathBuf)> {
    if let Some(dir) = stem.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("could not create '{}'", dir.display()), e))?;
    }
    let with = |ext: &str| {
        let mut s = stem.as_os_str().to_owned();
        s.push(ext);
        PathBuf::from(s)
    };
    Ok((with(".png"), with(".svg")))
}

/// Draws the figure with `$draw(&root, args…)` on a PNG and on an SVG backend. For the figure
/// modules (`super::` is this module); they have `Path`, `Error` and plotters' prelude in scope.
macro_rules! render {
    ($stem:expr, $draw:ident($($arg:expr),*)) => {{
        super::fonts()?;
        let (png, svg) = super::paths($stem)?;
        let ctx = |p: &Path, e: Error| Error::Other(format!("could not write '{}': {e}", p.display()));
        {
            let root = BitMapBackend::new(&png, super::SIZE).into_drawing_area();
            $draw(&root, $($arg),*).map_err(|e| ctx(&png, e))?;
            root.present().map_err(|e| ctx(&png, super::fail(e)))?;
        }
        let root = SVGBackend::new(&svg, super::SIZE).into_drawing_area();
        $draw(&root, $($arg),*).map_err(|e| ctx(&svg, e))?;
        root.present().map_err(|e| ctx(&svg, super::fail(e)))
    }};
}
use render;

fn font(size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().color(&BLACK)
}

fn text_w<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, text: &str, size: f64) -> i32 {
    area.estimate_text_size(text, &font(size))
        .map_or(0, |(w, _)| w as i32)
}

/// `text` shortened with "…" until it is at most `max` pixels wide.
fn fit<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    size: f64,
    max: i32,
) -> String {
    let mut s: Vec<char> = text.chars().collect();
    let mut out = text.to_string();
    while text_w(area, &out, size) > max && !s.is_empty() {
        s.pop();
        out = s.iter().collect::<String>() + "…";
    }
    out
}

fn text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    style: TextStyle,
    at: (i32, i32),
    (h, v): (HPos, VPos),
) -> Result<()> {
    area.draw(&Text::new(s.to_string(), at, style.pos(Pos::new(h, v))))
        .map_err(fail)
}

/// White background and the title (shrunk to fit the width); returns the area below it. A
/// second line of `title` (after a newline) is drawn smaller, as a subtitle (e.g. the data).
fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>> {
    root.fill(&WHITE).map_err(fail)?;
    let (title, subtitle) = match title.split_once('\n') {
        Some((t, s)) => (t, Some(s)),
        None => (title, None),
    };
    let mut size = 22.0;
    while size > 11.0 && text_w(root, title, size) > SIZE.0 as i32 - 30 {
        size -= 1.0;
    }
    let below = root
        .margin(6, 0, 0, 0)
        .titled(title, font(size))
        .map_err(fail)?;
    match subtitle {
        Some(sub) => {
            let at = (SIZE.0 as i32 / 2, 2);
            text(
                &below,
                sub,
                font(14.0).color(&GREY),
                at,
                (HPos::Center, VPos::Top),
            )?;
            Ok(below.margin(20, 0, 0, 0))
        }
        None => Ok(below),
    }
}

/// A grey "no data" note in the middle of the plotting area `(xr, yr)`.
fn no_data<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (xr, yr): (std::ops::Range<i32>, std::ops::Range<i32>),
) -> Result<()> {
    let at = ((xr.start + xr.end) / 2, (yr.start + yr.end) / 2);
    text(root, "no data", font(18.0).color(&GREY), at, MID)
}

/// Data range of the finite `values` with a small margin, or `default` if there are none.
fn range(values: impl Iterator<Item = f64>, default: (f64, f64)) -> (f64, f64, bool) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if lo > hi {
        return (default.0, default.1, false);
    }
    let pad = if hi > lo {
        0.06 * (hi - lo)
    } else {
        (lo.abs() * 0.05).max(1e-3)
    };
    match (lo - pad, hi + pad) {
        (a, b) if a.is_finite() && b.is_finite() => (a, b, true),
        _ => (default.0, default.1, false),
    }
}

/// Decimals for tick labels over a span of `span` (about ten ticks).
fn decimals(span: f64) -> usize {
    (-(span / 10.0).log10()).ceil().clamp(0.0, 8.0) as usize
}

/// Maximal runs of consecutive points whose values are all finite.
fn runs<const N: usize>(pts: impl Iterator<Item = (f64, [f64; N])>) -> Vec<Vec<(f64, [f64; N])>> {
    let mut out = vec![Vec::new()];
    for p in pts {
        if p.1.iter().all(|v| v.is_finite()) {
            out.last_mut().expect("nonempty").push(p);
        } else if !out.last().expect("nonempty").is_empty() {
            out.push(Vec::new());
        }
    }
    out.retain(|r| !r.is_empty());
    out
}

/// Centred tick labels at pixel positions `ticks` below `y`, skipping any that would overlap
/// the previous one drawn.
fn x_ticks<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    ticks: &[(i32, String)],
    y: i32,
    mark: bool,
) -> Result<()> {
    let mut right = i32::MIN;
    for (x, label) in ticks {
        if mark {
            area.draw(&PathElement::new([(*x, y), (*x, y + 5)], BLACK))
                .map_err(fail)?;
        }
        let w = text_w(area, label, 14.0);
        if x - w / 2 > right + 6 {
            text(area, label, font(14.0), (*x, y + 8), TOP)?;
            right = x + w / 2;
        }
    }
    Ok(())
}

/// The x–y chart that the learning curves and the error bars share: axis descriptions, data
/// ranges, layout, and the mesh style (light grey major grid lines, 14 px tick labels, y tick
/// labels with as many decimals as the span needs).
struct Plane<'a> {
    /// Axis descriptions (the title is drawn by [`frame`]).
    labels: Labels<'a>,
    /// x axis range.
    x: (f64, f64),
    /// y axis range.
    y: (f64, f64),
    /// Height of the area below the plot for x tick labels and description, in pixels.
    x_label_area: u32,
    /// Right margin in pixels (the other three are 12).
    margin_right: u32,
    /// `Some(n)`: at most `n` x tick labels, whole numbers only (epochs); `None`: no x grid
    /// lines and no x tick labels (the figure draws its own ticks).
    x_ticks: Option<usize>,
}

impl Plane<'_> {
    /// Builds the chart in `area` and draws its mesh and axes.
    fn draw<'b, DB: DrawingBackend>(
        &self,
        area: &'b DrawingArea<DB, Shift>,
    ) -> Result<Chart<'b, DB>> {
        let yd = decimals(self.y.1 - self.y.0);
        self.draw_with(area, &|y: &f64| format!("{y:.yd$}"))
    }

    /// [`Plane::draw`] with the y tick labels written by `y_label` (e.g. `10^y` on a log axis).
    fn draw_with<'b, DB: DrawingBackend>(
        &self,
        area: &'b DrawingArea<DB, Shift>,
        y_label: &dyn Fn(&f64) -> String,
    ) -> Result<Chart<'b, DB>> {
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .margin_right(self.margin_right)
            .x_label_area_size(self.x_label_area)
            .y_label_area_size(72)
            .build_cartesian_2d(self.x.0..self.x.1, self.y.0..self.y.1)
            .map_err(fail)?;
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(self.labels.x)
            .y_desc(self.labels.y)
            .label_style(font(14.0))
            .axis_desc_style(font(16.0))
            .light_line_style(WHITE)
            .bold_line_style(LIGHT)
            .y_label_formatter(y_label);
        match self.x_ticks {
            Some(n) => mesh.x_labels(n).x_label_formatter(&whole),
            None => mesh.disable_x_mesh().x_labels(0),
        };
        mesh.draw().map_err(fail)?;
        Ok(chart)
    }
}

/// `x` as a tick label if it is a whole number, else no label.
fn whole(x: &f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        String::new()
    }
}

/// Test helpers shared by the figure tests.
#[cfg(test)]
mod tests {
    use super::paths;
    use std::path::Path;

    fn read(stem: &Path) -> (Vec<u8>, String) {
        let (png, svg) = paths(stem).unwrap();
        (
            std::fs::read(png).unwrap(),
            std::fs::read_to_string(svg).unwrap(),
        )
    }

    /// Both files exist, the PNG is one, and the SVG contains `title` and `label`.
    pub(super) fn check(stem: &Path, title: &str, label: &str) {
        let (png, svg) = read(stem);
        assert!(png.len() > 1000);
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert!(svg.contains("<svg"));
        assert!(svg.contains(title), "title missing");
        assert!(svg.contains(label), "label {label} missing");
    }
}
