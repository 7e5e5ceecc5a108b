import LadderMedia
import NIOCore
import RTMPTestSupport
import Testing

@testable import RTMPWire

@Suite struct ChunkDecoderTests {
    @Test func decodesFFmpegConnectSplitAtDefaultChunkSize() throws {
        var decoder = ChunkDecoder()
        let messages = try decoder.decodeAll(ffmpegConnectChunks)
        #expect(messages.count == 1)
        let message = try #require(messages.first)
        #expect(message.type == .commandAMF0)
        #expect(message.chunkStreamID == 3)
        #expect(message.streamID == 0)
        #expect(message.timestamp == 0)
        #expect(Array(message.payload.readableBytesView) == ffmpegConnectPayload)
        #expect(message.payload.readableBytes == 140)
    }

    @Test func handBuiltHeadersOfEveryFormat() throws {
        // csid 4, stream 1, video (9). Timestamps: type 0 @1000, type 3 new message (delta = 1000,
        // the type 0 field, as ffmpeg and SRS read it), type 1 +20 with a new length, type 2 +30,
        // type 3 reusing delta 30.
        let bytes = hexBytes(
            """
            04 0003e8 000002 09 01000000  aa bb
            c4                            cc dd
            44 000014 000003 09           01 02 03
            84 00001e                     04 05 06
            c4                            07 08 09
            """)
        var decoder = ChunkDecoder()
        let messages = try decoder.decodeAll(bytes)
        #expect(messages.map(\.timestamp) == [1000, 2000, 2020, 2050, 2080])
        #expect(messages.map(\.payload.readableBytes) == [2, 2, 3, 3, 3])
        #expect(messages.allSatisfy { $0.streamID == 1 && $0.type == .video && $0.chunkStreamID == 4 })
        #expect(Array(messages[4].payload.readableBytesView) == [7, 8, 9])
    }

    @Test func type1OnAFreshChunkStreamIsAcceptedOnStreamZero() throws {
        var decoder = ChunkDecoder()
        let messages = try decoder.decodeAll(hexBytes("42 000000 000006 04 0006 00000001"))
        #expect(messages.first?.type == .userControl)
        #expect(messages.first?.streamID == 0)
    }

    @Test func basicHeaderForms() throws {
        // 2-byte form: csid 64 + 0x10 = 80; 3-byte form: 64 + 0x01 + 0x02 * 256 = 577.
        let bytes = hexBytes(
            """
            00 10 000000 000001 08 00000000 aa
            01 01 02 000000 000001 08 00000000 bb
            c0 10 cc
            """)
        var decoder = ChunkDecoder()
        let messages = try decoder.decodeAll(bytes)
        #expect(messages.map(\.chunkStreamID) == [80, 577, 80])
        #expect(messages.map { $0.payload.getInteger(at: 0, as: UInt8.self) } == [0xAA, 0xBB, 0xCC])
    }

    @Test func extendedTimestampRepeatedInType3Chunks() throws {
        // Timestamp 0x01020304 > 0xFFFFFF, 200 bytes in two chunks; the continuation repeats it.
        let body = Array(payload(200).readableBytesView)
        let bytes =
            hexBytes("06 ffffff 0000c8 09 01000000 01020304") + body[0..<128]
            + hexBytes("c6 01020304") + body[128...]
        var decoder = ChunkDecoder()
        let message = try #require(try decoder.decodeAll(bytes).first)
        #expect(message.timestamp == 0x0102_0304)
        #expect(Array(message.payload.readableBytesView) == body)
    }

    @Test func extendedTimestampOmittedInType3Chunks() throws {
        let body = Array(payload(200, seed: 3).readableBytesView)
        let bytes = hexBytes("06 ffffff 0000c8 09 01000000 01020304") + body[0..<128] + [0xC6] + body[128...]
        var decoder = ChunkDecoder()
        let message = try #require(try decoder.decodeAll(bytes).first)
        #expect(message.timestamp == 0x0102_0304)
        #expect(Array(message.payload.readableBytesView) == body)
    }

    @Test func type3StartingAMessageAfterExtendedHeaderReadsTheDelta() throws {
        // Type 0 at 0x01000000 (extended), then a type 3 new message: its extended field is the delta.
        let bytes = hexBytes(
            """
            06 ffffff 000001 08 01000000 01000000 aa
            c6 00000021 bb
            """)
        var decoder = ChunkDecoder()
        let messages = try decoder.decodeAll(bytes)
        #expect(messages.map(\.timestamp) == [0x0100_0000, 0x0100_0021])
    }

