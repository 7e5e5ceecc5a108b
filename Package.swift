// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "swift-live-ladder",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "gateway", targets: ["Gateway"]),
        .executable(name: "gateway-fuzz", targets: ["GatewayFuzz"]),
        .library(name: "Ladder", targets: ["Ladder"]),
        .library(name: "RTMPWire", targets: ["RTMPWire"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.30.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.10.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.20.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.20.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.0.0"),
    ],
    targets: [
        // FFmpeg 5.1 (Debian 12) C libraries; scripts/setup.sh installs the -dev packages.
        .systemLibrary(
            name: "CFFmpeg",
            pkgConfig: "libavformat",
            providers: [
                .apt(["libavcodec-dev", "libavformat-dev", "libswscale-dev", "libswresample-dev", "libavutil-dev"])
            ]
        ),
        // The media core. No networking anywhere in it; the arrows below are its architecture.
        // Samples, tracks, timing and the bitstream parsers every other part shares. Pure Swift.
        .target(name: "LadderMedia"),
        // The only target that imports CFFmpeg: one final class per FFmpeg context; the raw
        // pointers stay internal to it.
        .target(
            name: "LadderFFmpeg",
            dependencies: ["CFFmpeg", "LadderMedia", .product(name: "Logging", package: "swift-log")]
        ),
        // YAML profiles, the ladder planner, and the positioned config reader the gateway reuses.
        .target(name: "LadderProfile", dependencies: ["LadderMedia", .product(name: "Yams", package: "Yams")]),
        // Decode once, scale and encode every rung on owned threads with bounded queues.
        .target(
            name: "LadderTranscode",
            dependencies: [
                "LadderMedia", "LadderFFmpeg", "LadderProfile", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // CMAF fragments, HLS playlists, DASH MPDs and the segment store. Pure Swift: no FFmpeg,
        // no clock but the one injected.
        .target(
            name: "LadderPackaging",
            dependencies: ["LadderMedia", .product(name: "Logging", package: "swift-log")]
        ),
        // Umbrella for the executable.
        .target(
            name: "Ladder",
            dependencies: ["LadderMedia", "LadderFFmpeg", "LadderProfile", "LadderTranscode", "LadderPackaging"]
        ),
        // The RTMP wire format (handshake, chunks, AMF0, FLV tags, messages) as pure values over
        // bytes, shared by the server and the fuzzers.
        .target(
            name: "RTMPWire",
            dependencies: [
                "LadderMedia",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The HTTP/1.1 request framing the origin's hot path reads straight from the socket, as
        // pure values over bytes, shared by the server and the fuzzers.
        .target(name: "HTTPWire"),
        // The cluster's shared registry: etcd's v3 JSON gateway over AsyncHTTPClient, the
        // directory of which node owns which stream, and the node's lease, claims and watch.
        // No media, no FFmpeg: it knows streams only by name.
        .target(
            name: "GatewayCluster",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Access: signed playback tokens (HMAC-SHA256 claims) and admin credentials (bearer
        // token, bcrypt users, signed session cookies) as pure values.
        .target(
            name: "GatewayAccess",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            ]
        ),
        // Usage reports: viewer sessions (per rendition) and publishes, kept in SQLite (GRDB).
        .target(
            name: "GatewayUsage",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // The `gateway` executable: RTMP server and sessions, HTTP origin, CLI and wiring.
        .executableTarget(
            name: "Gateway",
            dependencies: [
                "Ladder",
                "RTMPWire",
                "HTTPWire",
                "GatewayCluster",
                "GatewayAccess",
                "GatewayUsage",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            // The player page's HTML template and script, read once through Bundle.module; SwiftPM
            // puts the bundle (swift-live-ladder_Gateway.resources) next to the gateway binary.
            resources: [.copy("HTTP/Resources")]
        ),
        // libFuzzer harness for the RTMP parsers and the HTTP request scanner (scripts/fuzz.sh);
        // without -sanitize=fuzzer it replays inputs through the same code the server runs.
        .target(name: "GatewayFuzzDriver"),
        .executableTarget(name: "GatewayFuzz", dependencies: ["RTMPWire", "HTTPWire", "GatewayFuzzDriver"]),
        // Support shared by the media-core tests (fixture media made with FFmpeg, temp dirs).
        .target(
            name: "LadderTestSupport",
            dependencies: ["LadderMedia", "LadderFFmpeg", "LadderProfile", "LadderTranscode"],
            path: "Tests/LadderTestSupport"
        ),
        .testTarget(name: "LadderMediaTests", dependencies: ["LadderMedia", "LadderTestSupport"]),
        .testTarget(name: "LadderFFmpegTests", dependencies: ["LadderFFmpeg", "LadderTestSupport"]),
        .testTarget(name: "LadderProfileTests", dependencies: ["LadderProfile", "LadderTestSupport"]),
        .testTarget(
            name: "LadderTranscodeTests",
            dependencies: ["LadderTranscode", "LadderPackaging", "LadderTestSupport"]
        ),
        .testTarget(name: "LadderPackagingTests", dependencies: ["LadderPackaging", "LadderTestSupport"]),
        // Captured client bytes and encoders shared by the RTMP wire and session tests.
        .target(
            name: "RTMPTestSupport",
            dependencies: ["RTMPWire", .product(name: "NIOCore", package: "swift-nio")],
            path: "Tests/RTMPTestSupport"
        ),
        .testTarget(
            name: "RTMPWireTests",
            dependencies: ["RTMPWire", "RTMPTestSupport", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "HTTPWireTests",
            dependencies: [
                "HTTPWire",
                "RTMPWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "GatewayAccessTests", dependencies: ["GatewayAccess"]),
        .testTarget(name: "GatewayUsageTests", dependencies: ["GatewayUsage"]),
        .testTarget(
            name: "GatewayClusterTests",
            dependencies: [
                "GatewayCluster", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway",
                "RTMPWire",
                "RTMPTestSupport",
                "LadderTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
