/// An encoder's output as a CMAF track carries it: the decoder configuration record and the
/// RFC 6381 codec string, both read from the real bitstream headers (never from the profile),
/// and each packet turned into a sample.
public struct VideoSampleFormat: Sendable, Hashable {
    public var codec: VideoCodec
    /// avcC, hvcC, vpcC payload or av1C (`TrackDescription.decoderConfig`).
    public var decoderConfig: [UInt8]
    public var codecString: String
    /// H.264 only: SPS and PPS, repeated in-band before each IDR (see `sample`).
    private var parameterSets: [[UInt8]] = []

    /// `header`: the encoder's global header (H.264/HEVC parameter sets in Annex B, AV1 OBUs or
    /// av1C); for VP9, which has none, a key frame. `frameRate` and `bitrate` give the VP9 level.
    public init(codec: VideoCodec, header: [UInt8], frameRate: Double, bitrate: Int) throws(BitstreamError) {
        self.codec = codec
        switch codec {
        case .h264:
            let record = try AVCDecoderConfigurationRecord(annexB: header)
            decoderConfig = record.bytes
            codecString = record.codecString
            parameterSets = record.sequenceParameterSets + record.pictureParameterSets
        case .hevc:
            let record = try HEVCDecoderConfigurationRecord(annexB: header)
            decoderConfig = record.bytes
            codecString = record.codecString
        case .vp9:
            let record = VPCodecConfigurationRecord(
                header: try VP9KeyFrameHeader(frame: header), frameRate: frameRate, bitrate: bitrate)
            decoderConfig = record.bytes
            codecString = record.codecString
        case .av1:
            let record = try AV1CodecConfigurationRecord(header)
            decoderConfig = record.bytes
            codecString = record.codecString
        }
    }

    /// A packet as the track's sample.
    /// - H.264: length-prefixed NAL units. The parameter sets live in avcC and are also repeated
    ///   in-band before each IDR (identical copies, ISO/IEC 14496-15 5.3.2), so players that keep
    ///   the first init segment across an EXT-X-DISCONTINUITY (ffmpeg's HLS reader) still decode
    ///   a rung whose size changed after a publisher reconnect.
    /// - HEVC: length-prefixed, parameter sets only in hvcC (`hvc1`, ISO/IEC 14496-15 8.4.1.1).
    /// - VP9: the frame as it is (VP-ISOBMFF 3).
    /// - AV1: the temporal unit without temporal delimiters or padding (AV1-ISOBMFF 2.4).
    public func sample(fromPacket bytes: [UInt8], isKeyframe: Bool) throws(BitstreamError) -> [UInt8] {
        switch codec {
        case .h264:
            var units = NALUnits.splitAnnexB(bytes).filter { unit in
                let type = NALUnits.h264Type(unit)
                return type != H264NALType.sps && type != H264NALType.pps && type != H264NALType.accessUnitDelimiter
            }
            if isKeyframe { units = parameterSets.map { $0[...] } + units }
            return NALUnits.lengthPrefixed(units)
        case .hevc:
            return NALUnits.lengthPrefixed(
                NALUnits.splitAnnexB(bytes).filter { unit in
                    !(HEVCNALType.vps...HEVCNALType.accessUnitDelimiter).contains(NALUnits.hevcType(unit) ?? 0)
                })
        case .vp9:
            return bytes
        case .av1:
            return try AV1OBUs.sample(fromTemporalUnit: bytes)
        }
    }
}
