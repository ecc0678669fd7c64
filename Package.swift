// swift-tools-version:6.1
import PackageDescription

/// Hot modules are built without exclusivity checks (DESIGN.md: the loop and Lua glue keep their state in
/// final classes and unsafe pointers, and the checks cost ~6% CPU per request in the spike).
let hot: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"])]

let package = Package(
    name: "tcplua",
    products: [
        .executable(name: "tcplua", targets: ["tcplua"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    ],
    targets: [
        .systemLibrary(name: "CLuaJIT", pkgConfig: "luajit", providers: [.apt(["libluajit2-5.1-dev"])]),
        .target(name: "CShim", dependencies: ["CLuaJIT"], linkerSettings: [.linkedLibrary("pcre2-8"), .linkedLibrary("crypto")]),
        .target(name: "LuaKit", dependencies: ["CLuaJIT", "CShim"], swiftSettings: hot),
        .target(
            name: "EventLoop", dependencies: ["CShim", .product(name: "HeapModule", package: "swift-collections")],
            swiftSettings: hot),
        .target(name: "Config"),
        .target(name: "CAtomicLock"),
        .target(name: "SharedDict", dependencies: ["CAtomicLock"], swiftSettings: hot),
        .target(
            name: "Ngx", dependencies: ["LuaKit", "EventLoop", "Config", "CShim", "SharedDict"], swiftSettings: hot),
        .target(
            name: "Server", dependencies: ["Ngx", "EventLoop", "Config", "LuaKit", "SharedDict"], swiftSettings: hot),
        .executableTarget(
            name: "tcplua",
            dependencies: ["Server", "Config", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "tcplua-microbench", dependencies: ["Ngx", "EventLoop", "Config", "LuaKit"], path: "Sources/MicroBench",
            swiftSettings: hot),
        .testTarget(name: "ConfigTests", dependencies: ["Config"]),
        .testTarget(name: "NgxTests", dependencies: ["Ngx", "EventLoop"]),
        .testTarget(name: "EventLoopTests", dependencies: ["EventLoop"]),
        .testTarget(name: "SharedDictTests", dependencies: ["SharedDict"]),
    ]
)
