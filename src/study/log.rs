//! The trial log `DIR/trials.jsonl`: one JSON [`TrialRecord`] per line, appended and fsynced
//! when its trial ends, never rewritten.
//!
//! Each record is written with its newline in one write. A last line without a newline is
//! either a complete record whose newline is missing (an editor or a tool that strips final
//! newlines; a copy cut short by exactly one byte) — it is kept, and opening the log for
//! writing appends the newline, so the next record starts on a fresh line — or, when it does
//! not parse as a whole record, a torn write (the process died mid-write): reading reports
//! and ignores it, and opening the log for writing cuts it off, so its trial runs again.
//! Any other line that does not parse is reported and ignored, never fatal. One writer at a
//! time: the file is locked while a run or merge appends to it.

use super::plan::config_id;
use crate::record::TrialRecord;
use crate::{Error, Result};
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The log's file name inside a run directory.
pub const LOG_FILE: &str = "trials.jsonl";

/// What identifies a trial: a trial with an equal key is never run twice.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrialKey {
    /// The configuration's id.
    pub config_id: String,
    /// The seed.
    pub seed: u64,
    /// The backend (`flex`, `tch`, `tch-cuda:N`).
    pub backend: String,
    /// The prepared data's fingerprint.
    pub fingerprint: String,
    /// Quick-mode trial (subsampled data, capped epochs).
    pub quick: bool,
}

impl TrialKey {
    /// The key of `record` (its `config_id`, or one derived from its config).
    pub fn of(record: &TrialRecord) -> TrialKey {
        TrialKey {
            config_id: record
                .config_id
                .clone()
                .unwrap_or_else(|| config_id(&record.config)),
            seed: record.outcome.seed,
            backend: record.provenance.backend.clone(),
            fingerprint: record.data.fingerprint.clone(),
            quick: record.quick,
        }
    }
}

impl fmt::Display for TrialKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} seed={} backend={} data={}{}",
            self.config_id,
            self.seed,
            self.backend,
            self.fingerprint,
            if self.quick { " quick" } else { "" }
        )
    }
}

/// A log as read back: its valid records and what was wrong with the rest.
#[derive(Debug, Clone, Default)]
pub struct LogContents {
    /// Every complete, parseable line, in file order (a last line without its newline
    /// included when it parses as a whole record).
    pub records: Vec<TrialRecord>,
    /// Bytes of a torn last line (no newline, not a whole record), if any.
    pub torn_bytes: Option<usize>,
    /// The last line is a whole record without its newline (kept in `records`).
    pub unterminated: bool,
    /// Complete lines that did not parse: (1-based line number, reason).
    pub bad_lines: Vec<(usize, String)>,
    /// Length of the file up to the end of its last complete line or record (without a
    /// torn tail).
    pub valid_len: u64,
}

impl LogContents {
    /// Parses a log's bytes.
    pub fn parse(bytes: &[u8]) -> LogContents {
        let mut out = LogContents::default();
        let complete = match bytes.iter().rposition(|&b| b == b'\n') {
            Some(end) => end + 1,
            None => 0,
        };
        out.valid_len = complete as u64;
        for (i, line) in bytes[..complete].split(|&b| b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<TrialRecord>(line) {
                Ok(r) => out.records.push(r),
                Err(e) => out.bad_lines.push((i + 1, e.to_string())),
            }
        }
        let tail = &bytes[complete..];
        if !tail.is_empty() {
            match serde_json::from_slice::<TrialRecord>(tail) {
                Ok(r) => {
                    out.records.push(r);
                    out.unterminated = true;
                    out.valid_len = bytes.len() as u64;
                }
                Err(_) => out.torn_bytes = Some(tail.len()),
            }
        }
        out
    }

    /// Reads the log at `path`; a missing file is an empty log, an unreadable one (a
    /// directory, no permission) is [`Error::Input`]: the user named it.
    pub fn read(path: &Path) -> Result<LogContents> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(LogContents::parse(&bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(LogContents::default()),
            Err(e) => Err(Error::input(
                format!("could not read '{}'", path.display()),
                e,
            )),
        }
    }

    /// One line per problem found, for the user (empty when the log is clean).
    pub fn warnings(&self, path: &Path) -> Vec<String> {
        let mut w = Vec::new();
        if let Some(n) = self.torn_bytes {
            w.push(format!(
                "{}: ignoring a torn last line ({n} bytes without a newline: a write was \
                 interrupted); a run or merge cuts it off, and its trial runs again",
                path.display()
            ));
        }
        for (line, why) in &self.bad_lines {
            w.push(format!(
                "{}:{line}: ignoring a line that is not a trial record ({why})",
                path.display()
            ));
        }
        w
    }
}

/// A trial log open for appending, locked against other writers.
pub struct TrialLog {
    path: PathBuf,
    file: File,
}

