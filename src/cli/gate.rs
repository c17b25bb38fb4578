//! What every gate (`baseline check-timing`, `check-accuracy`, `ab`) shares: its flags and
//! how it ends.

use clap::Args;
use trainbench::{Error, Result};

/// Flags of every gate (check-timing, check-accuracy, ab).
#[derive(Args)]
pub struct GateArgs {
    /// Family-wise significance level of the gate's tests (the test and its adjustment:
    /// docs/baselines.md)
    #[arg(long, default_value_t = 0.05, value_name = "A")]
    pub alpha: f64,
    /// Report regressions but exit 0 (exit 2 still for an invalid comparison)
    #[arg(long)]
    pub report_only: bool,
}

/// The end of a gate: the summary line (on stdout, or on stderr when stdout holds JSON);
/// an error (exit 1) naming what regressed, unless `--report-only`.
pub fn finish<S: AsRef<str>>(
    summary: String,
    regressed: &[S],
    gate: &GateArgs,
    json: bool,
) -> Result<()> {
    let regressed: Vec<&str> = regressed.iter().map(AsRef::as_ref).collect();
    let line = if regressed.is_empty() {
        summary
    } else if gate.report_only {
        format!("{summary}: {} (report only)", regressed.join(", "))
    } else {
        return Err(Error::Other(format!("{summary}: {}", regressed.join(", "))));
    };
    if json {
        errln!("{line}");
    } else {
        outln!("{line}");
    }
    Ok(())
}
