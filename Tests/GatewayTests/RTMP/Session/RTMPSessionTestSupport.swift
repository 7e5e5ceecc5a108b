import Dispatch
import Ladder
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOPosix
import RTMPWire
import Testing

@testable import Gateway

/// A pipeline that only counts what it is given.
final class FakeIngestPipeline: IngestPipeline {
    let stream: String
    private let counts = NIOLockedValueBox((samples: 0, finishes: 0))

    init(stream: String) {
        self.stream = stream
    }

    var finishCount: Int { counts.withLockedValue { $0.finishes } }

    func submit(contentsOf samples: [IngestSample]) {
        counts.withLockedValue { $0.samples += samples.count }
    }

    func finish() {
        counts.withLockedValue { $0.finishes += 1 }
    }

    func waitUntilFinished() async {}

    var encodesVideo: Bool { false }
}

/// Builds `FakeIngestPipeline`s; optionally fails, or holds each build until `release()` (an
/// admission kept pending on the blocking pool).
final class FakePipelineFactory: IngestPipelineFactory {
    struct ProfileMissing: Error {}

    private let fails: Bool
    private let gate: DispatchSemaphore?
    private let state = NIOLockedValueBox((calls: 0, built: [FakeIngestPipeline]()))

    init(fails: Bool = false, gated: Bool = false) {
        self.fails = fails
        self.gate = gated ? DispatchSemaphore(value: 0) : nil
    }

    var calls: Int { state.withLockedValue { $0.calls } }
    var built: [FakeIngestPipeline] { state.withLockedValue { $0.built } }

    /// Lets one held build finish.
    func release() {
        gate?.signal()
    }

    func makePipeline(stream: String) throws -> any IngestPipeline {
        state.withLockedValue { $0.calls += 1 }
        gate?.wait()
        if fails { throw ProfileMissing() }
        let pipeline = FakeIngestPipeline(stream: stream)
        state.withLockedValue { $0.built.append(pipeline) }
        return pipeline
    }
}

/// RTMP sessions on `NIOAsyncTestingChannel`s (NIOEmbedded) sharing one registry, with a real
/// blocking pool. The async testing loop is thread-safe, so the pool's results hop onto it as on a
/// real loop (`EmbeddedEventLoop` may only be touched from the thread that made it).
final class RTMPSessionHarness: Sendable {
    let registry = StreamRegistry()
    let pool = NIOThreadPool(numberOfThreads: 2)

    init() {
        pool.start()
    }

    func services(keys: StreamKeys = StreamKeys(), factory: FakePipelineFactory) -> RTMPSessionServices {
        RTMPSessionServices(
            application: "live", keys: keys, registry: registry, pipelineFactory: factory,
            logger: Logger(label: "rtmp-session-test", factory: { _ in SwiftLogNoOpLogHandler() }),
            blockingPool: pool)
    }

    /// A connected session that has sent `connect` and `createStream` (stream ID 1).
    func session(_ services: RTMPSessionServices) async throws -> NIOAsyncTestingChannel {
        let channel = try await NIOAsyncTestingChannel { channel in
            try channel.pipeline.syncOperations.addHandler(RTMPSessionHandler(services: services))
        }
        try await channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 50_000)).get()
        try await channel.writeInbound(
            Self.command([.string("connect"), .number(1), .object([AMF0Property("app", .string("live"))])]))
        try await channel.writeInbound(Self.command([.string("createStream"), .number(2), .null]))
        while try await channel.readOutbound(as: RTMPMessage.self) != nil {}
        return channel
    }

    func shutdown(_ channels: [NIOAsyncTestingChannel]) async throws {
        for channel in channels {
            if channel.isActive { try await channel.close() }
            await channel.testingEventLoop.shutdownGracefully()
        }
        try await pool.shutdownGracefully()
    }

    static func command(_ values: [AMF0Value], streamID: UInt32 = 0) -> RTMPMessage {
        RTMPMessage(
            type: .commandAMF0, streamID: streamID, timestamp: 0, chunkStreamID: RTMPChunkStreamID.command,
            payload: AMF0Encoder.encode(values))
    }

    static func publish(_ name: String) -> RTMPMessage {
        command([.string("publish"), .number(3), .null, .string(name), .string("live")], streamID: 1)
    }

    static let deleteStream = command([.string("deleteStream"), .number(4), .null, .number(1)])
}

extension NIOAsyncTestingChannel {
    /// Waits for the next `onStatus` written to the peer and returns its code (skipping user
    /// control messages such as StreamBegin).
    func nextStatusCode() async throws -> String? {
        while true {
            let message = try await waitForOutboundWrite(as: RTMPMessage.self)
            guard message.type == .commandAMF0 else { continue }
            let values = try AMF0Decoder().decodeAll(message.payload)
            guard values.first?.stringValue == "onStatus" else { continue }
            return values.count > 3 ? values[3]["code"]?.stringValue : nil
        }
    }
}

/// Polls `condition` until it holds or `timeout` passes (for work on the blocking pool, which
/// sends no event the test could await).
func pollUntil(
    _ what: String, timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("timed out waiting for \(what)", sourceLocation: sourceLocation)
            return
        }
        try await Task.sleep(for: .milliseconds(1))
    }
}
