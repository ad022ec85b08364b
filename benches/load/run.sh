#!/usr/bin/env bash
# HTTP load harness: builds the release servers, starts todo-rocket on SQLite (and on a fresh PostgreSQL
# database when TEST_POSTGRES_URL is set) plus the bare Rocket hello server, seeds a user and tasks over HTTP,
# drives each scenario with wrk, and prints req/s, p50, p99, the target ratios and the server's peak RSS.
#
# usage: benches/load/run.sh            (from anywhere; installs wrk with apt-get when it is missing)
# knobs: DURATION=10 (seconds per scenario), CONNECTIONS=64, STORM_CONNECTIONS=8, BCRYPT_COST=12,
#        ROCKET_WORKERS (Rocket's default: one per core), TEST_POSTGRES_URL=postgres://postgres@127.0.0.1/test,
#        TODO_ROCKET_BIN (another todo-rocket build to measure, e.g. one with a change under trial),
#        HASH_MS (one bcrypt hash at BCRYPT_COST in ms, from `cargo bench -p todo-benches --bench passwords`:
#        judges the login targets against the bound cores / hash time)
set -euo pipefail
cd "$(dirname "$0")/../.."
here=benches/load

duration="${DURATION:-10}"
connections="${CONNECTIONS:-64}"
storm_connections="${STORM_CONNECTIONS:-8}"
bcrypt_cost="${BCRYPT_COST:-12}"
secret="load-harness-secret-that-is-at-least-32-bytes"
password="correct horse battery"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v python3 >/dev/null || { echo "error: python3 is needed to pick free ports" >&2; exit 1; }

echo "building the release servers..." >&2
cargo build --release --quiet -p todo-rocket -p todo-benches --bins
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
hello_bin="$target_dir/release/hello-rocket"
todo_bin="${TODO_ROCKET_BIN:-$target_dir/release/todo-rocket}"

# shellcheck source=benches/load/lib.sh
source "$here/lib.sh"

# run_backend NAME DATABASE_URL: the hello ceiling, then every scenario against todo-rocket on that database.
run_backend() {
    local backend="$1" database_url="$2"
    echo "== $backend" >&2
    # The hello ceiling is measured before and after the app's scenarios; the ratios use the mean of the two,
    # so a neighbour's burst of CPU during one of them does not decide a target alone.
    start "hello-$backend" "$hello_bin"
    local hello_base="http://127.0.0.1:$port" hello_pid="$pid"
    measure "$backend" hello "$connections" "$hello_base" GET /hello

    start "todo-$backend" "$todo_bin" JWT_SECRET="$secret" DATABASE_URL="$database_url" BCRYPT_COST="$bcrypt_cost"
    local base="http://127.0.0.1:$port" server_pid="$pid"
    local credentials="{\"email\":\"load@example.com\",\"password\":\"$password\"}"
    seed "$base" "$credentials"
    analyze "$database_url"

    measure "$backend" login "$storm_connections" "$base" POST /auth/login "" "$credentials"
    measure "$backend" create "$connections" "$base" POST /tasks "$token" '{"title":"Load test task"}'
    measure "$backend" list "$connections" "$base" GET /tasks "$token"
    # The same query for one row: the list's fixed cost, so that list - list_1 is the price of 49 more rows.
    measure "$backend" list_1 "$connections" "$base" GET "/tasks?limit=1" "$token"
    measure "$backend" get "$connections" "$base" GET "/tasks/$task_id" "$token"
    # The database floor: one `SELECT 1` through the pool and no token. No route that asks the database can be
    # faster, so its share of hello bounds what the get and list targets can reach on this machine.
    measure "$backend" health "$connections" "$base" GET /health
    # Right after the plain get run: the same run while a login storm (cost 12) starts first and outlasts it.
    wrk -t1 -c"$storm_connections" -d"$((duration + 3))s" --timeout 30s -s "$here/request.lua" "$base" -- \
        POST /auth/login "" "$credentials" >/dev/null &
    local storm=$!
    sleep 1
    measure "$backend" get_during_login_storm "$connections" "$base" GET "/tasks/$task_id" "$token"
    wait "$storm"
    # The other way round: logins while reads saturate the server (they must still progress; the idle-class
    # hashing thread gets next to nothing here, the cores - 1 normal-priority slots do the work).
    wrk -t1 -c"$connections" -d"$((duration + 3))s" -s "$here/request.lua" "$base" -- \
        GET "/tasks/$task_id" "$token" >/dev/null &
    local reads=$!
    sleep 1
    measure "$backend" login_during_reads "$storm_connections" "$base" POST /auth/login "" "$credentials"
    wait "$reads"

    local peak
    peak="$(awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$server_pid/status")"
    printf '%s\tpeak_rss_mib\t-\t%s\t-\t-\t-\n' "$backend" "$peak" >>"$results"
    stop "$server_pid"
    measure "$backend" hello_again "$connections" "$hello_base" GET /hello
    stop "$hello_pid"
}

run_backend sqlite "sqlite:$workdir/todo.db"
if [ -n "${TEST_POSTGRES_URL:-}" ]; then
    postgres_database "todo_load_$$"
    run_backend postgres "$pg_url"
fi

echo
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, ${duration}s per scenario, bcrypt cost $bcrypt_cost"
awk -F'\t' -v cores="$(nproc)" -v hash_ms="${HASH_MS:-}" -f "$here/report.awk" "$results"
