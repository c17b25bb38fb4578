//! `history.html`: the committed baselines over git history, one self-contained page.
//!
//! Top: the repository and HEAD, a banner for a shallow clone; then one table of changes to
//! triage — every step, then the largest other changes (sortable, each with the commit that
//! saved the new value and how many commits lie between the two versions), coloured by
//! direction: red for slower (or lower accuracy), green for faster (or higher); the changes
//! accepted with `baseline accept`, with their reasons; then per baseline file one small chart
//! per benchmark (or configuration) — the estimate with its CI whisker at every version, a
//! step ringed in its direction's colour, the commit's sha, date and subject on hover — and
//! its versions (folded). Everything comes from a [`crate::baseline::history::History`];
//! nothing is recomputed here.

use super::page::{Td, attr, escape, facts, shell, table};
use super::svg::{self, Chart, Marks, Point, Series, XAxis, YAxis};
use crate::baseline::history::{
    AcceptedChange, Change, Commit, FileHistory, History, Kind, Point as HistoryPoint,
    Series as HistorySeries,
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

/// Palette index of the ring of a step for the worse (slower, lower accuracy): vermillion.
const WORSE_STYLE: usize = 3;
/// Palette index of the ring of a step for the better (faster, higher accuracy): green.
const BETTER_STYLE: usize = 2;

/// The CSS class of a change's direction: `worse` (slower, lower accuracy), `better`, or
/// empty when the estimate did not move.
fn direction_class(c: &Change) -> &'static str {
    if c.before.estimate == c.after.estimate {
        ""
    } else if c.worse {
        "worse"
    } else {
        "better"
    }
}

/// This page's own style: direction colours, step rings by direction (a ring is red by
/// default; green on a step for the better), chart titles that wrap between words on two
/// lines (the id, then what happened to it), folded version tables, and a changes table of
/// one line per change (the commit without its date, which the charts' hover and the
/// versions give) that scrolls within a third of a screen, so the charts follow it.
fn page_style() -> String {
    let better = svg::style_of(BETTER_STYLE).0;
    format!(
        "<style>\n\
         .worse {{ color: #b3261e; font-weight: 600; }}\n\
         .better {{ color: #1a6b30; font-weight: 600; }}\n\
         figure.small figcaption {{ word-break: normal; overflow-wrap: anywhere; white-space: pre-line; }}\n\
         svg .pt.mark[fill=\"{better}\"] {{ stroke: #1a6b30; }}\n\
         details.versions > summary {{ cursor: pointer; font-weight: 600; margin: 0.8rem 0 0.3rem; }}\n\
         #changes .scroll {{ max-height: 24rem; overflow-y: auto; border-bottom: 1px solid var(--line); }}\n\
         #changes thead th {{ position: sticky; top: 0; z-index: 1; }}\n\
         #changes td {{ white-space: nowrap; }}\n\
         #changes td .ci {{ display: inline; margin-left: 0.4em; }}\n\
         #changes .clip {{ max-width: 16rem; overflow: hidden; text-overflow: ellipsis; }}\n\
         #changes td:nth-child(5) .ci {{ display: none; }}\n\
         </style>"
    )
}

/// A text cell coloured by the change's direction.
fn directed(text: &str, c: &Change, key: f64) -> Td {
    let class = direction_class(c);
    if class.is_empty() {
        Td::num(text, key)
    } else {
        Td::html(
            format!("<span class=\"{class}\">{}</span>", escape(text)),
            key,
        )
        .with(" class=\"num\"".into())
    }
}

