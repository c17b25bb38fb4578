//! `trainbench baseline accept`: an intended change accepted in one command.
//!
//! A baseline stands for some code. When a change is meant to be slower (or to train
//! differently), the gate that compares against the baseline has to be told that the new
//! code is now the reference, and the reviewer should see why. Accepting:
//!
//! * **timing** ([`accept_timing`]): moves the revision `baseline ab` compares against
//!   ([`TimingBaseline::ab_base`]) to the commit checked out — no re-bench, because `ab`
//!   measures both sides on the machine it runs on anyway — and appends an [`Accepted`]
//!   entry to the file's log: the reason, the date, the commits before and after, and the
//!   head/base ratios of the last `baseline ab` run when there is one ([`LastAb`], kept in the
//!   target directory by every `ab` run);
//! * **accuracy** ([`accept_accuracy`]): re-runs the study the baseline was saved from with
//!   the same backend, threads and quick mode, saves it over the baseline, and logs the
//!   reason with the per-configuration difference (new − old, points) against the old one.
//!
//! Either way the commit being accepted must be a commit: tracked files outside the
//! baselines folder without uncommitted changes, or the accept is refused (exit 2). What to
//! commit next is returned ([`Outcome::commit_command`]).

use super::AccuracyBaseline;
use super::ab::LastAb;
use super::log::{Accepted, Measured, MeasuredChange};
use super::timing::{TimingBaseline, timing_file};
use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// Now, UTC, RFC 3339 to the second.
fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The result of an accept: the file written, the entry logged, notes for the reader and the
/// `git commit` to make.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The baseline file written.
    pub path: PathBuf,
    /// The entry appended to its log.
    pub entry: Accepted,
    /// Things to know (how the measured ratios relate to the accepted commit).
    pub notes: Vec<String>,
    /// The command that commits the accept.
    pub commit_command: String,
}

impl Outcome {
    /// What was accepted, for people, one line each: the file, the commit (12 characters),
    /// its date and the commit before, the reason, and what was measured.
    pub fn describe(&self) -> String {
        let e = &self.entry;
        let short = |s: &str| s.chars().take(12).collect::<String>();
        let was = e.previous.as_deref().map(short);
        let mut out = format!(
            "{}: accepted {} ({}), was {}\n  reason: {}\n",
            self.path.display(),
            short(&e.commit),
            e.date,
            was.unwrap_or_else(|| "—".into()),
            e.reason
        );
        if let Some(m) = &e.measured {
            out.push_str(&format!("  measured: {}\n", m.by));
            for c in &m.changes {
                out.push_str(&format!("    {}\n", m.line(c)));
            }
        }
        out
    }
}

/// A shell word: as it is when plain, else single-quoted.
fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@+,".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// `git commit -m 'MESSAGE' -- PATH`.
fn commit_command(path: &Path, message: &str) -> String {
    format!(
        "git commit -m {} -- {}",
        shell_word(message),
        shell_word(&path.display().to_string())
    )
}

/// A reason: not blank, one line.
fn check_reason(reason: &str) -> Result<String> {
    let r = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    if r.is_empty() {
        return Err(Error::Usage(
            "--reason must say why the change is accepted".into(),
        ));
    }
    Ok(r)
}

/// The sha of HEAD of the checkout holding `dir`, refusing uncommitted changes to tracked
/// files outside `baselines_dir`: the code being accepted must be a commit. Returns the
/// repository's top folder too.
fn committed_code(dir: &Path, baselines_dir: &Path) -> Result<(PathBuf, String)> {
    let repo = super::bench_build::repo_root(dir)?;
    let status = super::git::run(
        &repo,
        &["status", "--porcelain", "--untracked-files=no"],
        "baseline accept names a commit",
    )?;
    let baselines = std::path::absolute(baselines_dir).unwrap_or(baselines_dir.to_path_buf());
    let changed: Vec<String> = status
        .lines()
        .filter_map(|l| l.get(3..))
        .filter(|p| !repo.join(p).starts_with(&baselines))
        .map(str::to_string)
        .collect();
    if !changed.is_empty() {
        return Err(Error::Usage(format!(
            "uncommitted changes to {}: commit the change being accepted first (the baseline \
             must name a commit), then accept",
            changed.join(", ")
        )));
    }
    let sha = super::bench_build::resolve_rev(&repo, "HEAD")?;
    Ok((repo, sha))
}

/// What [`accept_timing`] accepts.
#[derive(Debug, Clone, PartialEq)]
pub struct AcceptTiming {
    /// Why.
    pub reason: String,
    /// The testbed (default: the only one with a timing.json).
    pub testbed: Option<String>,
    /// Where testbed folders live.
    pub baselines_dir: PathBuf,
}

