# Shared by run.sh and ab.sh (source it; it defines functions and the cleanup trap, and runs nothing else).
# Expects: $here (this folder), $duration; sets up $workdir, $results and the list of started servers.

workdir="$(mktemp -d)"
results="$workdir/results.tsv"
pids=()
pg_admin=""
pg_names=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    for name in "${pg_names[@]}"; do
        psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null || true
    done
    rm -rf "$workdir"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start NAME BINARY_PATH [VAR=value...]: starts a server on a free loopback port; sets $port and $pid.
start() {
    local name="$1" binary="$2"
    shift 2
    port="$(free_port)"
    env ROCKET_ADDRESS=127.0.0.1 ROCKET_PORT="$port" ROCKET_LOG_LEVEL=off RUST_LOG=off "$@" \
        "$binary" >"$workdir/$name.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
        sleep 0.1
    done
    echo "error: $name did not start:" >&2
    cat "$workdir/$name.log" >&2
    exit 1
}

# stop PID: ends one server this script started, and forgets it.
stop() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    local kept=() p
    for p in "${pids[@]}"; do [ "$p" = "$1" ] || kept+=("$p"); done
    pids=("${kept[@]}")
}

# measure BACKEND SCENARIO CONNECTIONS URL METHOD PATH [TOKEN [BODY]]: one wrk run, appended to $results as
# backend, scenario, connections, req/s, p50 ms, p99 ms, errors (tab-separated).
measure() {
    local backend="$1" scenario="$2" conns="$3" url="$4"
    shift 4
    local threads=2
    [ "$conns" -lt 2 ] && threads=1
    wrk -t"$threads" -c"$conns" -d"${duration}s" --timeout 30s -s "$here/request.lua" "$url" -- "$@" |
        awk -v b="$backend" -v s="$scenario" -v c="$conns" '
            /^wrk-summary / {
                for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                printf "%s\t%s\t%s\t%.1f\t%.2f\t%.2f\t%d\n", b, s, c,
                    v["requests"] / (v["duration_us"] / 1e6), v["p50_us"] / 1000, v["p99_us"] / 1000, v["errors"]
                found = 1
            }
            END { exit !found }' >>"$results"
    echo "  $scenario: done" >&2
}

# serve LOG_FILE COMMAND...: runs COMMAND (a todo-rocket build, or one under a tool such as valgrind) on a fresh
# database of $BACKEND (sqlite, the default: a file in $workdir; postgres: a database of $TEST_POSTGRES_URL, dropped
# on exit, whose name is $pg_name) and a free loopback port, with the harness's settings and the array $extra
# (VAR=value...); waits up to 60 s for /health; sets $database_url, $base and $pid.
serve() {
    local log="$1"
    shift
    case "${BACKEND:-sqlite}" in
        sqlite) database_url="sqlite:$workdir/todo.db" ;;
        postgres)
            [ -n "${TEST_POSTGRES_URL:-}" ] || { echo "error: BACKEND=postgres needs TEST_POSTGRES_URL" >&2; exit 1; }
            pg_name="todo_load_$$"
            postgres_database "$pg_name"
            database_url="$pg_url" ;;
        *) echo "error: BACKEND is sqlite or postgres" >&2; exit 1 ;;
    esac
    port="$(free_port)"
    base="http://127.0.0.1:$port"
    env JWT_SECRET=load-harness-secret-that-is-at-least-32-bytes DATABASE_URL="$database_url" \
        BCRYPT_COST=4 ROCKET_ADDRESS=127.0.0.1 ROCKET_PORT="$port" ROCKET_LOG_LEVEL=off RUST_LOG=off "${extra[@]}" \
        "$@" >"$log" 2>&1 &
    pid=$!
    pids+=("$pid")
    for _ in $(seq 1 600); do curl -fs "$base/health" >/dev/null && break; sleep 0.1; done
}

json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

# seed BASE CREDENTIALS: signs the load user up, logs in and creates 200 tasks; sets $token and $task_id.
seed() {
    local base="$1" credentials="$2" n
    curl -fsS -o /dev/null -X POST "$base/auth/signup" -H 'Content-Type: application/json' -d "$credentials"
    token="$(curl -fsS -X POST "$base/auth/login" -H 'Content-Type: application/json' -d "$credentials" |
        json_field access_token)"
    # The first 199 with one curl (it reuses its connection); the last one's id is read.
    local args=()
    for n in $(seq 1 199); do
        args+=(-f -o /dev/null -X POST "$base/tasks" -H "Authorization: Bearer $token" -H 'Content-Type: application/json'
            -d "{\"title\":\"Seeded task $n\"}" --next)
    done
    curl -fsS "${args[@]}" -o /dev/null "$base/health"
    task_id="$(curl -fsS -X POST "$base/tasks" -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' -d '{"title":"Seeded task 200"}' | json_field id)"
}

# analyze DATABASE_URL: on PostgreSQL, gathers the planner's statistics of the seeded tables (a no-op on SQLite). A
# database in use has them: autovacuum analyzes a table once 50 rows changed, but only on its next round (a minute
# apart), and a measurement that starts before that is planned as if the tables were as empty as at migration
# (benches/README.md, "Shared lists: the read routes before and after").
analyze() {
    case "$1" in
        postgres:* | postgresql:*) psql -q "$1" -c ANALYZE >/dev/null ;;
    esac
}

# route_url: sets $url to the $ROUTE of the seeded user at $base: get (GET /tasks/{id}, the default), list (GET
# /tasks, every list) or list_one (GET /tasks?list_id=<the inbox>; GET /tasks on a build before lists).
route_url() {
    case "${ROUTE:-get}" in
        get) url="$base/tasks/$task_id" ;;
        list) url="$base/tasks" ;;
        list_one) inbox "$base" "$token" && url="$base/tasks${inbox_id:+?list_id=$inbox_id}" ;;
        *) echo "error: ROUTE is get, list or list_one" >&2; exit 1 ;;
    esac
}

# inbox BASE TOKEN: sets $inbox_id to the id of the user's inbox (the first of GET /lists), or to nothing when the
# build has no lists (GET /lists is not a route before shared lists).
inbox() {
    local answer
    inbox_id=""
    answer="$(curl -sS -w '\n%{http_code}' "$1/lists" -H "Authorization: Bearer $2")"
    [ "${answer##*$'\n'}" = 200 ] || return 0
    inbox_id="$(printf '%s' "${answer%$'\n'*}" |
        python3 -c 'import json,sys; print(next(l["id"] for l in json.load(sys.stdin) if l.get("inbox")))')"
}

# postgres_database NAME: creates a fresh database NAME on $TEST_POSTGRES_URL (dropped on exit); sets $pg_url.
postgres_database() {
    local name="$1"
    pg_admin="$TEST_POSTGRES_URL"
    psql -q "$pg_admin" -c "CREATE DATABASE $name" >/dev/null
    pg_names+=("$name")
    local pg_base="${TEST_POSTGRES_URL%%\?*}"
    local pg_query="${TEST_POSTGRES_URL#"$pg_base"}"
    pg_url="${pg_base%/*}/$name$pg_query"
}
