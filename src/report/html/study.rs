//! `report.html`: a study report in one self-contained file, laid out from the [`Report`]'s
//! model.
//!
//! Top to bottom: the title with the quick/full and synthetic-data labels, the answers (the
//! same sentences as report.md: Lab 1's questions, or one per sweep), the data and method,
//! the provenance of the trials (collapsed), then one section per sweep — a
//! sortable table of every configuration (the model's cells, as in report.md), the
//! comparisons with the sweep's best, and the sweep's figures drawn inline from their
//! definitions ([`crate::report::figure`]; the scaling plot, which this page does not draw,
//! is inlined from the SVG file plotters wrote). Hovering a point shows its mean and CI; a
//! table row and its configuration's marks in the figures highlight together (click a row to
//! keep it highlighted; a legend entry links to its row).
//!
//! Numbers are never computed here: every table cell, hover text and `data-v` sort key is
//! read from the model.

use super::page::{Td, attr, escape, facts, shell, table};
use super::svg::{self, Chart, Marks, Series, XAxis, YAxis};
use crate::report::Report;
use crate::report::figure::{Body, Figure, Unit};
use crate::report::text::{self, Kind, SweepText};
use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Above this many configurations, learning-curve bands show only when highlighted.
const MANY: usize = 6;

/// The link key of configuration `c` of sweep `s` (`data-cfg`, row id `row-<key>`).
fn key(s: usize, c: usize) -> String {
    format!("s{s}c{c}")
}

/// `44.06% [20.84, 67.27]` with the interval on a second, quieter line (same text content);
/// likewise what follows the value of `0.006 (median; epochs 0.005–0.007)` or the colon of
/// `trained together: one shared time`, so that a value column stays narrow.
fn two_lines(text: &str) -> String {
    // The space of the first separator: the line breaks there.
    let at = [" [", " (", " per ", ": "]
        .iter()
        .filter_map(|sep| Some(text.find(sep)? + sep.find(' ')?))
        .min();
    match at {
        Some(i) => format!(
            "{} <span class=\"ci\">{}</span>",
            escape(&text[..i]),
            escape(&text[i + 1..])
        ),
        None => escape(text),
    }
}

/// One model cell as a table cell; `label` is the first cell's HTML (a label with a link).
fn td(c: &text::Cell, label: Option<String>) -> Td {
    match c.kind {
        Kind::Label => Td::html(label.unwrap_or_else(|| escape(&c.text)), c.sort),
        Kind::Number => Td::num(&c.text, c.sort),
        Kind::Value(m) => {
            let mut td = Td::num(&c.text, c.sort);
            td.html = two_lines(&c.text);
            td.with(format!(" data-metric=\"{}\"", m.name()))
        }
        Kind::Difference => {
            let mut td = Td::num(&c.text, c.sort);
            td.html = two_lines(&c.text);
            td
        }
        Kind::Verdict => Td::html(
            format!("<span class=\"verdict-{w}\">{w}</span>", w = c.text),
            c.sort,
        ),
        Kind::Text => Td::text(&c.text),
    }
}

/// A model table's document columns as a sortable table; `row_attrs` gives a row's
/// attributes from its configuration's index, `label` the first cell's HTML.
fn html_table(
    class: &str,
    t: &text::Table,
    row_attrs: impl Fn(usize) -> String,
    label: impl Fn(&text::Cell) -> Option<String>,
) -> String {
    let shown = t.shown(false);
    let headers: Vec<String> = shown.iter().map(|&i| t.columns[i].header.clone()).collect();
    let rows: Vec<(String, Vec<Td>)> = t
        .rows
        .iter()
        .map(|r| {
            let cells = shown
                .iter()
                .map(|&i| {
                    let c = &r.cells[i];
                    td(
                        c,
                        if c.kind == Kind::Label {
                            label(c)
                        } else {
                            None
                        },
                    )
                })
                .collect();
            (row_attrs(r.config), cells)
        })
        .collect();
    table(class, &headers, &rows)
}

/// The configurations table and the comparisons of test accuracy with the sweep's best.
fn sweep_tables(si: usize, report: &Report, s: &SweepText) -> String {
    let configs = &report.sweeps[si].view.configs;
    let id = |ci: usize| configs.get(ci).map(|c| c.config_id.as_str()).unwrap_or("");
    let curves = report
        .figures
        .iter()
        .find(|f| f.sweep == si && f.stem.starts_with("val_acc_"));
    let link = |c: &text::Cell| {
        curves.map(|f| {
            format!(
                "{} <a class=\"to-fig\" href=\"#fig-{}\" title=\"the learning curves\">curves</a>",
                escape(&c.text),
                attr(&f.stem)
            )
        })
    };
    let mut out = html_table(
        "configs",
        &s.table,
        |ci| {
            let k = key(si, ci);
            format!(
                " id=\"row-{k}\" data-cfg=\"{k}\" data-config=\"{}\"",
                attr(id(ci))
            )
        },
        link,
    );
    if let Some(why) = &s.not_compared {
        let _ = write!(out, "<p class=\"note\">{}</p>", escape(why));
    } else if let Some(c) = &s.comparisons {
        let _ = write!(
            out,
            "<h3>{}</h3>{}",
            escape(&c.heading),
            html_table(
                "comparisons",
                &c.table,
                |ci| format!(
                    " data-cfg=\"{}\" data-config=\"{}\"",
                    key(si, ci),
                    attr(id(ci))
                ),
                |_| None,
            )
        );
    }
    out
}

