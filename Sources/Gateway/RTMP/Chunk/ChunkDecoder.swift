import NIOCore

/// Reassembles RTMP messages from the chunk stream (RTMP spec 5.3).
///
/// Only whole chunks are consumed from the input; a partial chunk is left in place for the next
/// call. Set Chunk Size (type 1) and Abort (type 2) take effect here, before the message is
/// returned, so they apply from the next chunk (RTMP spec 5.4.1, 5.4.2).
struct ChunkDecoder: Sendable {
    static let defaultChunkSize = 128

    let limits: ChunkLimits
    /// The peer's current chunk size (RTMP spec 5.4.1: 128 until changed).
    private(set) var chunkSize = ChunkDecoder.defaultChunkSize
    private var streams: [UInt32: ChunkStreamState] = [:]
    private var pendingBytes = 0

    init(limits: ChunkLimits = ChunkLimits()) {
        self.limits = limits
    }

    /// The next complete message, or nil when more bytes are needed.
    mutating func next(from buffer: inout ByteBuffer) throws(ChunkError) -> RTMPMessage? {
        while true {
            switch try decodeChunk(from: &buffer) {
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

    /// Per chunk stream header state (RTMP spec 5.3.1.2: later formats inherit from earlier ones).
    private struct ChunkStreamState: Sendable {
        /// Absolute timestamp of the current message.
        var timestamp: UInt32 = 0
        /// The last timestamp field read: absolute after type 0, a delta after type 1/2.
        var timestampField: UInt32 = 0
        var hasExtendedTimestamp = false
        var messageLength = 0
        var typeID: UInt8 = 0
        var streamID: UInt32 = 0
        /// Payload received so far of a message spanning several chunks.
        var pending: ByteBuffer?
        var pendingCount: Int { pending?.readableBytes ?? 0 }
    }

    private mutating func decodeChunk(from buffer: inout ByteBuffer) throws(ChunkError) -> ChunkOutcome {
        var cursor = buffer
        guard let first = cursor.readInteger(as: UInt8.self) else { return .needMoreData }
        let format = first >> 6
        var chunkStreamID = UInt32(first & 0x3F)
        // RTMP spec 5.3.1.1: ID 0 -> 2-byte form, ID 1 -> 3-byte form.
        if chunkStreamID == 0 {
            guard let byte = cursor.readInteger(as: UInt8.self) else { return .needMoreData }
            chunkStreamID = 64 + UInt32(byte)
        } else if chunkStreamID == 1 {
            guard let low = cursor.readInteger(as: UInt8.self), let high = cursor.readInteger(as: UInt8.self)
            else { return .needMoreData }
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

        let startsMessage: Bool
        var discardedPending = 0
        if format < 3 {
            // RTMP spec 5.3.1.2.1-5.3.1.2.3.
            guard let field = cursor.readRTMPUInt24() else { return .needMoreData }
            if format <= 1 {
                guard let length = cursor.readRTMPUInt24(), let typeID = cursor.readInteger(as: UInt8.self) else {
                    return .needMoreData
                }
                if format == 0 {
                    guard let streamID = cursor.readInteger(endianness: .little, as: UInt32.self) else {
                        return .needMoreData
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
                guard let extended = cursor.readInteger(as: UInt32.self) else { return .needMoreData }
                state.timestampField = extended
            } else {
                state.timestampField = field
            }
            state.timestamp = format == 0 ? state.timestampField : state.timestamp &+ state.timestampField
            // A new header in the middle of a message abandons the partial one.
            discardedPending = state.pendingCount
            state.pending = nil
            startsMessage = true
        } else {
            startsMessage = state.pending == nil
            if state.hasExtendedTimestamp {
                guard let extended = cursor.getInteger(at: cursor.readerIndex, as: UInt32.self) else {
                    return .needMoreData
                }
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

        let alreadyReceived = startsMessage ? 0 : state.pendingCount
        let chunkLength = min(state.messageLength - alreadyReceived, chunkSize)
        guard let data = cursor.readSlice(length: chunkLength) else { return .needMoreData }

        // The whole chunk is available: commit. The partial payload is moved out of both the
        // local copy and the dictionary so that appending to it does not copy it.
        buffer.moveReaderIndex(to: cursor.readerIndex)
        pendingBytes -= discardedPending
        var assembled = state.pending
        state.pending = nil
        streams[chunkStreamID]?.pending = nil
        var chunk = data
        let received = alreadyReceived + chunkLength
        if received == state.messageLength {
            var payload = data
            if var whole = assembled {
                assembled = nil
                whole.writeBuffer(&chunk)
                payload = whole
            }
            pendingBytes -= alreadyReceived
            streams[chunkStreamID] = state
            let message = RTMPMessage(
                type: RTMPMessageType(rawValue: state.typeID), streamID: state.streamID,
                timestamp: state.timestamp, chunkStreamID: chunkStreamID, payload: payload)
            return .message(message)
        }

        guard pendingBytes + chunkLength <= limits.maxPendingBytes else {
            throw .pendingBytesExceeded(limit: limits.maxPendingBytes)
        }
        pendingBytes += chunkLength
        var partial = assembled ?? ByteBufferAllocator().buffer(capacity: min(state.messageLength, 64 * 1024))
        assembled = nil
        partial.writeBuffer(&chunk)
        state.pending = partial
        streams[chunkStreamID] = state
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
