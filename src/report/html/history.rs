//! `history.html`: the committed baselines over git history, one self-contained page.
//!
//! Top: the repository and HEAD, a banner for a shallow clone, the change-point rule; then
//! the detected steps and the largest changes (sortable tables, each with the commit that
//! saved the new value and how many commits lie between the two versions); then per
//! baseline file its versions and one small chart per benchmark (or configuration): the
//! estimate with its CI whisker at every version, a step drawn as a ringed point, and the
//! commit's sha, date and subject on hover. Everything comes from a
//! [`crate::baseline::history::History`]; nothing is recomputed here.

use super::page::{Td, attr, escape, facts, shell, table};
use super::svg::{self, Chart, Marks, Point, Series, XAxis, YAxis};
use crate::baseline::history::{
    Change, Commit, FileHistory, History, Kind, Point as HistoryPoint, Series as HistorySeries,
};
use crate::format::MISSING;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The commit date as `2026-11-28 16:44` (from git's ISO 8601).
fn short_date(iso: &str) -> String {
    let d: String = iso.chars().take(16).collect();
    d.replace('T', " ")
}

/// A file as `testbed/name.json` (the baselines folder is the same for all).
fn short_path(f: &FileHistory) -> String {
    let name = f.path.rsplit('/').next().unwrap_or(&f.path);
    format!("{}/{name}", f.testbed)
}

/// A commit cell: the short sha, the date below it; sorted by time.
fn commit_cell(c: &Commit) -> Td {
    let time = chrono::DateTime::parse_from_rfc3339(&c.date)
        .map(|d| d.timestamp() as f64)
        .unwrap_or(f64::NAN);
    Td::html(
        format!(
            "<code>{}</code><span class=\"ci\">{}</span>",
            escape(&c.short),
            escape(&short_date(&c.date))
        ),
        time,
    )
    .with(" class=\"nowrap\"".into())
}

/// A commit subject cell: at most 72 characters shown, the whole subject on hover.
fn subject(text: &str) -> Td {
    let shown: String = if text.chars().count() > 72 {
        text.chars().take(71).collect::<String>() + "…"
    } else {
        text.to_string()
    };
    Td::text(&shown).with(format!(" class=\"subject\" title=\"{}\"", attr(text)))
}

/// Anchor id of a series' chart.
fn chart_id(fi: usize, si: usize) -> String {
    format!("h{fi}-{si}")
}

fn changes_table(h: &History, rows: &[(&FileHistory, &Change)]) -> String {
    let headers: Vec<String> = [
        "benchmark / configuration",
        "before → after",
        "change",
        "step",
        "commit",
        "commits in range",
        "subject",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let body: Vec<(String, Vec<Td>)> = rows
        .iter()
        .map(|(f, c)| {
            let fi = h
                .files
                .iter()
                .position(|x| std::ptr::eq(x, *f))
                .unwrap_or(0);
            let si = f.series.iter().position(|s| s.id == c.series).unwrap_or(0);
            let before = &f.versions[c.before.version];
            let after = &f.versions[c.after.version];
            // Sort key of the change: its size in thresholds, signed (times and accuracies
            // sort on one scale).
            let signed = (c.after.estimate - c.before.estimate).signum() * c.size;
            let step = match (c.step, c.machine_changed) {
                (true, true) => "step (machine changed)",
                (true, false) => "step",
                (false, true) => "machine changed",
                (false, false) => "",
            };
            (
                String::new(),
                vec![
                    Td::html(
                        format!(
                            "<a href=\"#{}\">{}</a><span class=\"ci\" title=\"{}\">{}</span>",
                            chart_id(fi, si),
                            escape(&c.series),
                            attr(&f.path),
                            escape(&short_path(f))
                        ),
                        f64::NAN,
                    )
                    .with(" class=\"nowrap\"".into()),
                    Td::num(
                        &format!(
                            "{} → {}",
                            f.kind.value(c.before.estimate),
                            f.kind.value(c.after.estimate)
                        ),
                        c.after.estimate,
                    ),
                    Td::num(&c.text, signed),
                    Td::html(
                        format!(
                            "<span class=\"{}\">{}</span>",
                            if c.step { "step-yes" } else { "" },
                            step
                        ),
                        if c.step { 1.0 } else { 0.0 },
                    ),
                    commit_cell(&c.commit),
                    Td::html(
                        match after.commits_since_previous {
                            Some(n) => format!(
                                "{n}<span class=\"ci\">{}..{}</span>",
                                escape(&before.commit.short),
                                escape(&after.commit.short)
                            ),
                            None => MISSING.into(),
                        },
                        after
                            .commits_since_previous
                            .map(|n| n as f64)
                            .unwrap_or(f64::NAN),
                    )
                    .with(" class=\"num\"".into()),
                    subject(&c.commit.subject),
                ],
            )
        })
        .collect();
    table("changes", &headers, &body)
}

fn versions_table(f: &FileHistory) -> String {
    let headers: Vec<String> = [
        "#",
        "commit",
        "subject",
        "saved at",
        "measured at",
        "machine",
        "commits since previous",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let rows: Vec<(String, Vec<Td>)> = f
        .versions
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let machine = if v.machine_changes.is_empty() {
                escape(&v.machine)
            } else {
                format!(
                    "{} <span class=\"step-yes\">(changed: {})</span>",
                    escape(&v.machine),
                    escape(&v.machine_changes.join("; "))
                )
            };
            (
                String::new(),
                vec![
                    Td::num(&(i + 1).to_string(), i as f64),
                    commit_cell(&v.commit),
                    subject(&v.commit.subject),
                    Td::text(&v.saved_at).with(" class=\"nowrap\"".into()),
                    Td::text(v.measured_at.as_deref().unwrap_or(MISSING)),
                    Td::html(machine, f64::NAN),
                    Td::num(
                        &v.commits_since_previous
                            .map(|n| n.to_string())
                            .unwrap_or_else(|| MISSING.into()),
                        v.commits_since_previous
                            .map(|n| n as f64)
                            .unwrap_or(f64::NAN),
                    ),
                ],
            )
        })
        .collect();
    table("versions", &headers, &rows)
}

/// The chart point of one version's value: its whisker ends, hover text and step mark.
fn chart_point(f: &FileHistory, s: &HistorySeries, p: &HistoryPoint) -> Point {
    let v = &f.versions[p.version];
    let change = s.changes.iter().find(|c| c.after.version == p.version);
    let ci = if p.ci_low.is_finite() && p.ci_high.is_finite() {
        format!("[{}, {}]", f.kind.value(p.ci_low), f.kind.value(p.ci_high))
    } else {
        "(no interval)".into()
    };
    let mut tip = format!(
        "{} · {}\n{}\n{}: {} {ci}",
        v.commit.short,
        short_date(&v.commit.date),
        v.commit.subject,
        match f.kind {
            Kind::Timing => "mean time",
            Kind::Accuracy => "mean test accuracy",
        },
        f.kind.value(p.estimate)
    );
    if let Some(c) = change {
        let _ = write!(
            tip,
            "\n{} vs previous version{}",
            c.text,
            if c.step { " — a step" } else { "" }
        );
    }
    Point {
        x: p.version as f64,
        mean: p.estimate,
        lo: if p.ci_low.is_finite() {
            p.ci_low
        } else {
            p.estimate
        },
        hi: if p.ci_high.is_finite() {
            p.ci_high
        } else {
            p.estimate
        },
        tip,
        mark: change.is_some_and(|c| c.step),
    }
}

/// A series chart's title: its id, the version it first appears in, its number of steps.
fn chart_title(f: &FileHistory, s: &HistorySeries, steps: usize) -> String {
    let mut title = s.id.clone();
    if let Some(first) = s.points.first().filter(|p| p.version > 0) {
        let _ = write!(
            title,
            " — new in {}",
            f.versions[first.version].commit.short
        );
    }
    if steps > 0 {
        let _ = write!(
            title,
            " — {steps} step{}",
            if steps == 1 { "" } else { "s" }
        );
    }
    title
}

/// The small chart of one series over the file's versions.
fn series_chart(f: &FileHistory, fi: usize, si: usize) -> String {
    let s = &f.series[si];
    let points: Vec<Point> = s.points.iter().map(|p| chart_point(f, s, p)).collect();
    let series = [Series {
        label: s.id.clone(),
        key: String::new(),
        style: 0,
        points,
    }];
    let ticks = f
        .versions
        .iter()
        .enumerate()
        .map(|(i, v)| (i as f64, v.commit.short.chars().take(7).collect()))
        .collect();
    let steps = s.changes.iter().filter(|c| c.step).count();
    svg::chart(&Chart {
        id: &chart_id(fi, si),
        title: &chart_title(f, s, steps),
        x: XAxis {
            label: "commit".into(),
            log: false,
            categorical: true,
            ticks,
        },
        y: YAxis {
            label: match f.kind {
                Kind::Timing => "mean time / iteration",
                Kind::Accuracy => "test accuracy",
            },
            tick: match f.kind {
                Kind::Timing => svg::secs_tick,
                Kind::Accuracy => svg::pct_tick,
            },
        },
        series: &series,
        marks: Marks {
            line: true,
            band: false,
            whiskers: true,
            legend: false,
        },
        size: (360.0, 200.0),
        class: if steps > 0 { "small has-step" } else { "small" },
    })
}

/// The page header: title and badges, the lead, the notes as banners, the table of contents.
fn header(h: &History, testbeds: &[&str]) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<header><h1>Baseline history: {}</h1><div class=\"badges\"><span class=\"badge\">HEAD <code>{}</code></span><span class=\"badge\">{} file{}</span>{}</div>",
        escape(&testbeds.join(", ")),
        escape(&h.head.short),
        h.files.len(),
        if h.files.len() == 1 { "" } else { "s" },
        if h.shallow {
            "<span class=\"badge warn\" id=\"shallow\">shallow clone: history incomplete</span>"
        } else {
            ""
        }
    );
    let _ = write!(
        out,
        "<p class=\"lead\">Every committed version of the baselines in <code>{}</code>, read from git at {} ({}, “{}”). \
         Each chart is one benchmark (or configuration) over the commits that re-saved its file: the estimate with its confidence interval; hover a point for the commit.</p>",
        escape(&h.repo),
        escape(&h.head.short),
        escape(&short_date(&h.head.date)),
        escape(&h.head.subject)
    );
    for n in &h.notes {
        let _ = write!(out, "<div class=\"banner\">{}</div>", escape(n));
    }
    out.push_str(
        "<nav class=\"toc\"><a href=\"#steps\">Steps</a><a href=\"#largest\">Largest changes</a>",
    );
    for (fi, f) in h.files.iter().enumerate() {
        let _ = write!(out, "<a href=\"#file-{fi}\">{}</a>", escape(&f.path));
    }
    out.push_str("</nav></header>");
    out
}

