import Ladder
import NIOCore
import NIOEmbedded
import RTMPTestSupport
import RTMPWire
import Testing

@testable import Gateway

@Suite struct RTMPChunkCodecTests {
    func connectedChannel(_ handlers: [any ChannelHandler]) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers(handlers)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1935)).wait()
        return channel
    }

    func decodeOutbound(_ channel: EmbeddedChannel, decoder: inout ChunkDecoder) throws -> [RTMPMessage] {
        var messages: [RTMPMessage] = []
        while let bytes = try channel.readOutbound(as: ByteBuffer.self) {
            messages += try decoder.decodeAll(Array(bytes.readableBytesView))
        }
        return messages
    }

    @Test func decodesMessagesFromBytes() throws {
        let channel = try connectedChannel([RTMPChunkCodec()])
        // Split mid-chunk to exercise buffering.
        try channel.writeInbound(ByteBuffer(bytes: ffmpegConnectChunks[0..<100]))
        #expect(try channel.readInbound(as: RTMPMessage.self) == nil)
        try channel.writeInbound(ByteBuffer(bytes: ffmpegConnectChunks[100...]))
        let message = try #require(try channel.readInbound(as: RTMPMessage.self))
        #expect(message.type == .commandAMF0)
        #expect(Array(message.payload.readableBytesView) == ffmpegConnectPayload)
    }

    @Test func acknowledgesEachWindowThePeerSet() throws {
        let channel = try connectedChannel([RTMPChunkCodec()])
        let window = try encodeChunks([ProtocolControlMessage.windowAcknowledgementSize(200).message()])
        try channel.writeInbound(ByteBuffer(bytes: window))
        #expect(try channel.readInbound(as: RTMPMessage.self)?.type == .windowAcknowledgementSize)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)

        let audio = RTMPMessage(type: .audio, streamID: 1, timestamp: 0, chunkStreamID: 6, payload: payload(100))
        let audioBytes = try encodeChunks([audio])
        try channel.writeInbound(ByteBuffer(bytes: audioBytes))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        try channel.writeInbound(ByteBuffer(bytes: audioBytes))

        var decoder = ChunkDecoder()
        let sent = try decodeOutbound(channel, decoder: &decoder)
        let total = UInt32(window.count + 2 * audioBytes.count)
        #expect(sent.count == 1)
        #expect(try sent.first.map(ProtocolControlMessage.init(decoding:)) == .acknowledgement(sequenceNumber: total))
    }

    @Test func outgoingSetChunkSizeSwitchesTheEncoderAfterItself() throws {
        let codec = RTMPChunkCodec()
        let channel = try connectedChannel([codec])
        let video = RTMPMessage(type: .video, streamID: 1, timestamp: 40, chunkStreamID: 7, payload: payload(1000))
        try channel.writeOutbound(ProtocolControlMessage.setChunkSize(4096).message())
        try channel.writeOutbound(video)
        #expect(codec.outgoingChunkSize == 4096)

        let first = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(first.readableBytes == 12 + 4)
        let second = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(second.readableBytes == 12 + 1000)  // one chunk at the new size
        var decoder = ChunkDecoder()
        let decoded = try decoder.decodeAll(Array(first.readableBytesView) + Array(second.readableBytesView))
        #expect(decoded == [ProtocolControlMessage.setChunkSize(4096).message(), video])
    }

    @Test func oversizedMessageClosesWithTheError() throws {
        let channel = try connectedChannel([RTMPChunkCodec(limits: ChunkLimits(maxMessageLength: 1024))])
        #expect(throws: ChunkError.messageTooLarge(length: 0x10_0000, limit: 1024)) {
            try channel.writeInbound(ByteBuffer(bytes: hexBytes("04 000000 100000 09 01000000")))
        }
        #expect(!channel.isActive)
    }

    @Test func handshakeThenChunksThroughTheWholePipeline() throws {
        let channel = try connectedChannel([RTMPHandshakeHandler(), RTMPChunkCodec()])
        let c0c1 = [UInt8(3)] + [UInt8](repeating: 0, count: 1536)
        let c2 = [UInt8](repeating: 0, count: 1536)
        // Everything in one read: the handshake forwards the connect chunks as leftover.
        try channel.writeInbound(ByteBuffer(bytes: c0c1 + c2 + ffmpegConnectChunks))
        #expect(try channel.readOutbound(as: ByteBuffer.self)?.readableBytes == 1 + 2 * 1536)
        let message = try #require(try channel.readInbound(as: RTMPMessage.self))
        #expect(try RTMPCommand(decoding: message).isConnect)
        try channel.writeOutbound(ProtocolControlMessage.windowAcknowledgementSize(2_500_000).message())
        let written = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(Array(written.readableBytesView) == hexBytes("02 000000 000004 05 00000000 002625a0"))
    }
}

extension RTMPCommand {
    var isConnect: Bool {
        if case .connect = self { return true }
        return false
    }
}
