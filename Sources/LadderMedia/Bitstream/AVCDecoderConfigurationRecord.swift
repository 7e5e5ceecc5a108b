/// AVCDecoderConfigurationRecord, ISO/IEC 14496-15 5.3.3.1.
public struct AVCDecoderConfigurationRecord: Sendable, Hashable {
    public var profileIdc: UInt8
    public var profileCompatibility: UInt8
    public var levelIdc: UInt8
    /// NAL length prefix size in samples (1, 2 or 4).
    public var lengthSize: Int
    public var sequenceParameterSets: [[UInt8]]
    public var pictureParameterSets: [[UInt8]]
    /// The high-profile extension fields (5.3.3.1.1), present when profile_idc needs them.
    public var chromaFormat: Int
    public var bitDepthLuma: Int
    public var bitDepthChroma: Int

    /// Builds the record from SPS and PPS NAL units (the first SPS gives profile and level).
    public init(sequenceParameterSets: [[UInt8]], pictureParameterSets: [[UInt8]]) throws(BitstreamError) {
        guard let first = sequenceParameterSets.first else { throw .invalid("no SPS") }
        guard !pictureParameterSets.isEmpty else { throw .invalid("no PPS") }
        guard sequenceParameterSets.count <= 31, pictureParameterSets.count <= 255 else {
            throw .invalid("too many parameter sets")
        }
        guard (sequenceParameterSets + pictureParameterSets).allSatisfy({ $0.count <= 0xFFFF }) else {
            throw .invalid("parameter set larger than 65535 bytes")
        }
        let sps = try H264SequenceParameterSet(nalUnit: first)
        profileIdc = sps.profileIdc
        profileCompatibility = sps.constraintFlags
        levelIdc = sps.levelIdc
        lengthSize = 4
        self.sequenceParameterSets = sequenceParameterSets
        self.pictureParameterSets = pictureParameterSets
        chromaFormat = sps.chromaFormatIdc
        bitDepthLuma = sps.bitDepthLuma
        bitDepthChroma = sps.bitDepthChroma
    }

    /// Builds the record from an Annex B byte stream holding (at least) an SPS and a PPS.
    public init(annexB bytes: [UInt8]) throws(BitstreamError) {
        let units = NALUnits.splitAnnexB(bytes)
        try self.init(
            sequenceParameterSets: units.filter { NALUnits.h264Type($0) == H264NALType.sps }.map { Array($0) },
            pictureParameterSets: units.filter { NALUnits.h264Type($0) == H264NALType.pps }.map { Array($0) })
    }

    /// Parses a serialized record.
    public init(bytes: [UInt8]) throws(BitstreamError) {
        guard bytes.count >= 7 else { throw .truncated("avcC") }
        guard bytes[0] == 1 else { throw .invalid("avcC configurationVersion \(bytes[0])") }
        profileIdc = bytes[1]
        profileCompatibility = bytes[2]
        levelIdc = bytes[3]
        lengthSize = Int(bytes[4] & 0x03) + 1
        guard lengthSize != 3 else { throw .invalid("avcC lengthSizeMinusOne 2") }
        var index = 6
        func parameterSets(count: Int) throws(BitstreamError) -> [[UInt8]] {
            var sets: [[UInt8]] = []
            for _ in 0..<count {
                guard index + 2 <= bytes.count else { throw .truncated("avcC parameter set length") }
                let length = Int(bytes[index]) << 8 | Int(bytes[index + 1])
                index += 2
                guard length <= bytes.count - index else { throw .truncated("avcC parameter set") }
                sets.append(Array(bytes[index..<index + length]))
                index += length
            }
            return sets
        }
        sequenceParameterSets = try parameterSets(count: Int(bytes[5] & 0x1F))
        guard index < bytes.count else { throw .truncated("avcC numOfPictureParameterSets") }
        let ppsCount = Int(bytes[index])
        index += 1
        pictureParameterSets = try parameterSets(count: ppsCount)
        chromaFormat = 1
        bitDepthLuma = 8
        bitDepthChroma = 8
        if H264SequenceParameterSet.highProfiles.contains(profileIdc), index + 4 <= bytes.count {
            chromaFormat = Int(bytes[index] & 0x03)
            bitDepthLuma = Int(bytes[index + 1] & 0x07) + 8
            bitDepthChroma = Int(bytes[index + 2] & 0x07) + 8
        }
    }

    /// The serialized record (4-byte NAL lengths are what this project writes).
    public var bytes: [UInt8] {
        var output: [UInt8] = [1, profileIdc, profileCompatibility, levelIdc, 0xFC | UInt8(lengthSize - 1)]
        output.append(0xE0 | UInt8(sequenceParameterSets.count))
        for sps in sequenceParameterSets {
            output.append(contentsOf: [UInt8(sps.count >> 8), UInt8(sps.count & 0xFF)])
            output.append(contentsOf: sps)
        }
        output.append(UInt8(pictureParameterSets.count))
        for pps in pictureParameterSets {
            output.append(contentsOf: [UInt8(pps.count >> 8), UInt8(pps.count & 0xFF)])
            output.append(contentsOf: pps)
        }
        if H264SequenceParameterSet.highProfiles.contains(profileIdc) {
            output.append(0xFC | UInt8(chromaFormat & 0x03))
            output.append(0xF8 | UInt8((bitDepthLuma - 8) & 0x07))
            output.append(0xF8 | UInt8((bitDepthChroma - 8) & 0x07))
            output.append(0)  // numOfSequenceParameterSetExt
        }
        return output
    }

    /// RFC 6381 3.3: "avc1.PPCCLL" from the record's profile, compatibility and level bytes.
    public var codecString: String {
        avcCodecString(profile: profileIdc, constraints: profileCompatibility, level: levelIdc)
    }
}
