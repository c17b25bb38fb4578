#!/usr/bin/env bash
# Real-browser check of trainbench's HTML pages: builds report.html (the smoke study) and
# history.html (this repository's own baseline history), opens both in headless Chromium
# (Debian's `chromium` package, installed here if missing), fails on any console error,
# checks that every figure rendered, that sorting a table reorders it and that hovering a
# point shows its numbers, that a report's first answer (a difference with its interval) is
# on the first screen at 1400 x 900 with no table scrolling sideways (smoke, a student's
# jsc-tiny vs jsc-toy comparison, Lab 1 --quick), and saves screenshots.
#
#   scripts/browser/check-pages.sh [OUT_DIR]      # default: target/browser-check
#
# Screenshots land in OUT_DIR/screenshots/ (first screen, 1400x900, hover, whole page, each
# section), named after the page's folder (smoke-, tiny-vs-toy-, lab1-quick-, history-).
# Needs python3 (standard library only; the driver is check_pages.py next to this file).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-target/browser-check}

if ! command -v chromium >/dev/null 2>&1; then
  echo "chromium not found: installing Debian's chromium package"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
command -v python3 >/dev/null 2>&1 || { echo "python3 is needed for the browser driver" >&2; exit 2; }

cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/trainbench"

rm -rf "$out"
mkdir -p "$out"
"$bin" run studies/smoke.toml --out "$out/smoke" >"$out/smoke.log" 2>&1 ||
  { cat "$out/smoke.log"; exit 1; }
# A student's comparison (jsc-tiny vs jsc-toy, 10 seeds; about a minute on 2 cores): its
# report must state the difference with its interval on the first screen at 1400 x 900.
"$bin" run studies/tiny-vs-toy.toml --out "$out/tiny-vs-toy" >"$out/tiny-vs-toy.log" 2>&1 ||
  { cat "$out/tiny-vs-toy.log"; exit 1; }
# Lab 1 --quick (about 20 s): its learning rates train together, one group per batch size.
"$bin" run studies/lab1.toml --quick --out "$out/lab1-quick" >"$out/lab1-quick.log" 2>&1 ||
  { cat "$out/lab1-quick.log"; exit 1; }
"$bin" history --out "$out/history" >"$out/history.txt" 2>"$out/history.log" ||
  { cat "$out/history.log"; exit 1; }
cat "$out/history.log"

python3 scripts/browser/check_pages.py --shots "$out/screenshots" \
  "$out/smoke/report.html" "$out/tiny-vs-toy/report.html" "$out/lab1-quick/report.html" \
  "$out/history/history.html"