/// The series of a figure as the page's chart series, linked to their table rows.
fn series(si: usize, series: &[crate::report::figure::Series]) -> Vec<Series> {
    series
        .iter()
        .map(|s| Series {
            label: s.label.clone(),
            key: key(si, s.config),
            style: s.config,
            points: s.points.clone(),
        })
        .collect()
}

/// The tick labels of a y axis in `unit`.
fn tick(unit: Unit) -> fn(f64, f64) -> String {
    match unit {
        Unit::Percent => svg::pct_tick,
        Unit::Seconds => svg::secs_tick,
        Unit::Plain => svg::num_tick,
    }
}

/// A figure drawn as the page's interactive SVG; `None` for a kind this page inlines from
/// its SVG file instead (the scaling plot).
fn chart(si: usize, f: &Figure) -> Option<String> {
    let y = YAxis {
        label: &f.y.label,
        tick: tick(f.y.unit),
    };
    let html = match &f.body {
        Body::Curves(s) => {
            let series = series(si, s);
            // Many overlaid bands hide each other: past six configurations a band shows
            // only for the highlighted one (hover or click a row or a legend entry).
            let many = series.len() > MANY;
            let title = match f.title.strip_suffix(')') {
                Some(t) if many => {
                    format!("{t}; a band shows when its configuration is highlighted)")
                }
                _ => f.title.clone(),
            };
            svg::chart(&Chart {
                id: &f.stem,
                title: &title,
                x: XAxis {
                    label: f.x.label.clone(),
                    log: false,
                    categorical: false,
                    ticks: epoch_ticks(&series),
                },
                y,
                series: &series,
                marks: Marks {
                    line: true,
                    band: true,
                    whiskers: false,
                    legend: true,
                },
                size: (640.0, 360.0),
                class: if many { "many" } else { "" },
            })
        }
        Body::Points(s) => svg::chart(&Chart {
            id: &f.stem,
            title: &f.title,
            x: XAxis {
                label: f.x.label.clone(),
                log: f.x.log,
                categorical: f.x.categorical,
                ticks: f.x.ticks.clone(),
            },
            y,
            series: &series(si, s),
            marks: Marks {
                line: false,
                band: false,
                whiskers: true,
                legend: false,
            },
            size: (640.0, 330.0),
            class: "",
        }),
        Body::Heatmap(h) => {
            let cells: Vec<Vec<Option<svg::Cell>>> = h
                .cells
                .iter()
                .map(|row| {
                    row.iter()
                        .map(|c| {
                            c.as_ref().map(|c| svg::Cell {
                                value: c.value,
                                text: c.text.clone(),
                                tip: c.tip.clone(),
                                key: key(si, c.config),
                            })
                        })
                        .collect()
                })
                .collect();
            svg::heatmap(&svg::Heatmap {
                id: &f.stem,
                title: &f.title,
                cols: &h.cols,
                rows: &h.rows,
                cells: &cells,
                x_label: &f.x.label,
                y_label: &f.y.label,
            })
        }
        Body::Scaling(_) => return None,
    };
    Some(html)
}

/// A figure of the page: drawn here, or inlined from the SVG file in `dir`.
fn figure_html(si: usize, f: &Figure, dir: &Path) -> crate::Result<String> {
    match chart(si, f) {
        Some(html) => Ok(html),
        None => inlined(&dir.join(&f.stem)),
    }
}

/// Whole-epoch ticks: every epoch up to 12, else round steps.
fn epoch_ticks(series: &[Series]) -> Vec<(f64, String)> {
    let last = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.x))
        .fold(1.0, f64::max);
    let (_, step) = svg::nice_ticks(0.0, last, 6);
    let step = step.max(1.0) as usize;
    let mut ticks: Vec<usize> = if last <= 12.0 {
        (1..=last as usize).collect()
    } else {
        (0..=last as usize)
            .step_by(step)
            .filter(|e| *e >= 1)
            .collect()
    };
    if ticks.first() != Some(&1) {
        ticks.insert(0, 1);
    }
    ticks
        .into_iter()
        .map(|e| (e as f64, e.to_string()))
        .collect()
}

