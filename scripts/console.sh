#!/usr/bin/env bash
# The staff web console (console/; docs/adr/0012-staff-console.md).
#   scripts/console.sh build   install the npm packages when needed (npm ci, from the npm
#                              cache when it can), type-check and build console/dist
#   scripts/console.sh ensure  build only when console/dist is missing or older than a source
#   scripts/console.sh test    build, then the browser tests in Debian's Chromium
#                              (installed with apt-get when missing) against a real
#                              `minqing-server demo`; SCREENSHOTS_DIR=docs/console keeps
#                              the screenshots there
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/console"

deps() {
  # node_modules/.package-lock.json is what the last install wrote.
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --prefer-offline --no-audit --no-fund --loglevel=error
  fi
}

build() {
  deps
  npm run --silent build
}

stale() {
  [ ! -f dist/index.html ] && return 0
  [ -n "$(find src index.html vite.config.ts package-lock.json public -newer dist/index.html -print -quit)" ]
}

case "${1:-build}" in
  build) build ;;
  ensure)
    if ! command -v npm >/dev/null 2>&1; then
      echo "console: npm not found; the server runs without its web console" >&2
    elif stale; then
      echo "== building the web console (console/dist)"
      build
    fi
    ;;
  test)
    if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi 'cjk'; then
      apt-get update -q && apt-get install -y -q chromium fonts-noto-cjk
    fi
    build
    (cd "$root" && cargo build -q -p minqing-server)
    npm test
    ;;
  *) echo "usage: scripts/console.sh build|ensure|test" >&2; exit 2 ;;
esac
