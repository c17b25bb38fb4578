//! The one error type of trainbench.
//!
//! Every fallible library function returns [`Result`]. The CLI maps [`Error::Usage`] to exit
//! code 2 (bad arguments, invalid study files) and everything else to exit code 1.

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
    /// An I/O operation failed; `context` says which.
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
    /// A data error about `path`.
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

    /// The process exit code for this error: 2 for usage errors, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => 2,
            _ => 1,
        }
    }
}

/// `Result` with trainbench's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
