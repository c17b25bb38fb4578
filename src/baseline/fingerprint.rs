//! The testbed fingerprint: what a timing baseline's numbers depend on besides the code.
//!
//! Which fields make a comparison invalid depends on its purpose:
//!
//! * **Timing** ([`Fingerprint::comparable`]): times are only comparable on the same machine
//!   with the same settings. The *timing* fields — CPU model, cores, and the backend threads
//!   the bench run itself recorded — must match. The OS string (a kernel build, say) is
//!   noted, not refused; the *software* fields (trainbench and burn versions) may differ —
//!   a change of code or library version is exactly what a check is meant to judge.
//! * **Accuracy** ([`Fingerprint::accuracy_notes`]): training is deterministic per seed, and
//!   another CPU, OS or thread count only reorders float sums, so no machine field makes an
//!   accuracy comparison invalid; they are noted. What does — backend, data fingerprint,
//!   quick/full — is checked by the accuracy gate itself.

use serde::{Deserialize, Serialize};

/// Where timing numbers came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// CPU model name.
    pub cpu: String,
    /// Logical cores available.
    pub cores: usize,
    /// Backend CPU threads: `TRAINBENCH_THREADS`, else all cores (as the bench uses).
    pub threads: usize,
    /// Backends found in the benchmark ids (`flex`, `tch`, `tch-cuda`, …), sorted.
    pub backends: Vec<String>,
    /// Operating system and kernel.
    pub os: String,
    /// trainbench crate version.
    pub trainbench_version: String,
    /// Git sha of the trainbench checkout, if known.
    pub git_sha: Option<String>,
    /// Resolved burn version.
    pub burn_version: String,
}

impl Fingerprint {
    /// The fingerprint of this machine, for results of the given backends. Threads come
    /// from `TRAINBENCH_THREADS` (as in `benches/training.rs`), else all cores.
    pub fn collect(backends: Vec<String>) -> Fingerprint {
        Fingerprint::collect_with(backends, None)
    }

    /// This machine's fingerprint, with the backend threads a bench run recorded (see
    /// [`crate::baseline::criterion::BenchSettings`]), else `TRAINBENCH_THREADS` or the cores.
    pub fn collect_with(backends: Vec<String>, threads: Option<usize>) -> Fingerprint {
        let cores = crate::backend::available_cores();
        let threads = threads.unwrap_or_else(|| {
            std::env::var("TRAINBENCH_THREADS")
                .ok()
                .and_then(|t| t.parse().ok())
                .unwrap_or(cores)
        });
        Fingerprint {
            cpu: crate::provenance::cpu_model(),
            cores,
            threads,
            backends,
            os: crate::provenance::os(),
            trainbench_version: env!("CARGO_PKG_VERSION").to_string(),
            git_sha: option_env!("TRAINBENCH_GIT_SHA").map(str::to_string),
            burn_version: env!("TRAINBENCH_BURN_VERSION").to_string(),
        }
    }

    /// The machine fields that differ from `other`, one line each (`cpu: A → B`); empty
    /// when the two come from the same testbed. Backends are not compared here: a backend
    /// missing from a run shows up as missing benchmarks.
    pub fn machine_differences(&self, other: &Fingerprint) -> Vec<String> {
        let mut out = Vec::new();
        let mut field = |name: &str, a: String, b: String| {
            if a != b {
                out.push(format!("{name}: '{a}' → '{b}'"));
            }
        };
        field("cpu", self.cpu.clone(), other.cpu.clone());
        field("cores", self.cores.to_string(), other.cores.to_string());
        field(
            "threads",
            self.threads.to_string(),
            other.threads.to_string(),
        );
        out
    }

