// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "cdcd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cdcd", targets: ["cdcd"]),
        .library(name: "CDCCore", targets: ["CDCCore"]),
        .library(name: "Capture", targets: ["Capture"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // C libraries, through system library targets with typed shims.
        .systemLibrary(
            name: "CPostgres",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // glibc's malloc.h (mallopt), for the daemon's allocator settings.
        .systemLibrary(name: "CMalloc"),
        // CRC-32C with the CPU's instruction (SSE4.2 / ARMv8 CRC), for the stream's record checksums.
        .target(name: "CCRC32C"),
        // Pure Swift: record model, pgoutput decoder, value mapping, JSON rendering. No I/O.
        .target(name: "CDCCore"),
        // The one libpq wrapper, shared by Capture and Sinks.
        .target(name: "LibPQ", dependencies: ["CPostgres"]),
        // One libcurl easy handle for HTTP POSTs: the webhook sink's transfers and the DynamoDB
        // Streams client.
        .target(name: "CurlHTTP", dependencies: ["CDCCore", "CCurl"]),
        // Sources: PostgreSQL logical replication, DynamoDB Streams.
        .target(
            name: "Capture",
            dependencies: [
                "CDCCore", "LibPQ", "CCRC32C", "CurlHTTP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // The YAML config (`cdcd.yaml`): one place that decodes it, with errors naming file, line and key.
        .target(
            name: "CDCConfig",
            dependencies: [
                "CDCCore",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Sinks: the Postgres replica (libpq), webhooks (libcurl), stdout / file (JSON Lines).
        .target(
            name: "Sinks",
            dependencies: [
                "CDCCore", "LibPQ", "CCurl", "CurlHTTP",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Operating the daemon: the admin HTTP endpoint (health, readiness, Prometheus metrics, status
        // JSON), the slot lag probe, log formats and secret redaction.
        .target(
            name: "Admin",
            dependencies: [
                "CDCCore", "Capture", "LibPQ", "CDCConfig",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The executable: CLI and wiring only.
        .executableTarget(
            name: "cdcd",
            dependencies: [
                "CDCCore", "Capture", "Sinks", "CDCConfig", "Admin", "CMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Test kit: throwaway databases, names, helpers shared by integration tests.
        .target(
            name: "CDCTestKit",
            dependencies: [
                "LibPQ", "CDCCore", "Capture",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/CDCTestKit"
        ),
        .testTarget(name: "CDCCoreTests", dependencies: ["CDCCore"]),
        .testTarget(name: "StreamTests", dependencies: ["CDCCore", "Capture"]),
        .testTarget(name: "PipelineTests", dependencies: ["CDCCore", "Capture", "LibPQ"]),
        .testTarget(name: "FunctionTests", dependencies: ["CDCCore", "Capture"]),
        .testTarget(name: "ConfigTests", dependencies: ["CDCCore", "CDCConfig"]),
        .testTarget(name: "SinkTests", dependencies: ["CDCCore", "LibPQ", "Sinks"]),
        .testTarget(name: "AdminTests", dependencies: ["CDCCore", "CDCConfig", "Admin", "CDCTestKit"]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "CDCCore", "LibPQ", "Capture", "Sinks", "CDCTestKit",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
