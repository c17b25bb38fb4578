//! Running git: `trainbench history` reads committed baselines from it, `baseline ab`
//! checks revisions out with it.

use crate::{Error, Result};
use std::path::Path;
use std::process::Command;

/// Runs `git -C repo ARGS` and returns its standard output. `why` says what needs git, for
/// the error when git cannot be started; a failing git command is an [`Error::Other`] with
/// its stderr.
pub(crate) fn run(repo: &Path, args: &[&str], why: &str) -> Result<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()
        .map_err(|e| Error::io(format!("could not run git ({why}; is it installed?)"), e))?;
    if !out.status.success() {
        return Err(Error::Other(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
