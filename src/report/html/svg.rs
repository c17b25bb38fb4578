//! Inline SVG charts for the HTML pages: lines with CI bands or whiskers (learning curves,
//! baseline histories), points with CI whiskers (a metric against a hyperparameter), and an
//! annotated heatmap.
//!
//! The charts only draw: every number and every hover text comes from the caller (the
//! report's figure definitions ([`crate::report::figure`]), a baseline's
//! estimates). Each hoverable mark carries its text in an SVG `<title>` — the browser's own
//! tooltip without JavaScript; the page's script turns it into a styled tooltip. Marks of
//! one configuration share a `data-cfg` key, which the page script uses to link a table row
//! with its curves.
//!
//! Colours: [`crate::report::style`], as the PNG figures (Okabe–Ito for series, viridis and
//! its text-contrast rule for the heatmap).

use super::page::{attr, escape};
pub use crate::report::figure::Point;
use crate::report::style;
use std::fmt::Write;

/// Dash patterns that tell apart series sharing a palette colour (9th series onwards).
const DASHES: [&str; 3] = ["", "6 3", "2 3"];

/// The colour and dash pattern of the `i`-th series.
pub fn style_of(i: usize) -> (String, &'static str) {
    let (r, g, b) = style::series_colour(i);
    (
        format!("#{r:02X}{g:02X}{b:02X}"),
        DASHES[(i / style::PALETTE.len()) % DASHES.len()],
    )
}

/// How data values map onto an axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    /// Linear between `lo` and `hi`.
    Linear {
        /// Value at the start of the axis.
        lo: f64,
        /// Value at the end of the axis.
        hi: f64,
    },
    /// Logarithmic between `lo` and `hi` (both > 0).
    Log {
        /// Value at the start of the axis.
        lo: f64,
        /// Value at the end of the axis.
        hi: f64,
    },
}

impl Scale {
    /// Where `v` lies along the axis, 0 at the start and 1 at the end.
    pub fn frac(&self, v: f64) -> f64 {
        match *self {
            Scale::Linear { lo, hi } => (v - lo) / (hi - lo),
            Scale::Log { lo, hi } => (v.ln() - lo.ln()) / (hi.ln() - lo.ln()),
        }
    }

    /// A scale covering `values` (finite ones) with a margin on both sides; `log` when every
    /// value is positive and a log axis was asked for.
    pub fn covering(values: impl IntoIterator<Item = f64>, log: bool) -> Scale {
        let v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
        let (min, max) = v
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                (a.min(x), b.max(x))
            });
        if v.is_empty() {
            return Scale::Linear { lo: 0.0, hi: 1.0 };
        }
        if log && min > 0.0 {
            let (a, b) = (min.ln(), max.ln());
            let pad = if b > a { 0.08 * (b - a) } else { 0.5 };
            return Scale::Log {
                lo: (a - pad).exp(),
                hi: (b + pad).exp(),
            };
        }
        let pad = if max > min {
            0.06 * (max - min)
        } else if min != 0.0 {
            0.05 * min.abs()
        } else {
            1.0
        };
        Scale::Linear {
            lo: min - pad,
            hi: max + pad,
        }
    }

    fn bounds(&self) -> (f64, f64) {
        match *self {
            Scale::Linear { lo, hi } | Scale::Log { lo, hi } => (lo, hi),
        }
    }
}

/// Round tick positions (1, 2 or 5 × 10^k apart) inside `[lo, hi]`, about `n` of them,
/// with the step.
pub fn nice_ticks(lo: f64, hi: f64, n: usize) -> (Vec<f64>, f64) {
    if hi <= lo || !lo.is_finite() || !hi.is_finite() {
        return (vec![lo], 1.0);
    }
    let raw = (hi - lo) / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    let ticks = (first..=last).map(|k| k as f64 * step).collect();
    (ticks, step)
}

/// Tick label for a fraction shown as percent, with as many decimals as the step needs.
pub fn pct_tick(v: f64, step: f64) -> String {
    let d = (-(step * 100.0).log10().floor()).max(0.0) as usize;
    format!("{:.d$}%", 100.0 * v)
}

