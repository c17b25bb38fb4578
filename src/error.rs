//! The one error type of trainbench, and the exit-code rule.
//!
//! Every fallible library function returns [`Result`]. The CLI prints the error as one line
//! and exits with [`Error::exit_code`], by one rule:
//!
//! * **2 — bad input the user can fix**: a bad flag or argument, an invalid study file, and
//!   any input file the user named that is missing, unreadable or malformed (a data file, a
//!   study file, a trial log, a baseline, criterion's results): [`Error::Usage`],
//!   [`Error::Data`] and [`Error::Input`]. Nothing was done; fix the input and rerun.
//! * **1 — a failure while working**: writing an output (a log, a report, a cache), the
//!   backend or device, training, or a verdict that fails (a regression found by a check):
//!   [`Error::Io`], [`Error::Backend`] and [`Error::Other`].
//!
//! So an I/O error while *reading a file the user named* is [`Error::input`] (exit 2), and
//! one while *writing* (or reading what trainbench itself wrote while working) is
//! [`Error::io`] (exit 1).

use std::path::PathBuf;

/// Everything that can go wrong in trainbench, with enough context to act on it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The user asked for something invalid (bad flag value, unknown model, backend not
    /// compiled in). Exit code 2.
    #[error("{0}")]
    Usage(String),
    /// A data file could not be read or is malformed. `message` says where in the file
    /// (line and column for CSV) and what is wrong.
    #[error("{}: {message}", path.display())]
    Data {
        /// The offending file.
        path: PathBuf,
        /// What is wrong, and where.
        message: String,
    },
    /// A file the user named (a study file, a trial log, a baseline) could not be read:
    /// missing, a directory, no permission. `context` says which file. Exit code 2.
    #[error("{context}: {source}")]
    Input {
        /// What trainbench was reading ("could not read study file 'x.toml'").
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An I/O operation failed while working (writing an output); `context` says which.
    /// Exit code 1.
    #[error("{context}: {source}")]
    Io {
        /// What trainbench was doing ("could not create 'runs/x/trials.jsonl'").
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The requested backend or device cannot be used here.
    #[error("{0}")]
    Backend(String),
    /// Anything else, already phrased for the user.
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// A data error about `path` (exit code 2).
    pub fn data(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Data {
            path: path.into(),
            message: message.into(),
        }
    }

    /// An I/O error with a sentence of context.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// An input file the user named could not be read (exit code 2): `context` names it.
    pub fn input(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Input {
            context: context.into(),
            source,
        }
    }

    /// The process exit code for this error (see the module docs): 2 for bad input the user
    /// can fix ([`Error::Usage`], [`Error::Data`], [`Error::Input`]), 1 for a failure while
    /// working.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) | Error::Data { .. } | Error::Input { .. } => 2,
            Error::Io { .. } | Error::Backend(_) | Error::Other(_) => 1,
        }
    }
}

/// `Result` with trainbench's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_errors_exit_2_work_errors_exit_1() {
        let io = || std::io::Error::from(std::io::ErrorKind::NotFound);
        assert_eq!(Error::Usage("x".into()).exit_code(), 2);
        assert_eq!(Error::data("d.csv", "line 3, bad").exit_code(), 2);
        let input = Error::input("could not read 'x.toml'", io());
        assert_eq!(input.exit_code(), 2);
        assert!(input.to_string().starts_with("could not read 'x.toml': "));
        assert_eq!(
            Error::io("could not write 'r/t.jsonl'", io()).exit_code(),
            1
        );
        assert_eq!(Error::Backend("no GPU".into()).exit_code(), 1);
        assert_eq!(Error::Other("2 of 4 regressed".into()).exit_code(), 1);
    }
}
