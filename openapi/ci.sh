#!/usr/bin/env bash
# CI for the TypeScript client in openapi/: generated types in sync, the package's version is the API's,
# type check, the build, the client's tests against the real server, the packed tarball installed in a
# fresh project and used from plain node, a bundle and TypeScript, and Swagger UI, the session client and the
# passkey helpers in headless Chromium. Works from a fresh clone.
set -euo pipefail
cd "$(dirname "$0")"

step() { printf '\n==> openapi: %s\n' "$*"; }

step "tools: node $(node --version), npm $(npm --version)"
node -e 'if (Number(process.versions.node.split(".")[0]) < 20) { console.error("error: Node.js 20 or newer is required"); process.exit(1) }'

if [ ! -x /usr/bin/chromium ]; then
    step "installing Debian's chromium (for the Swagger UI test)"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium
fi
/usr/bin/chromium --version 2>/dev/null | grep -i chromium

step "npm ci"
npm ci --no-audit --no-fund

step "npm run check:generated"
npm run check:generated

step "npm run check:version (package.json's version is openapi.json's info.version)"
npm run check:version

step "npm run typecheck"
npm run typecheck

step "npm run build (dist/: ES modules and declarations)"
npm run build

step "npm test (the typed client, the session client, second factors and sign-in links against the real server)"
npm test

step "npm run test:package (npm pack, installed in a fresh project: plain node, esbuild, tsc)"
npm run test:package

step "npm run test:browser (Swagger UI, the session client and the passkey helpers in headless Chromium)"
npm run test:browser

step "openapi/ passed"
