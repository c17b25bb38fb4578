//! Build script: embeds provenance (git sha, burn version) and, with the `tch` feature, an
//! rpath to LibTorch so binaries, tests and benches run without `LD_LIBRARY_PATH`.

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
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
        println!("cargo:rustc-env=TRAINBENCH_LIBTORCH_LIB={dir}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
