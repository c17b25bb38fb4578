//! Choosing the compute backend at run time: Flex (pure-Rust CPU), LibTorch CPU, LibTorch
//! CUDA — each only if its cargo feature was compiled in.

#![allow(deprecated)] // burn marks the LibTorch device constructors deprecated; we use them.

use crate::{Error, Result};
use burn::prelude::*;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A backend the user can ask for with `--backend` / `TRAINBENCH_BACKEND`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum BackendKind {
    /// Burn's pure-Rust CPU backend (cargo feature `flex`, the default).
    Flex,
    /// LibTorch on the CPU via burn-tch (cargo feature `tch`).
    Tch,
    /// LibTorch on CUDA device N (cargo feature `tch`, a CUDA LibTorch and a GPU).
    TchCuda(usize),
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackendKind::Flex => f.write_str("flex"),
            BackendKind::Tch => f.write_str("tch"),
            BackendKind::TchCuda(0) => f.write_str("tch-cuda"),
            BackendKind::TchCuda(i) => write!(f, "tch-cuda:{i}"),
        }
    }
}

impl FromStr for BackendKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "flex" => Ok(BackendKind::Flex),
            "tch" => Ok(BackendKind::Tch),
            "tch-cuda" => Ok(BackendKind::TchCuda(0)),
            other => match other.strip_prefix("tch-cuda:").map(str::parse) {
                Some(Ok(i)) => Ok(BackendKind::TchCuda(i)),
                _ => Err(Error::Usage(format!(
                    "unknown backend '{other}' (flex, tch, tch-cuda or tch-cuda:N)"
                ))),
            },
        }
    }
}

impl From<BackendKind> for String {
    fn from(b: BackendKind) -> String {
        b.to_string()
    }
}

