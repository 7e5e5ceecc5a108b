/// Reads bits MSB first from an RBSP (emulation prevention bytes already removed), with the
/// Exp-Golomb codes of ITU-T H.264 9.1.
package struct BitReader {
    private let bytes: [UInt8]
    package private(set) var bitOffset = 0

    package init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// NAL payload to RBSP: drops each 0x03 of a 00 00 03 sequence (ITU-T H.264 7.4.1).
    package static func rbsp<C: Collection>(_ payload: C) -> [UInt8] where C.Element == UInt8 {
        var output: [UInt8] = []
        output.reserveCapacity(payload.count)
        var zeros = 0
        for byte in payload {
            if zeros >= 2 && byte == 3 {
                zeros = 0
                continue
            }
            zeros = byte == 0 ? zeros + 1 : 0
            output.append(byte)
        }
        return output
    }

    package var bitsLeft: Int { bytes.count * 8 - bitOffset }

    package mutating func bit() throws(BitstreamError) -> UInt32 {
        guard bitOffset < bytes.count * 8 else { throw .truncated("bitstream") }
        let value = bytes[bitOffset >> 3] >> (7 - UInt8(bitOffset & 7)) & 1
        bitOffset += 1
        return UInt32(value)
    }

    package mutating func bits(_ count: Int) throws(BitstreamError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<count { value = value << 1 | (try bit()) }
        return value
    }

    package mutating func flag() throws(BitstreamError) -> Bool { try bit() == 1 }

    package mutating func skip(_ count: Int) throws(BitstreamError) {
        guard count <= bitsLeft else { throw .truncated("bitstream") }
        bitOffset += count
    }

    /// ue(v), ITU-T H.264 9.1.
    package mutating func unsignedExpGolomb() throws(BitstreamError) -> UInt32 {
        var leadingZeros = 0
        while try bit() == 0 {
            leadingZeros += 1
            guard leadingZeros < 32 else { throw .invalid("Exp-Golomb code longer than 32 bits") }
        }
        return (UInt32(1) << leadingZeros) - 1 + (try bits(leadingZeros))
    }

    /// se(v), ITU-T H.264 9.1.1.
    package mutating func signedExpGolomb() throws(BitstreamError) -> Int32 {
        let code = try unsignedExpGolomb()
        let magnitude = Int32((code + 1) / 2)
        return code % 2 == 1 ? magnitude : -magnitude
    }
}