/// A figure this page does not draw, inlined from the SVG file plotters wrote at `stem`.
fn inlined(stem: &Path) -> crate::Result<String> {
    let name = stem
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut path = stem.as_os_str().to_owned();
    path.push(".svg");
    let path = PathBuf::from(path);
    let svg = std::fs::read_to_string(&path)
        .map_err(|e| crate::Error::io(format!("could not read '{}'", path.display()), e))?;
    let start = svg.find("<svg").unwrap_or(0);
    Ok(format!(
        "<figure class=\"chart plotters\" id=\"fig-{}\"><figcaption>{}</figcaption>{}</figure>",
        attr(&name),
        escape(&name),
        &svg[start..]
    ))
}

/// The title and its badges (quick/full, divergences, backends, CI level).
fn title_badges(report: &Report) -> String {
    let mode = if report.quick {
        "<span class=\"badge quick\" id=\"mode\">quick run — a first look, not for conclusions</span>"
    } else {
        "<span class=\"badge full\" id=\"mode\">full run</span>"
    };
    let diverged = if report.diverged > 0 {
        format!(
            "<span class=\"badge warn\">{} of {} trials diverged</span>",
            report.diverged, report.trials
        )
    } else {
        format!(
            "<span class=\"badge\">{} trials, none diverged</span>",
            report.trials
        )
    };
    let synthetic = if report.data.as_ref().is_some_and(|d| d.synthetic) {
        "<span class=\"badge warn\"><a href=\"#synthetic\">synthetic data — not JSC results</a></span>"
    } else {
        ""
    };
    format!(
        "<h1>trainbench report: {}</h1><div class=\"badges\">{mode}{synthetic}{diverged}<span class=\"badge\">{}</span><span class=\"badge\">{} CIs over seeds</span></div>",
        escape(&report.study),
        escape(&report.backends.join(", ")),
        report.text.level
    )
}

/// The lead paragraphs: what the trials are, the data, and the quick-mode caveats.
fn leads(report: &Report) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<p class=\"lead\">{} trials ({} diverged) on {}{}. Intervals are {} confidence intervals over seeds (over timing units for times). {}.</p>",
        report.trials,
        report.diverged,
        escape(&report.backends.join(", ")),
        if report.quick {
            "; quick run (3 seeds, subsampled data, capped epochs): for a first look, not for conclusions"
        } else {
            ""
        },
        report.text.level,
        escape(crate::report::METHOD_NOTE)
    );
    if let Some(d) = &report.text.data {
        let _ = write!(
            out,
            "<p class=\"lead\" id=\"data\">Data: {}.</p>",
            escape(d)
        );
    }
    if report.data.as_ref().is_some_and(|d| d.synthetic) {
        let _ = write!(
            out,
            "<p class=\"lead\" id=\"synthetic\"><strong>{}</strong></p>",
            escape(crate::report::SYNTHETIC_WARNING)
        );
    }
    for c in &report.caveats {
        let _ = write!(
            out,
            "<p class=\"lead caveat\"><strong>Not answerable in quick mode:</strong> {}.</p>",
            escape(&c.text)
        );
    }
    out
}

/// The table of contents: the answers (when there are any), the provenance, each sweep.
fn toc(report: &Report) -> String {
    let mut out = String::from("<nav class=\"toc\">");
    if !report.text.answers.is_empty() {
        out.push_str("<a href=\"#answers\">Answers</a>");
    }
    out.push_str("<a href=\"#provenance\">Provenance</a>");
    for s in &report.sweeps {
        let _ = write!(
            out,
            "<a href=\"#sweep-{}\">sweep {}</a>",
            attr(&s.view.name),
            escape(&s.view.name)
        );
    }
    out.push_str("</nav>");
    out
}

fn answers_section(report: &Report) -> String {
    let answers = &report.text.answers;
    if answers.is_empty() {
        return String::new();
    }
    let on_page: BTreeSet<&str> = report.figures.iter().map(|f| f.stem.as_str()).collect();
    let heading = match report.study == crate::report::findings::LAB1 {
        true => "Lab 1, answered from the data",
        false => "Answers from the data",
    };
    let mut out = format!("<section id=\"answers\" class=\"answers\"><h2>{heading}</h2>");
    for a in answers {
        let links: Vec<String> = a
            .figures
            .iter()
            .map(|f| {
                let stem = f.strip_suffix(".png").unwrap_or(f);
                if on_page.contains(stem) {
                    format!("<a href=\"#fig-{}\">{}</a>", attr(stem), escape(stem))
                } else {
                    escape(f)
                }
            })
            .collect();
        let see = match links.is_empty() {
            true => String::new(),
            false => format!(" <span class=\"see\">See {}.</span>", links.join(", ")),
        };
        let _ = write!(
            out,
            "<div class=\"answer\"><strong>{}</strong>{}{see}</div>",
            escape(&a.heading),
            escape(&a.text),
        );
    }
    let _ = write!(
        out,
        "<p class=\"note\">{}</p></section>",
        escape(&report.text.verdict_note)
    );
    out
}

