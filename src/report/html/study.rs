//! `report.html`: a study report in one self-contained file.
//!
//! Top to bottom: the title with the quick/full label, the Lab 1 answers (the same sentences
//! as report.md, from [`crate::report::markdown::answers`]), the provenance of the trials, then one section
//! per sweep — a sortable table of every configuration (the same cells as report.md's),
//! the comparisons with the sweep's best, and the figures drawn inline from the same
//! numbers (learning curves from [`crate::report::figures`], everything else from the [`Report`]'s
//! summaries). Hovering a point shows its mean and CI; a table row and its configuration's
//! marks in the figures highlight together (click a row to keep it highlighted; a legend
//! entry links to its row).
//!
//! Numbers are never recomputed here: every table cell, hover text and `data-v` sort key is
//! read from the [`Report`] (the data of report.json) or from the learning curves the PNG
//! figures also draw. Figures written by [`crate::report::figures::write_all`] that this page does not draw
//! itself are inlined from their SVG files.

use super::page::{Td, attr, escape, facts, shell, table};
use super::svg::{self, Cell, Chart, Heatmap, Marks, Point, Series, XAxis, YAxis};
use crate::format::{MISSING, num, num_ci, p_value, pct, pct_ci};
use crate::record::TrialRecord;
use crate::report::Report;
use crate::report::analysis::{Metric, MetricReport, SweepReport, Verdict, by_config};
use crate::report::figures::{curve, suffix};
use crate::report::markdown::{answers, verdict_note};
use crate::report::table::{label, metric_ci, verdict};
use crate::train::EpochRecord;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Above this many configurations, learning-curve bands show only when highlighted.
const MANY: usize = 6;

/// The link key of configuration `c` of sweep `s` (`data-cfg`, row id `row-<key>`).
fn key(s: usize, c: usize) -> String {
    format!("s{s}c{c}")
}

/// Rank of a verdict for sorting (best first).
fn verdict_rank(v: Option<Verdict>) -> f64 {
    match v {
        Some(Verdict::Best) => 0.0,
        Some(Verdict::Better) => 0.5,
        Some(Verdict::Indistinguishable) => 1.0,
        Some(Verdict::Worse) => 2.0,
        None => f64::NAN,
    }
}

/// A metric cell: the report.md text, sorted by the mean, tagged with the metric.
fn metric_cell(m: &MetricReport, id: &str) -> Td {
    let mean = m
        .summary(id)
        .filter(|s| s.summary.n > 0)
        .map(|s| s.summary.mean)
        .unwrap_or(f64::NAN);
    let mut td = Td::num(&metric_ci(m, id), mean);
    td.html = two_lines(&metric_ci(m, id));
    td.with(format!(" data-metric=\"{}\"", m.metric.name()))
}

/// `44.06% [20.84, 67.27]` with the interval on a second, quieter line (same text content).
fn two_lines(text: &str) -> String {
    match text.split_once(" [") {
        Some((mean, ci)) => format!("{} <span class=\"ci\">[{}</span>", escape(mean), escape(ci)),
        None => escape(text),
    }
}

fn verdict_cell(m: &MetricReport, id: &str) -> Td {
    let v = m.verdict(id);
    let word = verdict(m, id);
    Td::html(
        format!("<span class=\"verdict-{word}\">{word}</span>"),
        verdict_rank(v),
    )
}

