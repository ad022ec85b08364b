#!/usr/bin/env bash
# Instructions per request: one todo-rocket build under Valgrind's callgrind, on SQLite or PostgreSQL (the server's
# own instructions only: PostgreSQL's backends are other processes, whose CPU cpu.sh reads), a route sent by wrk
# for a fixed time, the counters zeroed after seeding and dumped after the load. Prints the instructions
# executed per request by the whole process (every thread), and the functions that executed most of them.
#
# Unlike a wall-clock or CPU-time figure on this shared 2-core VM (±5% run to run, see benches/README.md, "Noise"),
# an instruction count repeats to a fraction of a percent, so it can tell a 2 µs change from noise. It does not
# see what instructions cost (cache misses, system calls, context switches): confirm a gain with cpu.sh or ab.sh.
#
# usage: benches/load/instructions.sh /path/to/todo-rocket ["VAR=value ..."]
#        e.g. benches/load/instructions.sh target/release/todo-rocket "LOG_FORMAT=json RUST_LOG=info"
# knobs: ROUTE=get (GET /tasks/{id}), list (GET /tasks, the first page of the 200 seeded tasks: 50) or list_one
#        (GET /tasks?list_id=<the inbox>; GET /tasks on a build before lists), BACKEND=sqlite or postgres (on
#        $TEST_POSTGRES_URL, a fresh database),
#        DURATION=10 (seconds of load), TOP=25 (functions listed; 0 for none), KEEP=dir (a folder to keep the
#        callgrind file in, e.g. to compare two builds function by function with callgrind_annotate)
set -euo pipefail
binary="$(realpath "$1")"
read -ra extra <<<"${2:-}"
duration="${DURATION:-10}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }

here="$(dirname "$0")"
# shellcheck source=benches/load/lib.sh
source "$here/lib.sh" # $workdir, the cleanup trap, serve, seed, analyze, inbox
serve "$workdir/server.log" valgrind --tool=callgrind --callgrind-out-file="$workdir/callgrind.out" "$binary"

seed "$base" '{"email": "instructions@example.com", "password": "correct horse battery"}' # sets $token, $task_id
analyze "$database_url"
route_url # sets $url from $ROUTE

wrk -t1 -c4 -d2s -H "Authorization: Bearer $token" "$url" >/dev/null # warm-up: connections, statement cache
callgrind_control --zero "$pid" >/dev/null 2>&1
report="$(wrk -t1 -c4 -d"${duration}s" -H "Authorization: Bearer $token" "$url")"
callgrind_control --dump=measured "$pid" >/dev/null 2>&1
requests="$(awk '/requests in/ { print $1 }' <<<"$report")"
sleep 1
out="$(ls -t "$workdir"/callgrind.out* | head -1)"
[[ -z "${KEEP:-}" ]] || cp "$out" "$KEEP"/
total="$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')"
python3 -c "import sys; r, t = int(sys.argv[1]), int(sys.argv[2]); print(f'requests {r}   instructions per request {t / r:,.0f}')" \
    "$requests" "$total"
if [[ "${TOP:-25}" != 0 ]]; then
    # Per function, instructions per request. The thread and runtime frames (clone, start_thread, tokio's worker
    # loop) are listed by callgrind with nearly everything under them; rows above half the total are those.
    callgrind_annotate --threshold=100 --inclusive=no "$out" 2>/dev/null | python3 -c '
import re, sys
requests, top, total = int(sys.argv[1]), int(sys.argv[2]), None
for line in sys.stdin:
    match = re.match(r"^\s*([\d,]+) \(\s*([\d.]+)%\)\s+(.*?)(?: \[.*\])?$", line)
    if top == 0 or not match or "PROGRAM TOTALS" in line or float(match.group(2)) > 50:
        continue  # read on to the end, so that callgrind_annotate is not cut off
    count = int(match.group(1).replace(",", ""))
    print("%9.0f  %s" % (count / requests, match.group(3)[:140]))
    top -= 1
' "$requests" "${TOP:-25}"
fi
