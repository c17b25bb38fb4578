//! Figure rendering for reports: learning curves with CI bands, error bars against a
//! hyperparameter, and annotated heatmaps. Every figure is written twice, as `<stem>.png`
//! (900×600) and `<stem>.svg`.
//!
//! Text is rendered with the DejaVu Sans font compiled into the binary (crate `dejavu`,
//! registered with plotters' `ab_glyph` support), so PNGs render identically on machines
//! without system fonts. Colours are the Okabe–Ito palette (lines, markers) and viridis
//! (heatmap), both colour-blind safe. Values are drawn as given — no rescaling.

use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, register_font};
use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A learning curve: mean over seeds per epoch with a 95% CI band.
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

const SIZE: (u32, u32) = (900, 600);
const FONT: &str = "sans-serif";
/// Okabe–Ito, reordered so the low-contrast yellow on white comes last.
const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0x00, 0x00, 0x00),
    RGBColor(0xF0, 0xE4, 0x42),
];
/// viridis sampled at 0, 0.1, …, 1.
const VIRIDIS: [(u8, u8, u8); 11] = [
    (0x44, 0x01, 0x54),
    (0x48, 0x24, 0x75),
    (0x41, 0x44, 0x87),
    (0x35, 0x5F, 0x8D),
    (0x2A, 0x78, 0x8E),
    (0x21, 0x91, 0x8C),
    (0x22, 0xA8, 0x84),
    (0x44, 0xBF, 0x70),
    (0x7A, 0xD1, 0x51),
    (0xBD, 0xDF, 0x26),
    (0xFD, 0xE7, 0x25),
];
const MID: (HPos, VPos) = (HPos::Center, VPos::Center);
const TOP: (HPos, VPos) = (HPos::Center, VPos::Top);
const LEFT: (HPos, VPos) = (HPos::Left, VPos::Center);
const RIGHT: (HPos, VPos) = (HPos::Right, VPos::Center);
const GREY: RGBColor = RGBColor(0x55, 0x55, 0x55);
const LIGHT: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);

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

/// Draws the figure with `$draw(&root, args…)` on a PNG and on an SVG backend.
macro_rules! render {
    ($stem:expr, $draw:ident($($arg:expr),*)) => {{
        fonts()?;
        let (png, svg) = paths($stem)?;
        let ctx = |p: &Path, e: Error| Error::Other(format!("could not write '{}': {e}", p.display()));
        {
            let root = BitMapBackend::new(&png, SIZE).into_drawing_area();
            $draw(&root, $($arg),*).map_err(|e| ctx(&png, e))?;
            root.present().map_err(|e| ctx(&png, fail(e)))?;
        }
        let root = SVGBackend::new(&svg, SIZE).into_drawing_area();
        $draw(&root, $($arg),*).map_err(|e| ctx(&svg, e))?;
        root.present().map_err(|e| ctx(&svg, fail(e)))
    }};
}

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

