#!/usr/bin/env bash
# Profiles the server during the morning-rush benchmark: runs `hadir loadgen`, waits for its
# /healthz phase to end, samples the server process with `perf record -g` for SECS seconds,
# then prints the loadgen summary and the top of the profile. Needs Debian's linux-perf.
# Usage: scripts/profile-rush.sh [employees] [secs]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20000}
SECS=${2:-6}
OUT=$(mktemp -d)
[ -n "${NO_BUILD:-}" ] || cargo build --release -q -p hadir-cli
BIN=${CARGO_TARGET_DIR:-target}/release/hadir
"$BIN" loadgen --employees "$N" --concurrency 256 ${LOADGEN_ARGS:-} >"$OUT/loadgen.out" 2>"$OUT/loadgen.err" &
LG=$!
until grep -q healthz "$OUT/loadgen.err" 2>/dev/null; do sleep 0.1; done
sleep 0.5
# The server is the load generator's child (other servers may run on a shared machine).
SP=$(pgrep -n -P "$LG" -f " serve --listen 127.0.0.1:0")
perf record -F 499 -g -p "$SP" -o "$OUT/perf.data" >/dev/null 2>&1 &
PP=$!
sleep "$SECS"
kill -INT "$PP"
wait "$PP" || true
wait "$LG"
cat "$OUT/loadgen.out"
echo "# top of the profile (self time), then by thread"
perf report -i "$OUT/perf.data" --no-children --sort sym --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -25
perf report -i "$OUT/perf.data" --no-children --sort comm --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -5
echo "perf data: $OUT/perf.data"
