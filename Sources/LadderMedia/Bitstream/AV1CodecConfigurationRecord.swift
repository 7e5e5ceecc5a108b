/// AV1 Open Bitstream Units (AV1 specification 5.3) in the low-overhead format, where every OBU
/// carries its size.
public enum AV1OBUs {
    public static let sequenceHeader: UInt8 = 1
    public static let temporalDelimiter: UInt8 = 2
    public static let padding: UInt8 = 15

    public struct Unit: Sendable, Hashable {
        public var type: UInt8
        /// The whole OBU: header, size field and payload.
        public var bytes: ArraySlice<UInt8>
        /// Just the payload.
        public var payload: ArraySlice<UInt8>
    }

    /// Splits a temporal unit (or a run of OBUs) into its units; every OBU must have a size
    /// field (obu_has_size_field), as encoders and AV1-ISOBMFF 2.4 require.
    public static func split(_ data: [UInt8]) throws(BitstreamError) -> [Unit] {
        var units: [Unit] = []
        var offset = 0
        while offset < data.count {
            let header = data[offset]
            guard header & 0x80 == 0 else { throw .invalid("AV1 obu_forbidden_bit set") }
            guard header & 0x02 != 0 else { throw .invalid("AV1 OBU without obu_has_size_field") }
            var cursor = offset + 1 + (header & 0x04 != 0 ? 1 : 0)  // obu_extension_flag
            let size = try leb128(data, at: &cursor)
            guard size <= data.count - cursor else { throw .truncated("AV1 OBU of \(size) bytes") }
            let end = cursor + size
            units.append(Unit(type: header >> 3 & 0x0F, bytes: data[offset..<end], payload: data[cursor..<end]))
            offset = end
        }
        return units
    }

    /// A sample as AV1-ISOBMFF 2.4 wants it: the temporal unit without temporal delimiters
    /// or padding OBUs.
    public static func sample(fromTemporalUnit data: [UInt8]) throws(BitstreamError) -> [UInt8] {
        let units = try split(data)
        guard units.contains(where: { $0.type == temporalDelimiter || $0.type == padding }) else { return data }
        var output: [UInt8] = []
        output.reserveCapacity(data.count)
        for unit in units where unit.type != temporalDelimiter && unit.type != padding {
            output.append(contentsOf: unit.bytes)
        }
        return output
    }

    /// leb128() (AV1 specification 4.10.5), at most 8 bytes.
    static func leb128(_ data: [UInt8], at cursor: inout Int) throws(BitstreamError) -> Int {
        var value = 0
        for index in 0..<8 {
            guard cursor < data.count else { throw .truncated("AV1 leb128 size") }
            let byte = data[cursor]
            cursor += 1
            value |= Int(byte & 0x7F) << (index * 7)
            if byte & 0x80 == 0 { return value }
        }
        throw .invalid("AV1 leb128 longer than 8 bytes")
    }
}