/// The configurations table: the columns of report.md's sweep table.
fn sweep_table(si: usize, sweep: &SweepReport, level: f64) -> String {
    let test = sweep.metric(Metric::TestAcc);
    let val = sweep.metric(Metric::FinalValAcc);
    let best_val = sweep.metric(Metric::BestValAcc);
    let time = sweep.metric(Metric::TrainSecondsPerEpoch);
    let total = sweep.metric(Metric::TotalSeconds);
    let ett = sweep.metric(Metric::EpochsToTarget);
    let headers: Vec<String> = [
        "configuration".to_string(),
        "n".into(),
        "diverged".into(),
        format!("test acc ({:.0}% CI)", 100.0 * level),
        "verdict".into(),
        "final val acc".into(),
        "best val acc".into(),
        "train s/epoch".into(),
        "total s".into(),
        "epochs to target (reached)".into(),
    ]
    .to_vec();
    let curves = format!("fig-val_acc_{}", suffix(&sweep.view.name));
    let rows: Vec<(String, Vec<Td>)> = sweep
        .view
        .configs
        .iter()
        .enumerate()
        .map(|(ci, c)| {
            let id = c.config_id.as_str();
            let k = key(si, ci);
            let s = test.summary(id).expect("summary per config");
            let reached = ett.summary(id).map(|s| s.summary.n).unwrap_or(0);
            let first = format!(
                "{} <a class=\"to-fig\" href=\"#{curves}\" title=\"the learning curves\">curves</a>",
                escape(&label(sweep, id))
            );
            let mut ett_cell = metric_cell(ett, id);
            let text = metric_ci(ett, id);
            let counts = format!("({}/{})", reached, s.trials - s.diverged);
            ett_cell.html = match text.split_once(" [") {
                Some((mean, ci)) => format!(
                    "{} {} <span class=\"ci\">[{}</span>",
                    escape(mean),
                    escape(&counts),
                    escape(ci)
                ),
                None => escape(&format!("{text} {counts}")),
            };
            let row_attrs = format!(
                " id=\"row-{k}\" data-cfg=\"{k}\" data-config=\"{}\"",
                attr(id)
            );
            (
                row_attrs,
                vec![
                    Td::html(first, ci as f64),
                    Td::num(&s.trials.to_string(), s.trials as f64),
                    Td::num(&s.diverged.to_string(), s.diverged as f64),
                    metric_cell(test, id),
                    verdict_cell(test, id),
                    metric_cell(val, id),
                    metric_cell(best_val, id),
                    metric_cell(time, id),
                    metric_cell(total, id),
                    ett_cell,
                ],
            )
        })
        .collect();
    table("configs", &headers, &rows)
}

/// The comparisons of test accuracy with the sweep's best: report.md's comparison table.
fn comparison_table(si: usize, sweep: &SweepReport, m: &MetricReport) -> String {
    if m.comparisons.is_empty() {
        return String::new();
    }
    let headers: Vec<String> = [
        "configuration",
        "test",
        "t",
        "df",
        "p",
        "p (Holm)",
        "Hedges' g",
        "P(A>B)",
        "MDE",
        "verdict",
    ]
    .iter()
    .map(|h| h.to_string())
    .collect();
    let index = |id: &str| sweep.view.configs.iter().position(|c| c.config_id == id);
    let rows: Vec<(String, Vec<Td>)> = m
        .comparisons
        .iter()
        .map(|c| {
            let k = index(&c.a).map(|ci| key(si, ci)).unwrap_or_default();
            (
                format!(" data-cfg=\"{k}\" data-config=\"{}\"", attr(&c.a)),
                vec![
                    Td::html(
                        escape(&label(sweep, &c.a)),
                        index(&c.a).map(|i| i as f64).unwrap_or(f64::NAN),
                    ),
                    Td::text(&c.test),
                    Td::num(&num(c.statistic, 3), c.statistic),
                    Td::num(&num(c.df, 3), c.df),
                    Td::num(&p_value(c.p_value), c.p_value),
                    Td::num(&p_value(c.p_holm), c.p_holm),
                    Td::num(&num(c.hedges_g, 3), c.hedges_g),
                    Td::num(&num(c.prob_superiority, 3), c.prob_superiority),
                    Td::num(&m.metric.mde_words(c.mde), c.mde),
                    Td::html(
                        format!(
                            "<span class=\"verdict-{w}\">{w}</span>",
                            w = c.verdict.word()
                        ),
                        verdict_rank(Some(c.verdict)),
                    ),
                ],
            )
        })
        .collect();
    format!(
        "<h3>{} against the best ({}), Holm-adjusted within the sweep</h3>{}",
        m.metric.name(),
        escape(
            &m.best
                .as_deref()
                .map(|b| label(sweep, b))
                .unwrap_or_default()
        ),
        table("comparisons", &headers, &rows)
    )
}

