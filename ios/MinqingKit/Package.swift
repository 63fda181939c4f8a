// swift-tools-version:6.0
// MinqingKit: everything of the iOS app but its SwiftUI views — the core's
// generated Swift bindings (module MinqingCore), a thin adapter over them and
// one view model per screen. Plain Swift: Foundation and Swift concurrency only,
// so it builds and is tested on Linux (ios/test.sh) as well as on Apple systems.
//
// The core's C interface (module MinqingCoreFFI) comes
// - on Linux: from the host library, `libminqing_core.so`, found through the
//   linker flags ios/test.sh passes (`-Xlinker -L<target/debug>`);
// - on Apple systems: from `ios/build/MinqingCoreFFI.xcframework`, made by
//   ios/build-xcframework.sh (device and simulator static libraries).
// Both generate Sources/MinqingCore/MinqingCore.swift and the FFI header with
// ios/MinqingKit/generate.sh first; neither is committed.
import PackageDescription

#if os(Linux)
let ffi: Target = .systemLibrary(name: "MinqingCoreFFI", path: "Sources/MinqingCoreFFI")
#else
let ffi: Target = .binaryTarget(name: "MinqingCoreFFI", path: "../build/MinqingCoreFFI.xcframework")
#endif

let package = Package(
    name: "MinqingKit",
    platforms: [.iOS(.v16), .macOS(.v13)],
    products: [
        .library(name: "MinqingKit", targets: ["MinqingKit"]),
    ],
    targets: [
        ffi,
        .target(
            name: "MinqingCore",
            dependencies: ["MinqingCoreFFI"],
            // What the static core needs from the system on Apple platforms
            // (rustls's platform certificate verifier, reqwest's proxy settings).
            linkerSettings: [
                .linkedFramework("Security", .when(platforms: [.iOS, .macOS])),
                .linkedFramework("SystemConfiguration", .when(platforms: [.iOS, .macOS])),
                .linkedFramework("CoreFoundation", .when(platforms: [.iOS, .macOS])),
            ]
        ),
        .target(name: "MinqingKit", dependencies: ["MinqingCore"]),
        .testTarget(name: "MinqingKitTests", dependencies: ["MinqingKit"]),
    ]
)
