//! Small JSON files next to results (`trainbench-bench.json`, `adaptive.json`).

use crate::{Error, Result};
use serde::de::DeserializeOwned;
use std::path::Path;

/// The JSON file at `path` parsed, or `None` when there is none. Unreadable: [`Error::io`];
/// malformed: [`Error::data`] naming the file.
pub(crate) fn read_if_exists<T: DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| Error::data(path, e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(format!("could not read '{}'", path.display()), e)),
    }
}

/// Writes `path` via a temporary file and a rename, so readers never see half a file.
pub fn write_replace(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| Error::io(format!("could not write '{}'", path.display()), e))
}
