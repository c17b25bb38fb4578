#!/usr/bin/env bash
# Checks that the README's two commands share one build: after `cargo build --release` (what
# `cargo run --release -- …` builds), `cargo test --release --no-run` must reuse every dependency
# artifact of that build, not compile a second variant of one. (Cargo unifies features per
# build command: a dev-dependency that turns on a feature of a shared crate makes the test
# build recompile that crate and everything above it, burn included. Cargo.toml enables those
# features for the main build too; this check catches one that comes back.)
#
# Compared per dependency target from cargo's JSON messages (package, target, and the files it
# produced, whose names carry the hash of the features and profile), so the check holds on a
# warm target folder too, where cargo keeps both variants and prints no "Compiling" line for
# either. Crates only the tests use (criterion, tempfile and what only they need) are built by
# the test build, once; they are listed, not failed. Exit 1 on a dependency built twice.
# Run by .ci/run. Honours CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() {
  local name=$1
  shift
  if ! "$@" --message-format=json >"$tmp/$name.json" 2>"$tmp/$name.err"; then
    cat "$tmp/$name.err" >&2
    echo "check-one-build: '$*' failed" >&2
    exit 1
  fi
}
run build cargo build --release
run test cargo test --release --no-run

python3 - "$tmp" <<'EOF'
import json, re, sys
tmp = sys.argv[1]

def artifacts(name):
    """(package id, target name, target kinds) -> files, for every compiled target."""
    out = {}
    with open(f"{tmp}/{name}.json") as f:
        for line in f:
            if not line.startswith("{"):
                continue
            m = json.loads(line)
            if m.get("reason") != "compiler-artifact":
                continue
            t = m["target"]
            out[(m["package_id"], t["name"], tuple(t["kind"]))] = sorted(m["filenames"])
    return out

def own(package_id):
    return package_id.startswith("path+")  # this crate; dependencies come from a registry

def short(package_id):
    # "registry+https://…#regex@1.13.2" -> "regex v1.13.2"
    name, _, version = package_id.rpartition("#")[2].partition("@")
    return f"{name} v{version}"

main, test = artifacts("build"), artifacts("test")
main_pkgs = {short(p) for (p, _, _) in main if not own(p)}
twice = sorted(
    f"{short(p)} ({t}, {'/'.join(k)})"
    for (p, t, k), files in test.items()
    if not own(p) and (p, t, k) in main and main[(p, t, k)] != files
)
compiled = [
    l.split("Compiling ", 1)[1].split(" (")[0].strip()
    for l in open(f"{tmp}/test.err")
    if l.lstrip().startswith("Compiling ")
]
recompiled = sorted(c for c in compiled if c in main_pkgs)
dev_only = sorted({short(p) for (p, _, _) in test if not own(p)} - main_pkgs)
print(f"check-one-build: the main build has {len(main_pkgs)} dependencies; the test build "
      f"reuses them and adds {len(dev_only)} that only the tests use: {', '.join(dev_only)}")
if compiled:
    print("check-one-build: the test build compiled: " + ", ".join(compiled))
if twice or recompiled:
    for line in twice:
        print(f"check-one-build: FAILED: built with other features or profile for the tests: {line}")
    for c in recompiled:
        print(f"check-one-build: FAILED: recompiled by the test build: {c}")
    print("check-one-build: find the features with `cargo tree -e features -i CRATE` and "
          "enable them for the main build in Cargo.toml")
    sys.exit(1)
print("check-one-build: ok: no dependency of the main build is compiled again for the tests")
EOF
