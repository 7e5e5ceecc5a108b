import Ladder
import NIOCore
import NIOEmbedded
import RTMPTestSupport
import RTMPWire
import Testing

@testable import Gateway

@Suite struct RTMPHandshakeHandlerTests {
    func connectedChannel(timeout: TimeAmount = .seconds(10)) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(handler: RTMPHandshakeHandler(timeout: timeout))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1935)).wait()
        return channel
    }

    @Test func completesAndForwardsLeftoverBytesThenRemovesItself() throws {
        let channel = try connectedChannel()
        let c1 = [UInt8](repeating: 0, count: 8) + (0..<1528).map { UInt8(truncatingIfNeeded: $0) }
        try channel.writeInbound(ByteBuffer(bytes: [3] + c1))
        let response = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(response.readableBytes == 1 + 2 * 1536)
        #expect(Array(response.readableBytesView.suffix(1536)) == c1)
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)

        try channel.writeInbound(ByteBuffer(bytes: [UInt8](repeating: 1, count: 1536) + [0xC3, 0x01]))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(bytes: [0xC3, 0x01]))
        #expect(throws: (any Error).self) {
            try channel.pipeline.syncOperations.handler(type: RTMPHandshakeHandler.self)
        }
        // Later bytes flow straight through, and the timer no longer fires.
        try channel.writeInbound(ByteBuffer(bytes: [0x42]))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(bytes: [0x42]))
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(channel.isActive)
        try channel.throwIfErrorCaught()
    }

    @Test func closesWithAReasonWhenTheHandshakeTimesOut() throws {
        let channel = try connectedChannel(timeout: .seconds(10))
        try channel.writeInbound(ByteBuffer(bytes: [3, 0, 0]))
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
        #expect(throws: RTMPHandshakeError.timedOut(.seconds(10))) {
            try channel.throwIfErrorCaught()
        }
    }

    @Test func rejectsAnUnsupportedVersion() throws {
        let channel = try connectedChannel()
        #expect(throws: RTMPHandshakeError.unsupportedVersion(4)) {
            try channel.writeInbound(ByteBuffer(bytes: [4]))
        }
        #expect(!channel.isActive)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
    }
}
