#!/usr/bin/env bash
# Fuzzes the whole JSON API (issue 17: "no panic reachable from the network") with schemathesis
# against the server's own OpenAPI document, /api/openapi.json.
#
# Starts `hadir demo` on 127.0.0.1 in a throwaway data directory, logs in through the API, then
# runs schemathesis (examples, coverage, fuzzing and, where the document yields links, stateful
# sequences) in four bounded passes:
#   relay     the relay endpoints with a relay token made for the run;
#   employee  every operation as an ordinary employee (mostly refusals, and the /me endpoints);
#   admin     every operation as a BKD admin (the bulk of the time);
#   session   login, logout and the own-password change (they end the session they use, so they
#             run last, with a session of their own; login is kept to a few examples so the
#             per-address limits are not what is tested).
# The checks are `not_a_server_error` (any 5xx fails the run, as does "panicked" in the server
# log) and `response_schema_conformance` (every answer matches what the document says of it);
# HADIR_API_FUZZ_CHECKS overrides the list. 429 (rate limits) and 503 + Retry-After (full login
# pool / queue) are refusals, not failures.
#
# Usage: HADIR_BIN=target/debug/hadir tests/api-fuzz/run.sh
# Budget: HADIR_API_FUZZ_SECS (default 150) is split over the passes; HADIR_API_FUZZ_SEED fixes
# the seed (schemathesis prints the seed of every pass, so a failure can be replayed).
# Nothing leaves 127.0.0.1; every pass stops by itself (time and example bounds).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
if [ -z "${HADIR_BIN:-}" ]; then
  HADIR_BIN="${CARGO_TARGET_DIR:-$repo/target}/debug/hadir"
  [ -x "$HADIR_BIN" ] || (cd "$repo" && cargo build -p hadir-cli)
fi
case "$HADIR_BIN" in /*) ;; *) HADIR_BIN="$repo/$HADIR_BIN" ;; esac
if [ ! -x "$HADIR_BIN" ]; then
  echo "hadir binary not found at $HADIR_BIN: run 'cargo build -p hadir-cli' or set HADIR_BIN" >&2
  exit 1
fi
# The schemathesis CLI of the python3 that scripts/test.sh installs into (no PATH assumptions).
st=(python3 -c 'import sys; from schemathesis.cli import schemathesis; sys.argv[0] = "st"; sys.exit(schemathesis())')
if ! python3 -c 'import schemathesis' 2>/dev/null; then
  echo "schemathesis not found: python3 -m pip install 'schemathesis>=4.32,<5'" >&2
  exit 1
fi

budget=${HADIR_API_FUZZ_SECS:-150}
relay_secs=$((budget * 8 / 100 + 1))
employee_secs=$((budget * 20 / 100 + 1))
session_secs=$((budget * 8 / 100 + 1))
admin_secs=$((budget - relay_secs - employee_secs - session_secs))
[ "$admin_secs" -ge 10 ] || admin_secs=10

work="$(mktemp -d /tmp/hadir-api-fuzz.XXXXXX)"
server_pid=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
cleanup() {
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT

echo "Starting hadir demo (seeding takes a while in a debug build)…"
HADIR_LOG=${HADIR_LOG:-warn} "$HADIR_BIN" --data "$work/data" demo --listen 127.0.0.1:0 \
  >"$work/demo.out" 2>"$work/server.log" &
server_pid=$!
url=""
for _ in $(seq 300); do
  url="$(sed -n 's/^listening on \(http:\/\/[^ ]*\).*/\1/p' "$work/demo.out")"
  [ -n "$url" ] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "the server exited before listening:" >&2
    tail -n 40 "$work/server.log" >&2
    exit 1
  fi
  sleep 0.5
done
if [ -z "$url" ]; then
  echo "the server did not listen within 150 s" >&2
  exit 1
