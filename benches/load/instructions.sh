#!/usr/bin/env bash
# Instructions per request: one todo-rocket build on SQLite under Valgrind's callgrind, `GET /tasks/{id}` sent by
# wrk for a fixed time, the counters zeroed after seeding and dumped after the load. Prints the instructions
# executed per request by the whole process (every thread), and the functions that executed most of them.
#
# Unlike a wall-clock or CPU-time figure on this shared 2-core VM (±5% run to run, see benches/README.md, "Noise"),
# an instruction count repeats to a fraction of a percent, so it can tell a 2 µs change from noise. It does not
# see what instructions cost (cache misses, system calls, context switches): confirm a gain with cpu.sh or ab.sh.
#
# usage: benches/load/instructions.sh /path/to/todo-rocket ["VAR=value ..."]
#        e.g. benches/load/instructions.sh target/release/todo-rocket "LOG_FORMAT=json RUST_LOG=info"
# knobs: DURATION=10 (seconds of load), TOP=25 (functions listed; 0 for none)
set -euo pipefail
binary="$(realpath "$1")"
read -ra extra <<<"${2:-}"
duration="${DURATION:-10}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }

dir="$(mktemp -d)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
env JWT_SECRET=load-harness-secret-that-is-at-least-32-bytes DATABASE_URL="sqlite:$dir/todo.db" BCRYPT_COST=4 \
    ROCKET_ADDRESS=127.0.0.1 ROCKET_PORT="$port" ROCKET_LOG_LEVEL=off RUST_LOG=off "${extra[@]}" \
    valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind.out" "$binary" >"$dir/server.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; [ -n "${KEEP:-}" ] && cp "$dir"/callgrind.out* "$KEEP"/ ; rm -rf "$dir"' EXIT
for _ in $(seq 1 600); do curl -fs "$base/health" >/dev/null && break; sleep 0.1; done

json() { python3 -c "import json, sys; print(json.load(sys.stdin)['$1'])"; }
credentials='{"email": "instructions@example.com", "password": "correct horse battery"}'
curl -fs -X POST -H 'Content-Type: application/json' -d "$credentials" "$base/auth/signup" >/dev/null
token="$(curl -fs -X POST -H 'Content-Type: application/json' -d "$credentials" "$base/auth/login" | json access_token)"
task="$(curl -fs -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $token" \
    -d '{"title": "measured"}' "$base/tasks" | json id)"
url="$base/tasks/$task"

wrk -t1 -c4 -d2s -H "Authorization: Bearer $token" "$url" >/dev/null # warm-up: connections, statement cache
callgrind_control --zero "$pid" >/dev/null 2>&1
report="$(wrk -t1 -c4 -d"${duration}s" -H "Authorization: Bearer $token" "$url")"
callgrind_control --dump=measured "$pid" >/dev/null 2>&1
requests="$(awk '/requests in/ { print $1 }' <<<"$report")"
sleep 1
out="$(ls -t "$dir"/callgrind.out* | head -1)"
total="$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')"
python3 -c "import sys; r, t = int(sys.argv[1]), int(sys.argv[2]); print(f'requests {r}   instructions per request {t / r:,.0f}')" \
    "$requests" "$total"
if [[ "${TOP:-25}" != 0 ]]; then
    callgrind_annotate --inclusive=no "$out" 2>/dev/null | grep -E '^ *[0-9,]+ \(' | head -"${TOP:-25}" |
        awk -v r="$requests" '{ n = $1; gsub(",", "", n); $1 = sprintf("%8.0f", n / r); $2 = ""; print }'
fi
