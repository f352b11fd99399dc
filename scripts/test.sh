#!/usr/bin/env bash
# Runs every test of Hadir, installing what the tests need on a fresh Debian machine:
# Chromium (browser tests), Python packages (pyzk cross-check, openpyxl for XLSX checks),
# npm packages for Playwright. Safe to run again: installs are skipped when present.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

step() { printf '\n==> %s\n' "$*"; }

step "System packages"
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi

step "Python packages"
python3 -c "import zk, openpyxl" 2>/dev/null || python3 -m pip install -q pyzk openpyxl

step "Format and lint"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings

step "Rust tests (unit, property, store contract, HTTP integration, protocol, crash)"
cargo test --workspace

step "Protocol parser fuzzing (bounded: ${HADIR_FUZZ_SECS:=20} s per target)"
HADIR_FUZZ_SECS=$HADIR_FUZZ_SECS cargo test -p hadir-zk --release -- --ignored fuzz

if [ -x tests/web/run.sh ]; then
  step "Browser tests (Playwright + Debian Chromium)"
  HADIR_BIN="$PWD/target/debug/hadir" tests/web/run.sh
fi

step "All tests passed"