impl TrialLog {
    /// Opens (creating `dir` and the log if needed) and locks `dir/trials.jsonl`, reads it,
    /// cuts off a torn last line and ends a whole last record that lacks its newline with
    /// one. Fails if another process holds the log.
    pub fn open(dir: &Path) -> Result<(TrialLog, LogContents)> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("could not create '{}'", dir.display()), e))?;
        let path = dir.join(LOG_FILE);
        let ctx = |what: &str| format!("could not {what} '{}'", path.display());
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| Error::io(ctx("open"), e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::Other(format!(
                    "'{}' is in use by another trainbench process (run or merge); give each \
                     concurrent run its own --out directory",
                    path.display()
                )));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(ctx("lock"), e)),
        }
        let mut bytes = Vec::new();
        file.seek(SeekFrom::Start(0))
            .and_then(|_| file.read_to_end(&mut bytes))
            .map_err(|e| Error::io(ctx("read"), e))?;
        let mut contents = LogContents::parse(&bytes);
        if contents.torn_bytes.is_some() {
            file.set_len(contents.valid_len)
                .and_then(|()| file.sync_all())
                .map_err(|e| Error::io(ctx("cut the torn last line of"), e))?;
        } else if contents.unterminated {
            file.write_all(b"\n")
                .and_then(|()| file.sync_data())
                .map_err(|e| Error::io(ctx("end the last line of"), e))?;
            contents.valid_len += 1;
        }
        Ok((TrialLog { path, file }, contents))
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `record` as one line (a single write) and fsyncs it.
    pub fn append(&mut self, record: &TrialRecord) -> Result<()> {
        let mut line = serde_json::to_vec(record)
            .map_err(|e| Error::Other(format!("could not serialise a trial record: {e}")))?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| Error::io(format!("could not append to '{}'", self.path.display()), e))
    }
}

/// Trial records for tests.
#[cfg(test)]
pub(crate) mod testing {
    use crate::data::DataSpec;
    use crate::provenance::Provenance;
    use crate::record::{DataInfo, TrialRecord};
    use crate::train::{EpochRecord, TrainConfig, TrainOutcome};

    /// A one-epoch record of configuration `id`, `seed`, in `study`, with test accuracy `acc`.
    pub(crate) fn record(study: Option<&str>, id: &str, seed: u64, acc: f64) -> TrialRecord {
        TrialRecord {
            config: TrainConfig::default(),
            data: DataInfo {
                spec: DataSpec::default(),
                fingerprint: "f".into(),
                train_rows: 10,
                val_rows: 1,
                test_rows: 2,
            },
            outcome: TrainOutcome {
                seed,
                epochs: vec![EpochRecord {
                    epoch: 1,
                    lr: 1e-3,
                    train_loss: 1.0,
                    train_acc: acc,
                    val_loss: 1.0,
                    val_acc: acc,
                    train_seconds: 0.5,
                    eval_seconds: 0.1,
                }],
                test_loss: 1.0,
                test_acc: acc,
                diverged_at: None,
                total_seconds: 1.0,
                replicas: 1,
                configs: 1,
            },
            diverged: false,
            provenance: Provenance::collect(crate::backend::BackendKind::Flex),
            study: study.map(str::to_string),
            config_id: Some(id.into()),
            quick: false,
            group: None,
            stage: None,
        }
    }

    /// `records` as log lines, each with its newline.
    pub(crate) fn lines(records: &[TrialRecord]) -> Vec<u8> {
        let mut out = Vec::new();
        for r in records {
            out.extend(serde_json::to_vec(r).unwrap());
            out.push(b'\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{lines, record};
    use super::*;

    #[test]
    fn a_whole_last_record_without_newline_is_kept() {
        let two = lines(&[record(None, "a", 0, 0.5), record(None, "a", 1, 0.6)]);
        let cut = &two[..two.len() - 1];
        let c = LogContents::parse(cut);
        assert_eq!(c.records.len(), 2);
        assert_eq!((c.torn_bytes, c.unterminated), (None, true));
        assert_eq!(c.valid_len, cut.len() as u64);
        assert!(c.warnings(Path::new("t.jsonl")).is_empty());
        // One byte more missing: torn, the trial runs again.
        let torn = LogContents::parse(&two[..two.len() - 2]);
        assert_eq!(torn.records.len(), 1);
        assert!(torn.torn_bytes.is_some() && !torn.unterminated);
        // Opening for writing ends the line, so the next record starts on its own.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(LOG_FILE), cut).unwrap();
        let (mut log, contents) = TrialLog::open(dir.path()).unwrap();
        assert_eq!(contents.records.len(), 2);
        assert_eq!(contents.valid_len, two.len() as u64);
        assert_eq!(std::fs::read(log.path()).unwrap(), two);
        log.append(&record(None, "a", 2, 0.7)).unwrap();
        drop(log);
        let back = LogContents::read(&dir.path().join(LOG_FILE)).unwrap();
        assert_eq!(back.records.len(), 3);
        assert!(back.bad_lines.is_empty() && !back.unterminated);
    }

    #[test]
    fn torn_and_bad_lines_are_reported_not_fatal() {
        let c = LogContents::parse(b"not json\n\n{\"config\": 1}\n{\"partial");
        assert!(c.records.is_empty());
        assert_eq!(c.torn_bytes, Some(9));
        assert_eq!(c.valid_len, 24);
        assert_eq!(c.bad_lines.iter().map(|b| b.0).collect::<Vec<_>>(), [1, 3]);
        assert_eq!(c.warnings(Path::new("t.jsonl")).len(), 3);
        let empty = LogContents::parse(b"");
        assert!(empty.torn_bytes.is_none() && empty.records.is_empty());
    }

    #[test]
    fn opening_cuts_a_torn_tail_and_locks_the_log() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(LOG_FILE), b"\n{\"torn").unwrap();
        let (log, contents) = TrialLog::open(dir.path()).unwrap();
        assert_eq!(contents.torn_bytes, Some(6));
        assert_eq!(std::fs::read(log.path()).unwrap(), b"\n");
        let again = TrialLog::open(dir.path());
        assert!(again.is_err(), "a second writer is refused");
        drop(log);
        assert!(TrialLog::open(dir.path()).is_ok());
    }
}
