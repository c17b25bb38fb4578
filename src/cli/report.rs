//! `trainbench report DIR...`: statistics, tables and figures of one or more trial logs.

use super::Format;
use clap::Args;
use std::path::{Path, PathBuf};
use trainbench::Result;
use trainbench::report::analysis::AnalysisOptions;
use trainbench::report::input::{Experiment, RunInput, read_runs};
use trainbench::report::{Report, markdown, table, write_dir};

#[derive(Args)]
pub struct ReportArgs {
    /// Run directories (each with trials.jsonl; the first one's study.toml and run.json
    /// define the sweeps)
    #[arg(required = true, value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// The study file [default: FIRST_DIR/study.toml]
    #[arg(long, value_name = "FILE")]
    study: Option<PathBuf>,
    /// Output on stdout
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Also write report.md, report.json and the figures (PNG + SVG) into DIR
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Confidence level of the intervals (at most 0.999)
    #[arg(long, default_value_t = 0.95)]
    level: f64,
    /// Significance level of the verdicts (Holm-adjusted p-values)
    #[arg(long, default_value_t = 0.05)]
    alpha: f64,
    /// Only trials on this backend (when the logs hold several)
    #[arg(long, value_name = "NAME")]
    backend: Option<String>,
    /// Only trials on data with this fingerprint (when the logs hold several)
    #[arg(long, value_name = "FP")]
    data_fingerprint: Option<String>,
    /// Validation accuracy that defines epochs-to-target
    #[arg(long, default_value_t = 0.65)]
    target: f64,
}

/// Prints `report` in `format` and, with `out`, writes report.md, report.html, report.json
/// and the figures there.
fn print_and_write(report: &Report, format: Format, out: Option<&Path>) -> Result<()> {
    let written = match out {
        Some(dir) => Some(write_dir(report, dir)?),
        None => None,
    };
    match format {
        Format::Table => out!("{}", table::render(report)),
        Format::Markdown => out!("{}", markdown::render(report, written.is_some())),
        Format::Json => outln!("{}", report.to_json()?),
    }
    if let (Some(dir), Some(figures), Format::Table) = (out, &written, format) {
        errln!(
            "wrote {}, {} and {} figures (PNG + SVG)",
            dir.join("report.md").display(),
            dir.join("report.html").display(),
            figures.len()
        );
    }
    Ok(())
}

/// Prints the warnings, the report tables of a whole run directory and writes report.md,
/// report.json and the figures into it (the end of `trainbench run`).
pub fn report_run(input: &RunInput, dir: &Path) -> Result<()> {
    print_warnings(input);
    let report = input.report(AnalysisOptions::default());
    outln!();
    print_and_write(&report, Format::Table, Some(dir))
}

fn print_warnings(input: &RunInput) {
    for w in &input.warnings {
        errln!("warning: {w}");
    }
}

pub fn run(args: ReportArgs) -> Result<()> {
    let options = AnalysisOptions {
        level: args.level,
        alpha: args.alpha,
        target: args.target,
    };
    options.check()?;
    let experiment = Experiment {
        backend: args.backend.clone(),
        fingerprint: args.data_fingerprint.clone(),
    };
    let input = read_runs(&args.dirs, args.study.as_deref(), &experiment)?;
    print_warnings(&input);
    let report = input.report(options);
    print_and_write(&report, args.format, args.out.as_deref())
}