/// One row of the changes table.
fn change_row(h: &History, f: &FileHistory, c: &Change) -> Vec<Td> {
    let fi = h.files.iter().position(|x| std::ptr::eq(x, f)).unwrap_or(0);
    let si = f.series.iter().position(|s| s.id == c.series).unwrap_or(0);
    let before = &f.versions[c.before.version];
    let after = &f.versions[c.after.version];
    // Sort key of the change: its size in thresholds, signed (times and accuracies sort on
    // one scale).
    let signed = (c.after.estimate - c.before.estimate).signum() * c.size;
    let step = match (c.step, c.machine_changed) {
        (true, true) => format!("step, {} (machine changed)", c.direction(f.kind)),
        (true, false) => format!("step, {}", c.direction(f.kind)),
        (false, true) => "machine changed".into(),
        (false, false) => String::new(),
    };
    vec![
        Td::html(
            format!(
                "<a href=\"#{}\">{}</a><span class=\"ci\" title=\"{}\">{}</span>",
                chart_id(fi, si),
                escape(&c.series),
                attr(&f.path),
                escape(f.path.rsplit('/').next().unwrap_or(&f.path))
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
        directed(&c.text, c, signed),
        if c.step {
            directed(&step, c, 1.0)
        } else {
            Td::num(&step, 0.0)
        },
        commit_cell(&c.commit),
        Td::html(
            match after.commits_since_previous {
                Some(n) => format!(
                    "<span title=\"git log {}..{}\">{n}</span>",
                    attr(&before.commit.short),
                    attr(&after.commit.short)
                ),
                None => MISSING.into(),
            },
            after
                .commits_since_previous
                .map(|n| n as f64)
                .unwrap_or(f64::NAN),
        )
        .with(" class=\"num\"".into()),
        Td::html(
            format!(
                "<div class=\"clip\" title=\"{}\">{}</div>",
                attr(&c.commit.subject),
                escape(&c.commit.subject)
            ),
            f64::NAN,
        ),
    ]
}

/// A sortable table of class `class` with these column names and rows of cells.
fn cells_table(class: &str, names: &[&str], rows: impl Iterator<Item = Vec<Td>>) -> String {
    let headers: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let body: Vec<(String, Vec<Td>)> = rows.map(|cells| (String::new(), cells)).collect();
    table(class, &headers, &body)
}

fn changes_table(h: &History, rows: &[(&FileHistory, &Change)]) -> String {
    let names = [
        "benchmark / configuration",
        "before → after",
        "change",
        "step",
        "commit",
        "commits in range",
        "subject",
    ];
    let cells = rows.iter().map(|(f, c)| change_row(h, f, c));
    cells_table("changes", &names, cells)
}

fn versions_table(f: &FileHistory) -> String {
    let names = [
        "#",
        "commit",
        "subject",
        "saved at",
        "measured at",
        "machine",
        "commits since previous",
    ];
    let rows = f.versions.iter().enumerate().map(|(i, v)| {
        let machine = if v.machine_changes.is_empty() {
            escape(&v.machine)
        } else {
            format!(
                "{} <span class=\"step-yes\">(changed: {})</span>",
                escape(&v.machine),
                escape(&v.machine_changes.join("; "))
            )
        };
        let since = v.commits_since_previous;
        vec![
            Td::num(&(i + 1).to_string(), i as f64),
            commit_cell(&v.commit),
            subject(&v.commit.subject),
            Td::text(&v.saved_at).with(" class=\"nowrap\"".into()),
            Td::text(v.measured_at.as_deref().unwrap_or(MISSING)),
            Td::html(machine, f64::NAN),
            Td::num(
                &since.map_or_else(|| MISSING.into(), |n| n.to_string()),
                since.map_or(f64::NAN, |n| n as f64),
            ),
        ]
    });
    cells_table("versions", &names, rows)
}

/// The chart point of one version's value: its whisker ends and hover text.
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
            if c.step {
                format!(" — a step, {}", c.direction(f.kind))
            } else {
                String::new()
            }
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
        mark: false,
    }
}

