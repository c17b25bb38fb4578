//! The docs and the CLI cannot drift apart: every `trainbench <command> … --flag` written in
//! README.md or docs/*.md must name a flag that `trainbench <command> --help` lists.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

const COMMANDS: [&str; 9] = [
    "run", "report", "status", "merge", "train", "models", "data", "baseline", "history",
];

/// `(command words, flag)` pairs from one line of Markdown, e.g. (["run"], "--quick").
fn mentions(line: &str) -> Vec<(Vec<String>, String)> {
    let mut out = Vec::new();
    for prefix in ["trainbench ", "cargo run --release -- "] {
        for (at, _) in line.match_indices(prefix) {
            if prefix == "trainbench " && line[..at].ends_with("cargo run --release -- ") {
                continue;
            }
            let rest = &line[at + prefix.len()..];
            let end = rest.find(['`', '|', ';', '#']).unwrap_or(rest.len());
            let words: Vec<&str> = rest[..end].split_whitespace().collect();
            let Some(cmd) = words.first().filter(|w| COMMANDS.contains(w)) else {
                continue;
            };
            let mut command = vec![cmd.to_string()];
            if matches!(*cmd, "baseline" | "data")
                && let Some(sub) = words.get(1).filter(|w| !w.starts_with('-'))
            {
                command.push(sub.split('|').next().unwrap_or(sub).to_string());
            }
            for w in &words[1..] {
                if let Some(flag) = w.strip_prefix("--") {
                    let name: String = flag
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                        .collect();
                    if !name.is_empty() {
                        out.push((command.clone(), format!("--{name}")));
                    }
                }
            }
        }
    }
    out
}

#[test]
fn every_flag_the_docs_give_a_command_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    for e in std::fs::read_dir(root.join("docs")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            files.push(p);
        }
    }
    let mut wanted: BTreeMap<Vec<String>, BTreeSet<(String, String)>> = BTreeMap::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (i, line) in text.lines().enumerate() {
            for (cmd, flag) in mentions(line) {
                let at = format!("{}:{}", f.file_name().unwrap().to_string_lossy(), i + 1);
                wanted.entry(cmd).or_default().insert((flag, at));
            }
        }
    }
    assert!(
        wanted.contains_key(&vec!["run".to_string()]),
        "no run flags found in the docs"
    );
    let mut missing = Vec::new();
    for (cmd, flags) in &wanted {
        let out = Command::new(env!("CARGO_BIN_EXE_trainbench"))
            .args(cmd)
            .arg("--help")
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        for (flag, at) in flags {
            let listed = help
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .any(|w| w == flag);
            if !listed && flag != "--help" {
                missing.push(format!("{at}: trainbench {} {flag}", cmd.join(" ")));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "flags in the docs but not in --help:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_mention_parser_reads_commands_and_flags() {
    let m = mentions(
        "run `trainbench run studies/x.toml --quick --out D` then `trainbench baseline check-accuracy D --strict`",
    );
    assert_eq!(
        m,
        vec![
            (vec!["run".into()], "--quick".into()),
            (vec!["run".into()], "--out".into()),
            (
                vec!["baseline".into(), "check-accuracy".into()],
                "--strict".into()
            ),
        ]
    );
}