/// The steps section: the rule and the table of detected steps.
fn steps_section(h: &History) -> String {
    let steps = h.steps();
    let mut out = String::new();
    let _ = write!(
        out,
        "<section id=\"steps\"><h2>Steps</h2><p class=\"note\">Rule: {}. A step is attributed to the commit that saved the new value; the code change behind it lies in the commits since the previous version (“commits in range”).</p>",
        escape(&h.rule.describe())
    );
    if steps.is_empty() {
        out.push_str("<p>No steps: no change between consecutive versions meets the rule.</p>");
    } else {
        out.push_str(&changes_table(h, &steps));
    }
    out.push_str("</section>");
    out
}

/// The largest-changes section: the `top` largest changes, steps or not.
fn largest_section(h: &History, top: usize) -> String {
    let largest = h.largest(top);
    let mut out = String::new();
    let _ = write!(
        out,
        "<section id=\"largest\"><h2>Largest changes</h2><p class=\"note\">The {} largest changes between consecutive versions, by size relative to the rule's threshold ({}% for times, {} accuracy point{} for accuracies), steps or not.</p>",
        largest.len(),
        h.rule.timing_pct,
        h.rule.accuracy_points,
        if h.rule.accuracy_points == 1.0 {
            ""
        } else {
            "s"
        }
    );
    if largest.is_empty() {
        out.push_str("<p>No changes yet: every file has a single version.</p>");
    } else {
        out.push_str(&changes_table(h, &largest));
    }
    out.push_str("</section>");
    out
}

