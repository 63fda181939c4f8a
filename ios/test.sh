#!/usr/bin/env bash
# The iOS app's Swift package (ios/MinqingKit) tested on Linux: `swift test`
# in a Debian 13 chroot with Debian's Swift 6.0.3 (ios/swift-chroot.sh, made
# once and cached), against the host core library (target/debug, unstripped:
# uniffi reads its metadata) and a real minqing-server on a free loopback port
# (started as bindings/test-jvm.sh does). ADR 0013.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
start=$SECONDS
ios/swift-chroot.sh ensure
ios/MinqingKit/generate.sh
mkdir -p target/fixtures
cargo run -q -p minqing-capture --features test-support --example make_photo -- target/fixtures/manhole.jpg

cargo build -q -p minqing-server
data="$root/target/ios-server"
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

# Inside the chroot the repository is /src.
export MINQING_SERVER_URL="$url"
export MINQING_SERVER_DATA="/src/target/ios-server"
export MINQING_FIXTURES="/src/target/fixtures"
export MINQING_PHONE_DEPUTY="$(phone 陆靖英)"
export MINQING_PHONE_CONTACT="$(phone 移动联络员)"
export MINQING_PHONE_COORDINATOR="$(phone 孟宪珂)"
export MINQING_PHONE_OTHER="$(phone 王建国)"
# The app's SwiftUI sources cannot be compiled here (no SwiftUI/UIKit on Linux);
# they are at least parsed, so a syntax slip shows in CI.
ios/swift-chroot.sh run ios/Minqing sh -ec 'for f in Minqing/*.swift Minqing/Views/*.swift; do swiftc -parse "$f"; done'
echo "ios: the app's $(ls ios/Minqing/Minqing/*.swift ios/Minqing/Minqing/Views/*.swift | wc -l) Swift files parse (not compiled: no SwiftUI on Linux)"
log="$root/target/ios-swift-test.log"
set +e
ios/swift-chroot.sh run ios/MinqingKit \
  swift test --disable-swift-testing --scratch-path /root/build/MinqingKit \
  -Xlinker -L/src/target/debug -Xlinker -rpath -Xlinker /src/target/debug "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# The plain line every CI reader understands, counted from XCTest's own lines.
passed="$(grep -cE "^Test Case '.*' passed" "$log" || true)"
failed="$(grep -cE "^Test Case '.*' failed" "$log" || true)"
echo "ios: swift test $(( SECONDS - start )) s end to end"
echo "MinqingKit: $passed passed, $failed failed"
exit "$rc"