impl TryFrom<String> for BackendKind {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl BackendKind {
    /// The backends compiled into this binary (CUDA is listed as `tch-cuda` when `tch` is).
    pub fn compiled() -> Vec<BackendKind> {
        [
            cfg!(feature = "flex").then_some(BackendKind::Flex),
            cfg!(feature = "tch").then_some(BackendKind::Tch),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// The default backend: Flex when compiled in, else LibTorch CPU.
    pub fn default_compiled() -> Result<BackendKind> {
        BackendKind::compiled().into_iter().next().ok_or_else(|| {
            Error::Usage("no backend compiled in: build with --features flex or tch".into())
        })
    }

    /// The device for this backend, or a clear error if it cannot be used here.
    pub fn device(&self) -> Result<Device> {
        match self {
            BackendKind::Flex => {
                #[cfg(feature = "flex")]
                return Ok(Device::flex());
                #[cfg(not(feature = "flex"))]
                return Err(not_compiled("flex", "flex"));
            }
            BackendKind::Tch => {
                #[cfg(feature = "tch")]
                return Ok(Device::libtorch());
                #[cfg(not(feature = "tch"))]
                return Err(not_compiled("tch", "tch"));
            }
            BackendKind::TchCuda(index) => {
                #[cfg(feature = "tch")]
                {
                    let count = if tch::Cuda::is_available() {
                        tch::Cuda::device_count() as usize
                    } else {
                        0
                    };
                    if *index >= count {
                        return Err(Error::Backend(format!(
                            "backend '{self}' needs CUDA device {index}, but LibTorch sees {count} \
                             CUDA device(s){}",
                            if count == 0 {
                                " (no GPU here, or a CPU-only LibTorch: see README, \
                                 scripts/setup-libtorch.sh --cuda)"
                            } else {
                                ""
                            }
                        )));
                    }
                    Ok(Device::libtorch_cuda(*index))
                }
                #[cfg(not(feature = "tch"))]
                {
                    let _ = index;
                    Err(not_compiled("tch-cuda", "tch"))
                }
            }
        }
    }

    /// Sets the backend's CPU threads: rayon's global pool for Flex (only possible before
    /// the first parallel operation), `torch.set_num_threads` for LibTorch.
    pub fn set_threads(&self, threads: usize) -> Result<()> {
        match self {
            BackendKind::Flex => rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build_global()
                .or_else(|_| {
                    if rayon::current_num_threads() == threads {
                        Ok(())
                    } else {
                        Err(Error::Backend(format!(
                            "cannot set {threads} Flex threads: the thread pool already runs {}",
                            rayon::current_num_threads()
                        )))
                    }
                }),
            BackendKind::Tch | BackendKind::TchCuda(_) => {
                #[cfg(feature = "tch")]
                tch::set_num_threads(threads as i32);
                Ok(())
            }
        }
    }

    /// The threads the backend will use now.
    pub fn threads(&self) -> usize {
        match self {
            BackendKind::Flex => rayon::current_num_threads(),
            BackendKind::Tch | BackendKind::TchCuda(_) => {
                #[cfg(feature = "tch")]
                return tch::get_num_threads().max(1) as usize;
                #[cfg(not(feature = "tch"))]
                return 1;
            }
        }
    }

    /// A description of the device, e.g. `LibTorch CUDA device 0 (NVIDIA H200)`.
    pub fn device_description(&self) -> String {
        match self {
            BackendKind::Flex => "CPU (burn Flex)".into(),
            BackendKind::Tch => "CPU (LibTorch)".into(),
            BackendKind::TchCuda(i) => format!("CUDA device {i} (LibTorch)"),
        }
    }
}

#[allow(dead_code)]
fn not_compiled(backend: &str, feature: &str) -> Error {
    Error::Usage(format!(
        "backend '{backend}' is not compiled into this binary: rebuild with \
         `--features {feature}`{}",
        if feature == "tch" {
            " after scripts/setup-libtorch.sh (see README)"
        } else {
            ""
        }
    ))
}

/// Opens a backend: `name` (e.g. `flex`, `tch-cuda:1`; default: flex, else the first
/// compiled in) with `threads` threads (default: all available cores; more than the cores is
/// refused: they only slow training down), and returns it with its device.
pub fn open(name: Option<&str>, threads: Option<usize>) -> Result<(BackendKind, Device)> {
    let kind = match name {
        Some(b) => b.parse()?,
        None => BackendKind::default_compiled()?,
    };
    let cores = available_cores();
    let threads = match threads {
        Some(0) => return Err(Error::Usage("--threads must be at least 1".into())),
        Some(n) if n > cores => {
            return Err(Error::Usage(format!(
                "--threads {n}: this machine has {cores} core(s) available; more threads \
                 than cores only slow training down (LibTorch's workers spin)"
            )));
        }
        Some(n) => n,
        None => cores,
    };
    let device = kind.device()?;
    kind.set_threads(threads)?;
    Ok((kind, device))
}

/// The number of CPU cores available to this process.
pub fn available_cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_round_trip() {
        for s in ["flex", "tch", "tch-cuda", "tch-cuda:1"] {
            assert_eq!(s.parse::<BackendKind>().unwrap().to_string(), s);
        }
        assert_eq!(
            "tch-cuda:0".parse::<BackendKind>().unwrap(),
            BackendKind::TchCuda(0)
        );
        for bad in ["cuda", "tch-cuda:x", "wgpu", ""] {
            assert_eq!(bad.parse::<BackendKind>().unwrap_err().exit_code(), 2);
        }
    }

    #[cfg(not(feature = "tch"))]
    #[test]
    fn backend_not_compiled_names_the_feature() {
        let err = BackendKind::Tch.device().unwrap_err().to_string();
        assert!(err.contains("--features tch"), "{err}");
        let err = BackendKind::TchCuda(0).device().unwrap_err().to_string();
        assert!(err.contains("--features tch"), "{err}");
    }

    #[cfg(feature = "tch")]
    #[test]
    fn cuda_without_a_gpu_is_a_clear_error() {
        if tch::Cuda::is_available() {
            return; // this machine has a GPU; nothing to check
        }
        let err = BackendKind::TchCuda(0).device().unwrap_err().to_string();
        assert!(err.contains("CUDA device 0"), "{err}");
    }
}
