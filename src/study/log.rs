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
//!
//! The log must be a regular file (a symlink to one is fine): a directory, a FIFO or a device
//! (`/dev/zero`) is refused with one line naming it (exit 2), before anything is read. It is
//! read as a stream, one line at a time, so memory is bounded by the records it holds: a line
//! longer than [`MAX_LINE`] bytes is reported and skipped without being held.

use super::plan::config_id;
use crate::record::TrialRecord;
use crate::{Error, Result};
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The log's file name inside a run directory.
pub const LOG_FILE: &str = "trials.jsonl";

/// The longest line a log may hold, in bytes (a record is a few kB; one of 10,000 epochs about
/// 2 MB). A longer line is reported as not a trial record and never held in memory whole.
pub const MAX_LINE: usize = 64 << 20;

/// What a file type is, for an error saying why it cannot be a log.
fn kind(t: std::fs::FileType) -> &'static str {
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// The error for a log at `path` of file type `t` (not a regular file): exit 2.
fn not_a_log(path: &Path, t: std::fs::FileType) -> Error {
    Error::data(
        path,
        format!(
            "is {} (after symlinks), not a regular file: a trial log must be a regular file; \
             remove or rename it",
            kind(t)
        ),
    )
}

/// Whether the log at `path` exists (following symlinks): `Ok(false)` when it does not, an
/// error ([`Error::Data`], exit 2) when it is not a regular file.
pub fn log_exists(path: &Path) -> Result<bool> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(true),
        Ok(m) => Err(not_a_log(path, m.file_type())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::input(
            format!("could not read '{}'", path.display()),
            e,
        )),
    }
}

/// Refuses an opened log that is not a regular file (it was replaced after [`log_exists`]
/// looked). Opened with `O_NONBLOCK`, so that opening a FIFO did not wait for a writer.
fn check_opened(file: &File, path: &Path) -> Result<()> {
    let m = file
        .metadata()
        .map_err(|e| Error::input(format!("could not read '{}'", path.display()), e))?;
    if m.is_file() {
        Ok(())
    } else {
        Err(not_a_log(path, m.file_type()))
    }
}

/// One line of a stream, at most `cap` bytes of it kept in `line` (with its newline).
struct Line {
    /// Bytes the line spans in the stream (its newline included).
    len: usize,
    /// It ends with a newline (else the stream ended).
    terminated: bool,
    /// Longer than `cap`: `line` holds nothing of it.
    too_long: bool,
}