/// Tick label for a plain number, with as many decimals as the step needs.
pub fn num_tick(v: f64, step: f64) -> String {
    let d = (-step.log10().floor()).max(0.0) as usize;
    format!("{v:.d$}")
}

/// Tick label for seconds, in the unit the value calls for, with the decimals the step
/// needs (`2.5 ms`, `174.5 ms`).
pub fn secs_tick(v: f64, step: f64) -> String {
    let (scale, unit) = match v.abs().max(step.abs()) {
        s if s >= 1.0 => (1.0, "s"),
        s if s >= 1e-3 => (1e3, "ms"),
        s if s >= 1e-6 => (1e6, "µs"),
        _ => (1e9, "ns"),
    };
    let d = (-(step * scale).log10().floor()).max(0.0) as usize;
    format!("{:.d$} {unit}", v * scale)
}

/// A named series of points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// Link key shared with the table row of the same configuration (`data-cfg`); empty for
    /// none.
    pub key: String,
    /// Colour index into [`style::PALETTE`] (with dashes beyond it).
    pub style: usize,
    /// The points, in x order.
    pub points: Vec<Point>,
}

/// What is drawn for each series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marks {
    /// A line through the means.
    pub line: bool,
    /// A shaded band between the interval ends.
    pub band: bool,
    /// A whisker from `lo` to `hi` at every point.
    pub whiskers: bool,
    /// A legend below the chart (its entries link to the series' table rows).
    pub legend: bool,
}

/// The x axis: its description, scale and labelled ticks.
#[derive(Debug, Clone, PartialEq)]
pub struct XAxis {
    /// Axis description.
    pub label: String,
    /// Log scale (only used when every x is positive).
    pub log: bool,
    /// The x values are category indices 0, 1, … (half a category of room at both ends).
    pub categorical: bool,
    /// Ticks at given positions with given labels; empty: round numbers.
    pub ticks: Vec<(f64, String)>,
}

/// The y axis: its description and how its ticks are written.
#[derive(Debug, Clone, Copy)]
pub struct YAxis<'a> {
    /// Axis description.
    pub label: &'a str,
    /// Tick label for a value, given the tick step.
    pub tick: fn(f64, f64) -> String,
}

/// A chart of series against x.
#[derive(Debug, Clone)]
pub struct Chart<'a> {
    /// Element id of the figure (`fig-<id>`), the target of links.
    pub id: &'a str,
    /// Caption.
    pub title: &'a str,
    /// The x axis.
    pub x: XAxis,
    /// The y axis.
    pub y: YAxis<'a>,
    /// The series.
    pub series: &'a [Series],
    /// What to draw.
    pub marks: Marks,
    /// Size of the drawing in SVG units (it scales with the page).
    pub size: (f64, f64),
    /// Extra CSS class of the figure (`small` for the history's small multiples).
    pub class: &'a str,
}

/// The plot area inside a chart, with the scales.
struct Frame {
    w: f64,
    h: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    x: Scale,
    y: Scale,
}

impl Frame {
    fn px(&self, x: f64) -> f64 {
        self.left + self.x.frac(x) * (self.w - self.left - self.right)
    }
    fn py(&self, y: f64) -> f64 {
        self.top + (1.0 - self.y.frac(y)) * (self.h - self.top - self.bottom)
    }

