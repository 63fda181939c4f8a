#!/usr/bin/env bash
# Build the host core library and generate its Kotlin and Swift bindings in
# library mode. Output: bindings/generated/{kotlin,swift}, library in target/<profile>.
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
./target/debug/uniffi-bindgen generate --library "$lib" --language swift --out-dir bindings/generated/swift --no-format
echo "library: $root/$lib"
echo "kotlin:  $root/bindings/generated/kotlin"
echo "swift:   $root/bindings/generated/swift"
