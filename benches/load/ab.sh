#!/usr/bin/env bash
# A/B of two todo-rocket builds on the read routes, side by side in one run: both servers run at once, each on
# its own database seeded the same way, and wrk alternates between them (A B, then B A, ...) so that a change in
# the machine's load hits both. Prints every run, the mean per build, and B/A.
#
# usage: TODO_ROCKET_BIN=/path/to/previous/todo-rocket benches/load/ab.sh
#        A is $TODO_ROCKET_BIN (e.g. the previous release), B is this tree's release build, or $B_BIN when set
#        (a build of another tree, e.g. one with a measurement patch such as benches/load/narrow-task.patch).
#        A_ENV / B_ENV: extra environment for one side, e.g. to compare one build with a setting and without:
#        TODO_ROCKET_BIN=target/release/todo-rocket B_ENV="METRICS_ADDRESS=127.0.0.1:9100 LOG_FORMAT=json RUST_LOG=info"
# knobs: DURATION=5 (seconds per run), ROUNDS=16 (even: as many A-first as B-first rounds; fewer cannot
#        resolve 5% on this machine, see benches/README.md), CONNECTIONS=64, ROUTES="get list list_one" (the
#        routes measured: get is GET /tasks/{id}, list is GET /tasks (every list the user can see), list_one is
#        GET /tasks?list_id=<the user's inbox> (one list), list_1 is GET /tasks?limit=1 (the list's fixed cost),
#        health is GET /health, the database floor),
#        TEST_POSTGRES_URL=postgres://... (adds PostgreSQL), BACKENDS="sqlite postgres" (the ones to compare),
#        TOLERANCE=5 (the percentage the verdict column of the means allows B to be slower)
set -euo pipefail
cd "$(dirname "$0")/../.."
here=benches/load

duration="${DURATION:-5}"
rounds="${ROUNDS:-16}"
connections="${CONNECTIONS:-64}"
routes="${ROUTES:-get list list_one}"
backends="${BACKENDS:-sqlite postgres}"
tolerance="${TOLERANCE:-5}"
secret="load-harness-secret-that-is-at-least-32-bytes"
credentials='{"email":"load@example.com","password":"correct horse battery"}'
[ -n "${TODO_ROCKET_BIN:-}" ] || { echo "error: set TODO_ROCKET_BIN to the build to compare against (A)" >&2; exit 1; }
a_bin="$(realpath "$TODO_ROCKET_BIN")"
read -ra a_env <<<"${A_ENV:-}"
read -ra b_env <<<"${B_ENV:-}"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
if [ -n "${B_BIN:-}" ]; then
    b_bin="$(realpath "$B_BIN")"
else
    echo "building the release server (B)..." >&2
    cargo build --release --quiet -p todo-rocket
    target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
    b_bin="$target_dir/release/todo-rocket"
fi

# shellcheck source=benches/load/lib.sh
source "$here/lib.sh"

# compare BACKEND DATABASE_URL_A DATABASE_URL_B: starts and seeds both builds, then alternates the routes.
compare() {
    local backend="$1"
    echo "== $backend" >&2
    start "a-$backend" "$a_bin" JWT_SECRET="$secret" DATABASE_URL="$2" BCRYPT_COST=4 "${a_env[@]}"
    local a_base="http://127.0.0.1:$port"
    seed "$a_base" "$credentials"
    analyze "$2"
    inbox "$a_base" "$token"
    local a_token="$token" a_task="$task_id" a_inbox="$inbox_id"
    start "b-$backend" "$b_bin" JWT_SECRET="$secret" DATABASE_URL="$3" BCRYPT_COST=4 "${b_env[@]}"
    local b_base="http://127.0.0.1:$port"
    seed "$b_base" "$credentials"
    analyze "$3"
    inbox "$b_base" "$token"
    local b_token="$token" b_task="$task_id" b_inbox="$inbox_id"
    note_lists A "$a_inbox"
    note_lists B "$b_inbox"
    local round build route
    for round in $(seq 1 "$rounds"); do
        for route in $routes; do
            # A then B in odd rounds, B then A in even ones (ABBA): a drift in the machine's speed, or an
            # advantage of going second, falls on both builds alike.
            for build in $( ((round % 2)) && echo "A B" || echo "B A"); do
                if [ "$build" = A ]; then
                    measure "$backend" "$route:A:$round" "$connections" "$a_base" GET "$(path "$route" "$a_task" "$a_inbox")" "$a_token"
                else
                    measure "$backend" "$route:B:$round" "$connections" "$b_base" GET "$(path "$route" "$b_task" "$b_inbox")" "$b_token"
                fi
            done
        done
    done
}

