//! Ctrl-C for long runs: the first interrupt asks the run to stop after the current group;
//! a second one (a second apart) exits at once.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use trainbench::{Error, Result};

/// Set by the first interrupt; runs check it before every group.
pub static STOP: AtomicBool = AtomicBool::new(false);
static FIRST_INTERRUPT: OnceLock<Instant> = OnceLock::new();

/// First Ctrl-C: finish the current group, then stop. Second: exit now (every line already
/// in the log was written whole and fsynced). A repeat within a second of the first is the
/// same signal delivered twice (e.g. `timeout` signals the process and its group), not a
/// second Ctrl-C.
pub fn install_ctrl_c() -> Result<()> {
    // Once per process: an adaptive run trains two stages, each installing it.
    static INSTALLED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return Ok(());
    }
    ctrlc::set_handler(|| {
        let first = *FIRST_INTERRUPT.get_or_init(Instant::now);
        if !STOP.swap(true, Ordering::SeqCst) {
            errln!(
                "\ninterrupt: finishing the current group, then stopping (Ctrl-C again to \
                 abort it; the log stays valid either way)"
            );
        } else if first.elapsed() >= Duration::from_secs(1) {
            errln!("\naborted; the trial log is valid — rerun the same command to resume");
            std::process::exit(130);
        }
    })
    .map_err(|e| Error::Other(format!("could not install the Ctrl-C handler: {e}")))
}

/// Ctrl-C or SIGTERM ends the running children of
/// [`trainbench::baseline::bench_build`] — a build or a bench run, and everything it
/// started — then this process (exit 130): none of them outlives the command.
pub fn stop_children_on_signal() -> Result<()> {
    ctrlc::set_handler(|| {
        trainbench::baseline::bench_build::stop_children();
        errln!("\ninterrupted: the build or bench run was stopped");
        std::process::exit(130);
    })
    .map_err(|e| Error::Other(format!("could not install the Ctrl-C handler: {e}")))
}