fi
case "$url" in http://127.0.0.1:*) ;; *) echo "refusing to fuzz a non-loopback address: $url" >&2; exit 1 ;; esac
echo "Server at $url"

login_of() { # the "user / password" the demo printed for a role label
  sed -n "s/^ *$1 *: *\([^ ]*\) *\/ *\([^ ]*\).*/\1 \2/p" "$work/demo.out" | head -n 1
}
# POST/GET JSON with python3 (no curl needed); prints the response body, fails on non-2xx.
api() { # api METHOD PATH TOKEN [JSON]
  python3 - "$url" "$@" <<'PY'
import json, sys, urllib.request
url, method, path, token = sys.argv[1:5]
body = sys.argv[5].encode() if len(sys.argv) > 5 else None
req = urllib.request.Request(url + path, data=body, method=method)
if token:
    req.add_header("Authorization", "Bearer " + token)
if body is not None:
    req.add_header("Content-Type", "application/json")
with urllib.request.urlopen(req, timeout=30) as r:
    sys.stdout.write(r.read().decode())
PY
}
json_get() { python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1], {"d": d, "json": json}))' "$1"; }
token_for() { # token_for "user password"
  set -- $1
  api POST /api/v1/auth/login "" "$(python3 -c 'import json, sys; print(json.dumps({"username": sys.argv[1], "password": sys.argv[2]}))' "$1" "$2")" \
    | json_get 'd["token"]'
}

admin_login="$(login_of 'admin BKD')"
employee_login="$(login_of pegawai)"
operator_login="$(login_of operator)"
for l in "$admin_login" "$employee_login" "$operator_login"; do
  [ -n "$l" ] || { echo "the demo did not print the logins" >&2; cat "$work/demo.out" >&2; exit 1; }
done
admin_token="$(token_for "$admin_login")"
employee_token="$(token_for "$employee_login")"
relay_token="$(api POST /api/v1/relays "$admin_token" '{"name":"Relay uji fuzz","unit_code":"SDN001"}' | json_get 'd["token"]')"

