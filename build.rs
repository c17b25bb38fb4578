//! Build script: embeds provenance (git sha, burn version) and, with the `tch` feature, an
//! rpath to LibTorch so binaries, tests and benches run without `LD_LIBRARY_PATH` — except
//! for a CUDA link-only LibTorch (`scripts/setup-libtorch.sh --torch 2.11 --cuda-link-only`),
//! whose binaries run on another machine: no rpath, `libtorch_cuda.so` kept as NEEDED.

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn main() {
    // Git sha of the checkout, with "-dirty" if the work tree differs from HEAD.
    if let Some(sha) = git(&["rev-parse", "--short=12", "HEAD"]) {
        let dirty =
            git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
        let suffix = if dirty { "-dirty" } else { "" };
        println!("cargo:rustc-env=TRAINBENCH_GIT_SHA={sha}{suffix}");
        if let Some(dir) = git(&["rev-parse", "--git-dir"]) {
            println!("cargo:rerun-if-changed={dir}/HEAD");
            println!("cargo:rerun-if-changed={dir}/index");
        }
        // Edits to the sources change the dirty flag without touching the index.
        println!("cargo:rerun-if-changed=src");
    }

    // The burn version actually resolved, from Cargo.lock.
    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    let burn = lock
        .split("[[package]]")
        .find(|p| p.contains("name = \"burn\"\n"))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = ")))
        .map(|v| v.trim_matches('"').to_string())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=TRAINBENCH_BURN_VERSION={burn}");
    println!("cargo:rerun-if-changed=Cargo.lock");

    // torch-sys (links = "tch") exports its LibTorch lib dir to direct dependents.
    if let Ok(dir) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        // (No rerun-if-changed on the marker: a missing file would rerun this every build;
        // the marker comes and goes with its LibTorch folder, so LIBTORCH changes with it.)
        if Path::new(&dir).join("..").join(LINK_ONLY_MARKER).exists() {
            cuda_link_only(&dir);
        } else {
            println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
        }
        println!("cargo:rustc-env=TRAINBENCH_LIBTORCH_LIB={dir}");
    }
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    println!("cargo:rerun-if-changed=build.rs");
}

/// Written by `scripts/setup-libtorch.sh --torch 2.11 --cuda-link-only` into the LibTorch
/// folder it unpacks: a CUDA LibTorch to link against here and run on another machine.
const LINK_ONLY_MARKER: &str = "trainbench-cuda-link-only";

/// Link flags for a binary built here against a CUDA LibTorch and run on the GPU machine
/// against that machine's own copy of the same LibTorch (docs/performance.md, "LibTorch CUDA").
fn cuda_link_only(dir: &str) {
    // No rpath: the libraries of this machine's cache are not where the binary will run;
    // the GPU machine's LD_LIBRARY_PATH (scripts/device/cuda-check.sh) names its torch/lib.
    // libtorch_cuda must stay NEEDED: without it loaded, LibTorch registers no CUDA backend
    // and sees no device, and rustc links with --as-needed (tch issues #329, #907, #980).
    // Today burn-tch's CUDA shim references libtorch_cuda and keeps it (measured: NEEDED
    // without these flags too); the flags keep it should that shim ever go.
    println!("cargo:rustc-link-arg=-Wl,--no-as-needed");
    println!("cargo:rustc-link-arg=-ltorch_cuda");
    println!("cargo:rustc-link-arg=-Wl,--as-needed");
    // libtorch_cuda needs cuBLAS, cuDNN, NCCL… which need not be here to link. rust-lld (the
    // default linker on x86_64 Linux since Rust 1.90, used here) skips a shared library's own
    // undefined symbols when its dependencies are not linked (measured: links without the
    // CUDA runtime and without this flag); GNU ld checks them, so tell it not to.
    println!("cargo:rustc-link-arg=-Wl,--allow-shlib-undefined");
    println!(
        "cargo:warning=CUDA link-only build against {dir}: no rpath; run with LD_LIBRARY_PATH \
         naming the target machine's torch/lib (scripts/device/cuda-check.sh does)"
    );
}
