/// The fields of an H.264 sequence parameter set this project needs (ITU-T H.264 7.3.2.1.1).
public struct H264SequenceParameterSet: Sendable, Hashable {
    public var profileIdc: UInt8
    /// constraint_set0..5 flags and reserved bits, as one byte.
    public var constraintFlags: UInt8
    public var levelIdc: UInt8
    public var chromaFormatIdc: Int
    public var bitDepthLuma: Int
    public var bitDepthChroma: Int
    /// Display size after frame cropping.
    public var width: Int
    public var height: Int
    /// VUI timing (E.2.1): time_scale / (2 * num_units_in_tick), when present.
    public var frameRate: Double?

    /// Parses a whole SPS NAL unit (starting with its NAL header byte).
    public init<C: Collection>(nalUnit: C) throws(BitstreamError) where C.Element == UInt8 {
        let rbsp = BitReader.rbsp(nalUnit)
        guard rbsp.count >= 4 else { throw .truncated("SPS") }
        guard rbsp[0] & 0x1F == H264NALType.sps else { throw .invalid("NAL type \(rbsp[0] & 0x1F) is not an SPS") }
        var reader = BitReader(Array(rbsp.dropFirst()))
        profileIdc = UInt8(try reader.bits(8))
        constraintFlags = UInt8(try reader.bits(8))
        levelIdc = UInt8(try reader.bits(8))
        _ = try reader.unsignedExpGolomb()  // seq_parameter_set_id
        chromaFormatIdc = 1
        bitDepthLuma = 8
        bitDepthChroma = 8
        var separateColourPlanes = false
        if Self.highProfiles.contains(profileIdc) {
            chromaFormatIdc = Int(try reader.unsignedExpGolomb())
            guard chromaFormatIdc <= 3 else { throw .invalid("chroma_format_idc \(chromaFormatIdc)") }
            if chromaFormatIdc == 3 { separateColourPlanes = try reader.flag() }
            bitDepthLuma = Int(try reader.unsignedExpGolomb()) + 8
            bitDepthChroma = Int(try reader.unsignedExpGolomb()) + 8
            guard bitDepthLuma <= 14, bitDepthChroma <= 14 else { throw .invalid("bit depth") }
            try reader.skip(1)  // qpprime_y_zero_transform_bypass_flag
            if try reader.flag() {  // seq_scaling_matrix_present_flag
                for list in 0..<(chromaFormatIdc == 3 ? 12 : 8) where try reader.flag() {
                    try Self.skipScalingList(&reader, size: list < 6 ? 16 : 64)
                }
            }
        }
        _ = try reader.unsignedExpGolomb()  // log2_max_frame_num_minus4
        let pictureOrderCountType = try reader.unsignedExpGolomb()
        if pictureOrderCountType == 0 {
            _ = try reader.unsignedExpGolomb()
        } else if pictureOrderCountType == 1 {
            try reader.skip(1)
            _ = try reader.signedExpGolomb()
            _ = try reader.signedExpGolomb()
            let cycle = try reader.unsignedExpGolomb()
            guard cycle <= 255 else { throw .invalid("num_ref_frames_in_pic_order_cnt_cycle \(cycle)") }
            for _ in 0..<cycle { _ = try reader.signedExpGolomb() }
        }
        _ = try reader.unsignedExpGolomb()  // max_num_ref_frames
        try reader.skip(1)  // gaps_in_frame_num_value_allowed_flag
        let widthInMacroblocks = Int(try reader.unsignedExpGolomb()) + 1
        let heightInMapUnits = Int(try reader.unsignedExpGolomb()) + 1
        let frameMacroblocksOnly = try reader.flag()
        if !frameMacroblocksOnly { try reader.skip(1) }
        try reader.skip(1)  // direct_8x8_inference_flag
        var crop = (left: 0, right: 0, top: 0, bottom: 0)
        if try reader.flag() {
            crop.left = Int(try reader.unsignedExpGolomb())
            crop.right = Int(try reader.unsignedExpGolomb())
            crop.top = Int(try reader.unsignedExpGolomb())
            crop.bottom = Int(try reader.unsignedExpGolomb())
        }
        // Crop units, ITU-T H.264 7.4.2.1.1 (equations 7-19 .. 7-22).
        let arrayType = separateColourPlanes ? 0 : chromaFormatIdc
        let subWidth = arrayType == 1 || arrayType == 2 ? 2 : 1
        let subHeight = arrayType == 1 ? 2 : 1
        let fieldFactor = frameMacroblocksOnly ? 1 : 2
        let cropUnitX = arrayType == 0 ? 1 : subWidth
        let cropUnitY = (arrayType == 0 ? 1 : subHeight) * fieldFactor
        width = widthInMacroblocks * 16 - cropUnitX * (crop.left + crop.right)
        height = fieldFactor * heightInMapUnits * 16 - cropUnitY * (crop.top + crop.bottom)
        guard width > 0, height > 0 else { throw .invalid("cropped size \(width)x\(height)") }
        frameRate = try? reader.parseVUITiming()
    }

    /// profile_idc values whose SPS carries chroma_format_idc (ITU-T H.264 7.3.2.1.1).
    package static let highProfiles: Set<UInt8> = [100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]

    /// scaling_list(), ITU-T H.264 7.3.2.1.1.1.
    private static func skipScalingList(_ reader: inout BitReader, size: Int) throws(BitstreamError) {
        var last: Int32 = 8
        var next: Int32 = 8
        for _ in 0..<size {
            if next != 0 {
                let delta = try reader.signedExpGolomb()
                next = (last + delta + 256) % 256
            }
            last = next == 0 ? last : next
        }
    }

    /// RFC 6381 3.3 codec string: "avc1." + profile_idc, constraint byte, level_idc in hex.
    public var codecString: String {
        avcCodecString(profile: profileIdc, constraints: constraintFlags, level: levelIdc)
    }
}

package func avcCodecString(profile: UInt8, constraints: UInt8, level: UInt8) -> String {
    "avc1." + [profile, constraints, level].map(hexByte).joined()
}

package func hexByte(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
}

extension BitReader {
    /// vui_parameters() up to the timing info (ITU-T H.264 E.1.1); nil when absent.
    fileprivate mutating func parseVUITiming() throws(BitstreamError) -> Double? {
        guard try flag() else { return nil }  // vui_parameters_present_flag
        if try flag() {  // aspect_ratio_info_present_flag
            if try bits(8) == 255 { try skip(32) }  // Extended_SAR: sar_width, sar_height
        }
        if try flag() { try skip(1) }  // overscan_info_present_flag
        if try flag() {  // video_signal_type_present_flag
            try skip(4)
            if try flag() { try skip(24) }
        }
        if try flag() {  // chroma_loc_info_present_flag
            _ = try unsignedExpGolomb()
            _ = try unsignedExpGolomb()
        }
        guard try flag() else { return nil }  // timing_info_present_flag
        let unitsInTick = try bits(32)
        let timeScale = try bits(32)
        guard unitsInTick > 0, timeScale > 0 else { return nil }
        return Double(timeScale) / (2 * Double(unitsInTick))
    }
}