    /// A timing comparison with `new`: an error ([`crate::Error::Usage`]) when a timing
    /// field differs (unless `allow_different_machine`), else notes (OS and versions).
    pub fn comparable(
        &self,
        new: &Fingerprint,
        testbed: &str,
        allow_different_machine: bool,
    ) -> crate::Result<Vec<String>> {
        let mut notes = Vec::new();
        let machine = self.machine_differences(new);
        if !machine.is_empty() {
            if !allow_different_machine {
                return Err(crate::Error::Usage(format!(
                    "the new run is not from the machine of baseline '{testbed}' ({}): save a \
                     baseline for this testbed, or pass --allow-different-machine",
                    machine.join("; ")
                )));
            }
            notes.push(format!(
                "different machine allowed: {}; changes may be due to the machine",
                machine.join("; ")
            ));
        }
        notes.extend(self.os_note(new));
        let software = self.software_differences(new);
        if !software.is_empty() {
            notes.push(format!("versions changed: {}", software.join(", ")));
        }
        Ok(notes)
    }

    /// Notes for an accuracy comparison with `new`: machine fields never invalidate it.
    pub fn accuracy_notes(&self, new: &Fingerprint) -> Vec<String> {
        let mut notes = Vec::new();
        let machine = self.machine_differences(new);
        if !machine.is_empty() {
            notes.push(format!(
                "another machine ({}): accuracies may differ in the last digits (float sums \
                 in another order); the comparison stands",
                machine.join("; ")
            ));
        }
        notes.extend(self.os_note(new));
        let software = self.software_differences(new);
        if !software.is_empty() {
            notes.push(format!("versions changed: {}", software.join(", ")));
        }
        notes
    }

    fn os_note(&self, new: &Fingerprint) -> Option<String> {
        (self.os != new.os).then(|| format!("os: '{}' → '{}'", self.os, new.os))
    }

    pub fn software_differences(&self, other: &Fingerprint) -> Vec<String> {
        let mut out = Vec::new();
        if self.trainbench_version != other.trainbench_version {
            out.push(format!(
                "trainbench: {} → {}",
                self.trainbench_version, other.trainbench_version
            ));
        }
        if self.burn_version != other.burn_version {
            out.push(format!(
                "burn: {} → {}",
                self.burn_version, other.burn_version
            ));
        }
        out
    }
}

/// The backends named in benchmark ids: the second part of `group/backend/...`, where it
/// parses as a backend. Sorted, without duplicates.
pub fn backends_in_ids<'a>(ids: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut found: Vec<String> = ids
        .into_iter()
        .filter_map(|id| id.split('/').nth(1))
        .filter(|b| b.parse::<crate::backend::BackendKind>().is_ok())
        .map(str::to_string)
        .collect();
    found.sort();
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_from_ids() {
        let ids = [
            "train_epoch/flex/jsc-tiny/bs32",
            "eval/tch-cuda:1/jsc-toy",
            "eval/flex/jsc-toy",
            "other",
            "grp/not-a-backend/x",
        ];
        assert_eq!(backends_in_ids(ids), vec!["flex", "tch-cuda:1"]);
    }

    #[test]
    fn machine_vs_software_differences() {
        let a = Fingerprint::collect(vec!["flex".into()]);
        assert!(a.machine_differences(&a).is_empty());
        let mut b = a.clone();
        b.burn_version = "9.9.9".into();
        b.git_sha = Some("abc".into());
        assert!(a.machine_differences(&b).is_empty());
        assert_eq!(a.software_differences(&b).len(), 1);
        b.cpu = "Other CPU".into();
        b.threads = a.threads + 1;
        let d = a.machine_differences(&b);
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(d[0].starts_with("cpu:"));
        // A kernel build string alone invalidates nothing: a note for timing and accuracy.
        let mut k = a.clone();
        k.os = format!("{} (Linux 6.18.44-fc-v769)", a.os);
        assert!(a.comparable(&k, "t", false).is_ok());
        assert!(a.accuracy_notes(&k).iter().any(|n| n.starts_with("os:")));
        // Another CPU makes a timing check invalid, an accuracy check only noted.
        assert!(a.comparable(&b, "t", false).is_err());
        assert!(!a.accuracy_notes(&b).is_empty());
    }
}
