import LadderMedia
import NIOCore

/// Reassembles RTMP messages from the chunk stream (RTMP spec 5.3).
///
/// Every input byte is consumed: a header cut off by the end of the input is carried (at most
/// 18 bytes), and a chunk's payload is copied straight into its message as it arrives, so each
/// payload byte is copied once and no message keeps the caller's receive buffer alive. Set Chunk
/// Size (type 1) and Abort (type 2) take effect here, before the message is returned, so they
/// apply from the next chunk (RTMP spec 5.4.1, 5.4.2).
package struct ChunkDecoder: Sendable {
    package static let defaultChunkSize = 128
    /// Longest chunk header: 3-byte basic header, type 0 message header (11), extended timestamp (4).
    package static let maxHeaderLength = 18

    package let limits: ChunkLimits
    /// The peer's current chunk size (RTMP spec 5.4.1: 128 until changed).
    package private(set) var chunkSize = ChunkDecoder.defaultChunkSize
    private var streams: [UInt32: ChunkStreamState] = [:]
    private var pendingBytes = 0
    /// The first bytes of a chunk header that the input ended inside.
    private var headerCarry = ByteBuffer()
    /// The chunk whose header has been read and whose payload is still arriving.
    private var openChunk: OpenChunk?

    package init(limits: ChunkLimits = ChunkLimits()) {
        self.limits = limits
    }

    /// The next complete message, or nil when more bytes are needed (the input is then empty).
    package mutating func next(from buffer: inout ByteBuffer) throws(ChunkError) -> RTMPMessage? {
        while true {
            if openChunk == nil {
                guard try readHeader(from: &buffer) else { return nil }
            }
            switch readPayload(from: &buffer) {
            case .needMoreData:
                return nil
            case .partial:
                continue
            case .message(let message):
                try applyControl(message)
                return message
            }
        }
    }

    private enum ChunkOutcome {
        case needMoreData
        case partial
        case message(RTMPMessage)
    }

    private struct OpenChunk {
        package var chunkStreamID: UInt32
        /// Payload bytes of this chunk not received yet.
        package var remaining: Int
    }

    /// Per chunk stream header state (RTMP spec 5.3.1.2: later formats inherit from earlier ones).
    private struct ChunkStreamState: Sendable {
        /// Absolute timestamp of the current message.
        package var timestamp: UInt32 = 0
        /// The last timestamp field read: absolute after type 0, a delta after type 1/2.
        package var timestampField: UInt32 = 0
        package var hasExtendedTimestamp = false
        package var messageLength = 0
        package var typeID: UInt8 = 0
        package var streamID: UInt32 = 0
        /// Payload received so far of the current message (nil between messages).
        package var pending: ByteBuffer?
        package var pendingCount: Int { pending?.readableBytes ?? 0 }
    }

    private struct ChunkHeader {
        package var chunkStreamID: UInt32
        package var state: ChunkStreamState
        /// Bytes of a partial message that a new message header abandons.
        package var discardedPending: Int
    }

    /// Reads the next chunk header from the carried bytes and then the input. False when the
    /// input ended inside the header; its bytes are then carried to the next call.
    private mutating func readHeader(from buffer: inout ByteBuffer) throws(ChunkError) -> Bool {
        let carried = headerCarry.readableBytes
        if carried == 0 {
            var cursor = buffer
            guard let header = try parseHeader(&cursor) else {
                headerCarry.writeBuffer(&buffer)
                return false
            }
            buffer.moveReaderIndex(to: cursor.readerIndex)
            try open(header)
            return true
        }
        // Complete the carried start with at most a whole header's worth of input.
        var probe = headerCarry
        let borrowed = min(buffer.readableBytes, Self.maxHeaderLength - carried)
        probe.writeBytes(buffer.readableBytesView.prefix(borrowed))
        let start = probe.readerIndex
        guard let header = try parseHeader(&probe) else {
            headerCarry.writeBytes(buffer.readableBytesView.prefix(borrowed))
            buffer.moveReaderIndex(forwardBy: borrowed)
            return false
        }
        let headerLength = probe.readerIndex - start
        if headerLength >= carried {
            buffer.moveReaderIndex(forwardBy: headerLength - carried)
        } else {
            // A type 3 header whose 4 peeked bytes were payload, not a repeated timestamp: the
            // carried bytes after the header come before the input (rare, so a copy is fine).
            headerCarry.moveReaderIndex(forwardBy: headerLength)
            headerCarry.writeBuffer(&buffer)
            buffer = headerCarry
        }
        headerCarry = ByteBuffer()
        try open(header)
        return true
    }

    /// Parses a chunk header (RTMP spec 5.3.1) without committing anything; nil when incomplete.
    private func parseHeader(_ cursor: inout ByteBuffer) throws(ChunkError) -> ChunkHeader? {
        guard let first = cursor.readInteger(as: UInt8.self) else { return nil }
        let format = first >> 6
        var chunkStreamID = UInt32(first & 0x3F)
        // RTMP spec 5.3.1.1: ID 0 -> 2-byte form, ID 1 -> 3-byte form.
        if chunkStreamID == 0 {
            guard let byte = cursor.readInteger(as: UInt8.self) else { return nil }
            chunkStreamID = 64 + UInt32(byte)
        } else if chunkStreamID == 1 {
            guard let low = cursor.readInteger(as: UInt8.self), let high = cursor.readInteger(as: UInt8.self)
            else { return nil }
            chunkStreamID = 64 + UInt32(low) + UInt32(high) * 256
        }

        var state: ChunkStreamState
        if let existing = streams[chunkStreamID] {
            state = existing
        } else {
            // Type 1 without history is tolerated (librtmp starts some streams that way) with stream 0.
            guard format <= 1 else { throw .missingPreviousHeader(chunkStreamID: chunkStreamID, format: format) }
            guard streams.count < limits.maxChunkStreams else {
                throw .tooManyChunkStreams(limit: limits.maxChunkStreams)
            }
            state = ChunkStreamState()
        }

        var discardedPending = 0
        if format < 3 {
            // RTMP spec 5.3.1.2.1-5.3.1.2.3.
            guard let field = cursor.readRTMPUInt24() else { return nil }
            if format <= 1 {
                guard let length = cursor.readRTMPUInt24(), let typeID = cursor.readInteger(as: UInt8.self) else {
                    return nil
                }
                if format == 0 {
                    guard let streamID = cursor.readInteger(endianness: .little, as: UInt32.self) else {
                        return nil
                    }
                    state.streamID = streamID
                }
                guard Int(length) <= limits.maxMessageLength else {
                    throw .messageTooLarge(length: Int(length), limit: limits.maxMessageLength)
                }
                state.messageLength = Int(length)
                state.typeID = typeID
            }
            // RTMP spec 5.3.1.3: 0xFFFFFF means a 4-byte extended timestamp follows.
            state.hasExtendedTimestamp = field == 0xFF_FFFF
            if state.hasExtendedTimestamp {
                guard let extended = cursor.readInteger(as: UInt32.self) else { return nil }
                state.timestampField = extended
            } else {
                state.timestampField = field
            }
            state.timestamp = format == 0 ? state.timestampField : state.timestamp &+ state.timestampField
            // A new header in the middle of a message abandons the partial one.
            discardedPending = state.pendingCount
            state.pending = nil
        } else {
            let startsMessage = state.pending == nil
            if state.hasExtendedTimestamp {
                guard let extended = cursor.getInteger(at: cursor.readerIndex, as: UInt32.self) else { return nil }
                if startsMessage {
                    // A type 3 chunk starting a message carries the delta in full (RTMP spec 5.3.1.3).
                    cursor.moveReaderIndex(forwardBy: 4)
                    state.timestampField = extended
                } else if extended == state.timestampField || extended == state.timestamp {
                    // Continuation chunks may or may not repeat it: consume only a matching value.
                    cursor.moveReaderIndex(forwardBy: 4)
                }
            }
            if startsMessage {
                state.timestamp = state.timestamp &+ state.timestampField
            }
        }
        return ChunkHeader(chunkStreamID: chunkStreamID, state: state, discardedPending: discardedPending)
    }

    /// Commits a parsed header: its chunk's payload is what the input holds next.
    private mutating func open(_ header: ChunkHeader) throws(ChunkError) {
        var state = header.state
        pendingBytes -= header.discardedPending
        let alreadyReceived = state.pendingCount
        let chunkLength = min(state.messageLength - alreadyReceived, chunkSize)
        if alreadyReceived + chunkLength < state.messageLength {
            guard pendingBytes + chunkLength <= limits.maxPendingBytes else {
                throw .pendingBytesExceeded(limit: limits.maxPendingBytes)
            }
        }
        if state.pending == nil {
            // The message's own buffer, sized for it (large messages grow as they arrive).
            state.pending = ByteBufferAllocator().buffer(capacity: min(state.messageLength, 64 * 1024))
        }
        streams[header.chunkStreamID] = state
        openChunk = OpenChunk(chunkStreamID: header.chunkStreamID, remaining: chunkLength)
    }

    /// Copies the open chunk's payload from the input into its message.
    private mutating func readPayload(from buffer: inout ByteBuffer) -> ChunkOutcome {
        guard var chunk = openChunk else { return .needMoreData }
        let count = min(chunk.remaining, buffer.readableBytes)
        guard count > 0 || chunk.remaining == 0 else { return .needMoreData }
        // Moved out of the dictionary while appending, so that the append does not copy it.
        var state = streams[chunk.chunkStreamID]!
        var payload = state.pending!
        state.pending = nil
        streams[chunk.chunkStreamID]!.pending = nil
        payload.writeImmutableBuffer(buffer.readSlice(length: count)!)
        chunk.remaining -= count
        guard chunk.remaining == 0 else {
            pendingBytes += count
            state.pending = payload
            streams[chunk.chunkStreamID] = state
            openChunk = chunk
            return .needMoreData
        }
        openChunk = nil
        if payload.readableBytes == state.messageLength {
            pendingBytes -= payload.readableBytes - count
            streams[chunk.chunkStreamID] = state
            return .message(
                RTMPMessage(
                    type: RTMPMessageType(rawValue: state.typeID), streamID: state.streamID,
                    timestamp: state.timestamp, chunkStreamID: chunk.chunkStreamID, payload: payload))
        }
        pendingBytes += count
        state.pending = payload
        streams[chunk.chunkStreamID] = state
        return .partial
    }

    /// Applies Set Chunk Size (RTMP spec 5.4.1) and Abort (RTMP spec 5.4.2).
    private mutating func applyControl(_ message: RTMPMessage) throws(ChunkError) {
        switch message.type {
        case .setChunkSize:
            guard let value = message.payload.getInteger(at: message.payload.readerIndex, as: UInt32.self) else {
                throw .malformedControlMessage(.setChunkSize)
            }
            guard value & 0x8000_0000 == 0, value > 0, Int(value) <= limits.maxChunkSize else {
                throw .invalidChunkSize(value)
            }
            chunkSize = Int(value)
        case .abort:
            guard let target = message.payload.getInteger(at: message.payload.readerIndex, as: UInt32.self) else {
                throw .malformedControlMessage(.abort)
            }
            if var state = streams[target], state.pending != nil {
                pendingBytes -= state.pendingCount
                state.pending = nil
                streams[target] = state
            }
        default:
            break
        }
    }
}