/// `mean, CI lo–hi` of a curve point, or the mean alone without an interval.
fn curve_tip(mean: f64, lo: f64, hi: f64, level: f64) -> String {
    if hi > lo {
        format!(
            "mean {}, {:.0}% CI [{}, {}]",
            pct(mean),
            100.0 * level,
            pct(lo),
            pct(hi)
        )
    } else {
        format!("mean {} (no interval)", pct(mean))
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

/// A per-epoch number of a trial.
type EpochField = fn(&EpochRecord) -> f64;

/// The training and validation learning curves of a sweep.
fn curve_charts(
    sweep: &SweepReport,
    si: usize,
    trials: &HashMap<&str, Vec<&TrialRecord>>,
    level: f64,
) -> Vec<(String, String)> {
    let sfx = suffix(&sweep.view.name);
    let fields: [(&str, &str, EpochField); 2] = [
        ("train_acc", "training accuracy", |e| e.train_acc),
        ("val_acc", "validation accuracy", |e| e.val_acc),
    ];
    fields
        .iter()
        .map(|(name, what, field)| {
            let series: Vec<Series> = sweep
                .view
                .configs
                .iter()
                .enumerate()
                .map(|(ci, c)| {
                    let lab = label(sweep, &c.config_id);
                    let t = trials
                        .get(c.config_id.as_str())
                        .cloned()
                        .unwrap_or_default();
                    let cv = curve(lab.clone(), &t, *field, level);
                    let points = (0..cv.epochs.len())
                        .map(|e| Point {
                            x: cv.epochs[e] as f64,
                            mean: cv.mean[e],
                            lo: cv.lo[e],
                            hi: cv.hi[e],
                            tip: format!(
                                "{lab} · epoch {}\n{what}: {}",
                                cv.epochs[e],
                                curve_tip(cv.mean[e], cv.lo[e], cv.hi[e], level)
                            ),
                            mark: false,
                        })
                        .collect();
                    Series {
                        label: lab,
                        key: key(si, ci),
                        style: ci,
                        points,
                    }
                })
                .collect();
            let stem = format!("{name}_{sfx}");
            // Many overlaid bands hide each other: past six configurations a band shows
            // only for the highlighted one (hover or click a row or a legend entry).
            let many = series.len() > MANY;
            let title = format!(
                "{what} per epoch — sweep {} (mean, {:.0}% CI over seeds{})",
                sweep.view.name,
                100.0 * level,
                if many {
                    "; a band shows when its configuration is highlighted"
                } else {
                    ""
                }
            );
            let html = svg::chart(&Chart {
                id: &stem,
                title: &title,
                x: XAxis {
                    label: "epoch".into(),
                    log: false,
                    categorical: false,
                    ticks: epoch_ticks(&series),
                },
                y: YAxis {
                    label: what,
                    tick: svg::pct_tick,
                },
                series: &series,
                marks: Marks {
                    line: true,
                    band: true,
                    whiskers: false,
                    legend: true,
                },
                size: (640.0, 360.0),
                class: if many { "many" } else { "" },
            });
            (stem, html)
        })
        .collect()
}

/// A metric against the sweep's single parameter, one point with whiskers per configuration.
fn metric_chart(
    sweep: &SweepReport,
    si: usize,
    metric: Metric,
    stem: &str,
    title: &str,
    y_label: &str,
) -> String {
    let param = &sweep.view.params[0];
    let m = sweep.metric(metric);
    let values: Vec<&str> = sweep
        .view
        .configs
        .iter()
        .map(|c| c.values.first().map(String::as_str).unwrap_or(""))
        .collect();
    let numeric: Option<Vec<f64>> = values.iter().map(|v| v.parse::<f64>().ok()).collect();
    let categorical = numeric.is_none();
    let xs = numeric.unwrap_or_else(|| (0..values.len()).map(|i| i as f64).collect());
    let series: Vec<Series> = sweep
        .view
        .configs
        .iter()
        .enumerate()
        .filter_map(|(ci, c)| {
            let s = m.summary(&c.config_id)?;
            let sm = &s.summary;
            let text = if metric.higher_is_better() {
                pct_ci(sm)
            } else {
                num_ci(sm)
            };
            let lab = label(sweep, &c.config_id);
            let tip = format!(
                "{lab}\n{}: {text}\nn = {} seeds · {}",
                metric.name(),
                sm.n,
                verdict(m, &c.config_id)
            );
            let or_mean = |v: f64| if v.is_finite() { v } else { sm.mean };
            Some(Series {
                label: lab,
                key: key(si, ci),
                style: ci,
                points: vec![Point {
                    x: xs[ci],
                    mean: if sm.n > 0 { sm.mean } else { f64::NAN },
                    lo: or_mean(sm.ci_low),
                    hi: or_mean(sm.ci_high),
                    tip,
                    mark: false,
                }],
            })
        })
        .collect();
    let ticks = xs
        .iter()
        .zip(&values)
        .map(|(x, v)| (*x, v.to_string()))
        .collect();
    svg::chart(&Chart {
        id: stem,
        title,
        x: XAxis {
            label: param.clone(),
            log: param == "lr" || param == "batch_size",
            categorical,
            ticks,
        },
        y: YAxis {
            label: y_label,
            tick: if metric.higher_is_better() {
                svg::pct_tick
            } else {
                svg::secs_tick
            },
        },
        series: &series,
        marks: Marks {
            line: false,
            band: false,
            whiskers: true,
            legend: false,
        },
        size: (640.0, 330.0),
        class: "",
    })
}

/// The batch size × learning rate heatmap of mean final validation accuracy.
fn heatmap_chart(sweep: &SweepReport, si: usize, stem: &str) -> Option<String> {
    let params = &sweep.view.params;
    let bi = params.iter().position(|p| p == "batch_size")?;
    let li = params.iter().position(|p| p == "lr")?;
    if params.len() != 2 {
        return None;
    }
    let m = sweep.metric(Metric::FinalValAcc);
    let mut bss: Vec<String> = Vec::new();
    let mut lrs: Vec<String> = Vec::new();
    for c in &sweep.view.configs {
        if !bss.contains(&c.values[bi]) {
            bss.push(c.values[bi].clone());
        }
        if !lrs.contains(&c.values[li]) {
            lrs.push(c.values[li].clone());
        }
    }
    let cells: Vec<Vec<Option<Cell>>> = lrs
        .iter()
        .map(|lr| {
            bss.iter()
                .map(|bs| {
                    let (ci, c) = sweep
                        .view
                        .configs
                        .iter()
                        .enumerate()
                        .find(|(_, c)| &c.values[bi] == bs && &c.values[li] == lr)?;
                    let s = m.summary(&c.config_id).filter(|s| s.summary.n > 0)?;
                    Some(Cell {
                        value: s.summary.mean,
                        text: format!("{:.1}%", 100.0 * s.summary.mean),
                        tip: format!(
                            "{}\nfinal_val_acc: {}\nn = {} seeds · {}",
                            label(sweep, &c.config_id),
                            pct_ci(&s.summary),
                            s.summary.n,
                            verdict(m, &c.config_id)
                        ),
                        key: key(si, ci),
                    })
                })
                .collect()
        })
        .collect();
    let title = format!("mean final validation accuracy — sweep {}", sweep.view.name);
    Some(svg::heatmap(&Heatmap {
        id: stem,
        title: &title,
        cols: &bss,
        rows: &lrs,
        cells: &cells,
        x_label: "batch size",
        y_label: "learning rate",
    }))
}

/// The figures of one sweep drawn here, as (stem, HTML), in report.md's order.
fn sweep_figures(
    sweep: &SweepReport,
    si: usize,
    trials: &HashMap<&str, Vec<&TrialRecord>>,
    level: f64,
) -> Vec<(String, String)> {
    let sfx = suffix(&sweep.view.name);
    let mut out = curve_charts(sweep, si, trials, level);
    if let [param] = sweep.view.params.as_slice() {
        let stem = format!("test_acc_vs_{param}_{sfx}");
        let title = format!("final test accuracy vs {param} — sweep {}", sweep.view.name);
        let html = metric_chart(sweep, si, Metric::TestAcc, &stem, &title, "test accuracy");
        out.push((stem, html));
        if param == "batch_size" {
            let stem = format!("time_per_epoch_{sfx}");
            let title = format!(
                "training seconds per epoch vs batch size — sweep {}",
                sweep.view.name
            );
            let html = metric_chart(
                sweep,
                si,
                Metric::TrainSecondsPerEpoch,
                &stem,
                &title,
                "seconds per epoch",
            );
            out.push((stem, html));
        }
    }
    let stem = format!("heatmap_{sfx}");
    if let Some(html) = heatmap_chart(sweep, si, &stem) {
        out.push((stem, html));
    }
    out
}

/// A figure this page does not draw, inlined from the SVG file plotters wrote.
fn inlined(stem: &Path) -> crate::Result<(String, String)> {
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
    Ok((
        name.clone(),
        format!(
            "<figure class=\"chart plotters\" id=\"fig-{}\"><figcaption>{}</figcaption>{}</figure>",
            attr(&name),
            escape(&name),
            &svg[start..]
        ),
    ))
}

/// The distinct values of one provenance field over the records, joined.
fn distinct(records: &[TrialRecord], f: impl Fn(&TrialRecord) -> String) -> String {
    let set: BTreeSet<String> = records.iter().map(f).collect();
    if set.is_empty() {
        MISSING.into()
    } else {
        set.into_iter().collect::<Vec<_>>().join(", ")
    }
}

/// Where the trials came from: code, machine, time and data.
fn provenance(report: &Report, records: &[TrialRecord]) -> String {
    let started: BTreeSet<&str> = records
        .iter()
        .map(|r| r.provenance.started_at.as_str())
        .collect();
    let span = match (started.first(), started.last()) {
        (Some(a), Some(b)) if a != b => format!("{a} … {b}"),
        (Some(a), _) => a.to_string(),
        _ => MISSING.into(),
    };
    let rows: Vec<(&str, String)> = vec![
        ("study", report.study.clone()),
        (
            "mode",
            if report.quick {
                "quick (--quick: 3 seeds, subsampled data, capped epochs)".into()
            } else {
                "full".into()
            },
        ),
        (
            "trials",
            format!("{} ({} diverged)", report.trials, report.diverged),
        ),
        (
            "analysis",
            format!(
                "{:.0}% Student-t CIs over seeds; α = {} (Holm); epochs-to-target at {} validation accuracy; report.json schema {}",
                100.0 * report.options.level,
                report.options.alpha,
                pct(report.options.target),
                report.schema_version
            ),
        ),
        ("backend", report.backends.join(", ")),
        ("device", distinct(records, |r| r.provenance.device.clone())),
        (
            "threads",
            distinct(records, |r| r.provenance.threads.to_string()),
        ),
        (
            "trainbench",
            distinct(records, |r| {
                format!(
                    "{} ({})",
                    r.provenance.trainbench_version,
                    r.provenance.git_sha.as_deref().unwrap_or("git sha unknown")
                )
            }),
        ),
        (
            "burn",
            distinct(records, |r| r.provenance.burn_version.clone()),
        ),
        (
            "CPU",
            distinct(records, |r| {
                format!("{} ({} cores)", r.provenance.cpu, r.provenance.cores)
            }),
        ),
        ("OS", distinct(records, |r| r.provenance.os.clone())),
        ("host", distinct(records, |r| r.provenance.hostname.clone())),
        ("started", span),
        (
            "data",
            distinct(records, |r| {
                format!(
                    "{} (val {}, split seed {}; {} / {} / {} train / val / test rows; fingerprint {})",
                    r.data.spec.source,
                    r.data.spec.val,
                    r.data.spec.split_seed,
                    r.data.train_rows,
                    r.data.val_rows,
                    r.data.test_rows,
                    r.data.fingerprint
                )
            }),
        ),
    ];
    format!(
        "<section id=\"provenance\"><details class=\"prov\" open><summary>Provenance</summary>{}</details></section>",
        facts(&rows)
    )
}

fn answers_section(report: &Report, drawn: &BTreeSet<String>) -> String {
    let answers = answers(report);
    if answers.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "<section id=\"answers\" class=\"answers\"><h2>Lab 1, answered from the data</h2><p class=\"note\">{}</p>",
        escape(&verdict_note(report))
    );
    for a in answers {
        let links: Vec<String> = a
            .figures
            .iter()
            .map(|f| {
                let stem = f.strip_suffix(".png").unwrap_or(f);
                if drawn.contains(stem) {
                    format!("<a href=\"#fig-{}\">{}</a>", attr(stem), escape(stem))
                } else {
                    escape(f)
                }
            })
            .collect();
        let _ = write!(
            out,
            "<div class=\"answer\"><strong>{}</strong>{} <span class=\"see\">See {}.</span></div>",
            escape(&a.heading),
            escape(&a.text),
            links.join(", ")
        );
    }
    out.push_str("</section>");
    out
}

/// The figures of the page: those drawn here per sweep, and those inlined from SVG files.
struct PageFigures {
    /// Per sweep, the (stem, html) of each figure this page draws itself.
    per_sweep: Vec<Vec<(String, String)>>,
    /// The stems of every figure drawn here.
    drawn: BTreeSet<String>,
    /// The (stem, html) of each written figure this page does not draw, inlined from its SVG.
    extra: Vec<(String, String)>,
}

/// Draws each sweep's figures and inlines the written ones this page does not draw.
fn page_figures(
    report: &Report,
    records: &[TrialRecord],
    figures: &[PathBuf],
) -> crate::Result<PageFigures> {
    let trials = by_config(records);
    let level = report.options.level;
    let per_sweep: Vec<Vec<(String, String)>> = report
        .sweeps
        .iter()
        .enumerate()
        .map(|(si, s)| sweep_figures(s, si, &trials, level))
        .collect();
    let drawn: BTreeSet<String> = per_sweep
        .iter()
        .flatten()
        .map(|(stem, _)| stem.clone())
        .collect();
    let mut extra: Vec<(String, String)> = Vec::new();
    for stem in figures {
        let name = stem.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.is_some_and(|n| !drawn.contains(&n)) {
            extra.push(inlined(stem)?);
        }
    }
    Ok(PageFigures {
        per_sweep,
        drawn,
        extra,
    })
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
    format!(
        "<h1>trainbench report: {}</h1><div class=\"badges\">{mode}{diverged}<span class=\"badge\">{}</span><span class=\"badge\">{:.0}% CIs over seeds</span></div>",
        escape(&report.study),
        escape(&report.backends.join(", ")),
        100.0 * report.options.level
    )
}

/// The lead paragraphs: what the trials are, the data, and the quick-mode caveats.
fn leads(report: &Report) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<p class=\"lead\">{} trials ({} diverged) on {}{}. Intervals are {:.0}% Student-t confidence intervals over seeds. \
         Seeds of one configuration train together as replicas, so they share one wall time: a replica group is one timing measurement, and times get intervals and tests only from at least 2 groups. \
         The best configuration of a sweep is selected on mean final validation accuracy and reported with its test accuracy.</p>",
        report.trials,
        report.diverged,
        escape(&report.backends.join(", ")),
        if report.quick {
            "; quick run (3 seeds, subsampled data, capped epochs): for a first look, not for conclusions"
        } else {
            ""
        },
        100.0 * report.options.level
    );
    if let Some(d) = &report.data {
        let _ = write!(
            out,
            "<p class=\"lead\" id=\"data\">Data: {}.</p>",
            escape(&d.describe())
        );
        if d.synthetic {
            let _ = write!(
                out,
                "<p class=\"lead\" id=\"synthetic\"><strong>{}</strong></p>",
                escape(crate::report::SYNTHETIC_WARNING)
            );
        }
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
    if !answers(report).is_empty() {
        out.push_str("<a href=\"#answers\">Lab 1 answers</a>");
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

/// One sweep's section: its configurations, the comparisons with its best, its figures
/// (drawn here, then those inlined whose stem ends with the sweep's suffix).
fn sweep_section(
    si: usize,
    sweep: &SweepReport,
    drawn: &[(String, String)],
    extra: &[(String, String)],
    level: f64,
) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<section class=\"sweep\" id=\"sweep-{}\"><h2>Sweep <code>{}</code></h2>\
         <p class=\"note\">Varies {}. Click a column header to sort; hover or click a row to highlight its configuration in the figures.</p>",
        attr(&sweep.view.name),
        escape(&sweep.view.name),
        escape(&sweep.view.params.join(" × "))
    );
    out.push_str(&sweep_table(si, sweep, level));
    out.push_str(&comparison_table(si, sweep, sweep.metric(Metric::TestAcc)));
    out.push_str("<div class=\"figs\">");
    for (_, html) in drawn {
        out.push_str(html);
    }
    let sfx = format!("_{}", suffix(&sweep.view.name));
    for (_, html) in extra.iter().filter(|(n, _)| n.ends_with(&sfx)) {
        out.push_str(html);
    }
    out.push_str("</div></section>");
    out
}

