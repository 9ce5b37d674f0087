// swift-tools-version: 6.1
// Benchmarks for Rehearse's hot paths (ordo-one/benchmark) and the probe used by scripts/bench-inspect.sh.
//   cd Benchmarks && swift package benchmark            # in-process benchmarks
//   swift build -c release --product reader-walk        # the reader-floor probe
import PackageDescription

let package = Package(
    name: "RehearseBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Rehearse", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "CaptureBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Vocabulary", package: "Rehearse"),
                .product(name: "Capture", package: "Rehearse"),
                .product(name: "MarketData", package: "Rehearse"),
                .product(name: "Measure", package: "Rehearse"),
                .product(name: "Engines", package: "Rehearse"),
                .product(name: "Synth", package: "Rehearse"),
            ],
            path: "Benchmarks/CaptureBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ReplayBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Vocabulary", package: "Rehearse"),
                .product(name: "Capture", package: "Rehearse"),
                .product(name: "MarketData", package: "Rehearse"),
                .product(name: "Replay", package: "Rehearse"),
                .product(name: "Synth", package: "Rehearse"),
            ],
            path: "Benchmarks/ReplayBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "reader-walk",
            dependencies: [
                .product(name: "Vocabulary", package: "Rehearse"),
                .product(name: "Capture", package: "Rehearse"),
                .product(name: "MarketData", package: "Rehearse"),
            ],
            path: "Sources/reader-walk",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "match-cost",
            dependencies: [
                .product(name: "Vocabulary", package: "Rehearse"),
                .product(name: "Capture", package: "Rehearse"),
                .product(name: "MarketData", package: "Rehearse"),
                .product(name: "Replay", package: "Rehearse"),
            ],
            path: "Sources/match-cost",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "live-compare",
            dependencies: [
                .product(name: "Vocabulary", package: "Rehearse"),
                .product(name: "Capture", package: "Rehearse"),
                .product(name: "Measure", package: "Rehearse"),
            ],
            path: "Sources/live-compare",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "fix-parse",
            dependencies: [
                .product(name: "Vocabulary", package: "Rehearse"),
                .product(name: "Capture", package: "Rehearse"),
                .product(name: "OrderEntry", package: "Rehearse"),
            ],
            path: "Sources/fix-parse",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "clock-cost",
            dependencies: [
                .product(name: "Vocabulary", package: "Rehearse"),
                .product(name: "Capture", package: "Rehearse"),
                .product(name: "Replay", package: "Rehearse"),
                .product(name: "Transport", package: "Rehearse"),
            ],
            path: "Sources/clock-cost",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "spsc-ring",
            dependencies: [.product(name: "Vocabulary", package: "Rehearse"), .product(name: "Transport", package: "Rehearse")],
            path: "Sources/spsc-ring",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
