#!/usr/bin/env bash
# Runs every test of Hadir, installing what the tests need on a fresh Debian machine:
# Chromium (browser tests), PostgreSQL (the second store backend: a throwaway cluster is started
# for the run and stopped at exit), Python packages (pyzk cross-check, openpyxl for XLSX
# checks, schemathesis for the API fuzz), npm packages for Playwright. Safe to run again: installs are skipped when present.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

step() { printf '\n==> %s\n' "$*"; }

step "System packages"
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
[ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/initdb" ] || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi

step "Python packages"
python3 -c "import zk, openpyxl, moto" 2>/dev/null || python3 -m pip install -q pyzk openpyxl "moto[server]"
# schemathesis fuzzes the HTTP API from its OpenAPI document (tests/api-fuzz); its config file
# uses dictionaries, which need 4.32 or later.
python3 -c "import schemathesis as s, sys; v = tuple(map(int, s.__version__.split('.')[:2])); sys.exit(not (4, 32) <= v < (5, 0))" 2>/dev/null \
  || python3 -m pip install -q "schemathesis>=4.32,<5"
# moto_server is the S3-compatible server the blob store is tested against: required, never skipped.
export HADIR_REQUIRE_S3=1

step "PostgreSQL (throwaway cluster on loopback)"
# A private cluster in a temporary directory on a free port, fsync on (the durability claims are
# tested as in production), stopped and removed when this script exits. initdb refuses to run as
# root, so as root the cluster belongs to the 'postgres' user the Debian package creates.
PG_BIN="$(pg_bin)"
PG_DIR="$(mktemp -d /tmp/hadir-pg.XXXXXX)"
PG_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
if [ "$(id -u)" = 0 ]; then
  chown postgres "$PG_DIR"
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi
pg_stop() {
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
trap pg_stop EXIT
as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U hadir -A trust -E UTF8 --no-instructions >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 60 \
  -o "-k $PG_DIR -p $PG_PORT -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200" start >/dev/null
PG_URL="postgres://hadir@127.0.0.1:$PG_PORT/postgres"
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') at $PG_URL"

step "Format and lint"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings

step "Rust tests on SQLite (unit, property, store contract, HTTP integration, protocol, crash)"
env -u HADIR_TEST_PG_URL -u HADIR_REQUIRE_PG cargo test --workspace --exclude hadir-store-postgres

# On PostgreSQL: HADIR_REQUIRE_PG makes a test fail (never skip) if the database is missing.
step "Store contract and concurrency tests on PostgreSQL"
HADIR_TEST_PG_URL="$PG_URL" HADIR_REQUIRE_PG=1 cargo test -p hadir-store-postgres

step "HTTP integration tests on PostgreSQL (each server on a fresh database)"
HADIR_TEST_PG_URL="$PG_URL" HADIR_REQUIRE_PG=1 cargo test -p hadir-server --test '*'
# The group-commit retry on a real PostgreSQL failure (a NUL byte the backend refuses).
HADIR_TEST_PG_URL="$PG_URL" HADIR_REQUIRE_PG=1 cargo test -p hadir-server --lib ingest::

step "The hadir binary on PostgreSQL (backend by URL; migrate-data; two instances on one database)"
HADIR_TEST_PG_URL="$PG_URL" HADIR_REQUIRE_PG=1 cargo test -p hadir-cli --test postgres --test migrate --test two_instances --test relay_templates

step "Protocol parser fuzzing (bounded: ${HADIR_FUZZ_SECS:=20} s per target)"
HADIR_FUZZ_SECS=$HADIR_FUZZ_SECS cargo test -p hadir-zk --release -- --ignored fuzz

if [ -x tests/web/run.sh ]; then
  step "Browser tests (Playwright + Debian Chromium)"
  HADIR_BIN="$PWD/target/debug/hadir" tests/web/run.sh
fi

step "HTTP API fuzzing (schemathesis on /api/openapi.json, bounded: ${HADIR_API_FUZZ_SECS:=150} s; no 5xx, no panic)"
HADIR_API_FUZZ_SECS=$HADIR_API_FUZZ_SECS HADIR_BIN="$PWD/target/debug/hadir" tests/api-fuzz/run.sh

step "All tests passed"
