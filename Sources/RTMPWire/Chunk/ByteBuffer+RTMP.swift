import LadderMedia
import NIOCore

extension ByteBuffer {
    /// Big-endian unsigned 24-bit integer (RTMP spec 5.3.1.2 header fields, FLV UI24).
    package mutating func readRTMPUInt24() -> UInt32? {
        guard let high = getInteger(at: readerIndex, as: UInt8.self),
            let low = getInteger(at: readerIndex + 1, as: UInt16.self)
        else { return nil }
        moveReaderIndex(forwardBy: 3)
        return UInt32(high) << 16 | UInt32(low)
    }

    /// Big-endian signed 24-bit integer (FLV SI24 composition time).
    package mutating func readRTMPInt24() -> Int32? {
        guard let value = readRTMPUInt24() else { return nil }
        return Int32(bitPattern: value << 8) >> 8
    }

    /// Writes the low 24 bits of `value`, big-endian.
    @discardableResult
    package mutating func writeRTMPUInt24(_ value: UInt32) -> Int {
        writeInteger(UInt8(truncatingIfNeeded: value >> 16)) + writeInteger(UInt16(truncatingIfNeeded: value))
    }
}
