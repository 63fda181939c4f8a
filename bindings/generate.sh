#!/usr/bin/env bash
# Build the host core library and generate its Kotlin and Swift bindings in
# library mode. Output: bindings/generated/kotlin, and the Swift straight into the
# iOS app's package (ios/MinqingKit/Sources/{MinqingCore,MinqingCoreFFI}, by
# ios/MinqingKit/generate.sh); library in target/<profile>.
#   bindings/generate.sh [--release]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
profile=debug
flag=()
if [[ "${1:-}" == "--release" ]]; then profile=release; flag=(--release); fi
cargo build -p minqing-core "${flag[@]}"
cargo build -p minqing-bindings
lib="target/$profile/libminqing_core.so"
rm -rf bindings/generated
./target/debug/uniffi-bindgen generate --library "$lib" --language kotlin --out-dir bindings/generated/kotlin --no-format
ios/MinqingKit/generate.sh "$root/$lib" >/dev/null
echo "library: $root/$lib"
echo "kotlin:  $root/bindings/generated/kotlin"
echo "swift:   $root/ios/MinqingKit/Sources/MinqingCore (and MinqingCoreFFI)"
