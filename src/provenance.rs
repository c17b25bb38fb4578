//! Where a result came from: code version, library versions, backend, machine, time.

use crate::backend::BackendKind;
use serde::{Deserialize, Serialize};

/// Provenance attached to every result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// trainbench crate version.
    pub trainbench_version: String,
    /// Git sha of the checkout it was built from (`-dirty` if modified), if known.
    pub git_sha: Option<String>,
    /// Resolved burn version.
    pub burn_version: String,
    /// Backend (`flex`, `tch`, `tch-cuda:N`).
    pub backend: String,
    /// Device description.
    pub device: String,
    /// Backend CPU threads.
    pub threads: usize,
    /// CPU model name.
    pub cpu: String,
    /// Logical cores available.
    pub cores: usize,
    /// Operating system and kernel.
    pub os: String,
    /// Host name.
    pub hostname: String,
    /// Start time, UTC, RFC 3339.
    pub started_at: String,
}

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

/// The CPU model from `/proc/cpuinfo`, or the architecture.
pub fn cpu_model() -> String {
    read_trimmed("/proc/cpuinfo")
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

/// The host name.
pub fn hostname() -> String {
    read_trimmed("/proc/sys/kernel/hostname")
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

/// The operating system (`PRETTY_NAME` of `/etc/os-release`) and Linux kernel release.
pub fn os() -> String {
    let pretty = read_trimmed("/etc/os-release").and_then(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("PRETTY_NAME="))
            .map(|v| v.trim_matches('"').to_string())
    });
    let kernel = read_trimmed("/proc/sys/kernel/osrelease");
    match (pretty, kernel) {
        (Some(p), Some(k)) => format!("{p} (Linux {k})"),
        (Some(p), None) => p,
        _ => std::env::consts::OS.to_string(),
    }
}

impl Provenance {
    /// Collects provenance for a run on `backend` starting now.
    pub fn collect(backend: BackendKind) -> Self {
        Provenance {
            trainbench_version: env!("CARGO_PKG_VERSION").to_string(),
            git_sha: option_env!("TRAINBENCH_GIT_SHA").map(str::to_string),
            burn_version: env!("TRAINBENCH_BURN_VERSION").to_string(),
            backend: backend.to_string(),
            device: backend.device_description(),
            threads: backend.threads(),
            cpu: cpu_model(),
            cores: crate::backend::available_cores(),
            os: os(),
            hostname: hostname(),
            started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }
}