/// The inlined figures that belong to no sweep, in a section of their own (empty when none).
fn other_figures(report: &Report, extra: &[(String, String)]) -> String {
    let others: Vec<&(String, String)> = extra
        .iter()
        .filter(|(n, _)| {
            !report
                .sweeps
                .iter()
                .any(|s| n.ends_with(&format!("_{}", suffix(&s.view.name))))
        })
        .collect();
    let mut out = String::new();
    if !others.is_empty() {
        out.push_str("<section id=\"other-figures\"><h2>Other figures</h2><div class=\"figs\">");
        for (_, html) in others {
            out.push_str(html);
        }
        out.push_str("</div></section>");
    }
    out
}

/// The whole `report.html`. `figures` are the stems [`crate::report::figures::write_all`] wrote (those this
/// page does not draw itself are inlined from their SVG files).
pub fn render(
    report: &Report,
    records: &[TrialRecord],
    figures: &[PathBuf],
) -> crate::Result<String> {
    let figs = page_figures(report, records, figures)?;
    let level = report.options.level;
    let mut body = String::new();
    body.push_str("<header>");
    body.push_str(&title_badges(report));
    body.push_str(&leads(report));
    body.push_str(&toc(report));
    body.push_str("</header>");
    body.push_str(&answers_section(report, &figs.drawn));
    body.push_str(&provenance(report, records));
    for (si, (sweep, drawn)) in report.sweeps.iter().zip(&figs.per_sweep).enumerate() {
        body.push_str(&sweep_section(si, sweep, drawn, &figs.extra, level));
    }
    body.push_str(&other_figures(report, &figs.extra));
    let _ = write!(
        body,
        "<footer>Generated by trainbench {} from the same analysis as report.json (schema {}); \
         the figures are also saved as PNG and SVG next to this file. Data attributes <code>data-v</code> hold the unrounded means.</footer>",
        env!("CARGO_PKG_VERSION"),
        report.schema_version
    );
    Ok(shell(
        &format!("trainbench report: {}", report.study),
        &body,
    ))
}

