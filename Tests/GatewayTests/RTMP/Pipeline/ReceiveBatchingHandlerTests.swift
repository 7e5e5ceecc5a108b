import Ladder
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RTMPTestSupport
import RTMPWire
import Testing

@testable import Gateway

@Suite struct ReceiveWatermarkTests {
    // 30 ms of data per 200 ms tick: the mark is 3/20 of the bytes read in the tick.
    func watermark() -> ReceiveWatermark { ReceiveWatermark(delay: .milliseconds(30), tick: .milliseconds(200)) }

    @Test func aSteadyStreamSetsTheMarkToTheDelaysWorth() {
        var mark = watermark()
        #expect(mark.tick(bytesRead: 100_000) == 15_000)
        #expect(mark.mark == 15_000)
    }

    @Test func commandTrafficNeverBatches() {
        var mark = watermark()
        #expect(mark.tick(bytesRead: 0) == nil)
        #expect(mark.tick(bytesRead: 13_000) == nil)  // 1950 bytes: below the minimum mark
        #expect(mark.mark == 1)
    }

    @Test func smallWobblesKeepTheMarkAndLargeChangesMoveIt() {
        var mark = watermark()
        _ = mark.tick(bytesRead: 100_000)
        #expect(mark.tick(bytesRead: 120_000) == nil)  // 18,000: within a quarter
        #expect(mark.tick(bytesRead: 85_000) == nil)  // 12,750: within a quarter
        #expect(mark.tick(bytesRead: 200_000) == 30_000)
        #expect(mark.tick(bytesRead: 100_000) == 15_000)
    }

    @Test func aStalledStreamFallsBackToEveryByte() {
        var mark = watermark()
        _ = mark.tick(bytesRead: 100_000)
        #expect(mark.tick(bytesRead: 300) == 1)
        #expect(mark.mark == 1)
    }

    @Test func theMarkIsCapped() {
        var mark = watermark()
        #expect(mark.tick(bytesRead: 10_000_000) == 64 * 1024)
    }
}

/// Counts what arrives and hands out the accepted channel.
private final class ByteCounter: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let received = NIOLockedValueBox(0)
    let channel = NIOLockedValueBox<(any Channel)?>(nil)

    func handlerAdded(context: ChannelHandlerContext) {
        channel.withLockedValue { $0 = context.channel }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let count = unwrapInboundIn(data).readableBytes
        received.withLockedValue { $0 += count }
    }
}

@Suite(.timeLimit(.minutes(2))) struct ReceiveBatchingHandlerTests {
    /// Polls `condition` every 5 ms, up to `attempts` times (a real socket gives no event for "the
    /// kernel option changed"). Counting attempts, not wall time, keeps a starved test task from
    /// failing while the server's own event loop did its work.
    func eventually(attempts: Int, _ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<attempts {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(5))
        }
        return try await condition()
    }

    /// A server whose accepted socket batches (30 ms per 20 ms tick), and a client connected to it.
    final class Connection {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        fileprivate let counter = ByteCounter()
        let server: any Channel
        let client: any Channel
        var sent = 0

        init() async throws {
            let counter = self.counter
            server = try await ServerBootstrap(group: group)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ReceiveBatchingHandler(delay: .milliseconds(30), tick: .milliseconds(20)))
                        try channel.pipeline.syncOperations.addHandler(counter)
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
            client = try await ClientBootstrap(group: group).connect(to: server.localAddress!).get()
        }

        var accepted: (any Channel)? { counter.channel.withLockedValue { $0 } }

        /// The accepted socket's SO_RCVLOWAT.
        func mark() async throws -> Int {
            guard let accepted else { return 1 }
            return Int(try await accepted.getOption(ReceiveBatchingHandler.lowWatermarkOption).get())
        }

        func send(_ count: Int, byte: UInt8 = 0x42) async throws {
            try await client.writeAndFlush(ByteBuffer(repeating: byte, count: count)).get()
            sent += count
        }

        func close() async throws {
            try await client.close()
            try await server.close()
            try await group.shutdownGracefully()
        }
    }

    /// Sends about 1.6 MB/s until the server's socket batches reads.
    func raiseMark(_ connection: Connection) async throws -> Bool {
        try await eventually(attempts: 2000) {
            try await connection.send(8192)
            return try await connection.mark() > 1
        }
    }

    @Test func aSteadyStreamRaisesTheMarkAndItsTailStillArrives() async throws {
        let connection = try await Connection()
        #expect(try await raiseMark(connection))

        // A 100-byte tail is far below the mark: the next tick must lower it so the bytes are read.
        try await connection.send(100, byte: 0x43)
        let total = connection.sent
        let counter = connection.counter
        #expect(try await eventually(attempts: 2000) { counter.received.withLockedValue { $0 } == total })
        #expect(try await eventually(attempts: 2000) { try await connection.mark() == 1 })
        try await connection.close()
    }

    @Test func removingTheHandlerEndsBatchingAtOnce() async throws {
        let connection = try await Connection()
        #expect(try await raiseMark(connection))
        let accepted = try #require(connection.accepted)
        try await accepted.eventLoop.submit {
            let sync = accepted.pipeline.syncOperations
            sync.removeHandler(try sync.handler(type: ReceiveBatchingHandler.self), promise: nil)
        }.get()
        #expect(try await connection.mark() == 1)
        try await connection.close()
    }
}
