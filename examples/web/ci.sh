#!/usr/bin/env bash
# CI for the web front end in examples/web/: install exactly the locked packages, type-check, and run
# the end-to-end test (the built app in headless Chromium against the real server).
#
#   TODO_ROCKET_BIN=/abs/path/to/target/release/todo-rocket bash examples/web/ci.sh
#
# Screenshots and the server log go to $WEB_ARTIFACTS_DIR (default examples/web/test-artifacts/).
# Works from a fresh clone: installs Debian's chromium when it is missing, and builds the client package.
set -euo pipefail
cd "$(dirname "$0")"

step() { printf '\n==> examples/web: %s\n' "$*"; }

if [ -z "${TODO_ROCKET_BIN:-}" ]; then
    echo "error: TODO_ROCKET_BIN is not set; point it at the server binary (cargo build --release -p todo-rocket)" >&2
    exit 1
fi
case "$TODO_ROCKET_BIN" in
    /*) ;;
    *) TODO_ROCKET_BIN="$(cd "$OLDPWD" && realpath "$TODO_ROCKET_BIN")"; export TODO_ROCKET_BIN ;;
esac

step "tools: node $(node --version), npm $(npm --version), server $TODO_ROCKET_BIN"
node -e 'const [major, minor] = process.versions.node.split(".").map(Number); if (major < 20 || (major === 20 && minor < 19)) { console.error("error: Node.js 20.19 or newer is required (Vite 8)"); process.exit(1) }'

if [ ! -x "${CHROMIUM_BIN:-/usr/bin/chromium}" ]; then
    step "installing Debian's chromium"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium
fi

# npm installs ../../openapi as a copy of what the package ships (.npmrc: install-links), and that is
# its built dist/, which npm does not build by itself (the package builds on `prepack` only).
step "the client package: npm run build in openapi/"
if [ ! -d ../../openapi/node_modules ]; then
    (cd ../../openapi && npm ci --no-audit --no-fund)
fi
(cd ../../openapi && npm run build)

step "npm ci"
npm ci --no-audit --no-fund

step "npm run typecheck (tsc --noEmit)"
npm run typecheck

# The mails go over real SMTP to aiosmtpd (test/smtp_sink.py): SMTP_SINK_PYTHON is a Python that has it (CI
# passes its tools' virtualenv); without one, a virtualenv of its own is made.
if [ -z "${SMTP_SINK_PYTHON:-}" ]; then
    step "a Python with aiosmtpd for the SMTP server the mails go to"
    sink_venv="$(mktemp -d)/venv"
    python3 -m venv "$sink_venv"
    "$sink_venv/bin/pip" install --quiet aiosmtpd
    SMTP_SINK_PYTHON="$sink_venv/bin/python"
fi
export SMTP_SINK_PYTHON

step "npm test (vite build + vite preview, todo-rocket with aiosmtpd, headless Chromium)"
npm test

step "examples/web passed"