    /// Grid, ticks, tick labels and axis descriptions.
    fn axes(
        &self,
        out: &mut String,
        xticks: &[(f64, String)],
        y: &YAxis,
        x_label: &str,
        labels: bool,
    ) {
        let (ylo, yhi) = self.y.bounds();
        let (yt, ystep) = nice_ticks(ylo, yhi, 6);
        let (x0, x1) = (self.left, self.w - self.right);
        let (y0, y1) = (self.top, self.h - self.bottom);
        out.push_str("<g class=\"axes\">");
        for v in &yt {
            let py = self.py(*v);
            let _ = write!(
                out,
                "<line class=\"grid\" x1=\"{x0:.1}\" x2=\"{x1:.1}\" y1=\"{py:.1}\" y2=\"{py:.1}\"/>\
                 <text class=\"tick\" x=\"{:.1}\" y=\"{py:.1}\" text-anchor=\"end\" dy=\"0.32em\">{}</text>",
                x0 - 6.0,
                escape(&(y.tick)(*v, ystep))
            );
        }
        let _ = write!(
            out,
            "<line class=\"axis\" x1=\"{x0:.1}\" x2=\"{x0:.1}\" y1=\"{y0:.1}\" y2=\"{y1:.1}\"/>\
             <line class=\"axis\" x1=\"{x0:.1}\" x2=\"{x1:.1}\" y1=\"{y1:.1}\" y2=\"{y1:.1}\"/>"
        );
        for (v, label) in xticks {
            let px = self.px(*v);
            let _ = write!(
                out,
                "<line class=\"axis\" x1=\"{px:.1}\" x2=\"{px:.1}\" y1=\"{y1:.1}\" y2=\"{:.1}\"/>\
                 <text class=\"tick\" x=\"{px:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                y1 + 4.0,
                y1 + 17.0,
                escape(label)
            );
        }
        if !labels {
            out.push_str("</g>");
            return;
        }
        let _ = write!(
            out,
            "<text class=\"label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
             <text class=\"label\" transform=\"translate(14 {:.1}) rotate(-90)\" text-anchor=\"middle\">{}</text></g>",
            (x0 + x1) / 2.0,
            self.h - 6.0,
            escape(x_label),
            (y0 + y1) / 2.0,
            escape(y.label)
        );
    }
}

/// Round x ticks over the scale, or the axis' own; at most `max` labels (evenly thinned).
fn x_ticks(
    axis: &XAxis,
    scale: Scale,
    y: fn(f64, f64) -> String,
    max: usize,
) -> Vec<(f64, String)> {
    let ticks: Vec<(f64, String)> = if axis.ticks.is_empty() {
        let (lo, hi) = scale.bounds();
        let (t, step) = nice_ticks(lo, hi, 6);
        t.into_iter().map(|v| (v, y(v, step))).collect()
    } else {
        axis.ticks.clone()
    };
    if ticks.len() <= max {
        return ticks;
    }
    let every = ticks.len().div_ceil(max);
    let last = ticks.len() - 1;
    ticks
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0 || *i == last)
        .map(|(_, t)| t)
        .collect()
}

/// Consecutive runs of points with a finite mean (a NaN breaks the line).
fn runs(points: &[Point]) -> Vec<&[Point]> {
    points
        .split(|p| !p.mean.is_finite())
        .filter(|r| !r.is_empty())
        .collect()
}

fn legend(out: &mut String, series: &[Series]) {
    out.push_str("<ul class=\"legend\">");
    for s in series {
        let (colour, dash) = style_of(s.style);
        let swatch = format!(
            "<svg class=\"swatch\" viewBox=\"0 0 24 10\" aria-hidden=\"true\"><line x1=\"1\" x2=\"23\" y1=\"5\" y2=\"5\" stroke=\"{colour}\" stroke-width=\"3\" stroke-dasharray=\"{dash}\"/></svg>"
        );
        if s.key.is_empty() {
            let _ = write!(out, "<li>{swatch}{}</li>", escape(&s.label));
        } else {
            let _ = write!(
                out,
                "<li data-cfg=\"{k}\"><a href=\"#row-{k}\" title=\"the table row of {l}\">{swatch}{}</a></li>",
                escape(&s.label),
                k = attr(&s.key),
                l = attr(&s.label)
            );
        }
    }
    out.push_str("</ul>");
}

/// An SVG `<title>` holding a hover text.
fn title(tip: &str) -> String {
    if tip.is_empty() {
        String::new()
    } else {
        format!("<title>{}</title>", escape(tip))
    }
}

