#!/usr/bin/env bash
# On a Mac with Xcode and rustup: the core as an XCFramework for iPhone and the
# simulator, and its Swift bindings, for ios/Minqing (XcodeGen) and
# ios/MinqingKit (its Package.swift links ios/build/MinqingCoreFFI.xcframework
# on Apple systems).
#
#   ios/build-xcframework.sh
#
# - device: aarch64-apple-ios; simulator: aarch64-apple-ios-sim + x86_64-apple-ios
#   (one fat static library), all with the phones' `mobile` profile;
# - bindings: generated from an unstripped host build (uniffi reads its
#   metadata there; the release and mobile profiles strip it).
# Not run on the project's Linux machines (no Xcode): unverified, see ios/README.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
[[ "$(uname)" == Darwin ]] || { echo "build-xcframework.sh needs macOS with Xcode" >&2; exit 1; }
export IPHONEOS_DEPLOYMENT_TARGET=16.0

targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios)
rustup target add "${targets[@]}"
for t in "${targets[@]}"; do
  cargo build -p minqing-core --profile mobile --target "$t"
done

ios/MinqingKit/generate.sh # host debug dylib → MinqingCore.swift + MinqingCoreFFI.h

out="$root/ios/build"
work="$out/work"
rm -rf "$out/MinqingCoreFFI.xcframework" "$work"
mkdir -p "$work/headers" "$work/sim"
cp ios/MinqingKit/Sources/MinqingCoreFFI/MinqingCoreFFI.h "$work/headers/"
cat >"$work/headers/module.modulemap" <<'MAP'
module MinqingCoreFFI {
    header "MinqingCoreFFI.h"
    export *
}
MAP
lipo -create \
  target/aarch64-apple-ios-sim/mobile/libminqing_core.a \
  target/x86_64-apple-ios/mobile/libminqing_core.a \
  -output "$work/sim/libminqing_core.a"
xcodebuild -create-xcframework \
  -library target/aarch64-apple-ios/mobile/libminqing_core.a -headers "$work/headers" \
  -library "$work/sim/libminqing_core.a" -headers "$work/headers" \
  -output "$out/MinqingCoreFFI.xcframework"
rm -rf "$work"
echo "built $out/MinqingCoreFFI.xcframework; next: cd ios/Minqing && xcodegen generate && open Minqing.xcodeproj"