# path ROUTE TASK_ID INBOX_ID: the path a route name stands for. A build from before shared lists has only
# one list of tasks per user, its own, read by one range scan of a per-user index: that is what one list is now,
# so its list_one is plain GET /tasks (the same 200 tasks, the same page of 50).
path() {
    case "$1" in
        get) echo "/tasks/$2" ;;
        list) echo /tasks ;;
        list_1) echo "/tasks?limit=1" ;;
        list_one) if [ -n "$3" ]; then echo "/tasks?list_id=$3"; else echo /tasks; fi ;;
        health) echo /health ;;
        *) echo "error: ROUTES may name get, list, list_one, list_1 and health, not $1" >&2; exit 1 ;;
    esac
}

# note_lists BUILD INBOX_ID: says, once per build, what its list_one measures.
note_lists() {
    [[ " $routes " == *" list_one "* ]] || return 0
    if [ -n "$2" ]; then
        echo "  $1: list_one is GET /tasks?list_id=$2 (the seeded user's inbox)" >&2
    else
        echo "  $1: no GET /lists (a build before lists): its list_one is GET /tasks, the user's only tasks" >&2
    fi
}

if [[ " $backends " == *" sqlite "* ]]; then
    compare sqlite "sqlite:$workdir/a.db" "sqlite:$workdir/b.db"
fi
if [[ " $backends " == *" postgres "* ]] && [ -n "${TEST_POSTGRES_URL:-}" ]; then
    postgres_database "todo_ab_a_$$"
    a_url="$pg_url"
    postgres_database "todo_ab_b_$$"
    compare postgres "$a_url" "$pg_url"
fi

echo
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, ${duration}s per run, $rounds rounds, $connections connections"
echo "A: $a_bin ${A_ENV:-}"
echo "B: $b_bin ${B_ENV:-}"
awk -F'\t' -v tolerance="$tolerance" '
    {
        split($2, part, ":"); key = $1 SUBSEP part[1] SUBSEP part[2]
        sum[key] += $4; runs[key]++
        rows[++m] = sprintf("| %-8s | %-8s | %8s | %8s | %8s | %6s |", $1, $2, $4, $5, $6, $7)
        if (!(($1 SUBSEP part[1]) in seen)) { seen[$1 SUBSEP part[1]] = 1; order[++n] = $1 SUBSEP part[1] }
    }
    END {
        printf "| %-8s | %-8s | %8s | %8s | %8s | %6s |\n", "backend", "run", "req/s", "p50 ms", "p99 ms", "errors"
        print "| -------- | -------- | -------: | -------: | -------: | -----: |"
        for (i = 1; i <= m; i++) print rows[i]
        print ""
        printf "| backend  | route    | A req/s (mean) | B req/s (mean) |   B/A  | within %s%% |\n", tolerance
        print "| -------- | -------- | -------------: | -------------: | -----: | --------- |"
        for (i = 1; i <= n; i++) {
            split(order[i], k, SUBSEP)
            a = sum[k[1], k[2], "A"] / runs[k[1], k[2], "A"]; b = sum[k[1], k[2], "B"] / runs[k[1], k[2], "B"]
            printf "| %-8s | %-8s | %14.0f | %14.0f | %5.3f | %-9s |\n", k[1], k[2], a, b, b / a, (b / a >= 1 - tolerance / 100 ? "yes" : "NO")
        }
    }' "$results"
echo
python3 "$here/rounds.py" "$results"