/// The x scale of a chart over its points' x values: categories with half a category of
/// room at both ends, points only with half the mean gap, lines covering the values.
fn x_scale(c: &Chart, xs: &[f64], x_log: bool) -> Scale {
    if c.x.categorical {
        let last = xs
            .iter()
            .copied()
            .fold(c.x.ticks.len() as f64 - 1.0, f64::max)
            .max(0.0);
        Scale::Linear {
            lo: -0.5,
            hi: last + 0.5,
        }
    } else if !c.marks.line {
        padded_scale(xs, x_log)
    } else {
        Scale::covering(xs.iter().copied(), x_log)
    }
}

/// Points only: half the mean gap between values of room at both ends.
fn padded_scale(xs: &[f64], x_log: bool) -> Scale {
    let mut u: Vec<f64> = xs
        .iter()
        .map(|&x| if x_log { x.ln() } else { x })
        .filter(|x| x.is_finite())
        .collect();
    u.sort_by(f64::total_cmp);
    u.dedup();
    let (a, b) = (
        u.first().copied().unwrap_or(0.0),
        u.last().copied().unwrap_or(1.0),
    );
    let pad = if u.len() > 1 {
        0.5 * (b - a) / (u.len() - 1) as f64
    } else {
        0.5
    };
    if x_log {
        Scale::Log {
            lo: (a - pad).exp(),
            hi: (b + pad).exp(),
        }
    } else {
        Scale::Linear {
            lo: a - pad,
            hi: b + pad,
        }
    }
}

/// The plot area of a chart: margins sized for its y tick labels (narrower when `small`).
fn chart_frame(c: &Chart, xscale: Scale, small: bool) -> Frame {
    let ys = c
        .series
        .iter()
        .flat_map(|s| s.points.iter())
        .flat_map(|p| [p.mean, p.lo, p.hi]);
    let (w, h) = c.size;
    let yscale = Scale::covering(ys, false);
    let (ylo, yhi) = yscale.bounds();
    let (yt, ystep) = nice_ticks(ylo, yhi, 6);
    let widest = yt
        .iter()
        .map(|v| (c.y.tick)(*v, ystep).chars().count())
        .max()
        .unwrap_or(4) as f64;
    Frame {
        w,
        h,
        left: widest * if small { 6.0 } else { 6.6 } + if small { 14.0 } else { 34.0 },
        right: 14.0,
        top: 10.0,
        bottom: if small { 24.0 } else { 44.0 },
        x: xscale,
        y: yscale,
    }
}

/// The band and the line of one run of finite points of a series.
fn run_marks(out: &mut String, frame: &Frame, run: &[Point], marks: Marks, style: usize) {
    let (colour, dash) = style_of(style);
    if marks.band && run.len() > 1 && run.iter().any(|p| p.hi > p.lo) {
        let upper = run
            .iter()
            .map(|p| format!("{:.1},{:.1}", frame.px(p.x), frame.py(p.hi)));
        let lower = run
            .iter()
            .rev()
            .map(|p| format!("{:.1},{:.1}", frame.px(p.x), frame.py(p.lo)));
        let _ = write!(
            out,
            "<polygon class=\"band\" fill=\"{colour}\" points=\"{}\"/>",
            upper.chain(lower).collect::<Vec<_>>().join(" ")
        );
    }
    if marks.line && run.len() > 1 {
        let pts: Vec<String> = run
            .iter()
            .map(|p| format!("{:.1},{:.1}", frame.px(p.x), frame.py(p.mean)))
            .collect();
        let _ = write!(
            out,
            "<polyline class=\"line\" stroke=\"{colour}\" stroke-dasharray=\"{dash}\" points=\"{}\"/>",
            pts.join(" ")
        );
    }
}