/// Where the trials came from: code, machine, time and data.
fn provenance(report: &Report) -> String {
    let rows: Vec<(&str, String)> = report
        .text
        .provenance
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    format!(
        "<section id=\"provenance\"><details class=\"prov\"><summary>Provenance</summary>{}</details></section>",
        facts(&rows)
    )
}

/// One sweep's section: its configurations, the comparisons with its best, its figures.
fn sweep_section(si: usize, report: &Report, s: &SweepText, dir: &Path) -> crate::Result<String> {
    let mut out = String::new();
    let _ = write!(
        out,
        "<section class=\"sweep\" id=\"sweep-{}\"><h2>Sweep <code>{}</code></h2>\
         <p class=\"note\">Varies {}. Click a column header to sort; hover or click a row to highlight its configuration in the figures.</p>",
        attr(&s.name),
        escape(&s.name),
        escape(&s.varies)
    );
    out.push_str(&sweep_tables(si, report, s));
    out.push_str("<div class=\"figs\">");
    for f in report.figures.iter().filter(|f| f.sweep == si) {
        out.push_str(&figure_html(si, f, dir)?);
    }
    out.push_str("</div></section>");
    Ok(out)
}

/// The whole `report.html`; figures this page does not draw itself are inlined from their
/// SVG files in `dir` (written by [`crate::report::plot::write_all`]).
pub fn render(report: &Report, dir: &Path) -> crate::Result<String> {
    let mut body = String::from("<main class=\"report\">");
    // The answers come first, on the first screen; the data, the method and the
    // synthetic-data warning (flagged by a badge above the answers) follow them.
    body.push_str("<header>");
    body.push_str(&title_badges(report));
    body.push_str(&toc(report));
    body.push_str("</header>");
    body.push_str(&answers_section(report));
    body.push_str(&leads(report));
    body.push_str(&provenance(report));
    for (si, s) in report.text.sweeps.iter().enumerate() {
        body.push_str(&sweep_section(si, report, s, dir)?);
    }
    let _ = write!(
        body,
        "<footer>Generated by trainbench {} from the same analysis as report.json (schema {}); \
         the figures are also saved as PNG and SVG next to this file. Data attributes <code>data-v</code> hold the unrounded means.</footer></main>",
        env!("CARGO_PKG_VERSION"),
        report.schema_version
    );
    Ok(shell(
        &format!("trainbench report: {}", report.study),
        &body,
    ))
}

/// Writes `report.html` into `dir`, next to the figure files; returns its path.
pub fn write(report: &Report, dir: &Path) -> crate::Result<PathBuf> {
    let path = dir.join("report.html");
    std::fs::write(&path, render(report, dir)?)
        .map_err(|e| crate::Error::io(format!("could not write '{}'", path.display()), e))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::analysis::AnalysisOptions;
    use crate::report::figure::{Axis, Scaling};
    use crate::report::html::page::fetchable_references;

    /// A figure this page does not draw (a scaling plot) is inlined from its SVG file into
    /// its sweep's section; a quick run says so at the top; the time column names its unit.
    #[test]
    fn undrawn_figures_are_inlined_and_quick_runs_are_labelled() {
        let (view, mut records) = crate::report::testing::batch_size_sweep();
        for r in &mut records {
            r.quick = true;
        }
        let mut report = Report::build("t", &[view], &records, AnalysisOptions::default());
        let plain = Axis {
            label: "x".into(),
            log: true,
            categorical: false,
            unit: Unit::Plain,
            ticks: Vec::new(),
        };
        report.figures.push(Figure {
            sweep: 0,
            stem: "extra_BS".into(),
            title: "extra".into(),
            x: plain.clone(),
            y: plain,
            body: Body::Scaling(Scaling {
                points: Vec::new(),
                lines: Vec::new(),
                guides: Vec::new(),
                points_label: "points".into(),
                note: String::new(),
            }),
        });
        let dir = tempfile::tempdir().unwrap();
        crate::report::write_dir(&report, dir.path()).unwrap();
        let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
        assert!(fetchable_references(&html).is_empty());
        let section = &html[html.find("id=\"sweep-batch_size\"").unwrap()..];
        assert!(section.contains("id=\"fig-extra_BS\"") && section.contains("fig-val_acc_BS"));
        assert!(html.contains("class=\"badge quick\""));
    }
}
