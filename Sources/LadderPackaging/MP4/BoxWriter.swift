import LadderMedia

/// A box type: four ASCII characters (ISO/IEC 14496-12 4.2).
public struct FourCC: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: UInt32

    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// Characters beyond the fourth are ignored; missing or non-ASCII ones become spaces.
    public init(_ text: String) {
        var value: UInt32 = 0
        var utf8 = text.utf8.makeIterator()
        for _ in 0..<4 {
            let byte = utf8.next().flatMap { $0 < 0x80 ? $0 : nil } ?? 0x20
            value = value << 8 | UInt32(byte)
        }
        rawValue = value
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    public var bytes: [UInt8] {
        [
            UInt8(rawValue >> 24 & 0xFF), UInt8(rawValue >> 16 & 0xFF), UInt8(rawValue >> 8 & 0xFF),
            UInt8(rawValue & 0xFF),
        ]
    }

    public var description: String {
        String(decoding: bytes, as: UTF8.self)
    }
}

/// Serializes ISO BMFF boxes big-endian, back-patching each box size once its body is written.
/// A box whose size does not fit 32 bits gets `size = 1` and a 64-bit largesize (ISO/IEC 14496-12 4.2).
public struct BoxWriter: Sendable {
    public private(set) var bytes: [UInt8]
    /// Boxes larger than this get a largesize; lowered only by tests.
    let largeSizeThreshold: UInt64

    public init(capacity: Int = 0) {
        self.init(capacity: capacity, largeSizeThreshold: UInt64(UInt32.max))
    }

    init(capacity: Int, largeSizeThreshold: UInt64) {
        bytes = []
        bytes.reserveCapacity(max(0, capacity))
        self.largeSizeThreshold = largeSizeThreshold
    }

    public var count: Int { bytes.count }

    public mutating func writeUInt8(_ value: UInt8) {
        bytes.append(value)
    }

    public mutating func writeUInt16(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    public mutating func writeUInt24(_ value: UInt32) {
        bytes.append(UInt8(value >> 16 & 0xFF))
        bytes.append(UInt8(value >> 8 & 0xFF))
        bytes.append(UInt8(value & 0xFF))
    }

    public mutating func writeUInt32(_ value: UInt32) {
        bytes.append(UInt8(value >> 24))
        bytes.append(UInt8(value >> 16 & 0xFF))
        bytes.append(UInt8(value >> 8 & 0xFF))
        bytes.append(UInt8(value & 0xFF))
    }

    public mutating func writeInt32(_ value: Int32) {
        writeUInt32(UInt32(bitPattern: value))
    }

    public mutating func writeUInt64(_ value: UInt64) {
        writeUInt32(UInt32(value >> 32))
        writeUInt32(UInt32(value & 0xFFFF_FFFF))
    }

    public mutating func writeFourCC(_ value: FourCC) {
        writeUInt32(value.rawValue)
    }

    public mutating func writeBytes(_ value: [UInt8]) {
        bytes.append(contentsOf: value)
    }

    public mutating func writeZeros(_ count: Int) {
        bytes.append(contentsOf: repeatElement(0, count: max(0, count)))
    }

    /// Overwrites 4 bytes written earlier (e.g. trun data_offset once the moof size is known).
    public mutating func patchUInt32(at offset: Int, _ value: UInt32) {
        guard offset >= 0, offset + 4 <= bytes.count else { return }
        bytes[offset] = UInt8(value >> 24)
        bytes[offset + 1] = UInt8(value >> 16 & 0xFF)
        bytes[offset + 2] = UInt8(value >> 8 & 0xFF)
        bytes[offset + 3] = UInt8(value & 0xFF)
    }

    /// Box (ISO/IEC 14496-12 4.2): size, type, body.
    public mutating func writeBox(_ type: FourCC, _ body: (inout BoxWriter) -> Void) {
        let start = bytes.count
        writeUInt32(0)
        writeFourCC(type)
        body(&self)
        finishBox(start: start)
    }

    /// FullBox (ISO/IEC 14496-12 4.2): a box whose body starts with version and 24-bit flags.
    public mutating func writeFullBox(
        _ type: FourCC, version: UInt8, flags: UInt32, _ body: (inout BoxWriter) -> Void
    ) {
        writeBox(type) { writer in
            writer.writeUInt8(version)
            writer.writeUInt24(flags)
            body(&writer)
        }
    }

    private mutating func finishBox(start: Int) {
        let size = UInt64(bytes.count - start)
        if size <= largeSizeThreshold {
            patchUInt32(at: start, UInt32(size))
            return
        }
        // size == 1 announces a largesize field right after the type.
        patchUInt32(at: start, 1)
        let largeSize = size + 8
        var field: [UInt8] = []
        field.reserveCapacity(8)
        for shift in stride(from: 56, through: 0, by: -8) {
            field.append(UInt8(largeSize >> UInt64(shift) & 0xFF))
        }
        bytes.insert(contentsOf: field, at: start + 8)
    }
}
