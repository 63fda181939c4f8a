#!/usr/bin/env bash
# Every test of the project, from a fresh machine: installs what the tests need,
# then runs formatting and lint checks, the Rust tests (unit, property, crash
# safety; storage tests on SQLite and on a local PostgreSQL from scripts/pg.sh;
# the photo store on an S3-compatible server, moto)
# schemathesis against a live demo server and its generated /openapi.json
# (scripts/schemathesis.sh: pinned, in a venv under ~/.cache; about 1.5 min),
# the JUnit tests of the generated Kotlin bindings on the JVM, the Android
# app's Robolectric tests, and the iOS app's Swift package (swift test in a
# Debian 13 chroot made once and cached: ios/swift-chroot.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# A full run from a clean clone gains nothing from incremental caches (they
# were 5 GB of target/ on a clean run); CARGO_INCREMENTAL=1 keeps them.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

need() { command -v "$1" >/dev/null 2>&1; }
if ! need mvn || ! need javac; then
  apt-get update -q && apt-get install -y -q maven openjdk-17-jdk-headless
fi
# The monthly report's tests (server/tests/report.rs, issue 14): Chromium prints
# the PDF with Noto CJK; poppler's pdftotext/pdffonts/pdftoppm read it back.
if ! need pdftotext || ! need pdffonts || [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi 'cjk'; then
  apt-get update -q && apt-get install -y -q poppler-utils chromium fonts-noto-cjk
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true
# An S3-compatible server for the photo-store test (moto's standalone server).
if ! need moto_server; then
  python3 -m pip install --quiet 'moto[server]>=5,<6'
fi

# schemathesis (pinned) in a venv under ~/.cache, for scripts/schemathesis.sh.
scripts/schemathesis.sh --install
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== PostgreSQL for the tests (a throwaway local cluster)"
. scripts/pg.sh
echo "== cargo test"
cargo test --workspace
echo "== schemathesis against a live server: anonymous, a deputy, the admin (issue 16 item 8)"
scripts/schemathesis.sh
echo "== Kotlin bindings on the JVM"
bindings/test-jvm.sh
echo "== the staff web console in Chromium (console/tests; installs chromium when missing)"
scripts/console.sh test
echo "== Android app on Robolectric (JVM, real core and server)"
android/test.sh
echo "== iOS app's Swift package (swift test in a Debian 13 chroot; real core and server)"
ios/test.sh
