import LadderMedia
import NIOCore

/// Splits outgoing messages into chunks (RTMP spec 5.3).
///
/// The first chunk of a message uses the smallest header that a decoder following RTMP spec
/// 5.3.1.2 reconstructs unambiguously: type 1/2/3 only on the same message stream with a
/// non-decreasing timestamp and a delta below 0xFFFFFF, type 3 only when the previous header was
/// itself a delta. Later chunks of the message are type 3 and repeat an extended timestamp, as
/// ffmpeg, librtmp and Flash expect.
package struct ChunkEncoder: Sendable {
    /// Outgoing chunk size; change it only right after sending Set Chunk Size (RTMP spec 5.4.1).
    package private(set) var chunkSize = ChunkDecoder.defaultChunkSize
    /// When false every message starts with a type 0 header.
    package var compressesHeaders: Bool

    private struct SentHeader: Sendable {
        package var format: UInt8
        package var timestamp: UInt32
        package var timestampField: UInt32
        package var length: Int
        package var typeID: UInt8
        package var streamID: UInt32
    }

    private var lastHeaders: [UInt32: SentHeader] = [:]

    package init(compressesHeaders: Bool = true) {
        self.compressesHeaders = compressesHeaders
    }

    /// Sets the outgoing chunk size (1 to 2^24-1: a chunk never needs to exceed a message).
    package mutating func setChunkSize(_ size: Int) throws(ChunkError) {
        guard (1...0xFF_FFFF).contains(size) else { throw .invalidChunkSize(UInt32(truncatingIfNeeded: size)) }
        chunkSize = size
    }

    package mutating func encode(_ message: RTMPMessage, into out: inout ByteBuffer) throws(ChunkError) {
        let length = message.payload.readableBytes
        guard length <= 0xFF_FFFF else { throw .messageTooLarge(length: length, limit: 0xFF_FFFF) }
        let chunkStreamID = message.chunkStreamID
        guard ChunkStreamIDRange.valid.contains(chunkStreamID) else { throw .invalidChunkStreamID(chunkStreamID) }

        let header = nextHeader(for: message, length: length)
        lastHeaders[chunkStreamID] = header
        let extended = header.format == 0 && header.timestampField >= 0xFF_FFFF

        out.reserveCapacity(minimumWritableBytes: length + (length / chunkSize + 1) * 18)
        writeBasicHeader(format: header.format, chunkStreamID: chunkStreamID, into: &out)
        if header.format < 3 {
            out.writeRTMPUInt24(extended ? 0xFF_FFFF : header.timestampField)
            if header.format < 2 {
                out.writeRTMPUInt24(UInt32(length))
                out.writeInteger(header.typeID)
                if header.format == 0 {
                    out.writeInteger(header.streamID, endianness: .little)
                }
            }
        }
        if extended {
            out.writeInteger(header.timestampField)
        }

        var payload = message.payload
        var first = true
        while first || payload.readableBytes > 0 {
            if !first {
                writeBasicHeader(format: 3, chunkStreamID: chunkStreamID, into: &out)
                if extended {
                    out.writeInteger(header.timestampField)
                }
            }
            first = false
            if var chunk = payload.readSlice(length: min(chunkSize, payload.readableBytes)) {
                out.writeBuffer(&chunk)
            }
        }
    }

    private func nextHeader(for message: RTMPMessage, length: Int) -> SentHeader {
        var header = SentHeader(
            format: 0, timestamp: message.timestamp, timestampField: message.timestamp, length: length,
            typeID: message.type.rawValue, streamID: message.streamID)
        guard compressesHeaders, let last = lastHeaders[message.chunkStreamID], last.streamID == message.streamID,
            message.timestamp >= last.timestamp, message.timestamp - last.timestamp < 0xFF_FFFF
        else { return header }
        let delta = message.timestamp - last.timestamp
        header.timestampField = delta
        if length != last.length || header.typeID != last.typeID {
            header.format = 1
        } else if last.format != 0 && delta == last.timestampField {
            header.format = 3
        } else {
            header.format = 2
        }
        return header
    }

    /// RTMP spec 5.3.1.1: 1, 2 or 3 bytes depending on the chunk stream ID.
    private func writeBasicHeader(format: UInt8, chunkStreamID: UInt32, into out: inout ByteBuffer) {
        let formatBits = format << 6
        switch chunkStreamID {
        case 2...63:
            out.writeInteger(formatBits | UInt8(chunkStreamID))
        case 64...319:
            out.writeInteger(formatBits)
            out.writeInteger(UInt8(chunkStreamID - 64))
        default:
            let value = chunkStreamID - 64
            out.writeInteger(formatBits | 1)
            out.writeInteger(UInt8(truncatingIfNeeded: value))
            out.writeInteger(UInt8(truncatingIfNeeded: value >> 8))
        }
    }
}