/// The fields of an AV1 sequence header OBU (AV1 specification 5.5) that `av1C` and the codec
/// string repeat.
public struct AV1SequenceHeader: Sendable, Hashable {
    public var profile: Int
    public var level: Int
    public var tier: Int
    public var bitDepth: Int
    public var monochrome: Bool
    public var subsamplingX: Bool
    public var subsamplingY: Bool
    public var chromaSamplePosition: Int
    public var colorDescription: (primaries: Int, transfer: Int, matrix: Int)?
    public var fullRange: Bool

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.profile == rhs.profile && lhs.level == rhs.level && lhs.tier == rhs.tier && lhs.bitDepth == rhs.bitDepth
            && lhs.monochrome == rhs.monochrome && lhs.subsamplingX == rhs.subsamplingX
            && lhs.subsamplingY == rhs.subsamplingY && lhs.fullRange == rhs.fullRange
    }
    public func hash(into hasher: inout Hasher) { hasher.combine([profile, level, tier, bitDepth]) }

    /// Parses a sequence_header_obu() payload.
    public init(payload: ArraySlice<UInt8>) throws(BitstreamError) {
        var reader = BitReader(Array(payload))
        profile = Int(try reader.bits(3))
        guard profile <= 2 else { throw .invalid("AV1 seq_profile \(profile)") }
        try reader.skip(1)  // still_picture
        let reduced = try reader.flag()
        tier = 0
        if reduced {
            level = Int(try reader.bits(5))
        } else {
            var bufferDelayLength = 0
            var decoderModelInfo = false
            if try reader.flag() {  // timing_info_present_flag (5.5.3)
                try reader.skip(64)
                if try reader.flag() { _ = try Self.uvlc(&reader) }  // equal_picture_interval
                decoderModelInfo = try reader.flag()
                if decoderModelInfo {  // decoder_model_info (5.5.4)
                    bufferDelayLength = Int(try reader.bits(5)) + 1
                    try reader.skip(32 + 5 + 5)
                }
            }
            let initialDisplayDelay = try reader.flag()
            let operatingPoints = Int(try reader.bits(5)) + 1
            level = 0
            for index in 0..<operatingPoints {
                try reader.skip(12)  // operating_point_idc
                let pointLevel = Int(try reader.bits(5))
                let pointTier = pointLevel > 7 ? Int(try reader.bits(1)) : 0
                if index == 0 {
                    level = pointLevel
                    tier = pointTier
                }
                if decoderModelInfo, try reader.flag() { try reader.skip(2 * bufferDelayLength + 1) }
                if initialDisplayDelay, try reader.flag() { try reader.skip(4) }
            }
        }
        let widthBits = Int(try reader.bits(4)) + 1
        let heightBits = Int(try reader.bits(4)) + 1
        try reader.skip(widthBits + heightBits)
        var orderHint = false
        if !reduced {
            if try reader.flag() { try reader.skip(4 + 3) }  // frame_id_numbers_present_flag
        }
        try reader.skip(3)  // use_128x128_superblock, enable_filter_intra, enable_intra_edge_filter
        if !reduced {
            try reader.skip(4)  // interintra, masked compound, warped motion, dual filter
            orderHint = try reader.flag()
            if orderHint { try reader.skip(2) }  // enable_jnt_comp, enable_ref_frame_mvs
            let screenContent = try reader.flag() ? 2 : Int(try reader.bits(1))
            if screenContent > 0, !(try reader.flag()) { try reader.skip(1) }  // seq_force_integer_mv
            if orderHint { try reader.skip(3) }
        }
        try reader.skip(3)  // enable_superres, enable_cdef, enable_restoration
        // color_config (5.5.2)
        let highBitDepth = try reader.flag()
        bitDepth = profile == 2 && highBitDepth ? (try reader.flag() ? 12 : 10) : (highBitDepth ? 10 : 8)
        monochrome = profile == 1 ? false : try reader.flag()
        if try reader.flag() {
            colorDescription = (Int(try reader.bits(8)), Int(try reader.bits(8)), Int(try reader.bits(8)))
        } else {
            colorDescription = nil
        }
        chromaSamplePosition = 0
        if monochrome {
            fullRange = try reader.flag()
            subsamplingX = true
            subsamplingY = true
        } else if let colors = colorDescription, colors == (1, 13, 0) {
            fullRange = true  // sRGB
            subsamplingX = false
            subsamplingY = false
        } else {
            fullRange = try reader.flag()
            switch profile {
            case 0: (subsamplingX, subsamplingY) = (true, true)
            case 1: (subsamplingX, subsamplingY) = (false, false)
            default:
                if bitDepth == 12 {
                    subsamplingX = try reader.flag()
                    subsamplingY = subsamplingX ? try reader.flag() : false
                } else {
                    (subsamplingX, subsamplingY) = (true, false)
                }
            }
            if subsamplingX && subsamplingY { chromaSamplePosition = Int(try reader.bits(2)) }
        }
    }

    /// uvlc() (4.10.3).
    private static func uvlc(_ reader: inout BitReader) throws(BitstreamError) -> UInt32 {
        var leadingZeros = 0
        while try !reader.flag() {
            leadingZeros += 1
            guard leadingZeros < 32 else { return UInt32.max }
        }
        return (UInt32(1) << leadingZeros) - 1 + (try reader.bits(leadingZeros))
    }
}

/// AV1CodecConfigurationRecord (`av1C`, AV1-ISOBMFF 2.3) and the codec string of its Annex A:
/// `av01.P.LLT.DD`.
public struct AV1CodecConfigurationRecord: Sendable, Hashable {
    public var header: AV1SequenceHeader
    /// The sequence header OBU, whole (configOBUs).
    public var sequenceHeaderOBU: [UInt8]

    /// From OBUs holding a sequence header (an encoder's extradata or a key frame's temporal
    /// unit), or from an `av1C` record (marker bit set, then the OBUs).
    public init(_ data: [UInt8]) throws(BitstreamError) {
        let obus = data.first.map { $0 & 0x80 != 0 } ?? false ? Array(data.dropFirst(4)) : data
        if data.first.map({ $0 & 0x80 != 0 }) ?? false {
            guard data.count >= 4, data[0] == 0x81 else { throw .invalid("av1C marker/version is not 1/1") }
        }
        guard let unit = try AV1OBUs.split(obus).first(where: { $0.type == AV1OBUs.sequenceHeader }) else {
            throw .invalid("no AV1 sequence header OBU")
        }
        header = try AV1SequenceHeader(payload: unit.payload)
        sequenceHeaderOBU = Array(unit.bytes)
    }

    /// The box payload (2.3.3).
    public var bytes: [UInt8] {
        let second = UInt8(header.profile << 5 | header.level)
        var third = UInt8(header.tier << 7)
        if header.bitDepth > 8 { third |= 0x40 }
        if header.bitDepth == 12 { third |= 0x20 }
        if header.monochrome { third |= 0x10 }
        if header.subsamplingX { third |= 0x08 }
        if header.subsamplingY { third |= 0x04 }
        third |= UInt8(header.chromaSamplePosition & 3)
        return [0x81, second, third, 0] + sequenceHeaderOBU
    }

    /// Annex A: profile, two-digit level with the tier letter, two-digit bit depth ("av01.0.04M.08").
    public var codecString: String {
        let level = header.level < 10 ? "0\(header.level)" : "\(header.level)"
        let depth = header.bitDepth < 10 ? "0\(header.bitDepth)" : "\(header.bitDepth)"
        return "av01.\(header.profile).\(level)\(header.tier == 1 ? "H" : "M").\(depth)"
    }
}