/// Reads the next line of `r` into `line` (cleared first); `None` at the end of the stream.
fn next_line(
    r: &mut impl BufRead,
    line: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<Option<Line>> {
    line.clear();
    let mut out = Line {
        len: 0,
        terminated: false,
        too_long: false,
    };
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok((out.len > 0).then_some(out));
        }
        let (take, end) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        if !out.too_long && out.len + take <= cap {
            line.extend_from_slice(&buf[..take]);
        } else {
            out.too_long = true;
            line.clear();
        }
        out.len += take;
        r.consume(take);
        if end {
            out.terminated = true;
            return Ok(Some(out));
        }
    }
}

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
        LogContents::parse_stream(bytes, MAX_LINE).expect("reading a byte slice cannot fail")
    }

    /// Parses a log as a stream, one line at a time, holding at most `cap` bytes of a line.
    fn parse_stream(reader: impl Read, cap: usize) -> std::io::Result<LogContents> {
        let mut r = BufReader::with_capacity(1 << 16, reader);
        let mut out = LogContents::default();
        let (mut line, mut number, mut offset) = (Vec::new(), 0usize, 0u64);
        while let Some(l) = next_line(&mut r, &mut line, cap)? {
            number += 1;
            if !l.terminated {
                // The last line, without its newline: a whole record, or a torn write.
                match serde_json::from_slice::<TrialRecord>(&line) {
                    Ok(rec) if !l.too_long => {
                        out.records.push(rec);
                        out.unterminated = true;
                        out.valid_len = offset + l.len as u64;
                    }
                    _ => out.torn_bytes = Some(l.len),
                }
                break;
            }
            offset += l.len as u64;
            out.valid_len = offset;
            if l.too_long {
                let why = format!("a line of {} bytes, longer than any trial record", l.len);
                out.bad_lines.push((number, why));
                continue;
            }
            let text = &line[..line.len() - 1];
            if text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<TrialRecord>(text) {
                Ok(rec) => out.records.push(rec),
                Err(e) => out.bad_lines.push((number, e.to_string())),
            }
        }
        Ok(out)
    }

    /// Reads the log at `path`; a missing file is an empty log; one that is not a regular file
    /// (a directory, a FIFO, a device) or cannot be read (no permission) is an error (exit
    /// 2): the user named it.
    pub fn read(path: &Path) -> Result<LogContents> {
        if !log_exists(path)? {
            return Ok(LogContents::default());
        }
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .map_err(|e| Error::input(format!("could not read '{}'", path.display()), e))?;
        check_opened(&file, path)?;
        LogContents::parse_stream(file, MAX_LINE)
            .map_err(|e| Error::input(format!("could not read '{}'", path.display()), e))
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
    /// one. Fails if another process holds the log, and (exit 2) if the log is not a regular
    /// file.
    pub fn open(dir: &Path) -> Result<(TrialLog, LogContents)> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("could not create '{}'", dir.display()), e))?;
        let path = dir.join(LOG_FILE);
        log_exists(&path)?;
        let ctx = |what: &str| format!("could not {what} '{}'", path.display());
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&path)
            .map_err(|e| Error::io(ctx("open"), e))?;
        check_opened(&file, &path)?;
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
        let mut contents = file
            .seek(SeekFrom::Start(0))
            .and_then(|_| LogContents::parse_stream(&file, MAX_LINE))
            .map_err(|e| Error::io(ctx("read"), e))?;
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
                noise_scale: Vec::new(),
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

    /// Issue 27, reproduction 3: a log that is a symlink to /dev/zero made `run` grow to
    /// 24 GB; a FIFO or a directory gave "0 records". Each is refused, by reading and by
    /// opening for a run, without blocking or reading anything.
    #[test]
    fn a_log_that_is_not_a_regular_file_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let cases = [
            ("zero", "a character device"),
            ("fifo", "a FIFO (named pipe)"),
            ("dir", "a directory"),
        ];
        for (name, kind) in cases {
            let dir = tmp.path().join(name);
            std::fs::create_dir(&dir).unwrap();
            let log = dir.join(LOG_FILE);
            match name {
                "zero" => std::os::unix::fs::symlink("/dev/zero", &log).unwrap(),
                "fifo" => {
                    let c = std::ffi::CString::new(log.to_str().unwrap()).unwrap();
                    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
                }
                _ => std::fs::create_dir(&log).unwrap(),
            }
            for e in [
                LogContents::read(&log).unwrap_err(),
                TrialLog::open(&dir).err().expect("refused"),
            ] {
                assert_eq!(e.exit_code(), 2, "{name}: {e}");
                let msg = e.to_string();
                assert!(
                    msg.contains(&format!("is {kind} (after symlinks)")),
                    "{msg}"
                );
                assert!(msg.contains(LOG_FILE), "{msg}");
            }
        }
    }

    /// A line longer than the cap is reported and skipped, never held whole; the records
    /// around it are kept, and an over-long unterminated tail is a torn write.
    #[test]
    fn an_over_long_line_is_skipped_without_being_held() {
        let record = lines(&[record(None, "a", 0, 0.5)]);
        let cap = record.len() + 10;
        let mut bytes = record.clone();
        bytes.extend(vec![b'x'; 3 * cap]);
        bytes.push(b'\n');
        bytes.extend(&record);
        let c = LogContents::parse_stream(&bytes[..], cap).unwrap();
        assert_eq!(c.records.len(), 2);
        assert_eq!(c.bad_lines.len(), 1);
        assert_eq!(c.bad_lines[0].0, 2);
        assert!(c.bad_lines[0].1.contains("longer than any trial record"));
        assert_eq!(c.valid_len, bytes.len() as u64);
        bytes.extend(vec![b'{'; 2 * cap]);
        let torn = LogContents::parse_stream(&bytes[..], cap).unwrap();
        assert_eq!(torn.torn_bytes, Some(2 * cap));
        assert_eq!(torn.records.len(), 2);
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