/// Writes `report.html` into `dir`; returns its path.
pub fn write(
    report: &Report,
    records: &[TrialRecord],
    figures: &[PathBuf],
    dir: &Path,
) -> crate::Result<PathBuf> {
    let path = dir.join("report.html");
    std::fs::write(&path, render(report, records, figures)?)
        .map_err(|e| crate::Error::io(format!("could not write '{}'", path.display()), e))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::analysis::AnalysisOptions;
    use crate::report::html::page::fetchable_references;

    /// A figure this page does not draw (another module's new figure) is inlined from its
    /// SVG file into its sweep's section; a quick run says so at the top.
    #[test]
    fn unknown_figures_are_inlined_and_quick_runs_are_labelled() {
        let (view, mut records) = crate::report::testing::batch_size_sweep();
        for r in &mut records {
            r.quick = true;
        }
        let report = Report::build("t", &[view], &records, AnalysisOptions::default());
        let dir = tempfile::tempdir().unwrap();
        let mut figures = crate::report::write_dir(&report, &records, dir.path()).unwrap();
        let extra = dir.path().join("extra_BS");
        std::fs::write(
            dir.path().join("extra_BS.svg"),
            "<svg width=\"10\" height=\"10\" xmlns=\"http://www.w3.org/2000/svg\"><rect width=\"5\" height=\"5\"/></svg>\n",
        )
        .unwrap();
        figures.push(extra);
        let html = render(&report, &records, &figures).unwrap();
        assert!(fetchable_references(&html).is_empty());
        let section = &html[html.find("id=\"sweep-batch_size\"").unwrap()..];
        assert!(section.contains("id=\"fig-extra_BS\""));
        assert!(html.contains("class=\"badge quick\""));
        // write_dir wrote the page too, without the extra figure.
        let written = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
        assert!(!written.contains("fig-extra_BS") && written.contains("fig-val_acc_BS"));
    }
}