    @Test func timestampDeltaWrapsAt32Bits() throws {
        let bytes = hexBytes(
            """
            06 ffffff 000001 08 01000000 fffffff0 aa
            86 000020 bb
            """)
        var decoder = ChunkDecoder()
        #expect(try decoder.decodeAll(bytes).map(\.timestamp) == [0xFFFF_FFF0, 0x10])
    }

    @Test func setChunkSizeAppliesFromTheNextChunk() throws {
        // Chunk stream 4 has the first 128 bytes of a 300-byte message when chunk size becomes 4096:
        // the remaining 172 bytes then arrive in one chunk.
        let body = Array(payload(300).readableBytesView)
        let bytes =
            hexBytes("04 000000 00012c 09 01000000") + body[0..<128]
            + hexBytes("02 000000 000004 01 00000000 00001000")
            + [0xC4] + body[128...]
        var decoder = ChunkDecoder()
        let messages = try decoder.decodeAll(bytes)
        #expect(messages.map(\.type) == [.setChunkSize, .video])
        #expect(decoder.chunkSize == 4096)
        #expect(Array(messages[1].payload.readableBytesView) == body)
    }

    @Test func abortDiscardsThePartialMessage() throws {
        let body = Array(payload(300).readableBytesView)
        let fresh = Array(payload(300, seed: 9).readableBytesView)
        let bytes =
            hexBytes("04 000000 00012c 09 01000000") + body[0..<128]
            + hexBytes("02 000000 000004 02 00000000 00000004")
            // Type 3 after the abort starts a new message with the same header.
            + [0xC4] + fresh[0..<128] + [0xC4] + fresh[128..<256] + [0xC4] + fresh[256...]
        var decoder = ChunkDecoder()
        let messages = try decoder.decodeAll(bytes)
        #expect(messages.map(\.type) == [.abort, .video])
        #expect(Array(messages[1].payload.readableBytesView) == fresh)
    }

    @Test func interleavedChunkStreams() throws {
        let video = Array(payload(300, seed: 1).readableBytesView)
        let audio = Array(payload(50, seed: 2).readableBytesView)
        let bytes =
            hexBytes("07 000010 00012c 09 01000000") + video[0..<128]
            + hexBytes("06 000010 000032 08 01000000") + audio
            + [0xC7] + video[128..<256]
            + hexBytes("46 000017 000032 08") + audio
            + [0xC7] + video[256...]
        var decoder = ChunkDecoder()
        let messages = try decoder.decodeAll(bytes)
        #expect(messages.map(\.type) == [.audio, .audio, .video])
        #expect(messages.map(\.timestamp) == [16, 39, 16])
        #expect(Array(messages[2].payload.readableBytesView) == video)
    }

    @Test func partialChunkIsConsumedAndCompletedLater() throws {
        // Cut inside the basic header, the message header, the payload, and right after a chunk.
        for cut in [1, 5, 12, 12 + 127, 12 + 128, 12 + 128 + 1] {
            var decoder = ChunkDecoder()
            var head = ByteBuffer(bytes: ffmpegConnectChunks[0..<cut])
            #expect(try decoder.next(from: &head) == nil)
            #expect(head.readableBytes == 0)
            var tail = ByteBuffer(bytes: ffmpegConnectChunks[cut...])
            let message = try #require(try decoder.next(from: &tail))
            #expect(Array(message.payload.readableBytesView) == ffmpegConnectPayload)
            #expect(tail.readableBytes == 0)
        }
    }

    @Test func messagesDoNotShareTheInputBuffer() throws {
        let message = RTMPMessage(type: .audio, streamID: 1, timestamp: 0, chunkStreamID: 6, payload: payload(50))
        var buffer = ByteBuffer(bytes: try encodeChunks([message]))
        var decoder = ChunkDecoder()
        let decoded = try #require(try decoder.next(from: &buffer))
        // A payload aliasing the input would keep a socket's whole receive buffer alive.
        buffer.clear()
        buffer.writeBytes([UInt8](repeating: 0xEE, count: 64))
        #expect(decoded == message)
    }

    @Test func omittedExtendedTimestampSplitInsideThePeekedBytes() throws {
        // The continuation does not repeat the timestamp, and the input is cut inside the 4 bytes
        // the decoder peeks at: they are payload and must come out in order.
        let body = Array(payload(200, seed: 4).readableBytesView)
        let bytes = hexBytes("06 ffffff 0000c8 09 01000000 01020304") + body[0..<128] + [0xC6] + body[128...]
        let continuation = 16 + 128
        for cut in continuation + 1...continuation + 4 {
            var decoder = ChunkDecoder()
            var head = ByteBuffer(bytes: bytes[0..<cut])
            #expect(try decoder.next(from: &head) == nil)
            var tail = ByteBuffer(bytes: bytes[cut...])
            let message = try #require(try decoder.next(from: &tail))
            #expect(message.timestamp == 0x0102_0304)
            #expect(Array(message.payload.readableBytesView) == body)
        }
    }