/// The steps of one direction as a series of ringed points over `points` (the series' own
/// chart points), separated by gaps so that no line joins them.
fn step_series(
    s: &HistorySeries,
    points: &[Point],
    worse: bool,
    style: usize,
    label: &str,
) -> Option<Series> {
    let mut marks: Vec<Point> = Vec::new();
    for c in s.changes.iter().filter(|c| c.step && c.worse == worse) {
        let Some(p) = points.iter().find(|p| p.x == c.after.version as f64) else {
            continue;
        };
        if !marks.is_empty() {
            marks.push(Point {
                mean: f64::NAN,
                tip: String::new(),
                ..p.clone()
            });
        }
        marks.push(Point {
            lo: p.mean,
            hi: p.mean,
            mark: true,
            ..p.clone()
        });
    }
    (!marks.is_empty()).then(|| Series {
        label: label.into(),
        key: String::new(),
        style,
        points: marks,
    })
}

/// A series chart's title: its id, then (second line) the version it first appears in and
/// its steps by direction.
fn chart_title(f: &FileHistory, s: &HistorySeries) -> String {
    let mut facts = Vec::new();
    if let Some(first) = s.points.first().filter(|p| p.version > 0) {
        facts.push(format!("new in {}", f.versions[first.version].commit.short));
    }
    for worse in [true, false] {
        let n = s
            .changes
            .iter()
            .filter(|c| c.step && c.worse == worse)
            .count();
        if n > 0 {
            let what = match (f.kind, worse) {
                (Kind::Timing, true) => "slower",
                (Kind::Timing, false) => "faster",
                (Kind::Accuracy, true) => "lower",
                (Kind::Accuracy, false) => "higher",
            };
            facts.push(format!("{n} step{} {what}", if n == 1 { "" } else { "s" }));
        }
    }
    if facts.is_empty() {
        s.id.clone()
    } else {
        format!("{}\n{}", s.id, facts.join(" · "))
    }
}

