// swift-tools-version: 6.1
import PackageDescription

/// Rehearse: replay captured exchange traffic against old and new trading platforms and measure them.
/// Module layout and dependency rules: docs/ARCHITECTURE.md.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    // SE-0444: a file sees the members and operators of the modules it imports, not of everything they
    // import. Without it GRDB's SQL `??` (IFNULL) leaked from Reporting into Orchestration and turned
    // `"\(name ?? "")"` into "SQL(elements: …)" in a capacity verdict.
    .enableUpcomingFeature("MemberImportVisibility"),
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
        .library(name: "Vocabulary", targets: ["Vocabulary"]),
        .library(name: "Scenario", targets: ["Scenario"]),
        .library(name: "Results", targets: ["Results"]),
        .library(name: "Reporting", targets: ["Reporting"]),
        .library(name: "Engines", targets: ["Engines"]),
        .library(name: "Simulators", targets: ["Simulators"]),
        .library(name: "Orchestration", targets: ["Orchestration"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        // Scenario files are YAML: parsed with Yams into nodes that keep their line numbers.
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        // The run history is SQLite, through GRDB (transactions, migrations, a locked file reported as such).
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        // The metrics endpoint is an HTTP/1.1 server on SwiftNIO: every connection served concurrently on
        // one event loop, keep-alive, idle connections timed out, methods other than GET/HEAD answered
        // 405. The hand-written one it replaces served one connection at a time (five idle clients held
        // /metrics up for 9.6 s; a thousand made it time out).
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // Layers (docs/ARCHITECTURE.md; scripts/check-layers.py enforces them in `make test`): every
        // import points downwards — C shims · vocabulary · codecs · analysis · results · engines ·
        // orchestration · CLI.

        // C: zlib (gzip captures, compressed OMD-D) and small helpers Swift cannot import.
        .target(name: "CShims", linkerSettings: [.linkedLibrary("z")]),
        // libpcap: BPF filters (pcap_compile + pcap_offline_filter).
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),

        // Vocabulary: bytes, addresses, clocks, durations and time text, the latency histogram.
        .target(name: "Vocabulary", dependencies: ["CShims", .product(name: "Histogram", package: "hdrhistogram-swift")], swiftSettings: strict),

        // Codecs: captures, feed protocols, FIX, generators, scenario files.
        .target(name: "Capture", dependencies: ["Vocabulary", "CShims", "CPcap"], swiftSettings: strict),
        .target(name: "MarketData", dependencies: ["Vocabulary", "Capture"], swiftSettings: strict),
        .target(name: "OrderEntry", dependencies: ["Vocabulary", "Capture"], swiftSettings: strict),
        .target(name: "Synth", dependencies: ["Vocabulary", "Capture", "MarketData", "OrderEntry"], swiftSettings: strict),
        .target(name: "Scenario", dependencies: ["Vocabulary", "Capture", "MarketData", .product(name: "Yams", package: "Yams")], swiftSettings: strict),

        // Analysis: inspection, comparison, findings (no sockets, no threads).
        .target(name: "Measure", dependencies: ["Vocabulary", "Capture", "MarketData", "Scenario",
                                                .product(name: "Histogram", package: "hdrhistogram-swift")],
                swiftSettings: strict),

        // Results: the result model, renderers and the history.
        // Results may embed analysis outputs (a bench side's recovery report is Measure's RecoveryReport).
        .target(name: "Results", dependencies: ["Vocabulary", "Measure"], swiftSettings: strict),
        .target(name: "Reporting", dependencies: ["Vocabulary", "Measure", "Results", "Scenario", .product(name: "GRDB", package: "GRDB.swift")],
                swiftSettings: strict),

        // Engines: the only I/O — sockets, threads, replay, bench, gateway, listen, watch, simulators.
        .target(name: "Transport", dependencies: ["Vocabulary", "CShims", "Capture",
                                                  .product(name: "Histogram", package: "hdrhistogram-swift"),
                                                  .product(name: "NIOCore", package: "swift-nio"),
                                                  .product(name: "NIOPosix", package: "swift-nio"),
                                                  .product(name: "NIOHTTP1", package: "swift-nio")],
                swiftSettings: strict),
        .target(name: "Engines", dependencies: ["Vocabulary", "Capture", "MarketData", "Measure", "Transport",
                                                .product(name: "Histogram", package: "hdrhistogram-swift")],
                swiftSettings: strict),
        .target(name: "Replay", dependencies: ["Vocabulary", "CShims", "Capture", "MarketData", "Transport", "OrderEntry", "Measure", "Results", "Engines",
                                               .product(name: "Histogram", package: "hdrhistogram-swift")],
                swiftSettings: strict),
        .target(name: "Simulators", dependencies: ["Vocabulary", "Capture", "MarketData", "OrderEntry", "Transport", "CShims"], swiftSettings: strict),

        // Orchestration: the jobs (scenario run, capacity ramp, gateway bench, verification, watch
        // session) as APIs, and the one failure taxonomy with its exit codes.
        .target(name: "Orchestration", dependencies: ["Vocabulary", "Capture", "MarketData", "OrderEntry", "Scenario", "Measure", "Results",
                                                      "Reporting", "Transport", "Engines", "Replay", "Simulators"],
                swiftSettings: strict),

        // CLI: parse → call → render.
        .target(
            name: "RehearseCLI",
            dependencies: [
                "Vocabulary", "Capture", "MarketData", "Measure", "Synth", "Replay", "Transport", "Simulators", "OrderEntry", "Scenario",
                "Results", "Reporting", "Engines", "Orchestration",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Linked with the toolchain's lld: with `--static-swift-stdlib` (make build) GNU gold repeats a
        // glibc link-time note about `mktemp` inside the static Foundation; lld does not.
        .executableTarget(name: "rehearse", dependencies: ["RehearseCLI"], swiftSettings: strict,
                          linkerSettings: [.unsafeFlags(["-use-ld=lld"])]),

        // An embedding example (Examples/FeedBench): a feed bench of two in-process simulators, from Swift.
        .executableTarget(name: "FeedBenchExample", dependencies: ["Vocabulary", "Synth", "Replay", "Results", "Simulators", "Transport"],
                          path: "Examples/FeedBench", swiftSettings: strict),

        // Helpers shared by the test targets (temporary files, synthesized captures, simulators in process).
        .target(name: "TestSupport", dependencies: ["Vocabulary", "Synth", "Simulators", "Transport"], path: "Tests/TestSupport",
                swiftSettings: strict),
        .testTarget(name: "CaptureTests", dependencies: ["TestSupport", "Vocabulary", "Capture", "Synth", "MarketData", "Measure", "Engines"], swiftSettings: strict),
        .testTarget(name: "MarketDataTests", dependencies: ["TestSupport", "Vocabulary", "MarketData", "Capture"], swiftSettings: strict),
        .testTarget(name: "TransportTests", dependencies: ["TestSupport", "Vocabulary", "Transport", "Capture"], swiftSettings: strict),
        .testTarget(name: "ScenarioTests", dependencies: ["Vocabulary", "Scenario", "Capture"], swiftSettings: strict),
        .testTarget(name: "ReportingTests", dependencies: ["TestSupport", "Vocabulary", "Reporting", "Results", "Measure", "Replay", "Scenario",
                                                      .product(name: "Histogram", package: "hdrhistogram-swift")], swiftSettings: strict),
        .testTarget(name: "MeasureTests", dependencies: ["TestSupport", "Vocabulary", "Measure", "Engines", "Synth", "Capture", "MarketData", "Transport",
                                                    .product(name: "Histogram", package: "hdrhistogram-swift")], swiftSettings: strict),
        .testTarget(name: "ReplayTests", dependencies: ["TestSupport", "Vocabulary", "Replay", "Results", "Capture", "Synth", "Transport", "MarketData", "OrderEntry"], swiftSettings: strict),
        .testTarget(name: "SimulatorsTests", dependencies: ["TestSupport", "Vocabulary", "Simulators", "Replay", "Results", "Measure", "Capture", "Synth", "Transport", "MarketData", "OrderEntry"], swiftSettings: strict),
        .testTarget(name: "OrderEntryTests", dependencies: ["TestSupport", "Vocabulary", "OrderEntry", "Capture", "Synth"], swiftSettings: strict),
        .testTarget(name: "SynthTests", dependencies: ["Vocabulary", "Engines", "Synth", "Capture", "MarketData", "Measure"], swiftSettings: strict),
        .testTarget(name: "OrchestrationTests", dependencies: ["Orchestration", "Vocabulary", "Replay", "Results", "Scenario", "Synth", "Transport",
                                                             "TestSupport", "Simulators", "Measure", "Reporting"],
                    swiftSettings: strict),
        .testTarget(
            name: "RehearseCLITests",
            dependencies: ["RehearseCLI", "TestSupport", "Vocabulary", "Capture", "Synth", "Measure"],
            swiftSettings: strict
        ),
    ]
)