    @Test func byteAtATimeFeeding() throws {
        let messages = [
            RTMPMessage(type: .video, streamID: 1, timestamp: 0, chunkStreamID: 7, payload: payload(1000)),
            RTMPMessage(type: .audio, streamID: 1, timestamp: 0x0100_0000, chunkStreamID: 6, payload: payload(300)),
            RTMPMessage(type: .video, streamID: 1, timestamp: 33, chunkStreamID: 7, payload: payload(1000, seed: 5)),
            RTMPMessage(type: .video, streamID: 1, timestamp: 66, chunkStreamID: 70, payload: payload(3)),
        ]
        let bytes = try encodeChunks(messages)
        var decoder = ChunkDecoder()
        var buffer = ByteBuffer()
        var decoded: [RTMPMessage] = []
        for byte in bytes {
            buffer.writeInteger(byte)
            while let message = try decoder.next(from: &buffer) {
                decoded.append(message)
            }
        }
        #expect(decoded == messages)
        #expect(buffer.readableBytes == 0)
    }

    // MARK: Limits

    @Test(arguments: [UInt32(0), 0x8000_0080, 65537])
    func invalidChunkSizeIsRejected(size: UInt32) throws {
        var bytes = hexBytes("02 000000 000004 01 00000000")
        bytes += withUnsafeBytes(of: size.bigEndian) { Array($0) }
        var decoder = ChunkDecoder()
        #expect(throws: ChunkError.invalidChunkSize(size)) {
            try decoder.decodeAll(bytes)
        }
    }

    @Test func oversizedMessageIsRejectedFromItsHeader() throws {
        // 16 MiB - 1 announced; only the header is present.
        var decoder = ChunkDecoder()
        #expect(throws: ChunkError.messageTooLarge(length: 0xFF_FFFF, limit: 8 * 1024 * 1024)) {
            try decoder.decodeAll(hexBytes("04 000000 ffffff 09 01000000"))
        }
        var small = ChunkDecoder(limits: ChunkLimits(maxMessageLength: 100))
        #expect(throws: ChunkError.messageTooLarge(length: 101, limit: 100)) {
            try small.decodeAll(hexBytes("44 000000 000065 09"))
        }
    }

    @Test func tooManyChunkStreams() throws {
        var decoder = ChunkDecoder(limits: ChunkLimits(maxChunkStreams: 2))
        let bytes = hexBytes(
            """
            04 000000 000001 08 01000000 aa
            05 000000 000001 08 01000000 aa
            06 000000 000001 08 01000000 aa
            """)
        var buffer = ByteBuffer(bytes: bytes)
        #expect(try decoder.next(from: &buffer) != nil)
        #expect(try decoder.next(from: &buffer) != nil)
        #expect(throws: ChunkError.tooManyChunkStreams(limit: 2)) {
            try decoder.next(from: &buffer)
        }
    }

    @Test func headerlessFormatsOnAnUnknownChunkStreamAreRejected() throws {
        var decoder = ChunkDecoder()
        #expect(throws: ChunkError.missingPreviousHeader(chunkStreamID: 9, format: 2)) {
            try decoder.decodeAll(hexBytes("89 000010"))
        }
        #expect(throws: ChunkError.missingPreviousHeader(chunkStreamID: 9, format: 3)) {
            try decoder.decodeAll(hexBytes("c9 00"))
        }
    }

    @Test func pendingBytesAcrossStreamsAreBounded() throws {
        var decoder = ChunkDecoder(limits: ChunkLimits(maxPendingBytes: 200))
        let bytes =
            hexBytes("04 000000 00012c 09 01000000") + Array(repeating: 0, count: 128)
            + hexBytes("05 000000 00012c 09 01000000") + Array(repeating: 0, count: 128)
        #expect(throws: ChunkError.pendingBytesExceeded(limit: 200)) {
            try decoder.decodeAll(bytes)
        }
    }

    @Test func truncatedSetChunkSizeIsRejected() throws {
        var decoder = ChunkDecoder()
        #expect(throws: ChunkError.malformedControlMessage(.setChunkSize)) {
            try decoder.decodeAll(hexBytes("02 000000 000002 01 00000000 0010"))
        }
    }
}
