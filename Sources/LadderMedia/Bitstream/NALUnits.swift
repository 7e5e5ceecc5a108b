/// NAL unit framing: Annex B byte streams (ITU-T H.264 Annex B) and the length-prefixed
/// form MP4/FLV use (ISO/IEC 14496-15 5.3.2).
public enum NALUnits {
    /// The NAL units of an Annex B byte stream (start codes 00 00 01 / 00 00 00 01 removed,
    /// trailing_zero_8bits trimmed). Bytes before the first start code are ignored.
    public static func splitAnnexB(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var units: [ArraySlice<UInt8>] = []
        var unitStart: Int? = nil
        var index = 0
        let count = bytes.count
        while index + 2 < count {
            if bytes[index] == 0, bytes[index + 1] == 0, bytes[index + 2] == 1 {
                if let start = unitStart { units.append(trimmingTrailingZeros(bytes[start..<index])) }
                index += 3
                unitStart = index
            } else {
                index += 1
            }
        }
        if let start = unitStart, start < count { units.append(trimmingTrailingZeros(bytes[start..<count])) }
        return units.filter { !$0.isEmpty }
    }

    private static func trimmingTrailingZeros(_ unit: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var end = unit.endIndex
        while end > unit.startIndex, unit[end - 1] == 0 { end -= 1 }
        return unit[unit.startIndex..<end]
    }

    /// True when `bytes` starts with an Annex B start code.
    public static func isAnnexB(_ bytes: [UInt8]) -> Bool {
        if bytes.count >= 4, bytes[0] == 0, bytes[1] == 0, bytes[2] == 0, bytes[3] == 1 { return true }
        return bytes.count >= 3 && bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 1
    }

    /// The NAL units of a length-prefixed access unit; throws when a length runs past the end.
    public static func splitLengthPrefixed(
        _ bytes: [UInt8], lengthSize: Int = 4
    ) throws(BitstreamError) -> [ArraySlice<UInt8>] {
        guard (1...4).contains(lengthSize) else { throw .invalid("NAL length size \(lengthSize)") }
        var units: [ArraySlice<UInt8>] = []
        var index = 0
        while index < bytes.count {
            guard index + lengthSize <= bytes.count else { throw .truncated("NAL length") }
            var length = 0
            for offset in 0..<lengthSize { length = length << 8 | Int(bytes[index + offset]) }
            index += lengthSize
            guard length <= bytes.count - index else { throw .truncated("NAL unit of \(length) bytes") }
            units.append(bytes[index..<index + length])
            index += length
        }
        return units
    }

    /// Joins NAL units with 4-byte big-endian length prefixes.
    public static func lengthPrefixed<S: Sequence>(_ units: S) -> [UInt8] where S.Element == ArraySlice<UInt8> {
        var output: [UInt8] = []
        for unit in units {
            let length = UInt32(truncatingIfNeeded: unit.count)
            output.append(contentsOf: [
                UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF),
            ])
            output.append(contentsOf: unit)
        }
        return output
    }

    /// H.264 nal_unit_type (ITU-T H.264 7.3.1).
    public static func h264Type(_ unit: ArraySlice<UInt8>) -> UInt8? { unit.first.map { $0 & 0x1F } }

    /// HEVC nal_unit_type (ITU-T H.265 7.3.1.2).
    public static func hevcType(_ unit: ArraySlice<UInt8>) -> UInt8? { unit.first.map { ($0 >> 1) & 0x3F } }
}

/// H.264 NAL unit types used here (ITU-T H.264 Table 7-1).
public enum H264NALType {
    public static let nonIDRSlice: UInt8 = 1
    public static let idrSlice: UInt8 = 5
    public static let sei: UInt8 = 6
    public static let sps: UInt8 = 7
    public static let pps: UInt8 = 8
    public static let accessUnitDelimiter: UInt8 = 9
}

/// HEVC NAL unit types used here (ITU-T H.265 Table 7-1).
public enum HEVCNALType {
    public static let vps: UInt8 = 32
    public static let sps: UInt8 = 33
    public static let pps: UInt8 = 34
    public static let accessUnitDelimiter: UInt8 = 35
    /// IRAP pictures are types 16...23 (BLA, IDR, CRA).
    public static let irapRange: ClosedRange<UInt8> = 16...23
}
