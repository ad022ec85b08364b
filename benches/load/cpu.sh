#!/usr/bin/env bash
# Server CPU per request: one todo-rocket build under wrk (64 connections), with the server's user+system CPU time
# read from /proc before and after, and on PostgreSQL the CPU time of the database's own backend processes (the
# connections of the server's pool) as well. Prints req/s, CPU µs per request (all the server's threads, the log
# writer's too; and the database's), and voluntary context switches per request. Cheaper to read than a throughput
# ratio on a 2-core machine where wrk shares the cores: it isolates what a setting or a build costs the server, and
# on PostgreSQL it splits that cost between the server and the database.
#
# usage: benches/load/cpu.sh /path/to/todo-rocket ["VAR=value ..."]
#        e.g. benches/load/cpu.sh target/release/todo-rocket "LOG_FORMAT=json RUST_LOG=info"
# knobs: ROUTE=get (GET /tasks/{id}), list (GET /tasks, the first page of the 200 seeded tasks: 50) or list_one
#        (GET /tasks?list_id=<the inbox>; GET /tasks on a build before lists), BACKEND=sqlite or postgres (on
#        $TEST_POSTGRES_URL, a fresh database), DURATION=8 (seconds measured, after 2 s of warm-up), LOG_FILE (where
#        the server's output goes; default a file in a temporary folder), PERF_DATA (a path: also records the server
#        with `perf record` during the measured run, for `perf report -i PATH` or `perf diff A B`; the recording
#        itself costs a few % of CPU)
set -euo pipefail
binary="$(realpath "$1")"
read -ra extra <<<"${2:-}"
duration="${DURATION:-8}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

here="$(dirname "$0")"
# shellcheck source=benches/load/lib.sh
source "$here/lib.sh" # $workdir, the cleanup trap, serve, seed, analyze, inbox
serve "${LOG_FILE:-$workdir/server.log}" "$binary"

seed "$base" '{"email": "cpu@example.com", "password": "correct horse battery"}' # sets $token, $task_id
analyze "$database_url"
route_url # sets $url from $ROUTE

wrk -t2 -c64 -d2s -H "Authorization: Bearer $token" "$url" >/dev/null # warm-up: the pool's connections open
# The database's backends serving the server's pool (none on SQLite, where the database runs in the server).
database_pids=()
if [[ "${BACKEND:-sqlite}" == postgres ]]; then
    mapfile -t database_pids < <(psql -Atq "$pg_admin" -c "SELECT pid FROM pg_stat_activity WHERE datname = '$pg_name'")
fi
ticks() { local p total=0; for p in "$@"; do total=$((total + $(awk '{ print $14 + $15 }' /proc/"$p"/stat))); done; echo "$total"; }
# sample: voluntary context switches of every thread of the server, its utime+stime, the database's, in clock ticks
sample() {
    cat /proc/"$pid"/task/*/status | awk '/^voluntary_ctxt_switches/ { s += $2 } END { printf "%d ", s }'
    printf '%d %d\n' "$(ticks "$pid")" "$(ticks "${database_pids[@]}")"
}
if [[ -n "${PERF_DATA:-}" ]]; then
    perf record -q -F 1999 -g -p "$pid" -o "$PERF_DATA" -- sleep "$duration" 2>/dev/null &
    perf_pid=$!
fi
read -r switches_before ticks_before database_before < <(sample)
report="$(wrk -t2 -c64 -d"${duration}s" -H "Authorization: Bearer $token" "$url")"
read -r switches_after ticks_after database_after < <(sample)
[[ -z "${PERF_DATA:-}" ]] || wait "$perf_pid"
if [[ "${BACKEND:-sqlite}" == postgres ]]; then
    now="$(psql -Atq "$pg_admin" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$pg_name' AND pid <> ALL('{$(IFS=,; echo "${database_pids[*]}")}')")"
    [ "$now" = 0 ] || echo "warning: the pool opened $now connections during the measurement; their CPU is not counted" >&2
fi
requests="$(awk '/requests in/ { print $1 }' <<<"$report")"
python3 - "$requests" "$duration" "$((ticks_after - ticks_before))" "$((database_after - database_before))" \
    "$(getconf CLK_TCK)" "$((switches_after - switches_before))" "${BACKEND:-sqlite}" <<'PY'
import sys
requests, duration, ticks, database, hz, switches = (float(v) for v in sys.argv[1:7])
line = (f"req/s {requests / duration:8.0f}   server CPU per request {ticks / hz * 1e6 / requests:6.1f} us   "
        f"context switches per request {switches / requests:5.2f}")
if sys.argv[7] == "postgres":
    line += f"   database CPU per request {database / hz * 1e6 / requests:6.1f} us"
print(line)
PY
