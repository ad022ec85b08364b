#!/usr/bin/env bash
# Server CPU per request: one todo-rocket build on SQLite under wrk (GET /tasks/{id}, 64 connections), with the
# server's user+system CPU time read from /proc before and after. Prints req/s, CPU µs per request (all the
# server's threads, the log writer's too) and voluntary context switches per request. Cheaper to read than a
# throughput ratio on a 2-core machine where wrk shares the cores: it isolates what a setting costs the server.
#
# usage: benches/load/cpu.sh /path/to/todo-rocket ["VAR=value ..."]
#        e.g. benches/load/cpu.sh target/release/todo-rocket "LOG_FORMAT=json RUST_LOG=info"
# knobs: DURATION=8 (seconds measured, after 2 s of warm-up), LOG_FILE (where the server's output goes; default
#        a file in a temporary folder), PERF_DATA (a path: also records the server with `perf record` during the
#        measured run, for `perf report -i PATH` or `perf diff A B`; the recording itself costs a few % of CPU)
set -euo pipefail
binary="$(realpath "$1")"
read -ra extra <<<"${2:-}"
duration="${DURATION:-8}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

here="$(dirname "$0")"
# shellcheck source=benches/load/lib.sh
source "$here/lib.sh" # $workdir, the cleanup trap, serve_sqlite, seed
serve_sqlite "${LOG_FILE:-$workdir/server.log}" "$binary"

seed "$base" '{"email": "cpu@example.com", "password": "correct horse battery"}' # sets $token, $task_id
url="$base/tasks/$task_id"

wrk -t2 -c64 -d2s -H "Authorization: Bearer $token" "$url" >/dev/null # warm-up
# sample: voluntary context switches of every thread, then utime+stime in clock ticks
sample() {
    cat /proc/"$pid"/task/*/status | awk '/^voluntary_ctxt_switches/ { s += $2 } END { printf "%d ", s }'
    awk '{ print $14 + $15 }' /proc/"$pid"/stat
}
if [[ -n "${PERF_DATA:-}" ]]; then
    perf record -q -F 1999 -g -p "$pid" -o "$PERF_DATA" -- sleep "$duration" 2>/dev/null &
    perf_pid=$!
fi
read -r switches_before ticks_before < <(sample)
report="$(wrk -t2 -c64 -d"${duration}s" -H "Authorization: Bearer $token" "$url")"
read -r switches_after ticks_after < <(sample)
[[ -z "${PERF_DATA:-}" ]] || wait "$perf_pid"
requests="$(awk '/requests in/ { print $1 }' <<<"$report")"
python3 - "$requests" "$duration" "$((ticks_after - ticks_before))" "$(getconf CLK_TCK)" \
    "$((switches_after - switches_before))" <<'PY'
import sys
requests, duration, ticks, hz, switches = (float(v) for v in sys.argv[1:])
print(f"req/s {requests / duration:8.0f}   server CPU per request {ticks / hz * 1e6 / requests:6.1f} us   "
      f"context switches per request {switches / requests:5.2f}")
PY
