//! `trainbench history`: the committed baselines over git history → history.html.

use super::Format;
use clap::Args;
use std::path::PathBuf;
use trainbench::Result;
use trainbench::baseline::history::{HistoryOptions, StepRule, read, render_text};
use trainbench::report::html::history::write;

#[derive(Args)]
pub struct HistoryArgs {
    /// Only this testbed (the folder under BASELINES_DIR) [default: every testbed]
    #[arg(long, value_name = "NAME")]
    testbed: Option<String>,
    /// Write history.html and history.json into DIR
    #[arg(long, default_value = "target/history", value_name = "DIR")]
    out: PathBuf,
    /// Output on stdout: table (versions, the changes, accepted changes; also `text`) or json
    /// (history.json)
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// A folder inside the git repository to read
    #[arg(long, default_value = ".", value_name = "DIR")]
    repo: PathBuf,
    /// Where testbed folders live, relative to the repository's top level
    #[arg(long, default_value = "baselines", value_name = "DIR")]
    baselines_dir: PathBuf,
    /// A step changes a time by at least this many percent (and the CIs do not overlap)
    #[arg(long, default_value_t = 5.0, value_name = "PCT")]
    threshold: f64,
    /// A step changes an accuracy by at least this many points (and the CIs do not overlap)
    #[arg(long, default_value_t = 1.0, value_name = "POINTS")]
    accuracy_threshold: f64,
    /// Rows of the changes table: every step, then the largest other changes up to N rows
    #[arg(long, default_value_t = 20, value_name = "N")]
    top: usize,
}

pub fn run(args: HistoryArgs) -> Result<()> {
    let format = args
        .format
        .check("history", &[Format::Table, Format::Json])?;
    let options = HistoryOptions {
        testbed: args.testbed,
        baselines_dir: args.baselines_dir,
        rule: StepRule {
            timing_pct: args.threshold,
            accuracy_points: args.accuracy_threshold,
        },
    };
    options.rule.check()?;
    let history = read(&args.repo, &options)?;
    for n in &history.notes {
        errln!("note: {n}");
    }
    let page = write(&history, args.top, &args.out)?;
    if format == Format::Json {
        outln!("{}", history.to_json()?);
    } else {
        out!("{}", render_text(&history, args.top));
    }
    errln!(
        "wrote {} and {}",
        page.display(),
        args.out.join("history.json").display()
    );
    Ok(())
}