# Real identifiers the fuzzer mixes into what it generates (half of the time), so requests get
# past "not found" into the handlers' logic. The employees whose sessions the run uses are left
# out, so a fuzzed deactivation or password reset cannot end them.
others="$(api GET '/api/v1/employees?unit=SDN002&limit=6' "$admin_token" | json_get 'json.dumps([e["nip"] for e in d["items"] if e["nip"]])')"
serial="$(api GET /api/v1/devices "$admin_token" | json_get 'd["items"][0]["sn"]')"
year="$(date -u +%Y)"
prev_year=$((year - 1))
cat >"$work/schemathesis.toml" <<EOF
# Written by tests/api-fuzz/run.sh for one run.
[dictionaries]
nips = { values = $others }
units = { values = ["SDN001", "SDN002", "DISDIK", "PEMKAB", "DINKES"] }
serials = { values = ["$serial"] }
# In range and at the edges of what jiff reads (years outside 2000-2100 must get a 4xx).
months = { values = ["$prev_year-11", "$year-01", "$year-02", "2000-01", "2100-12", "1999-12", "9999-12"] }
years = { values = [1999, 2000, 2100, 2101, -9999, 9999] }
dates = { values = ["$prev_year-11-03", "$year-01-05", "$year-02-02", "2000-01-01", "2100-12-31", "1999-12-31", "2101-01-01", "0001-01-01", "9999-12-31", "-009999-01-01"] }
types = { values = ["CUTI_TAHUNAN", "IZIN", "SAKIT", "DINAS_LUAR", "MANUAL", "OUTAGE", "TUGAS_BELAJAR"] }
categories = { values = ["PNS", "PPPK", "HONORER"] }
roles = { values = ["operator", "head"] }
zones = { values = ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"] }

[parameters]
"path.nip" = { dictionary = "nips", probability = 0.5 }
"path.code" = { dictionary = "units", probability = 0.5 }
"path.sn" = { dictionary = "serials", probability = 0.5 }
"query.unit" = { dictionary = "units", probability = 0.5 }
"query.month" = { dictionary = "months", probability = 0.5 }
"query.year" = { dictionary = "years", probability = 0.5 }
"query.from" = { dictionary = "dates", probability = 0.5 }
"query.to" = { dictionary = "dates", probability = 0.5 }
"body.nip" = { dictionary = "nips", probability = 0.5 }
"body.unit_code" = { dictionary = "units", probability = 0.5 }
"body.parent_code" = { dictionary = "units", probability = 0.5 }
"body.month" = { dictionary = "months", probability = 0.5 }
"body.date" = { dictionary = "dates", probability = 0.5 }
"body.date_from" = { dictionary = "dates", probability = 0.5 }
"body.date_to" = { dictionary = "dates", probability = 0.5 }
"body.start_date" = { dictionary = "dates", probability = 0.5 }
"body.effective_from" = { dictionary = "dates", probability = 0.5 }
"body.objection_until" = { dictionary = "dates", probability = 0.5 }
"body.entries[*].date" = { dictionary = "dates", probability = 0.5 }
"body.overrides[*].date_from" = { dictionary = "dates", probability = 0.5 }
"body.type" = { dictionary = "types", probability = 0.5 }
"body.category" = { dictionary = "categories", probability = 0.5 }
"body.role" = { dictionary = "roles", probability = 0.5 }
"body.timezone" = { dictionary = "zones", probability = 0.5 }
EOF

failed=0
pass() { # pass NAME SECS TOKEN [schemathesis options…]
  local name=$1 secs=$2 token=$3
  shift 3
  echo
  echo "--- schemathesis pass '$name' (at most $secs s)"
  local seed=()
  [ -n "${HADIR_API_FUZZ_SEED:-}" ] && seed=(--seed "$HADIR_API_FUZZ_SEED")
  local auth=()
  [ -n "$token" ] && auth=(-H "Authorization: Bearer $token")
  if ! (cd "$work" && timeout --kill-after=10 $((secs + 60)) "${st[@]}" --config-file "$work/schemathesis.toml" \
    run "$url/api/openapi.json" "${auth[@]}" "${seed[@]}" \
    --checks "${HADIR_API_FUZZ_CHECKS:-not_a_server_error,response_schema_conformance}" --max-time "$secs" --request-timeout 60 --workers 1 \
    --phases examples,coverage,fuzzing,stateful --suppress-health-check all \
    --warnings off --no-color --report junit --report-dir "$work/reports/$name" "$@"); then
    echo "schemathesis pass '$name' FAILED" >&2
    failed=1
  fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "the server died during pass '$name'" >&2
    failed=1
  fi
}

pass relay "$relay_secs" "$relay_token" --include-path-regex '^/api/v1/relay/' --max-examples 40
pass employee "$employee_secs" "$employee_token" \
  --exclude-operation-id logout --exclude-operation-id change_own_password --exclude-operation-id login \
  --exclude-path-regex '^/api/v1/relay/' --max-examples 15
pass admin "$admin_secs" "$admin_token" \
  --exclude-operation-id logout --exclude-operation-id change_own_password --exclude-operation-id login \
  --exclude-path-regex '^/api/v1/relay/' --max-examples 30
operator_token="$(token_for "$operator_login")"
pass session "$session_secs" "$operator_token" \
  --include-operation-id login --include-operation-id logout --include-operation-id change_own_password \
  --max-examples 10

stop_server
if grep -n "panicked" "$work/server.log" >&2; then
  echo "the server panicked (above)" >&2
  failed=1
fi
if [ "$failed" != 0 ]; then
  echo >&2
  echo "API fuzz FAILED; the server log's last lines:" >&2
  tail -n 60 "$work/server.log" >&2
  exit 1
fi
echo
echo "API fuzz passed: no 5xx, no panic, answers as documented."
