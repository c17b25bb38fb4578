//! Annotated heatmaps: a grid of cells coloured by value (viridis) with the value written in
//! each, missing cells hatched grey, and a colour bar on the right.

use super::{
    Chart, GREY, LEFT, LIGHT, Labels, MID, RIGHT, SIZE, fail, fit, font, frame, no_data, render,
    text, text_w, x_ticks,
};
use crate::error::{Error, Result};
use crate::report::style;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::path::Path;

/// What a heatmap shows: its cells, their row and column labels, and how a value is written.
#[derive(Clone, Copy)]
pub struct Grid<'a> {
    /// Column labels (x axis, left to right).
    pub col_labels: &'a [String],
    /// Row labels (y axis, first row on top).
    pub row_labels: &'a [String],
    /// `cells[row][col]`; `None` (or a non-finite value, or a cell beyond a short row) is
    /// missing.
    pub cells: &'a [Vec<Option<f64>>],
    /// Writes a value, in the cells and at the colour bar's ticks.
    pub fmt: &'a dyn Fn(f64) -> String,
}

/// Annotated heatmap of `grid`: rows labelled `row_labels` (y axis, first row on top),
/// columns `col_labels` (x axis); each cell shows its value as text formatted by `fmt`, a
/// missing one is drawn hatched grey with "—". Colours are viridis scaled to the data's
/// min..max, with a colour bar on the right. Writes png + svg.
pub fn heatmap(stem: &Path, labels: &Labels, grid: &Grid) -> Result<()> {
    render!(stem, draw(labels, grid))
}

/// The grid as drawn: its size (the longer of labels and cells) and the range of its values.
struct Scaled<'a> {
    grid: &'a Grid<'a>,
    rows: usize,
    cols: usize,
    /// Smallest finite value (+∞ if there is none).
    vmin: f64,
    /// Largest finite value (−∞ if there is none).
    vmax: f64,
}

impl<'a> Scaled<'a> {
    fn new(grid: &'a Grid<'a>) -> Self {
        let rows = grid.row_labels.len().max(grid.cells.len());
        let cols = grid
            .col_labels
            .len()
            .max(grid.cells.iter().map(Vec::len).max().unwrap_or(0));
        let all = (0..rows).flat_map(|r| (0..cols).filter_map(move |c| value(grid, r, c)));
        let (vmin, vmax) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
        Scaled {
            grid,
            rows,
            cols,
            vmin,
            vmax,
        }
    }

    /// The finite value at row `r`, column `c`, if any.
    fn cell(&self, r: usize, c: usize) -> Option<f64> {
        value(self.grid, r, c)
    }

    /// `v` on 0..=1 over the value range (0.5 if all values are equal).
    fn norm(&self, v: f64) -> f64 {
        if self.vmax > self.vmin {
            (v - self.vmin) / (self.vmax - self.vmin)
        } else {
            0.5
        }
    }
}

/// The finite value of `grid` at row `r`, column `c`, if any.
fn value(grid: &Grid, r: usize, c: usize) -> Option<f64> {
    grid.cells
        .get(r)
        .and_then(|row| row.get(c))
        .copied()
        .flatten()
        .filter(|v| v.is_finite())
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    labels: &Labels,
    grid: &Grid,
) -> Result<()> {
    let area = frame(root, labels.title)?;
    let g = Scaled::new(grid);
    let label_w = grid
        .row_labels
        .iter()
        .map(|l| text_w(root, l, 14.0))
        .max()
        .unwrap_or(0)
        .min(220);
    let (plot, bar_area) = area.split_horizontally(SIZE.0 as i32 - 110);
    let chart = axes(&plot, labels, &g, label_w)?;
    draw_cells(root, &chart, &g)?;
    draw_ticks(root, &chart, &g, label_w)?;
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    if g.vmin > g.vmax {
        if g.rows * g.cols == 0 {
            no_data(root, (xr, yr))?;
        }
        return Ok(());
    }
    colour_bar(root, bar_area.get_base_pixel().0 + 10, yr, &g)
}

/// The chart over one unit per cell, with the axis descriptions and no mesh.
fn axes<'b, DB: DrawingBackend>(
    plot: &'b DrawingArea<DB, Shift>,
    labels: &Labels,
    g: &Scaled,
    label_w: i32,
) -> Result<Chart<'b, DB>> {
    let mut chart = ChartBuilder::on(plot)
        .margin(12)
        .x_label_area_size(56)
        .y_label_area_size(label_w + 46)
        .build_cartesian_2d(0.0..g.cols.max(1) as f64, 0.0..g.rows.max(1) as f64)
        .map_err(fail)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .axis_style(WHITE)
        .x_labels(0)
        .y_labels(0)
        .x_desc(labels.x)
        .y_desc(labels.y)
        .axis_desc_style(font(16.0))
        .draw()
        .map_err(fail)?;
    Ok(chart)
}