/// One baseline file's section: what it holds, its versions, a small chart per series.
fn file_section(fi: usize, f: &FileHistory) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<section class=\"file\" id=\"file-{fi}\"><h2><code>{}</code></h2>",
        escape(&f.path)
    );
    out.push_str(&facts(&[
        (
            "holds",
            match f.kind {
                Kind::Timing => format!(
                    "{} benchmarks: criterion's mean time per iteration with its bootstrap CI",
                    f.series.len()
                ),
                Kind::Accuracy => format!(
                    "{} configurations: mean test accuracy over seeds with its Student-t CI",
                    f.series.len()
                ),
            },
        ),
        ("testbed", f.testbed.clone()),
        ("versions", f.versions.len().to_string()),
    ]));
    out.push_str("<h3>Versions</h3>");
    out.push_str(&versions_table(f));
    out.push_str("<div class=\"figs small\">");
    for si in 0..f.series.len() {
        out.push_str(&series_chart(f, fi, si));
    }
    out.push_str("</div></section>");
    out
}

/// The whole `history.html`; `top` is the length of the largest-changes table.
pub fn render(h: &History, top: usize) -> String {
    let testbeds: Vec<&str> = {
        let mut t: Vec<&str> = h.files.iter().map(|f| f.testbed.as_str()).collect();
        t.dedup();
        t
    };
    let mut body = header(h, &testbeds);
    body.push_str(&steps_section(h));
    body.push_str(&largest_section(h, top));
    for (fi, f) in h.files.iter().enumerate() {
        body.push_str(&file_section(fi, f));
    }
    let _ = write!(
        body,
        "<footer>Generated by trainbench {} (<code>trainbench history</code>); the same data as <code>history.json</code> ({}).</footer>",
        env!("CARGO_PKG_VERSION"),
        escape(&h.format)
    );
    shell(&format!("Baseline history: {}", testbeds.join(", ")), &body)
}

/// Writes `history.html` and `history.json` into `dir` (created if missing); returns the
/// page's path.
pub fn write(h: &History, top: usize, dir: &Path) -> crate::Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .map_err(|e| crate::Error::io(format!("could not create '{}'", dir.display()), e))?;
    let page = dir.join("history.html");
    std::fs::write(&page, render(h, top))
        .map_err(|e| crate::Error::io(format!("could not write '{}'", page.display()), e))?;
    let json = dir.join("history.json");
    let text = serde_json::to_string_pretty(h).map_err(|e| crate::Error::Other(e.to_string()))?;
    std::fs::write(&json, text + "\n")
        .map_err(|e| crate::Error::io(format!("could not write '{}'", json.display()), e))?;
    Ok(page)
}
