#!/usr/bin/env bash
# Browser tests of the employee app: playwright-core driving Debian's Chromium (no browser
# download). Usage: HADIR_BIN=target/debug/hadir tests/web/run.sh [test files…] (without HADIR_BIN:
# $CARGO_TARGET_DIR/debug/hadir, else target/debug/hadir). Screenshots go to tests/web/artifacts/
# (month.test.mjs: artifacts/month/, with the recap XLSX files it read).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
if [ -z "${HADIR_BIN:-}" ]; then
  # The binary of the cargo target dir in use (CARGO_TARGET_DIR, else the repository's target/).
  target="${CARGO_TARGET_DIR:-$repo/target}"
  case "$target" in /*) ;; *) target="$repo/$target" ;; esac
  HADIR_BIN="$target/debug/hadir"
  [ -x "$HADIR_BIN" ] || (cd "$repo" && cargo build -p hadir-cli)
fi
case "$HADIR_BIN" in /*) ;; *) HADIR_BIN="$repo/$HADIR_BIN" ;; esac
export HADIR_BIN
if [ ! -x "$HADIR_BIN" ]; then
  echo "hadir binary not found at $HADIR_BIN: run 'cargo build -p hadir-cli' or set HADIR_BIN" >&2
  exit 1
fi
if ! command -v chromium >/dev/null 2>&1 && [ -z "${CHROMIUM_PATH:-}" ]; then
  echo "Chromium not found: apt-get install -y chromium (or set CHROMIUM_PATH)" >&2
  exit 1
fi
cd "$here"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
if [ $# -eq 0 ]; then set -- *.test.mjs; fi
exec node --test --test-concurrency=1 "$@"
