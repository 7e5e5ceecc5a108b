import LadderMedia
import NIOCore
import RTMPTestSupport
import Testing

@testable import RTMPWire

@Suite struct ChunkEncoderTests {
    func formats(of bytes: [UInt8], messageSizes: [Int], chunkSize: Int = 128) -> [UInt8] {
        // Walks single-chunk messages with 1-byte basic headers.
        var formats: [UInt8] = []
        var index = 0
        for size in messageSizes {
            let format = bytes[index] >> 6
            formats.append(format)
            let headerLength = [12, 8, 4, 1][Int(format)]
            index += headerLength + size
        }
        return formats
    }

    @Test func roundTripUsesEveryFormat() throws {
        let messages = [
            RTMPMessage(type: .video, streamID: 1, timestamp: 0, chunkStreamID: 4, payload: payload(10)),
            RTMPMessage(type: .video, streamID: 1, timestamp: 40, chunkStreamID: 4, payload: payload(12)),
            RTMPMessage(type: .video, streamID: 1, timestamp: 100, chunkStreamID: 4, payload: payload(12, seed: 1)),
            RTMPMessage(type: .video, streamID: 1, timestamp: 160, chunkStreamID: 4, payload: payload(12, seed: 2)),
            // Another message stream forces type 0 again.
            RTMPMessage(type: .video, streamID: 2, timestamp: 160, chunkStreamID: 4, payload: payload(12, seed: 3)),
        ]
        let bytes = try encodeChunks(messages)
        #expect(formats(of: bytes, messageSizes: [10, 12, 12, 12, 12]) == [0, 1, 2, 3, 0])
        var decoder = ChunkDecoder()
        #expect(try decoder.decodeAll(bytes) == messages)
    }

    @Test func type0AlwaysWhenCompressionIsOff() throws {
        let messages = (0..<3).map {
            RTMPMessage(type: .audio, streamID: 1, timestamp: UInt32($0 * 20), chunkStreamID: 6, payload: payload(5))
        }
        let bytes = try encodeChunks(messages, compress: false)
        #expect(formats(of: bytes, messageSizes: [5, 5, 5]) == [0, 0, 0])
        var decoder = ChunkDecoder()
        #expect(try decoder.decodeAll(bytes) == messages)
    }

    @Test func backwardsTimestampFallsBackToType0() throws {
        let messages = [
            RTMPMessage(type: .audio, streamID: 1, timestamp: 100, chunkStreamID: 6, payload: payload(5)),
            RTMPMessage(type: .audio, streamID: 1, timestamp: 90, chunkStreamID: 6, payload: payload(5)),
        ]
        let bytes = try encodeChunks(messages)
        #expect(formats(of: bytes, messageSizes: [5, 5]) == [0, 0])
    }

    static let basicHeaderCases: [(UInt32, [UInt8])] = [
        (2, [0x02]), (64, [0x00, 0x00]), (319, [0x00, 0xFF]), (320, [0x01, 0x00, 0x01]), (65599, [0x01, 0xFF, 0xFF]),
    ]

    @Test(arguments: basicHeaderCases)
    func basicHeaderForms(chunkStreamID: UInt32, expectedPrefix: [UInt8]) throws {
        let message = RTMPMessage(
            type: .dataAMF0, streamID: 0, timestamp: 5, chunkStreamID: chunkStreamID, payload: payload(3))
        let bytes = try encodeChunks([message])
        #expect(Array(bytes.prefix(expectedPrefix.count)) == expectedPrefix)
        var decoder = ChunkDecoder()
        #expect(try decoder.decodeAll(bytes) == [message])
    }

    @Test func invalidChunkStreamIDIsRejected() {
        var encoder = ChunkEncoder()
        var out = ByteBuffer()
        for id: UInt32 in [0, 1, 65600] {
            let message = RTMPMessage(type: .audio, chunkStreamID: id, payload: payload(1))
            #expect(throws: ChunkError.invalidChunkStreamID(id)) {
                try encoder.encode(message, into: &out)
            }
        }
    }

    @Test func extendedTimestampIsRepeatedInContinuationChunks() throws {
        let message = RTMPMessage(
            type: .video, streamID: 1, timestamp: 0x0123_4567, chunkStreamID: 7, payload: payload(300))
        let bytes = try encodeChunks([message])
        let body = Array(message.payload.readableBytesView)
        let expected =
            hexBytes("07 ffffff 00012c 09 01000000 01234567") + body[0..<128]
            + hexBytes("c7 01234567") + body[128..<256]
            + hexBytes("c7 01234567") + body[256...]
        #expect(bytes == expected)
        var decoder = ChunkDecoder()
        #expect(try decoder.decodeAll(bytes) == [message])
    }

    @Test func timestampExactly0xFFFFFFIsExtended() throws {
        let message = RTMPMessage(
            type: .video, streamID: 1, timestamp: 0xFF_FFFF, chunkStreamID: 7, payload: payload(1))
        let bytes = try encodeChunks([message])
        #expect(Array(bytes[1..<4]) == [0xFF, 0xFF, 0xFF])
        #expect(Array(bytes[12..<16]) == [0x00, 0xFF, 0xFF, 0xFF])
        var decoder = ChunkDecoder()
        #expect(try decoder.decodeAll(bytes) == [message])
    }

    @Test func chunkSizeChangeMidStream() throws {
        var encoder = ChunkEncoder()
        var out = ByteBuffer()
        let big = RTMPMessage(type: .video, streamID: 1, timestamp: 0, chunkStreamID: 7, payload: payload(5000))
        try encoder.encode(big, into: &out)
        let setChunkSize = ProtocolControlMessage.setChunkSize(4096).message()
        try encoder.encode(setChunkSize, into: &out)
        try encoder.setChunkSize(4096)
        try encoder.encode(big, into: &out)
        // 5000 bytes: 40 chunks at 128, then (type 2 header, same length and type) 2 chunks at 4096.
        #expect(out.readableBytes == (12 + 5000 + 39) + (12 + 4) + (4 + 5000 + 1))
        var decoder = ChunkDecoder()
        let decoded = try decoder.decodeAll(Array(out.readableBytesView))
        #expect(decoded == [big, setChunkSize, big])
        #expect(decoder.chunkSize == 4096)
    }

    @Test func emptyPayloadRoundTrips() throws {
        let message = RTMPMessage(type: .dataAMF0, streamID: 1, timestamp: 9, chunkStreamID: 5, payload: ByteBuffer())
        let bytes = try encodeChunks([message, message])
        var decoder = ChunkDecoder()
        #expect(try decoder.decodeAll(bytes) == [message, message])
    }

    @Test func invalidOutgoingChunkSize() {
        var encoder = ChunkEncoder()
        #expect(throws: ChunkError.invalidChunkSize(0)) { try encoder.setChunkSize(0) }
        #expect(encoder.chunkSize == 128)
    }
}
