/// HEVCDecoderConfigurationRecord, ISO/IEC 14496-15 8.3.3.1.
public struct HEVCDecoderConfigurationRecord: Sendable, Hashable {
    /// general_profile_space, general_tier_flag, general_profile_idc (one byte, as in the record).
    public var profileSpace: UInt8
    public var tierFlag: Bool
    public var profileIdc: UInt8
    public var profileCompatibilityFlags: UInt32
    /// general_constraint_indicator_flags, 6 bytes.
    public var constraintIndicatorFlags: [UInt8]
    public var levelIdc: UInt8
    public var chromaFormat: Int
    public var bitDepthLuma: Int
    public var bitDepthChroma: Int
    /// NAL length prefix size in samples (1, 2 or 4).
    public var lengthSize: Int
    /// Parameter set arrays: (NAL unit type, NAL units).
    public var arrays: [(type: UInt8, units: [[UInt8]])]

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.bytes == rhs.bytes }
    public func hash(into hasher: inout Hasher) { hasher.combine(bytes) }

    /// Parses a serialized record.
    public init(bytes: [UInt8]) throws(BitstreamError) {
        guard bytes.count >= 23 else { throw .truncated("hvcC") }
        guard bytes[0] == 1 else { throw .invalid("hvcC configurationVersion \(bytes[0])") }
        profileSpace = bytes[1] >> 6
        tierFlag = bytes[1] & 0x20 != 0
        profileIdc = bytes[1] & 0x1F
        profileCompatibilityFlags = bytes[2...5].reduce(0) { $0 << 8 | UInt32($1) }
        constraintIndicatorFlags = Array(bytes[6...11])
        levelIdc = bytes[12]
        chromaFormat = Int(bytes[16] & 0x03)
        bitDepthLuma = Int(bytes[17] & 0x07) + 8
        bitDepthChroma = Int(bytes[18] & 0x07) + 8
        lengthSize = Int(bytes[21] & 0x03) + 1
        guard lengthSize != 3 else { throw .invalid("hvcC lengthSizeMinusOne 2") }
        var index = 23
        var arrays: [(type: UInt8, units: [[UInt8]])] = []
        for _ in 0..<Int(bytes[22]) {
            guard index + 3 <= bytes.count else { throw .truncated("hvcC array header") }
            let type = bytes[index] & 0x3F
            let count = Int(bytes[index + 1]) << 8 | Int(bytes[index + 2])
            index += 3
            var units: [[UInt8]] = []
            for _ in 0..<count {
                guard index + 2 <= bytes.count else { throw .truncated("hvcC NAL length") }
                let length = Int(bytes[index]) << 8 | Int(bytes[index + 1])
                index += 2
                guard length <= bytes.count - index else { throw .truncated("hvcC NAL unit") }
                units.append(Array(bytes[index..<index + length]))
                index += length
            }
            arrays.append((type, units))
        }
        self.arrays = arrays
    }

    /// Builds a record from VPS, SPS and PPS NAL units (profile, tier and level from the SPS).
    public init(vps: [[UInt8]], sps: [[UInt8]], pps: [[UInt8]]) throws(BitstreamError) {
        guard let first = sps.first, !vps.isEmpty, !pps.isEmpty else { throw .invalid("missing VPS, SPS or PPS") }
        guard (vps + sps + pps).allSatisfy({ $0.count <= 0xFFFF }), vps.count + sps.count + pps.count <= 0xFFFF else {
            throw .invalid("parameter sets too large")
        }
        let rbsp = BitReader.rbsp(first)
        // 2-byte NAL header, 1 byte of ids and sub-layer count, then the 12-byte general
        // profile_tier_level (ITU-T H.265 7.3.2.2.1, 7.3.3).
        guard rbsp.count >= 15 else { throw .truncated("HEVC SPS") }
        profileSpace = rbsp[3] >> 6
        tierFlag = rbsp[3] & 0x20 != 0
        profileIdc = rbsp[3] & 0x1F
        profileCompatibilityFlags = rbsp[4...7].reduce(0) { $0 << 8 | UInt32($1) }
        constraintIndicatorFlags = Array(rbsp[8...13])
        levelIdc = rbsp[14]
        let format = try Self.parseFormat(rbsp)
        chromaFormat = format.chroma
        bitDepthLuma = format.luma
        bitDepthChroma = format.chroma == 0 ? format.luma : format.chromaDepth
        lengthSize = 4
        arrays = [(HEVCNALType.vps, vps), (HEVCNALType.sps, sps), (HEVCNALType.pps, pps)]
    }

    /// Builds a record from an Annex B byte stream holding VPS, SPS and PPS NAL units.
    public init(annexB bytes: [UInt8]) throws(BitstreamError) {
        let all = NALUnits.splitAnnexB(bytes)
        func units(ofType type: UInt8) -> [[UInt8]] {
            all.filter { NALUnits.hevcType($0) == type }.map { Array($0) }
        }
        try self.init(
            vps: units(ofType: HEVCNALType.vps), sps: units(ofType: HEVCNALType.sps),
            pps: units(ofType: HEVCNALType.pps))
    }

    /// chroma_format_idc and bit depths from an SPS RBSP (ITU-T H.265 7.3.2.2.1).
    private static func parseFormat(
        _ rbsp: [UInt8]
    ) throws(BitstreamError) -> (chroma: Int, luma: Int, chromaDepth: Int) {
        var reader = BitReader(Array(rbsp.dropFirst(2)))
        try reader.skip(4)
        let maxSubLayersMinus1 = Int(try reader.bits(3))
        try reader.skip(1 + 96)  // temporal_id_nesting_flag, general profile_tier_level
        var profilePresent: [Bool] = []
        var levelPresent: [Bool] = []
        for _ in 0..<maxSubLayersMinus1 {
            profilePresent.append(try reader.flag())
            levelPresent.append(try reader.flag())
        }
        if maxSubLayersMinus1 > 0 { try reader.skip(2 * (8 - maxSubLayersMinus1)) }
        for layer in 0..<maxSubLayersMinus1 {
            if profilePresent[layer] { try reader.skip(88) }
            if levelPresent[layer] { try reader.skip(8) }
        }
        _ = try reader.unsignedExpGolomb()  // sps_seq_parameter_set_id
        let chroma = Int(try reader.unsignedExpGolomb())
        guard chroma <= 3 else { throw .invalid("chroma_format_idc \(chroma)") }
        if chroma == 3 { try reader.skip(1) }
        _ = try reader.unsignedExpGolomb()  // pic_width_in_luma_samples
        _ = try reader.unsignedExpGolomb()  // pic_height_in_luma_samples
        if try reader.flag() {
            for _ in 0..<4 { _ = try reader.unsignedExpGolomb() }  // conformance window
        }
        let luma = Int(try reader.unsignedExpGolomb()) + 8
        let chromaDepth = Int(try reader.unsignedExpGolomb()) + 8
        guard luma <= 16, chromaDepth <= 16 else { throw .invalid("bit depth") }
        return (chroma, luma, chromaDepth)
    }

    public var bytes: [UInt8] {
        var output: [UInt8] = [1, profileSpace << 6 | (tierFlag ? 0x20 : 0) | profileIdc]
        for shift in stride(from: 24, through: 0, by: -8) {
            output.append(UInt8(profileCompatibilityFlags >> shift & 0xFF))
        }
        output.append(contentsOf: constraintIndicatorFlags.prefix(6))
        output.append(contentsOf: [UInt8](repeating: 0, count: 6 - min(6, constraintIndicatorFlags.count)))
        output.append(levelIdc)
        output.append(contentsOf: [0xF0, 0x00, 0xFC])  // min_spatial_segmentation_idc 0, parallelismType 0
        output.append(0xFC | UInt8(chromaFormat & 3))
        output.append(0xF8 | UInt8((bitDepthLuma - 8) & 7))
        output.append(0xF8 | UInt8((bitDepthChroma - 8) & 7))
        output.append(contentsOf: [0, 0])  // avgFrameRate unknown
        // constantFrameRate 0, numTemporalLayers 0 (unknown), temporalIdNested 0.
        output.append(UInt8(lengthSize - 1))
        output.append(UInt8(arrays.count))
        for array in arrays {
            output.append(0x80 | array.type)  // array_completeness: all parameter sets are here
            output.append(contentsOf: [UInt8(array.units.count >> 8), UInt8(array.units.count & 0xFF)])
            for unit in array.units {
                output.append(contentsOf: [UInt8(unit.count >> 8), UInt8(unit.count & 0xFF)])
                output.append(contentsOf: unit)
            }
        }
        return output
    }

    /// ISO/IEC 14496-15 E.3 codec string, e.g. "hvc1.1.6.L93.B0".
    public var codecString: String {
        let space = ["", "A", "B", "C"][Int(profileSpace & 3)]
        var reversed: UInt32 = 0
        for bit in 0..<32 where profileCompatibilityFlags & (1 << bit) != 0 { reversed |= 1 << (31 - bit) }
        var parts = [
            "hvc1", "\(space)\(profileIdc)", String(reversed, radix: 16, uppercase: true),
            "\(tierFlag ? "H" : "L")\(levelIdc)",
        ]
        var constraints = constraintIndicatorFlags
        while let last = constraints.last, last == 0 { constraints.removeLast() }
        parts.append(contentsOf: constraints.map { hexByte($0).uppercased() })
        return parts.joined(separator: ".")
    }
}
