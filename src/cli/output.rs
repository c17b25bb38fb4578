//! Standard output for every command: a closed pipe (`trainbench … | head`) drops the output
//! and the command goes on (a study keeps training and logging); any other failure to write
//! (a full disk, `> /dev/full`) is remembered and ends the command with exit 1 once it is
//! done ([`finish`]). The `outln!` / `out!` macros of `cli/mod.rs` write through [`note`].

use std::io::{ErrorKind, Write};
use std::sync::OnceLock;
use trainbench::{Error, Result};

/// The first write error other than a closed pipe.
static FAILED: OnceLock<std::io::Error> = OnceLock::new();

/// Remembers a failed write to stdout unless the pipe was closed.
pub fn note(written: std::io::Result<()>) {
    if let Err(e) = written
        && e.kind() != ErrorKind::BrokenPipe
    {
        let _ = FAILED.set(e);
    }
}

/// Flushes stdout; an error (exit 1) naming the first write that failed, if any did.
pub fn finish() -> Result<()> {
    note(std::io::stdout().flush());
    match FAILED.get() {
        Some(e) => Err(Error::io(
            "could not write to standard output",
            std::io::Error::new(e.kind(), e.to_string()),
        )),
        None => Ok(()),
    }
}
