/// The VP9 facts a container needs, read from a key frame's uncompressed header (VP9 bitstream
/// specification 6.2: frame_marker, profile, frame_sync_code, color_config, frame_size).
public struct VP9KeyFrameHeader: Sendable, Hashable {
    public var profile: Int
    public var bitDepth: Int
    /// VP9 color_space (spec 7.2.2): 0 unknown, 1 BT.601, 2 BT.709, 3 SMPTE-170, 4 SMPTE-240,
    /// 5 BT.2020, 7 sRGB.
    public var colorSpace: Int
    public var fullRange: Bool
    public var subsamplingX: Bool
    public var subsamplingY: Bool
    public var width: Int
    public var height: Int

    /// Parses the first frame of `frame` (a superframe's first frame is its first bytes). Throws
    /// when the frame is not a key frame or its header is cut short.
    public init(frame: [UInt8]) throws(BitstreamError) {
        var reader = BitReader(frame)
        guard try reader.bits(2) == 2 else { throw .invalid("VP9 frame_marker is not 2") }
        let low = try reader.bits(1)
        let high = try reader.bits(1)
        profile = Int(high << 1 | low)
        if profile == 3 { try reader.skip(1) }  // reserved_zero
        guard try !reader.flag() else { throw .invalid("VP9 show_existing_frame: not a key frame") }
        guard try reader.bits(1) == 0 else { throw .invalid("VP9 frame_type is not KEY_FRAME") }
        try reader.skip(2)  // show_frame, error_resilient_mode
        guard try reader.bits(24) == 0x49_8342 else { throw .invalid("VP9 frame_sync_code mismatch") }
        bitDepth = profile >= 2 ? (try reader.flag() ? 12 : 10) : 8
        colorSpace = Int(try reader.bits(3))
        if colorSpace != 7 {
            fullRange = try reader.flag()
            if profile == 1 || profile == 3 {
                subsamplingX = try reader.flag()
                subsamplingY = try reader.flag()
                try reader.skip(1)
            } else {
                subsamplingX = true
                subsamplingY = true
            }
        } else {
            // sRGB (spec 7.2.2): 4:4:4, full range; only profiles 1 and 3 allow it.
            fullRange = true
            subsamplingX = false
            subsamplingY = false
            if profile == 1 || profile == 3 { try reader.skip(1) }
        }
        width = Int(try reader.bits(16)) + 1
        height = Int(try reader.bits(16)) + 1
    }
}

/// VPCodecConfigurationRecord (`vpcC`, VP Codec ISO Media File Format Binding 2.2) and the codec
/// string of its section 5: `vp09.PP.LL.DD`.
public struct VPCodecConfigurationRecord: Sendable, Hashable {
    public var profile: Int
    /// VP9 level times ten (10 = 1, 21 = 2.1, ... 62 = 6.2); Annex A of the VP9 specification.
    public var level: Int
    public var bitDepth: Int
    /// 0: 4:2:0 vertical (chroma beside the left luma sample), 1: 4:2:0 colocated, 2: 4:2:2, 3: 4:4:4.
    public var chromaSubsampling: Int
    public var fullRange: Bool
    /// ISO/IEC 23091-2 code points.
    public var colourPrimaries: Int
    public var transferCharacteristics: Int
    public var matrixCoefficients: Int

    /// From a key frame's header, with the level the stream needs for its picture rate and bitrate.
    public init(header: VP9KeyFrameHeader, frameRate: Double, bitrate: Int) {
        profile = header.profile
        bitDepth = header.bitDepth
        fullRange = header.fullRange
        chromaSubsampling = header.subsamplingX ? (header.subsamplingY ? 0 : 2) : 3
        level = Self.level(width: header.width, height: header.height, frameRate: frameRate, bitrate: bitrate)
        // color_space -> ISO/IEC 23091-2 MatrixCoefficients; primaries and transfer are not coded.
        matrixCoefficients = [0: 2, 1: 6, 2: 1, 3: 6, 4: 7, 5: 9, 6: 2, 7: 0][header.colorSpace] ?? 2
        colourPrimaries = matrixCoefficients == 1 ? 1 : 2
        transferCharacteristics = matrixCoefficients == 1 ? 1 : 2
    }

    /// Parses a `vpcC` payload (version 1 FullBox body included).
    public init(bytes: [UInt8]) throws(BitstreamError) {
        guard bytes.count >= 12 else { throw .truncated("vpcC (\(bytes.count) of 12 bytes)") }
        guard bytes[0] == 1 else { throw .invalid("vpcC version \(bytes[0]), expected 1") }
        profile = Int(bytes[4])
        level = Int(bytes[5])
        bitDepth = Int(bytes[6] >> 4)
        chromaSubsampling = Int(bytes[6] >> 1 & 7)
        fullRange = bytes[6] & 1 == 1
        colourPrimaries = Int(bytes[7])
        transferCharacteristics = Int(bytes[8])
        matrixCoefficients = Int(bytes[9])
        guard profile <= 3, [8, 10, 12].contains(bitDepth), chromaSubsampling <= 3 else {
            throw .invalid("vpcC profile \(profile), bit depth \(bitDepth), subsampling \(chromaSubsampling)")
        }
        let initializationSize = Int(bytes[10]) << 8 | Int(bytes[11])
        guard initializationSize == 0 else { throw .invalid("vpcC codecInitializationData must be empty for VP9") }
    }

    /// The box payload: version 1, flags 0, then the record (2.2).
    public var bytes: [UInt8] {
        [
            1, 0, 0, 0, UInt8(profile), UInt8(level),
            UInt8(bitDepth << 4 | chromaSubsampling << 1 | (fullRange ? 1 : 0)),
            UInt8(colourPrimaries), UInt8(transferCharacteristics), UInt8(matrixCoefficients), 0, 0,
        ]
    }

    /// Section 5: the mandatory fields, two digits each ("vp09.00.21.08").
    public var codecString: String {
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "vp09.\(two(profile)).\(two(level)).\(two(bitDepth))"
    }

    /// VP9 levels (specification Annex A): luma samples per second, luma picture size, bitrate
    /// in kbit/s. The first level that holds all three.
    static let levels: [(level: Int, sampleRate: Double, pictureSize: Int, kbps: Int)] = [
        (10, 829_440, 36_864, 200), (11, 2_764_800, 73_728, 800), (20, 4_608_000, 122_880, 1_800),
        (21, 9_216_000, 245_760, 3_600), (30, 20_736_000, 552_960, 7_200), (31, 36_864_000, 983_040, 12_000),
        (40, 83_558_400, 2_228_224, 18_000), (41, 160_432_128, 2_228_224, 30_000),
        (50, 311_951_360, 8_912_896, 60_000), (51, 588_251_136, 8_912_896, 120_000),
        (52, 1_176_502_272, 8_912_896, 180_000), (60, 1_176_502_272, 35_651_584, 180_000),
        (61, 2_353_004_544, 35_651_584, 240_000), (62, 4_706_009_088, 35_651_584, 480_000),
    ]

    public static func level(width: Int, height: Int, frameRate: Double, bitrate: Int) -> Int {
        let size = width * height
        let rate = Double(size) * max(1, frameRate)
        let kbps = bitrate / 1000
        return levels.first { rate <= $0.sampleRate && size <= $0.pictureSize && kbps <= $0.kbps }?.level ?? 62
    }
}
