import LadderMedia

/// Bounds that keep a hostile or broken peer from exhausting memory in the chunk layer.
package struct ChunkLimits: Sendable, Hashable {
    /// Largest chunk size a peer may announce with Set Chunk Size (RTMP spec 5.4.1 allows up to 2^31-1).
    package var maxChunkSize: Int
    /// Largest message length a chunk header may announce (the field allows 16 MiB).
    package var maxMessageLength: Int
    /// Most chunk stream IDs a peer may use over a connection.
    package var maxChunkStreams: Int
    /// Most bytes held in partially received messages across all chunk streams.
    package var maxPendingBytes: Int

    package init(
        maxChunkSize: Int = 65536, maxMessageLength: Int = 8 * 1024 * 1024, maxChunkStreams: Int = 64,
        maxPendingBytes: Int = 16 * 1024 * 1024
    ) {
        self.maxChunkSize = maxChunkSize
        self.maxMessageLength = maxMessageLength
        self.maxChunkStreams = maxChunkStreams
        self.maxPendingBytes = maxPendingBytes
    }
}

package enum ChunkError: Error, Hashable, Sendable {
    /// Set Chunk Size of 0, with bit 31 set (RTMP spec 5.4.1), or above `ChunkLimits.maxChunkSize`.
    case invalidChunkSize(UInt32)
    /// A message header announced more than `ChunkLimits.maxMessageLength` bytes
    /// (or, when encoding, more than the 24-bit length field holds).
    case messageTooLarge(length: Int, limit: Int)
    /// A new chunk stream ID would exceed `ChunkLimits.maxChunkStreams`.
    case tooManyChunkStreams(limit: Int)
    /// A type 1/2/3 chunk arrived on a chunk stream with no earlier type 0 header (RTMP spec 5.3.1.2).
    case missingPreviousHeader(chunkStreamID: UInt32, format: UInt8)
    /// Partially received messages would hold more than `ChunkLimits.maxPendingBytes`.
    case pendingBytesExceeded(limit: Int)
    /// A Set Chunk Size or Abort message with a payload shorter than 4 bytes.
    case malformedControlMessage(RTMPMessageType)
    /// Chunk stream IDs run from 2 to 65599 (RTMP spec 5.3.1.1).
    case invalidChunkStreamID(UInt32)
}

/// Chunk stream ID range (RTMP spec 5.3.1.1): 0 and 1 select the longer basic header forms.
package enum ChunkStreamIDRange {
    package static let valid: ClosedRange<UInt32> = 2...65599
}