/// White background and the title (shrunk to fit the width); returns the area below it.
fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>> {
    root.fill(&WHITE).map_err(fail)?;
    let mut size = 22.0;
    while size > 11.0 && text_w(root, title, size) > SIZE.0 as i32 - 30 {
        size -= 1.0;
    }
    root.margin(6, 0, 0, 0)
        .titled(title, font(size))
        .map_err(fail)
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

/// Learning curves (e.g. validation accuracy vs epoch, one curve per configuration), mean line
/// with a translucent CI band each. Writes `<stem>.png` and `<stem>.svg`.
pub fn learning_curves(stem: &Path, title: &str, y_label: &str, curves: &[Curve]) -> Result<()> {
    render!(stem, draw_curves(title, y_label, curves))
}

fn draw_curves<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    y_label: &str,
    curves: &[Curve],
) -> Result<()> {
    let area = frame(root, title)?;
    // Legend outside the plot, on the right, as wide as the labels need (at most a third).
    let max_label = SIZE.0 as i32 / 3 - 60;
    let labels: Vec<String> = curves
        .iter()
        .map(|c| match c.mean.iter().any(|v| v.is_finite()) {
            true => fit(root, &c.label, 14.0, max_label),
            false => fit(root, &c.label, 14.0, max_label - 70) + " (no data)",
        })
        .collect();
    let legend_w = labels
        .iter()
        .map(|l| text_w(root, l, 14.0) + 60)
        .max()
        .unwrap_or(0);
    let (plot, legend) = area.split_horizontally(SIZE.0 as i32 - legend_w);
    let pts: Vec<Vec<(f64, [f64; 3])>> = curves
        .iter()
        .map(|c| {
            let n = c
                .epochs
                .len()
                .min(c.mean.len())
                .min(c.lo.len())
                .min(c.hi.len());
            (0..n)
                .map(|i| (c.epochs[i] as f64, [c.mean[i], c.lo[i], c.hi[i]]))
                .collect()
        })
        .collect();
    let finite = || {
        pts.iter()
            .flatten()
            .filter(|p| p.1.iter().any(|v| v.is_finite()))
    };
    // Epoch axis spans exactly the data (one epoch either side for a single epoch).
    let (x0, x1) = finite().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
        (a.min(p.0), b.max(p.0))
    });
    let (x0, x1) = match (x0, x1) {
        (a, b) if a > b => (1.0, 10.0),
        (a, b) if a == b => (a - 1.0, b + 1.0),
        ab => ab,
    };
    let (y0, y1, any) = range(finite().flat_map(|p| p.1), (0.0, 1.0));
    let mut chart = ChartBuilder::on(&plot)
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(fail)?;
    let yd = decimals(y1 - y0);
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc(y_label)
        .label_style(font(14.0))
        .axis_desc_style(font(16.0))
        .light_line_style(WHITE)
        .bold_line_style(LIGHT)
        .x_labels(((x1 - x0) as usize + 1).min(11))
        .x_label_formatter(&|x| {
            if x.fract() == 0.0 {
                format!("{x:.0}")
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|y| format!("{y:.yd$}"))
        .draw()
        .map_err(fail)?;
    let colour = |i: usize| PALETTE[i % PALETTE.len()];
    // Beyond eight curves the colours repeat: every other round of the palette is dashed.
    let dashed = |i: usize| (i / PALETTE.len()) % 2 == 1;
    // Longest curves first, so shorter ones stay visible on top of them.
    let mut order: Vec<usize> = (0..pts.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(pts[i].len()));
    for (i, p) in order.iter().map(|&i| (i, &pts[i])) {
        for run in runs(p.iter().map(|(x, v)| (*x, [v[1], v[2]])))
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
    for (i, p) in order.iter().map(|&i| (i, &pts[i])) {
        for run in runs(p.iter().map(|(x, v)| (*x, [v[0]]))) {
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
    if !any {
        no_data(root, chart.plotting_area().get_pixel_range())?;
    }
    // Legend entries, in pixels relative to the legend strip; tighter if there are many.
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
        text(&legend, label, font(14.0), (lx + 38, y), LEFT)?;
    }
    Ok(())
}

/// Mean with CI error bars against a numeric x (log-scale x if `log_x`, e.g. learning rate or
/// batch size); tick labels from `Bar::label`. Writes png + svg.
pub fn error_bars(
    stem: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    log_x: bool,
    bars: &[Bar],
) -> Result<()> {
    render!(stem, draw_bars(title, x_label, y_label, log_x, bars))
}

fn draw_bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    log_x: bool,
    bars: &[Bar],
) -> Result<()> {
    let area = frame(root, title)?;
    // Log axes are linear axes over log10(x), labelled with the bars' own labels; bars
    // without a usable x (NaN, or <= 0 on a log axis) are left out, bars without values keep
    // their tick.
    let tx = |x: f64| if log_x { x.log10() } else { x };
    let mut bars: Vec<&Bar> = bars.iter().filter(|b| tx(b.x).is_finite()).collect();
    bars.sort_by(|a, b| a.x.total_cmp(&b.x));
    let (x0, x1, _) = range(bars.iter().map(|b| tx(b.x)), (0.0, 1.0));
    let pad = if x1 - x0 < 0.01 {
        0.5
    } else {
        0.04 * (x1 - x0)
    };
    let (x0, x1) = (x0 - pad, x1 + pad);
    let (y0, y1, any) = range(bars.iter().flat_map(|b| [b.mean, b.lo, b.hi]), (0.0, 1.0));
    let mut chart = ChartBuilder::on(&area)
        .margin(12)
        .margin_right(30)
        .x_label_area_size(56)
        .y_label_area_size(72)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(fail)?;
    let yd = decimals(y1 - y0);
    chart
        .configure_mesh()
        .x_desc(if log_x {
            format!("{x_label} (log scale)")
        } else {
            x_label.to_string()
        })
        .y_desc(y_label)
        .label_style(font(14.0))
        .axis_desc_style(font(16.0))
        .light_line_style(WHITE)
        .bold_line_style(LIGHT)
        .disable_x_mesh()
        .x_labels(0)
        .y_label_formatter(&|y| format!("{y:.yd$}"))
        .draw()
        .map_err(fail)?;
    let c = PALETTE[0];
    for b in &bars {
        chart
            .draw_series(LineSeries::new([(tx(b.x), y0), (tx(b.x), y1)], LIGHT))
            .map_err(fail)?;
    }
    for run in runs(bars.iter().map(|b| (tx(b.x), [b.mean]))) {
        chart
            .draw_series(LineSeries::new(
                run.iter().map(|(x, v)| (*x, v[0])),
                c.mix(0.35).stroke_width(1),
            ))
            .map_err(fail)?;
    }
    for b in &bars {
        let (x, m) = (tx(b.x), b.mean);
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
    let y_px = chart.backend_coord(&(x0, y0)).1;
    let ticks: Vec<(i32, String)> = bars
        .iter()
        .map(|b| (chart.backend_coord(&(tx(b.x), y0)).0, b.label.clone()))
        .collect();
    x_ticks(root, &ticks, y_px, true)?;
    if any {
        let note = "marker: mean   bar: confidence interval";
        text(
            root,
            note,
            font(12.0).color(&GREY),
            (SIZE.0 as i32 - 8, SIZE.1 as i32 - 6),
            (HPos::Right, VPos::Bottom),
        )?;
    } else {
        no_data(root, chart.plotting_area().get_pixel_range())?;
    }
    Ok(())
}

/// viridis at `t` in 0..=1.
fn viridis(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0) * (VIRIDIS.len() - 1) as f64;
    let (i, f) = (
        (t.floor() as usize).min(VIRIDIS.len() - 2),
        t - t.floor().min((VIRIDIS.len() - 2) as f64),
    );
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |p: u8, q: u8| (p as f64 + (q as f64 - p as f64) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Black or white, whichever contrasts more with `bg` (WCAG relative luminance).
fn text_on(bg: RGBColor) -> RGBColor {
    let lin = |c: u8| {
        let c = c as f64 / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let l = 0.2126 * lin(bg.0) + 0.7152 * lin(bg.1) + 0.0722 * lin(bg.2);
    if l > 0.179 { BLACK } else { WHITE }
}

/// Annotated heatmap: `cells[row][col]` (None = missing, drawn hatched/grey), rows labelled
/// `row_labels` (y axis, first row on top), columns `col_labels` (x axis); each cell shows its
/// value as text formatted by `fmt`. Colours are viridis scaled to the data's min..max, with a
/// colour bar on the right. Writes png + svg.
#[allow(clippy::too_many_arguments)]
pub fn heatmap(
    stem: &Path,
    title: &str,
    x_label: &str,
    col_labels: &[String],
    y_label: &str,
    row_labels: &[String],
    cells: &[Vec<Option<f64>>],
    fmt: &dyn Fn(f64) -> String,
) -> Result<()> {
    render!(
        stem,
        draw_heatmap(title, x_label, col_labels, y_label, row_labels, cells, fmt)
    )
}

#[allow(clippy::too_many_arguments)]
fn draw_heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    col_labels: &[String],
    y_label: &str,
    row_labels: &[String],
    cells: &[Vec<Option<f64>>],
    fmt: &dyn Fn(f64) -> String,
) -> Result<()> {
    let area = frame(root, title)?;
    let rows = row_labels.len().max(cells.len());
    let cols = col_labels
        .len()
        .max(cells.iter().map(Vec::len).max().unwrap_or(0));
    let cell = |r: usize, c: usize| {
        cells
            .get(r)
            .and_then(|row| row.get(c))
            .copied()
            .flatten()
            .filter(|v| v.is_finite())
    };
    let all = || (0..rows).flat_map(move |r| (0..cols).filter_map(move |c| cell(r, c)));
    let (vmin, vmax) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let norm = |v: f64| {
        if vmax > vmin {
            (v - vmin) / (vmax - vmin)
        } else {
            0.5
        }
    };
    let label_w = row_labels
        .iter()
        .map(|l| text_w(root, l, 14.0))
        .max()
        .unwrap_or(0)
        .min(220);
    let (plot, bar_area) = area.split_horizontally(SIZE.0 as i32 - 110);
    let mut chart = ChartBuilder::on(&plot)
        .margin(12)
        .x_label_area_size(56)
        .y_label_area_size(label_w + 46)
        .build_cartesian_2d(0.0..cols.max(1) as f64, 0.0..rows.max(1) as f64)
        .map_err(fail)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .axis_style(WHITE)
        .x_labels(0)
        .y_labels(0)
        .x_desc(x_label)
        .y_desc(y_label)
        .axis_desc_style(font(16.0))
        .draw()
        .map_err(fail)?;
    let pa = chart.plotting_area();
    let px = |x: f64, y: f64| chart.backend_coord(&(x, y));
    let cell_w = px(1.0, 0.0).0 - px(0.0, 0.0).0;
    let cell_h = px(0.0, 0.0).1 - px(0.0, 1.0).1;
    let texts: Vec<String> = (0..rows * cols)
        .map(|i| cell(i / cols, i % cols).map_or("n/a".into(), fmt))
        .collect();
    let mut size = (cell_h as f64 * 0.4).min(18.0);
    while size > 8.0 && texts.iter().any(|t| text_w(root, t, size) > cell_w - 8) {
        size -= 1.0;
    }
    for r in 0..rows {
        let y = (rows - 1 - r) as f64; // first row on top
        for c in 0..cols {
            let (x, v) = (c as f64, cell(r, c));
            let bg = v.map_or(LIGHT, |v| viridis(norm(v)));
            pa.draw(&Rectangle::new([(x, y), (x + 1.0, y + 1.0)], bg.filled()))
                .map_err(fail)?;
            if v.is_none() {
                for k in (1..10).map(|k| k as f64 / 5.0 - 1.0) {
                    let (a, b) = if k >= 0.0 {
                        ((k, 0.0), (1.0, 1.0 - k))
                    } else {
                        ((0.0, -k), (1.0 + k, 1.0))
                    };
                    let hatch = [(x + a.0, y + a.1), (x + b.0, y + b.1)];
                    pa.draw(&PathElement::new(hatch, RGBColor(0xB0, 0xB0, 0xB0)))
                        .map_err(fail)?;
                }
            }
            pa.draw(&Rectangle::new(
                [(x, y), (x + 1.0, y + 1.0)],
                WHITE.stroke_width(2),
            ))
            .map_err(fail)?;
            let colour = if v.is_some() { text_on(bg) } else { GREY };
            text(
                root,
                &texts[r * cols + c],
                font(size).color(&colour),
                px(x + 0.5, y + 0.5),
                MID,
            )?;
        }
    }
    let ticks: Vec<(i32, String)> = (0..cols)
        .map(|c| {
            (
                px(c as f64 + 0.5, 0.0).0,
                col_labels.get(c).cloned().unwrap_or_default(),
            )
        })
        .collect();
    x_ticks(root, &ticks, px(0.0, 0.0).1, false)?;
    for r in 0..rows {
        let (x, y) = px(0.0, (rows - 1 - r) as f64 + 0.5);
        let label = fit(
            root,
            row_labels.get(r).map_or("", String::as_str),
            14.0,
            label_w,
        );
        text(root, &label, font(14.0), (x - 8, y), RIGHT)?;
    }
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    if vmin > vmax {
        if rows * cols == 0 {
            no_data(root, (xr, yr))?;
        }
        return Ok(());
    }
    // Colour bar (64 bands), aligned with the plotting area.
    let (bx, h) = (bar_area.get_base_pixel().0 + 10, yr.end - yr.start);
    let band_y = |i: i32| yr.end - h * i / 64;
    for i in 0..64 {
        let band = [(bx, band_y(i + 1)), (bx + 20, band_y(i))];
        let col = viridis((i as f64 + 0.5) / 64.0);
        root.draw(&Rectangle::new(band, col.filled()))
            .map_err(fail)?;
    }
    root.draw(&Rectangle::new([(bx, yr.start), (bx + 20, yr.end)], BLACK))
        .map_err(fail)?;
    let ticks: Vec<(f64, f64)> = match vmax > vmin {
        true => (0..=4)
            .map(|k| (k as f64 / 4.0, vmin + k as f64 / 4.0 * (vmax - vmin)))
            .collect(),
        false => vec![(0.5, vmin)],
    };
    for (t, v) in ticks {
        let y = yr.end - (t * h as f64) as i32;
        root.draw(&PathElement::new([(bx + 20, y), (bx + 25, y)], BLACK))
            .map_err(fail)?;
        text(root, &fmt(v), font(13.0), (bx + 28, y), LEFT)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(stem: &Path) -> (Vec<u8>, String) {
        let (png, svg) = paths(stem).unwrap();
        (
            std::fs::read(png).unwrap(),
            std::fs::read_to_string(svg).unwrap(),
        )
    }

    fn check(stem: &Path, title: &str, label: &str) {
        let (png, svg) = read(stem);
        assert!(png.len() > 1000);
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert!(svg.contains("<svg"));
        assert!(svg.contains(title), "title missing");
        assert!(svg.contains(label), "label {label} missing");
    }

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

    #[test]
    fn learning_curves_write_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let stem = dir.path().join("sub/val_acc_BS");
        let curves = [
            curve("batch_size=64", 20, 0.6),
            curve("batch_size=256", 100, 0.55),
        ];
        learning_curves(
            &stem,
            "validation accuracy per epoch",
            "validation accuracy",
            &curves,
        )
        .unwrap();
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
        learning_curves(&stem, "nan curves", "accuracy", &[gappy, dead.clone(), one]).unwrap();
        check(&stem, "nan curves", "all-nan");
        let stem = dir.path().join("dead");
        learning_curves(&stem, "only nan", "accuracy", &[dead]).unwrap();
        check(&stem, "only nan", "no data");
        let stem = dir.path().join("empty");
        learning_curves(&stem, "nothing", "accuracy", &[]).unwrap();
        check(&stem, "nothing", "no data");
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
        error_bars(
            &stem,
            "test accuracy vs lr",
            "lr",
            "test accuracy",
            true,
            &bars,
        )
        .unwrap();
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
        error_bars(&stem, "linear", "x", "y", false, &odd).unwrap();
        check(&stem, "linear", "zero");
        let stem = dir.path().join("empty");
        error_bars(&stem, "no bars", "x", "y", true, &[]).unwrap();
        check(&stem, "no bars", "no data");
        error_bars(&stem, "bad log", "x", "y", true, &odd[3..]).unwrap();
        check(&stem, "bad log", "no data");
    }

    #[test]
    fn heatmap_with_missing_cells() {
        let dir = tempfile::tempdir().unwrap();
        let cols: Vec<String> = ["32", "64", "128"].map(String::from).to_vec();
        let rows: Vec<String> = ["0.01", "0.001"].map(String::from).to_vec();
        let cells = vec![
            vec![Some(0.71), None, Some(0.69)],
            vec![Some(0.65), Some(f64::NAN)],
        ];
        let stem = dir.path().join("heat");
        let fmt = |v: f64| format!("{:.1}%", 100.0 * v);
        heatmap(
            &stem,
            "val acc heatmap",
            "batch size",
            &cols,
            "learning rate",
            &rows,
            &cells,
            &fmt,
        )
        .unwrap();
        check(&stem, "val acc heatmap", "71.0%");
        check(&stem, "val acc heatmap", "n/a");
        let stem = dir.path().join("none");
        heatmap(&stem, "empty heat", "x", &[], "y", &[], &[], &fmt).unwrap();
        check(&stem, "empty heat", "no data");
        heatmap(&stem, "all missing", "x", &cols, "y", &rows, &[], &fmt).unwrap();
        check(&stem, "all missing", "n/a");
        let one = vec![vec![Some(0.5)]];
        heatmap(
            &stem,
            "one cell",
            "x",
            &cols[..1],
            "y",
            &rows[..1],
            &one,
            &fmt,
        )
        .unwrap();
        check(&stem, "one cell", "50.0%");
    }
}