/// The small chart of one series over the file's versions.
fn series_chart(f: &FileHistory, fi: usize, si: usize) -> String {
    let s = &f.series[si];
    let points: Vec<Point> = s.points.iter().map(|p| chart_point(f, s, p)).collect();
    let (worse_label, better_label) = match f.kind {
        Kind::Timing => ("steps slower", "steps faster"),
        Kind::Accuracy => ("steps lower", "steps higher"),
    };
    let steps = [
        step_series(s, &points, true, WORSE_STYLE, worse_label),
        step_series(s, &points, false, BETTER_STYLE, better_label),
    ];
    let mut series = vec![Series {
        label: s.id.clone(),
        key: String::new(),
        style: 0,
        points,
    }];
    series.extend(steps.into_iter().flatten());
    let ticks = f
        .versions
        .iter()
        .enumerate()
        .map(|(i, v)| (i as f64, v.commit.short.chars().take(7).collect()))
        .collect();
    let has_step = s.changes.iter().any(|c| c.step);
    svg::chart(&Chart {
        id: &chart_id(fi, si),
        title: &chart_title(f, s),
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
        class: if has_step { "small has-step" } else { "small" },
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
    out.push_str("<nav class=\"toc\"><a href=\"#changes\">Changes</a>");
    if !h.accepted().is_empty() {
        out.push_str(" <a href=\"#accepted\">Accepted changes</a>");
    }
    for (fi, f) in h.files.iter().enumerate() {
        let _ = write!(out, " <a href=\"#file-{fi}\">{}</a>", escape(&f.path));
    }
    out.push_str("</nav></header>");
    out
}

/// The changes section: one table of every step and the largest other changes.
fn changes_section(h: &History, top: usize) -> String {
    let rows = h.notable(top);
    let steps = rows.iter().filter(|(_, c)| c.step).count();
    let mut out = String::new();
    let _ = write!(
        out,
        "<section id=\"changes\"><h2>Changes</h2><p class=\"note\">{steps} step{}, then the largest other changes ({} rows, by size relative to the threshold). \
         <span class=\"worse\">Red</span>: slower (or lower accuracy); <span class=\"better\">green</span>: faster (or higher) — here and as the ring of a step in the charts. \
         A change belongs to the commit that saved the new value; its cause lies in the “commits in range”. Rule: {}.</p>",
        if steps == 1 { "" } else { "s" },
        rows.len(),
        escape(&h.rule.describe())
    );
    if rows.is_empty() {
        out.push_str("<p>No changes yet: every file has a single version.</p>");
    } else {
        out.push_str(&changes_table(h, &rows));
    }
    out.push_str("</section>");
    out
}

/// One accepted change as a table row.
fn accepted_row(f: &FileHistory, a: &AcceptedChange) -> Vec<Td> {
    let e = &a.entry;
    let time = chrono::DateTime::parse_from_rfc3339(&e.date)
        .map(|d| d.timestamp() as f64)
        .unwrap_or(f64::NAN);
    let measured = match &e.measured {
        Some(m) => format!(
            "{}<span class=\"ci\">{}</span>",
            m.changes
                .iter()
                .map(|c| escape(&m.line(c)))
                .collect::<Vec<_>>()
                .join("<br>"),
            escape(&m.by)
        ),
        None => "not measured".into(),
    };
    let short = |s: &str| s.chars().take(12).collect::<String>();
    vec![
        Td::num(&short_date(&e.date), time).with(" class=\"nowrap\"".into()),
        Td::text(&short_path(f)).with(format!(" class=\"nowrap\" title=\"{}\"", attr(&f.path))),
        Td::html(
            format!(
                "<code>{}</code><span class=\"ci\">was {}</span>",
                escape(&short(&e.commit)),
                escape(
                    &e.previous
                        .as_deref()
                        .map(short)
                        .unwrap_or_else(|| MISSING.into())
                )
            ),
            f64::NAN,
        )
        .with(" class=\"nowrap\"".into()),
        Td::text(&e.reason).with(" class=\"subject\"".into()),
        Td::html(measured, f64::NAN),
        match &a.recorded_in {
            Some(c) => commit_cell(c),
            None => Td::text("not committed yet"),
        },
    ]
}

/// The accepted-changes section (none: nothing).
fn accepted_section(h: &History) -> String {
    let accepted = h.accepted();
    if accepted.is_empty() {
        return String::new();
    }
    let names = [
        "accepted",
        "file",
        "now stands for",
        "reason",
        "measured",
        "recorded in",
    ];
    let rows = accepted.iter().map(|(f, a)| accepted_row(f, a));
    format!(
        "<section id=\"accepted\"><h2>Accepted changes</h2><p class=\"note\">Changes accepted with <code>trainbench baseline accept --reason …</code>: the baseline stands for the named commit from then on (the <code>baseline ab</code> gate compares against it), with the ratios (head / base time) or differences (new − old accuracy) measured when it was accepted.</p>{}</section>",
        cells_table("accepted", &names, rows)
    )
}

/// One baseline file's section: what it holds, a small chart per series, its versions
/// (folded).
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
    out.push_str("<div class=\"figs small\">");
    for si in 0..f.series.len() {
        out.push_str(&series_chart(f, fi, si));
    }
    out.push_str("</div>");
    let _ = write!(
        out,
        "<details class=\"versions\"><summary>Versions ({})</summary>{}</details></section>",
        f.versions.len(),
        versions_table(f)
    );
    out
}

/// The whole `history.html`; `top` is the least number of rows of the changes table.
pub fn render(h: &History, top: usize) -> String {
    let testbeds: Vec<&str> = {
        let mut t: Vec<&str> = h.files.iter().map(|f| f.testbed.as_str()).collect();
        t.dedup();
        t
    };
    let mut body = page_style();
    body.push_str(&header(h, &testbeds));
    body.push_str(&changes_section(h, top));
    body.push_str(&accepted_section(h));
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
    std::fs::write(&json, h.to_json()? + "\n")
        .map_err(|e| crate::Error::io(format!("could not write '{}'", json.display()), e))?;
    Ok(page)
}
