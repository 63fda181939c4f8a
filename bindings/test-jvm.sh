#!/usr/bin/env bash
# Generate the bindings, make the fixture photo, start a real server on a free
# loopback port, and run the JUnit tests of the generated Kotlin against the
# host library (and, for the sync tests, against that server).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bindings/generate.sh
mkdir -p target/fixtures
cargo run -q -p minqing-capture --features test-support --example make_photo -- target/fixtures/manhole.jpg

cargo build -q -p minqing-server
data="$root/target/jvm-server"
rm -rf "$data"
mkdir -p "$data"
./target/debug/minqing-server demo --data-dir "$data" --listen 127.0.0.1:0 >"$data/stdout" 2>"$data/stderr" &
server_pid=$!
trap 'kill $server_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q '^listening on ' "$data/stdout" 2>/dev/null && break
  sleep 0.1
done
url="$(sed -n 's/^listening on //p' "$data/stdout")"
[[ -n "$url" ]] || { cat "$data/stderr"; echo "server did not start" >&2; exit 1; }
phone() { awk -v n="$1" '$3 == n { print $1 }' "$data/stdout"; }

cd bindings/jvm
mvn -B -ntp test -Dminqing.lib.dir="$root/target/debug" -Dminqing.fixtures="$root/target/fixtures" \
  -Dminqing.server.url="$url" -Dminqing.server.data="$data" \
  -Dminqing.phone.deputy="$(phone 陆靖英)" -Dminqing.phone.contact="$(phone 移动联络员)"
