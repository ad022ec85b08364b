#!/usr/bin/env bash
# The README's walk-through against a live server: signup, login, create, list, toggle, delete.
# Exits non-zero on the first unexpected status.
#
#   examples/curl.sh [BASE_URL]        # default http://127.0.0.1:8000
set -euo pipefail

base="${1:-http://127.0.0.1:8000}"
email="curl-$(date +%s)-$$@example.com"
password="correct horse battery"
body_file="$(mktemp)"
trap 'rm -f "$body_file"' EXIT

# call EXPECTED_STATUS METHOD PATH [curl args...]: prints the body; fails unless the status matches.
call() {
    local expected="$1" method="$2" path="$3"
    shift 3
    local status
    status=$(curl -sS -o "$body_file" -w '%{http_code}' -X "$method" "$base$path" "$@")
    if [ "$status" != "$expected" ]; then
        echo "FAIL: $method $path answered $status, expected $expected: $(cat "$body_file")" >&2
        exit 1
    fi
    echo "ok: $method $path -> $status" >&2
    cat "$body_file"
}

# json_field NAME: the first string value of "NAME" in the JSON on stdin.
json_field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }

call 201 POST /auth/signup -H 'Content-Type: application/json' \
    -d "{\"email\": \"$email\", \"password\": \"$password\"}" >/dev/null
call 409 POST /auth/signup -H 'Content-Type: application/json' \
    -d "{\"email\": \"$email\", \"password\": \"$password\"}" >/dev/null
token=$(call 200 POST /auth/login -H 'Content-Type: application/json' \
    -d "{\"email\": \"$email\", \"password\": \"$password\"}" | json_field access_token)
auth=(-H "Authorization: Bearer $token")

call 200 GET /auth/me "${auth[@]}" >/dev/null
id=$(call 201 POST /tasks "${auth[@]}" -H 'Content-Type: application/json' -d '{"title": "Buy milk"}' | json_field id)
call 200 GET /tasks "${auth[@]}" | grep -q "\"id\":\"$id\"" || { echo "FAIL: the new task is not listed" >&2; exit 1; }
call 200 PATCH "/tasks/$id/complete" "${auth[@]}" | grep -q '"completed":true' \
    || { echo "FAIL: toggle did not complete the task" >&2; exit 1; }
call 204 DELETE "/tasks/$id" "${auth[@]}" >/dev/null
call 404 GET "/tasks/$id" "${auth[@]}" >/dev/null
call 401 GET /tasks >/dev/null
echo "walk-through passed against $base" >&2