/// The whisker (when drawn) and the hoverable dot of one point.
fn point_marks(out: &mut String, frame: &Frame, p: &Point, whiskers: bool, colour: &str) {
    let (px, py) = (frame.px(p.x), frame.py(p.mean));
    if whiskers && p.hi > p.lo {
        let (a, b) = (frame.py(p.lo), frame.py(p.hi));
        let _ = write!(
            out,
            "<path class=\"whisker\" stroke=\"{colour}\" d=\"M{px:.1} {a:.1}V{b:.1}M{:.1} {a:.1}h10M{:.1} {b:.1}h10\"/>",
            px - 5.0,
            px - 5.0
        );
    }
    let class = if p.mark { "pt mark" } else { "pt" };
    let _ = write!(
        out,
        "<circle class=\"{class}\" cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"{}\" fill=\"{colour}\">{}</circle>",
        if p.mark { 5 } else { 4 },
        title(&p.tip)
    );
}

/// One series as an SVG group: bands and lines per run, then a dot per finite point.
fn series_group(out: &mut String, frame: &Frame, s: &Series, marks: Marks) {
    let (colour, _) = style_of(s.style);
    let key = if s.key.is_empty() {
        String::new()
    } else {
        format!(" data-cfg=\"{}\"", attr(&s.key))
    };
    let _ = write!(
        out,
        "<g class=\"series\"{key}><title>{}</title>",
        escape(&s.label)
    );
    for run in runs(&s.points) {
        run_marks(out, frame, run, marks, s.style);
    }
    for p in s.points.iter().filter(|p| p.mean.is_finite()) {
        point_marks(out, frame, p, marks.whiskers, &colour);
    }
    out.push_str("</g>");
}

/// A chart of series as a `<figure>`: caption, inline SVG, legend.
pub fn chart(c: &Chart) -> String {
    let xs: Vec<f64> = c
        .series
        .iter()
        .flat_map(|s| s.points.iter())
        .map(|p| p.x)
        .collect();
    let x_log = c.x.log && xs.iter().all(|x| *x > 0.0);
    let xscale = x_scale(c, &xs, x_log);
    let (w, h) = c.size;
    let small = c.class.split(' ').any(|c| c == "small");
    let frame = chart_frame(c, xscale, small);
    let xt = x_ticks(&c.x, xscale, num_tick, if small { 5 } else { 12 });
    let mut out = String::new();
    let _ = write!(
        out,
        "<figure class=\"chart {}\" id=\"fig-{}\"><figcaption>{}</figcaption>\
         <svg viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\">",
        attr(c.class),
        attr(c.id),
        escape(c.title),
        attr(c.title)
    );
    frame.axes(&mut out, &xt, &c.y, &c.x.label, !small);
    for s in c.series {
        series_group(&mut out, &frame, s, c.marks);
    }
    out.push_str("</svg>");
    if c.marks.legend {
        legend(&mut out, c.series);
    }
    out.push_str("</figure>");
    out
}

/// One cell of a heatmap.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// The value that sets the colour.
    pub value: f64,
    /// The text written in the cell.
    pub text: String,
    /// Hover text.
    pub tip: String,
    /// Link key of the configuration (`data-cfg`).
    pub key: String,
}

/// A grid of cells: rows (top to bottom) × columns.
#[derive(Debug, Clone)]
pub struct Heatmap<'a> {
    /// Element id of the figure (`fig-<id>`).
    pub id: &'a str,
    /// Caption.
    pub title: &'a str,
    /// Column labels (left to right).
    pub cols: &'a [String],
    /// Row labels (top to bottom).
    pub rows: &'a [String],
    /// `cells[row][col]`; `None` is drawn as a missing value.
    pub cells: &'a [Vec<Option<Cell>>],
    /// Description of the columns.
    pub x_label: &'a str,
    /// Description of the rows.
    pub y_label: &'a str,
}

