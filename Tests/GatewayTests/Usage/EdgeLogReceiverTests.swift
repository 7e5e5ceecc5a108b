import GatewayAccess
import GatewayUsage
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@testable import Gateway

/// The edge usage socket over real UDP on loopback: lines from an allowed address are
/// delivered, others and unreadable ones only counted.
@Suite struct EdgeLogReceiverTests {
    func withReceiver(
        from: [String], _ body: @Sendable (EdgeLogReceiver, NIOLockedValueBox<[EdgeLogRecord]>) async throws -> Void
    ) async throws {
        let delivered = NIOLockedValueBox<[EdgeLogRecord]>([])
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let receiver = EdgeLogReceiver(
            listen: ListenAddress(host: "127.0.0.1", port: 0), from: from.compactMap(IPPrefix.init), logger: logger
        ) { record in
            delivered.withLockedValue { $0.append(record) }
            return true
        }
        let running = Task { try await receiver.run() }
        defer { running.cancel() }
        for _ in 0..<200 where receiver.localAddress == nil { try await Task.sleep(for: .milliseconds(10)) }
        try await body(receiver, delivered)
    }

    func send(_ lines: [String], to address: SocketAddress) async throws {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        for line in lines {
            try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: ByteBuffer(string: line)))
        }
        try await channel.close()
    }

    /// gateway_usage_edge_log_lines_total{outcome="refused"} in the metrics text.
    static func refusedCount() -> Double {
        let prefix = #"gateway_usage_edge_log_lines_total{outcome="refused"} "#
        let line = GatewayMetrics.render().split(separator: "\n").first { $0.hasPrefix(prefix) }
        return line.flatMap { Double($0.dropFirst(prefix.count)) } ?? 0
    }

    static let line =
        #"<190>Dec  6 14:41:00 gateway_usage: {"uri":"/live/cam1/360p/seg-4.m4s","status":200,"bytes":512,"client":"10.1.2.3","ua":"hls.js","cache":"HIT"}"#

    @Test func deliversLinesFromAllowedEdges() async throws {
        try await withReceiver(from: ["127.0.0.1"]) { receiver, delivered in
            let address = try #require(receiver.localAddress)
            try await send([Self.line, "garbage", Self.line], to: address)
            for _ in 0..<200 where delivered.withLockedValue({ $0.count }) < 2 {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(
                delivered.withLockedValue { $0.map(\.uri) } == Array(repeating: "/live/cam1/360p/seg-4.m4s", count: 2))
        }
    }

    @Test func ignoresLinesFromOtherAddresses() async throws {
        try await withReceiver(from: ["10.0.0.0/8"]) { receiver, delivered in
            let address = try #require(receiver.localAddress)
            let before = Self.refusedCount()
            try await send([Self.line], to: address)
            // Wait for the refusal to be counted, then nothing may have been delivered.
            for _ in 0..<300 where Self.refusedCount() <= before { try await Task.sleep(for: .milliseconds(10)) }
            #expect(Self.refusedCount() > before)
            #expect(delivered.withLockedValue { $0.isEmpty })
        }
    }
}

/// What an edge's line counts: a stream file's 2xx, as a viewer of the live count.
@Suite struct EdgeDeliveryTests {
    func record(_ uri: String, status: Int = 200, client: String) -> EdgeLogRecord {
        EdgeLogRecord(uri: uri, status: status, bytes: 1000, client: client, userAgent: "hls.js", cache: "HIT")
    }

    @Test func countsStreamFilesServedByTheEdge() {
        let responder = OriginResponder.fixture()
        #expect(responder.countEdgeDelivery(record("/live/cam1/720p/seg-1.m4s", client: "198.51.100.1")))
        #expect(responder.countEdgeDelivery(record("/live/cam1/t/TOKEN/720p/seg-1.m4s?x=1", client: "198.51.100.2")))
        #expect(!responder.countEdgeDelivery(record("/live/cam1/720p/seg-9.m4s", status: 404, client: "198.51.100.3")))
        #expect(!responder.countEdgeDelivery(record("/live/cam1/thumbnail.jpg", client: "198.51.100.4")))
        #expect(!responder.countEdgeDelivery(record("/api/streams", client: "198.51.100.5")))
        #expect(!responder.countEdgeDelivery(record("/live/../etc/passwd", client: "198.51.100.6")))
        #expect(responder.viewers.snapshot(at: .now)["cam1"]?.viewers == 2)
    }
}