/// Every cell: background, hatching if missing, white border, and its value (or "—") in
/// one font size that fits all cells.
fn draw_cells<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart<'_, DB>,
    g: &Scaled,
) -> Result<()> {
    let pa = chart.plotting_area();
    let px = |x: f64, y: f64| chart.backend_coord(&(x, y));
    let cell_w = px(1.0, 0.0).0 - px(0.0, 0.0).0;
    let cell_h = px(0.0, 0.0).1 - px(0.0, 1.0).1;
    let (rows, cols) = (g.rows, g.cols);
    let texts: Vec<String> = (0..rows * cols)
        .map(|i| g.cell(i / cols, i % cols).map_or("—".into(), g.grid.fmt))
        .collect();
    let mut size = (cell_h as f64 * 0.4).min(18.0);
    while size > 8.0 && texts.iter().any(|t| text_w(root, t, size) > cell_w - 8) {
        size -= 1.0;
    }
    for r in 0..rows {
        let y = (rows - 1 - r) as f64; // first row on top
        for c in 0..cols {
            let (x, v) = (c as f64, g.cell(r, c));
            let bg = v.map_or(LIGHT, |v| viridis(g.norm(v)));
            pa.draw(&Rectangle::new([(x, y), (x + 1.0, y + 1.0)], bg.filled()))
                .map_err(fail)?;
            if v.is_none() {
                hatch(pa, (x, y))?;
            }
            pa.draw(&Rectangle::new(
                [(x, y), (x + 1.0, y + 1.0)],
                WHITE.stroke_width(2),
            ))
            .map_err(fail)?;
            let colour = if v.is_some() { text_on(bg) } else { GREY };
            let style = font(size).color(&colour);
            text(root, &texts[r * cols + c], style, px(x + 0.5, y + 0.5), MID)?;
        }
    }
    Ok(())
}

/// Diagonal grey hatching over the unit cell at `(x, y)`.
fn hatch<DB: DrawingBackend>(
    pa: &DrawingArea<DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    (x, y): (f64, f64),
) -> Result<()> {
    for k in (1..10).map(|k| k as f64 / 5.0 - 1.0) {
        let (a, b) = if k >= 0.0 {
            ((k, 0.0), (1.0, 1.0 - k))
        } else {
            ((0.0, -k), (1.0 + k, 1.0))
        };
        let line = [(x + a.0, y + a.1), (x + b.0, y + b.1)];
        pa.draw(&PathElement::new(line, RGBColor(0xB0, 0xB0, 0xB0)))
            .map_err(fail)?;
    }
    Ok(())
}

/// Column labels under the cells and row labels (shortened to `label_w`) left of them.
fn draw_ticks<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart<'_, DB>,
    g: &Scaled,
    label_w: i32,
) -> Result<()> {
    let px = |x: f64, y: f64| chart.backend_coord(&(x, y));
    let ticks: Vec<(i32, String)> = (0..g.cols)
        .map(|c| {
            let label = g.grid.col_labels.get(c).cloned().unwrap_or_default();
            (px(c as f64 + 0.5, 0.0).0, label)
        })
        .collect();
    x_ticks(root, &ticks, px(0.0, 0.0).1, false)?;
    for r in 0..g.rows {
        let (x, y) = px(0.0, (g.rows - 1 - r) as f64 + 0.5);
        let label = g.grid.row_labels.get(r).map_or("", String::as_str);
        let label = fit(root, label, 14.0, label_w);
        text(root, &label, font(14.0), (x - 8, y), RIGHT)?;
    }
    Ok(())
}

/// Colour bar (64 bands) at pixel column `bx`, over the pixel rows `yr` of the plotting area,
/// with five ticks (one if all values are equal).
fn colour_bar<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    bx: i32,
    yr: std::ops::Range<i32>,
    g: &Scaled,
) -> Result<()> {
    let h = yr.end - yr.start;
    let band_y = |i: i32| yr.end - h * i / 64;
    for i in 0..64 {
        let band = [(bx, band_y(i + 1)), (bx + 20, band_y(i))];
        let col = viridis((i as f64 + 0.5) / 64.0);
        root.draw(&Rectangle::new(band, col.filled()))
            .map_err(fail)?;
    }
    root.draw(&Rectangle::new([(bx, yr.start), (bx + 20, yr.end)], BLACK))
        .map_err(fail)?;
    let (vmin, vmax) = (g.vmin, g.vmax);
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
        text(root, &(g.grid.fmt)(v), font(13.0), (bx + 28, y), LEFT)?;
    }
    Ok(())
}

/// viridis at `t` in 0..=1 ([`crate::report::style::viridis`]).
fn viridis(t: f64) -> RGBColor {
    let (r, g, b) = style::viridis(t);
    RGBColor(r, g, b)
}

/// Black or white, whichever contrasts more with `bg` ([`style::dark_text_on`]).
fn text_on(bg: RGBColor) -> RGBColor {
    if style::dark_text_on((bg.0, bg.1, bg.2)) {
        BLACK
    } else {
        WHITE
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::check;
    use super::*;

    fn labels(title: &str) -> Labels<'_> {
        Labels {
            title,
            x: "x",
            y: "y",
        }
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
        let grid = Grid {
            col_labels: &cols,
            row_labels: &rows,
            cells: &cells,
            fmt: &fmt,
        };
        let full = Labels {
            title: "val acc heatmap",
            x: "batch size",
            y: "learning rate",
        };
        heatmap(&stem, &full, &grid).unwrap();
        check(&stem, "val acc heatmap", "71.0%");
        check(&stem, "val acc heatmap", "—");
        let stem = dir.path().join("none");
        let empty = Grid {
            col_labels: &[],
            row_labels: &[],
            cells: &[],
            ..grid
        };
        heatmap(&stem, &labels("empty heat"), &empty).unwrap();
        check(&stem, "empty heat", "no data");
        let missing = Grid { cells: &[], ..grid };
        heatmap(&stem, &labels("all missing"), &missing).unwrap();
        check(&stem, "all missing", "—");
        let one = Grid {
            col_labels: &cols[..1],
            row_labels: &rows[..1],
            cells: &[vec![Some(0.5)]],
            ..grid
        };
        heatmap(&stem, &labels("one cell"), &one).unwrap();
        check(&stem, "one cell", "50.0%");
    }
}
