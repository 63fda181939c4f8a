#!/usr/bin/env bash
# Generate the bindings, make the fixture photo, and run the JUnit tests of the
# generated Kotlin against the host library.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bindings/generate.sh
mkdir -p target/fixtures
cargo run -q -p minqing-capture --features test-support --example make_photo -- target/fixtures/manhole.jpg
cd bindings/jvm
mvn -B -ntp test -Dminqing.lib.dir="$root/target/debug" -Dminqing.fixtures="$root/target/fixtures"
