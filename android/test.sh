#!/usr/bin/env bash
# The Android app's Robolectric tests on the JVM: generate the bindings (host
# libminqing_core.so), make the fixture photo, start a real minqing-server on
# a free loopback port (as bindings/test-jvm.sh does), and run android/pom.xml's
# tests against both. Screenshots go to docs/android/ when MINQING_SCREENSHOTS=1.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bindings/generate.sh >/dev/null
mkdir -p target/fixtures
cargo run -q -p minqing-capture --features test-support --example make_photo -- target/fixtures/manhole.jpg

cargo build -q -p minqing-server
data="$root/target/android-server"
rm -rf "$data"
mkdir -p "$data"
# Screenshots show the demo's other items too (--demo-items); the tests find their own by text.
items=()
if [[ "${MINQING_SCREENSHOTS:-0}" == 1 ]]; then items=(--demo-items); fi
./target/debug/minqing-server demo "${items[@]}" --data-dir "$data" --listen 127.0.0.1:0 >"$data/stdout" 2>"$data/stderr" &
server_pid=$!
trap 'kill $server_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q '^listening on ' "$data/stdout" 2>/dev/null && break
  sleep 0.1
done
url="$(sed -n 's/^listening on //p' "$data/stdout")"
[[ -n "$url" ]] || { cat "$data/stderr"; echo "server did not start" >&2; exit 1; }
phone() { awk -v n="$1" '$3 == n { print $1 }' "$data/stdout"; }

shots=""
if [[ "${MINQING_SCREENSHOTS:-0}" == 1 ]]; then shots="$root/docs/android"; fi

cd android
start=$(date +%s)
mvn -B -ntp test "$@" -Dminqing.lib.dir="$root/target/debug" -Dminqing.fixtures="$root/target/fixtures" \
  -Dminqing.server.url="$url" -Dminqing.server.data="$data" \
  -Dminqing.phone.deputy="$(phone 陆靖英)" -Dminqing.phone.contact="$(phone 移动联络员)" \
  -Dminqing.phone.coordinator="$(phone 孟宪珂)" \
  -Dminqing.screenshots="$shots"
echo "android: Robolectric suite $(( $(date +%s) - start )) s (mvn, compile included)"
