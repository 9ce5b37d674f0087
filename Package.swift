// swift-tools-version: 6.1
import PackageDescription

/// Rehearse: replay captured exchange traffic against old and new trading platforms and measure them.
/// Module layout and dependency rules: docs/ARCHITECTURE.md.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "Rehearse",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "rehearse", targets: ["rehearse"]),
        .library(name: "Capture", targets: ["Capture"]),
        .library(name: "MarketData", targets: ["MarketData"]),
        .library(name: "Measure", targets: ["Measure"]),
        .library(name: "Transport", targets: ["Transport"]),
        .library(name: "Synth", targets: ["Synth"]),
        .library(name: "Replay", targets: ["Replay"]),
        .library(name: "OrderEntry", targets: ["OrderEntry"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        // Scenario files are YAML: parsed with Yams into nodes that keep their line numbers.
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        // The run history is SQLite, through GRDB (transactions, migrations, a locked file reported as such).
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
    ],
    targets: [
        // C: zlib (gzip captures, compressed OMD-D) and small helpers Swift cannot import.
        .target(name: "CShims", linkerSettings: [.linkedLibrary("z")]),
        // libpcap: BPF filters (pcap_compile + pcap_offline_filter).
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),

        .target(name: "Capture", dependencies: ["CShims", "CPcap"], swiftSettings: strict),
        .target(name: "MarketData", dependencies: ["Capture"], swiftSettings: strict),
        .target(name: "Transport", dependencies: ["CShims", "Capture"], swiftSettings: strict),
        .target(name: "Measure", dependencies: ["Capture", "MarketData", "Transport",
                                                .product(name: "Histogram", package: "hdrhistogram-swift")],
                swiftSettings: strict),
        .target(name: "Replay", dependencies: ["Capture", "MarketData", "Transport", "OrderEntry", "Measure",
                                               .product(name: "Histogram", package: "hdrhistogram-swift")],
                swiftSettings: strict),
        .target(name: "Reporting", dependencies: ["Measure", "Replay", "Scenario", .product(name: "GRDB", package: "GRDB.swift")],
                swiftSettings: strict),
        .target(name: "Scenario", dependencies: ["Capture", .product(name: "Yams", package: "Yams")], swiftSettings: strict),
        .target(name: "Simulators", dependencies: ["Capture", "MarketData", "Transport", "CShims"], swiftSettings: strict),
        .target(name: "OrderEntry", dependencies: ["Capture"], swiftSettings: strict),
        .target(name: "Synth", dependencies: ["Capture", "MarketData", "OrderEntry"], swiftSettings: strict),
        .target(
            name: "RehearseCLI",
            dependencies: [
                "Capture", "MarketData", "Measure", "Synth", "Replay", "Transport", "Simulators", "OrderEntry", "Scenario", "Reporting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Linked with the toolchain's lld: with `--static-swift-stdlib` (make build) GNU gold repeats a
        // glibc link-time note about `mktemp` inside the static Foundation; lld does not.
        .executableTarget(name: "rehearse", dependencies: ["RehearseCLI"], swiftSettings: strict,
                          linkerSettings: [.unsafeFlags(["-use-ld=lld"])]),

        .testTarget(name: "CaptureTests", dependencies: ["Capture", "Synth", "MarketData"], swiftSettings: strict),
        .testTarget(name: "MarketDataTests", dependencies: ["MarketData", "Capture"], swiftSettings: strict),
        .testTarget(name: "TransportTests", dependencies: ["Transport", "Capture"], swiftSettings: strict),
        .testTarget(name: "ScenarioTests", dependencies: ["Scenario", "Capture"], swiftSettings: strict),
        .testTarget(name: "ReportingTests", dependencies: ["Reporting", "Measure", "Replay", "Scenario"], swiftSettings: strict),
        .testTarget(name: "MeasureTests", dependencies: ["Measure", "Synth", "Capture", "MarketData", "Transport"], swiftSettings: strict),
        .testTarget(name: "ReplayTests", dependencies: ["Replay", "Capture", "Synth", "Transport", "MarketData"], swiftSettings: strict),
        .testTarget(name: "SimulatorsTests", dependencies: ["Simulators", "Replay", "Measure", "Capture", "Synth", "Transport", "MarketData", "OrderEntry"], swiftSettings: strict),
        .testTarget(name: "OrderEntryTests", dependencies: ["OrderEntry", "Capture", "Synth"], swiftSettings: strict),
        .testTarget(name: "SynthTests", dependencies: ["Synth", "Capture", "MarketData", "Measure"], swiftSettings: strict),
        .testTarget(
            name: "RehearseCLITests",
            dependencies: ["RehearseCLI", "Capture", "Synth", "Measure"],
            swiftSettings: strict
        ),
    ]
)
