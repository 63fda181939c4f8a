#!/usr/bin/env bash
# Generate the core's Swift bindings into this package (uniffi library mode):
#   Sources/MinqingCore/MinqingCore.swift and Sources/MinqingCoreFFI/MinqingCoreFFI.h.
#   ios/MinqingKit/generate.sh [LIBRARY]
# LIBRARY is an unstripped build of the core that carries uniffi's metadata
# (default: target/debug/libminqing_core.so, built here; on a Mac,
# target/debug/libminqing_core.dylib). Release builds strip it: do not use them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
if [[ $# -ge 1 ]]; then
  lib="$1"
else
  cargo build -q -p minqing-core
  lib="$root/target/debug/libminqing_core.$( [[ "$(uname)" == Darwin ]] && echo dylib || echo so )"
fi
cargo build -q -p minqing-bindings
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
./target/debug/uniffi-bindgen generate --library "$lib" --language swift --out-dir "$out" --no-format >/dev/null
# Write only what changed, so a warm swift build recompiles nothing.
mkdir -p "$here/Sources/MinqingCore" "$here/Sources/MinqingCoreFFI"
put() { cmp -s "$1" "$2" || cp "$1" "$2"; }
put "$out/MinqingCore.swift" "$here/Sources/MinqingCore/MinqingCore.swift"
put "$out/MinqingCoreFFI.h" "$here/Sources/MinqingCoreFFI/MinqingCoreFFI.h"
echo "MinqingKit: bindings generated from $lib"
