//! A searched learning-rate axis end to end: the stages, the decisions file, resume, and the
//! same search under `--jobs`.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

/// Two batch sizes, a learning rate searched from 3 points, 3 seeds, 2 epochs on 6,000 rows
/// (a second to train), a stage-3 budget of 12 trials.
const STUDY: &str = r#"
name = "search"
seeds = 3
[defaults]
model = "jsc-tiny"
epochs = 2
data = "synth:6000"
[[sweep]]
name = "bs_x_lr"
vary = { batch_size = [64, 256], lr = { search = "1e-4..1", points = 3, budget = 12 } }
"#;

fn trainbench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trainbench"))
        .args(args)
        .env_remove("TRAINBENCH_BACKEND")
        .env_remove("TRAINBENCH_THREADS")
        .output()
        .expect("runs")
}

fn ok(args: &[&str]) -> String {
    let out = trainbench(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{args:?} failed: {err}");
    err
}

/// Every record of a run directory's log by (config id, seed): its stage and its results
/// without times, group or provenance.
fn trials(dir: &Path) -> BTreeMap<(String, u64), (u64, Value)> {
    std::fs::read_to_string(dir.join("trials.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let mut r: Value = serde_json::from_str(l).unwrap();
            let o = r.as_object_mut().unwrap();
            for k in [
                "provenance",
                "total_seconds",
                "group",
                "replicas",
                "configs",
            ] {
                o.remove(k);
            }
            for e in o["epochs"].as_array_mut().unwrap() {
                let e = e.as_object_mut().unwrap();
                e.remove("train_seconds");
                e.remove("eval_seconds");
            }
            let key = (
                o["config_id"].as_str().unwrap().to_string(),
                o["seed"].as_u64().unwrap(),
            );
            (key, (o["stage"].as_u64().unwrap(), r))
        })
        .collect()
}

#[test]
fn a_search_trains_its_stages_resumes_and_runs_the_same_under_jobs() {
    let tmp = tempfile::tempdir().unwrap();
    let study = tmp.path().join("s.toml");
    std::fs::write(&study, STUDY).unwrap();
    let study = study.to_str().unwrap();

    // The dry run shows stage 1 and the rule for the rest.
    let out = trainbench(&["run", study, "--dry-run"]);
    let plan = String::from_utf8_lossy(&out.stdout);
    assert!(plan.contains("bs=64,lr=3.16e-3"), "{plan}");
    assert!(
        plan.contains("stage 1 trains 3 points 0.5 decades apart"),
        "{plan}"
    );
    assert!(plan.contains("up to 12 trials"), "{plan}");

    let one = tmp.path().join("one");
    let run_one = [
        "run",
        study,
        "--out",
        one.to_str().unwrap(),
        "--threads",
        "1",
    ];
    let err = ok(&run_one);
    assert!(
        err.contains("(stage 2, decided from the trials so far"),
        "{err}"
    );
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(one.join("lr_search.json")).unwrap())
            .unwrap();
    let cells = &state["sweeps"]["bs_x_lr"]["cells"];
    assert!(cells["64"].is_array() && cells["256"].is_array(), "{state}");
    let got = trials(&one);
    let stages: Vec<u64> = got.values().map(|(s, _)| *s).collect();
    assert_eq!(
        stages.iter().filter(|&&s| s == 1).count(),
        18,
        "the grid: 2 × 3 × 3"
    );
    assert!(stages.contains(&2), "stage 2 added points");
    let stage3 = stages.iter().filter(|&&s| s == 3).count();
    assert!(
        stage3 > 0 && stage3 <= 12,
        "stage 3 within the budget: {stage3}"
    );
    // Every trial measured the gradient noise scale at initialisation, half way and the end
    // (2 epochs: a quarter rounds up to the half).
    for (_, r) in got.values() {
        let probes: Vec<u64> = r["noise_scale"]
            .as_array()
            .expect("noise_scale")
            .iter()
            .map(|p| p["epoch"].as_u64().unwrap())
            .collect();
        assert_eq!(probes, [0, 1, 2]);
        assert!(r["noise_scale"][2]["trace_cov"].as_f64().unwrap() > 0.0);
    }
    // Stage 3's trials are seeds beyond the study's.
    assert!(
        got.iter()
            .filter(|(_, (s, _))| *s == 3)
            .all(|((_, seed), _)| *seed >= 3)
    );

    // A rerun replays the decisions and trains nothing.
    let again = ok(&run_one);
    assert!(!again.contains("  done "), "{again}");
    assert_eq!(trials(&one), got);
    let status = String::from_utf8_lossy(&trainbench(&["status", one.to_str().unwrap()]).stdout)
        .into_owned();
    assert!(
        status.contains(&format!("{} (100%)", got.len())),
        "{status}"
    );

    // Under --jobs the same decisions and the same trials, to the bit.
    let jobs = tmp.path().join("jobs");
    ok(&[
        "run",
        study,
        "--out",
        jobs.to_str().unwrap(),
        "--jobs",
        "2",
        "--threads",
        "1",
    ]);
    assert_eq!(
        std::fs::read_to_string(jobs.join("lr_search.json")).unwrap(),
        std::fs::read_to_string(one.join("lr_search.json")).unwrap()
    );
    assert_eq!(trials(&jobs), got);
}

#[test]
fn a_search_is_refused_where_it_cannot_decide() {
    let tmp = tempfile::tempdir().unwrap();
    let study = tmp.path().join("s.toml");
    std::fs::write(&study, STUDY).unwrap();
    let study = study.to_str().unwrap();
    // A shard trains its part of stage 1 and says how to continue.
    let out = trainbench(&["run", study, "--dry-run", "--shard", "1/2"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("trains its part of stage 1 only"));
    // Adaptive seeds cannot pick the search's seeds.
    let out = trainbench(&["run", study, "--dry-run", "--seeds", "2..4"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("use seeds = N"), "{err}");
    let out = trainbench(&[
        "run",
        concat!(env!("CARGO_MANIFEST_DIR"), "/studies/smoke.toml"),
        "--budget",
        "10",
        "--dry-run",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--budget needs a searched"));
}