/// An annotated heatmap as a `<figure>`.
pub fn heatmap(m: &Heatmap) -> String {
    let (cw, ch) = (110.0, 48.0);
    let (left, top, bottom) = (90.0, 8.0, 46.0);
    let w = left + cw * m.cols.len() as f64 + 12.0;
    let h = top + ch * m.rows.len() as f64 + bottom;
    let values: Vec<f64> = m
        .cells
        .iter()
        .flatten()
        .flatten()
        .map(|c| c.value)
        .filter(|v| v.is_finite())
        .collect();
    let (min, max) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let mut out = String::new();
    let _ = write!(
        out,
        "<figure class=\"chart heat\" id=\"fig-{}\"><figcaption>{}</figcaption>\
         <svg viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\" style=\"max-width:{w}px\"><g class=\"axes\">",
        attr(m.id),
        escape(m.title),
        attr(m.title)
    );
    for (j, c) in m.cols.iter().enumerate() {
        let _ = write!(
            out,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            left + cw * (j as f64 + 0.5),
            top + ch * m.rows.len() as f64 + 16.0,
            escape(c)
        );
    }
    for (i, r) in m.rows.iter().enumerate() {
        let _ = write!(
            out,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" dy=\"0.32em\">{}</text>",
            left - 6.0,
            top + ch * (i as f64 + 0.5),
            escape(r)
        );
    }
    let _ = write!(
        out,
        "<text class=\"label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
         <text class=\"label\" transform=\"translate(14 {:.1}) rotate(-90)\" text-anchor=\"middle\">{}</text></g>",
        left + cw * m.cols.len() as f64 / 2.0,
        h - 6.0,
        escape(m.x_label),
        top + ch * m.rows.len() as f64 / 2.0,
        escape(m.y_label)
    );
    for (i, row) in m.cells.iter().enumerate() {
        for (j, cell) in row.iter().enumerate() {
            let (x, y) = (left + cw * j as f64, top + ch * i as f64);
            let Some(c) = cell else {
                let _ = write!(
                    out,
                    "<rect class=\"cell none\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{cw}\" height=\"{ch}\"/>\
                     <text class=\"cell-text\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" dy=\"0.32em\">{}</text>",
                    x + cw / 2.0,
                    y + ch / 2.0,
                    crate::format::MISSING
                );
                continue;
            };
            let t = if max > min {
                (c.value - min) / (max - min)
            } else {
                0.5
            };
            let (r, g, b) = style::viridis(t);
            let ink = if style::dark_text_on((r, g, b)) {
                "#111"
            } else {
                "#fff"
            };
            let _ = write!(
                out,
                "<g class=\"cell\" data-cfg=\"{}\"><rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{cw}\" height=\"{ch}\" fill=\"rgb({r},{g},{b})\"/>\
                 <text class=\"cell-text\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" dy=\"0.32em\" style=\"fill:{ink}\">{}</text>{}</g>",
                attr(&c.key),
                x + cw / 2.0,
                y + ch / 2.0,
                escape(&c.text),
                title(&c.tip)
            );
        }
    }
    out.push_str("</svg></figure>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_inside() {
        let (t, step) = nice_ticks(0.31, 0.57, 6);
        assert_eq!(step, 0.05);
        assert_eq!(t.len(), 5);
        assert!((t[0] - 0.35).abs() < 1e-12 && (t[4] - 0.55).abs() < 1e-12);
        assert_eq!(pct_tick(0.35, 0.05), "35%");
        assert_eq!(pct_tick(0.355, 0.005), "35.5%");
        assert_eq!(num_tick(20.0, 10.0), "20");
        assert_eq!(num_tick(0.25, 0.05), "0.25");
        assert_eq!(secs_tick(0.0025, 0.0005), "2.5 ms");
        assert_eq!(secs_tick(2.0, 1.0), "2 s");
        assert_eq!(secs_tick(0.1745, 0.0005), "174.5 ms");
    }

    #[test]
    fn scales_cover_their_values() {
        let s = Scale::covering([32.0, 512.0], true);
        assert!(matches!(s, Scale::Log { .. }));
        assert!(s.frac(32.0) > 0.0 && s.frac(512.0) < 1.0);
        let s = Scale::covering([0.5, 0.5], false);
        assert!(s.frac(0.5) > 0.0 && s.frac(0.5) < 1.0);
    }
}
