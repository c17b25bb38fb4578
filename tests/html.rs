//! report.html: `trainbench run` writes it next to report.md, it fetches nothing, and its
//! numbers are report.json's (the smoke study as the fixture). Takes seconds.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use trainbench::format::pct_ci;
use trainbench::report::Report;
use trainbench::report::analysis::Metric;
use trainbench::report::html::page::{fetchable_references, text_content as text_of, unescape};
use trainbench::report::text::metric_ci;

const SMOKE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/studies/smoke.toml");

fn run_smoke(dir: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_trainbench"))
        .args(["run", SMOKE, "--out"])
        .arg(dir)
        .env_remove("TRAINBENCH_BACKEND")
        .env_remove("TRAINBENCH_THREADS")
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The value of attribute `name` in a start tag.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

/// A table cell: its `data-v`, `data-metric` and text.
struct CellData {
    v: Option<String>,
    metric: Option<String>,
    text: String,
}

/// The configuration rows of the page: row id → (config id, cells).
fn config_rows(html: &str) -> HashMap<String, (String, Vec<CellData>)> {
    let mut rows = HashMap::new();
    for chunk in html.split("<tr").skip(1) {
        let tag_end = chunk.find('>').expect("closed tag");
        let tag = &chunk[..tag_end];
        let Some(id) = attribute(tag, "id") else {
            continue;
        };
        let config = attribute(tag, "data-config")
            .expect("data-config")
            .to_string();
        let body = &chunk[tag_end + 1..chunk.find("</tr>").expect("row end")];
        let cells = body
            .split("<td")
            .skip(1)
            .map(|c| {
                let end = c.find('>').unwrap();
                let tag = &c[..end];
                CellData {
                    v: attribute(tag, "data-v").map(str::to_string),
                    metric: attribute(tag, "data-metric").map(str::to_string),
                    text: text_of(&c[end + 1..c.rfind("</td>").unwrap()]),
                }
            })
            .collect();
        rows.insert(id.to_string(), (unescape(&config), cells));
    }
    rows
}

#[test]
fn run_writes_a_self_contained_report_html_with_report_json_numbers() {
    let dir = tempfile::tempdir().unwrap();
    run_smoke(dir.path());
    let html = std::fs::read_to_string(dir.path().join("report.html")).expect("report.html");
    let json = std::fs::read_to_string(dir.path().join("report.json")).unwrap();
    let report: Report = serde_json::from_str(&json).unwrap();

    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(fetchable_references(&html), Vec::<String>::new());
    assert!(html.contains("<style>") && html.contains("<script>"));
    assert!(!html.contains("<img"), "figures are inline SVG, not files");
    assert!(
        html.contains("id=\"mode\">full run<"),
        "the quick/full label"
    );
    assert!(html.contains("Provenance"));

    // The Lab 1 answers are report.md's sentences.
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    for a in trainbench::report::findings::answers(&report) {
        assert!(md.contains(&a.text), "report.md lacks: {}", a.text);
        let escaped = a
            .text
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        assert!(html.contains(&escaped), "report.html lacks: {}", a.text);
    }

    // Every configuration row: the config id and, per metric, report.json's mean as the
    // sort key and report.md's text.
    let rows = config_rows(&html);
    let metrics = [
        Metric::TestAcc,
        Metric::FinalValAcc,
        Metric::BestValAcc,
        Metric::TrainSecondsPerEpoch,
        Metric::TotalSeconds,
        Metric::EpochsToTarget,
    ];
    let mut checked = 0;
    for (si, sweep) in report.sweeps.iter().enumerate() {
        for (ci, c) in sweep.view.configs.iter().enumerate() {
            let (config, cells) = rows
                .get(&format!("row-s{si}c{ci}"))
                .unwrap_or_else(|| panic!("no row for {}", c.config_id));
            assert_eq!(config, &c.config_id);
            for metric in metrics {
                let m = sweep.metric(metric);
                let s = m.summary(&c.config_id).unwrap();
                let cell = cells
                    .iter()
                    .find(|x| x.metric.as_deref() == Some(metric.name()))
                    .unwrap_or_else(|| panic!("no {} cell", metric.name()));
                let v = cell.v.as_deref().unwrap_or("");
                if s.summary.n > 0 {
                    // Equal up to the last bit: serde_json's default float parser (reading
                    // report.json back) may round the last bit differently from Rust's.
                    let x = v.parse::<f64>().unwrap();
                    let want = s.summary.mean;
                    assert!(
                        (x - want).abs() <= 4.0 * f64::EPSILON * want.abs(),
                        "{}: {x} vs {want}",
                        metric.name()
                    );
                } else {
                    assert_eq!(v, "");
                }
                let want = metric_ci(m, &c.config_id);
                if metric == Metric::EpochsToTarget {
                    let mean = want.split(" [").next().unwrap();
                    assert!(cell.text.starts_with(mean), "{} vs {want}", cell.text);
                } else {
                    assert_eq!(cell.text, want, "{}", metric.name());
                }
                checked += 1;
            }
            // The hover text of the test-accuracy point has the same mean and CI.
            if sweep.view.params.len() == 1 {
                let s = &sweep
                    .metric(Metric::TestAcc)
                    .summary(&c.config_id)
                    .unwrap()
                    .summary;
                assert!(
                    html.contains(&format!("test_acc: {}", pct_ci(s))),
                    "no hover text for {}",
                    c.config_id
                );
            }
        }
    }
    assert_eq!(checked, 6 * 8, "5 unique configurations in 8 sweep rows");

    // `report --out` writes the same page from the same trials.
    let rep = dir.path().join("rep");
    let out = Command::new(env!("CARGO_BIN_EXE_trainbench"))
        .args([
            "report",
            dir.path().to_str().unwrap(),
            "--out",
            rep.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("report.html"));
    // Same text (the unrounded data-v keys may differ in the last bit: `run` reports from
    // the trials in memory, `report` from trials.jsonl as serde_json parses it).
    let again = std::fs::read_to_string(rep.join("report.html")).unwrap();
    assert_eq!(text_of(&again), text_of(&html));

    // One inline figure per written PNG.
    let pngs = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "png")
        })
        .count();
    assert_eq!(html.matches("<figure class=\"chart").count(), pngs);
}