/// Accepts the checked-out commit as the timing baseline's code: `baseline ab` compares
/// against it from now on (see the module documentation).
pub fn accept_timing(a: &AcceptTiming, dir: &Path) -> Result<Outcome> {
    let reason = check_reason(&a.reason)?;
    let path = timing_file(&a.baselines_dir, a.testbed.as_deref())?;
    let mut baseline = TimingBaseline::load(&path)?;
    let (repo, sha) = committed_code(dir, &a.baselines_dir)?;
    let previous = baseline.base_revision();
    if let Some(prev) = &previous
        && let Ok(prev) = super::bench_build::resolve_rev(&repo, prev)
        && super::bench_build::same_code(&repo, &prev, Some(&sha), &a.baselines_dir)?
    {
        return Err(Error::Usage(format!(
            "'{}' already stands for {} and HEAD has the same code: nothing to accept",
            path.display(),
            &prev[..12]
        )));
    }
    let mut notes = Vec::new();
    let target = super::bench_build::target_dir(&repo)?;
    let measured = match LastAb::load(&target)? {
        None => {
            notes.push(format!(
                "no `baseline ab` run in {}: the entry has no measured ratios",
                target.display()
            ));
            None
        }
        Some(last) => {
            if last.head != sha || last.head_dirty {
                notes.push(format!(
                    "the last `baseline ab` measured {}{}, not {} itself: its ratios are logged \
                     with what it compared",
                    &last.head[..12.min(last.head.len())],
                    if last.head_dirty {
                        " + uncommitted changes"
                    } else {
                        ""
                    },
                    &sha[..12]
                ));
            }
            Some(last.measured)
        }
    };
    let entry = Accepted {
        date: now(),
        reason: reason.clone(),
        commit: sha.clone(),
        previous,
        measured,
    };
    baseline.ab_base = Some(sha.clone());
    baseline.log.push(entry.clone());
    baseline.save_header(&path)?;
    Ok(Outcome {
        commit_command: commit_command(&path, &format!("Accept {}: {reason}", &sha[..12])),
        path,
        entry,
        notes,
    })
}

/// What [`accept_accuracy`] accepts.
#[derive(Debug, Clone, PartialEq)]
pub struct AcceptAccuracy {
    /// Why.
    pub reason: String,
    /// The accuracy baseline, e.g. `baselines/ci-2core/ci-gate.json`.
    pub file: PathBuf,
    /// The study to re-run (default: `studies/<the baseline's study>.toml`).
    pub study: Option<PathBuf>,
    /// Where testbed folders live (changes there do not count as uncommitted code).
    pub baselines_dir: PathBuf,
}

impl AcceptAccuracy {
    /// The study file to re-run.
    pub fn study_file(&self, old: &AccuracyBaseline) -> PathBuf {
        self.study
            .clone()
            .unwrap_or_else(|| PathBuf::from(format!("studies/{}.toml", old.study)))
    }
}

/// Accepts the checked-out commit as the accuracy baseline's code: re-runs its study (the
/// same backend, threads and quick mode, into a scratch folder), saves the result over the
/// file with the log carried over and this entry added — the per-configuration difference
/// to the old baseline as `check-accuracy` computes it (margin 1 point, α 0.05). `stop` ends
/// the re-run early (an error: nothing is written).
pub fn accept_accuracy(
    a: &AcceptAccuracy,
    dir: &Path,
    stop: &std::sync::atomic::AtomicBool,
) -> Result<Outcome> {
    use crate::study::{Session, SessionOptions};
    let reason = check_reason(&a.reason)?;
    let old = AccuracyBaseline::load(&a.file)?;
    let (_repo, sha) = committed_code(dir, &a.baselines_dir)?;
    let study = a.study_file(&old);
    let backend: crate::backend::BackendKind = old
        .fingerprint
        .backends
        .first()
        .map(String::as_str)
        .unwrap_or("flex")
        .parse()?;
    let scratch = std::env::temp_dir().join(format!(
        "trainbench-accept-{}-{}",
        std::process::id(),
        old.study
    ));
    let _ = std::fs::remove_dir_all(&scratch);
    let options = SessionOptions {
        plan: crate::study::PlanOptions {
            quick: old.quick,
            ..Default::default()
        },
        out: Some(scratch.clone()),
        ..Default::default()
    };
    let run = || -> Result<Vec<crate::record::TrialRecord>> {
        let session = Session::prepare(&study, options)?;
        let (backend, device) =
            crate::backend::open(Some(&backend.to_string()), Some(old.fingerprint.threads))?;
        let mut ready = session.start(backend, &device)?;
        let summary = ready.execute(stop, |_| {})?;
        if summary.stopped {
            return Err(Error::Other(
                "interrupted: the baseline was not changed".into(),
            ));
        }
        Ok(ready.into_trials().2)
    };
    let records = run();
    let _ = std::fs::remove_dir_all(&scratch);
    let mut new = AccuracyBaseline::from_records(&old.testbed, &records?)?;
    let mut notes = Vec::new();
    let measured = match super::check_accuracy(&old, &new, 1.0, 0.05) {
        Ok(check) => Some(Measured {
            by: format!(
                "{} re-run ({}, {} thread(s)) against the previous baseline, paired by seed, \
                 {:.1}% CIs",
                study.display(),
                backend,
                old.fingerprint.threads,
                100.0 * check.ci_level
            ),
            unit: "points".into(),
            changes: check
                .rows
                .iter()
                .map(|r| MeasuredChange::new(&r.id, r.diff, r.ci, r.verdict.word()))
                .collect(),
        }),
        Err(e) => {
            notes.push(format!(
                "the re-run cannot be compared with the previous baseline ({e}): the entry has \
                 no measured differences"
            ));
            None
        }
    };
    let entry = Accepted {
        date: now(),
        reason: reason.clone(),
        commit: sha.clone(),
        previous: old.fingerprint.git_sha.clone(),
        measured,
    };
    new.log = old.log;
    new.log.push(entry.clone());
    new.save(&a.file)?;
    Ok(Outcome {
        commit_command: commit_command(&a.file, &format!("Accept {}: {reason}", &sha[..12])),
        path: a.file.clone(),
        entry,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_commands_quote_what_the_shell_would_split() {
        assert_eq!(
            commit_command(
                Path::new("baselines/ci-2core/timing.json"),
                "Accept 0123: it's slower"
            ),
            r"git commit -m 'Accept 0123: it'\''s slower' -- baselines/ci-2core/timing.json"
        );
        assert_eq!(check_reason("  two\n lines ").unwrap(), "two lines");
        assert_eq!(check_reason(" \n").unwrap_err().exit_code(), 2);
    }
}
