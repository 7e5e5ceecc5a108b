/// Compressed media as an ingest (RTMP today) delivers it: the input of the transcode pipeline.
///
/// Times are the publisher's timeline in milliseconds, already unwrapped from RTMP's 32-bit
/// field into Int64 (so they never wrap). Codec configuration always precedes the frames it
/// describes; a new configuration mid-stream means the decoder must be recreated.
public enum IngestSample: Sendable {
    case videoConfig(VideoDecoderConfig)
    case video(VideoAccessUnit)
    case audioConfig(AudioDecoderConfig)
    case audio(AudioAccessUnit)
}

public enum VideoCodec: String, Sendable, Hashable, Codable, CaseIterable {
    case h264
    case hevc
    case vp9
    case av1
}

public enum AudioCodec: String, Sendable, Hashable, Codable {
    case aac
    /// MPEG-1/2 Audio Layer III (FLV SoundFormat 2, and 14 for 8 kHz): decoded, then encoded to AAC.
    case mp3
    /// Opus over Enhanced RTMP (FourCC `Opus`, OpusHead in the sequence start): decoded, then
    /// encoded to AAC.
    case opus
}

/// The decoder configuration record carried by an FLV/E-RTMP sequence header.
public struct VideoDecoderConfig: Sendable, Hashable {
    public var codec: VideoCodec
    /// AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1) for H.264,
    /// HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 8.3.3.1) for HEVC.
    public var record: [UInt8]

    public init(codec: VideoCodec, record: [UInt8]) {
        self.codec = codec
        self.record = record
    }
}

/// One coded video picture: length-prefixed NAL units (the prefix size comes from the record).
public struct VideoAccessUnit: Sendable {
    /// Decode timestamp, milliseconds.
    public var dts: Int64
    /// Signed composition time offset, milliseconds (FLV CompositionTime, SI24).
    public var compositionOffset: Int32
    /// True for IDR/IRAP pictures (FLV frame type 1).
    public var isKeyframe: Bool
    public var data: [UInt8]

    public var pts: Int64 { dts + Int64(compositionOffset) }

    public init(dts: Int64, compositionOffset: Int32, isKeyframe: Bool, data: [UInt8]) {
        self.dts = dts
        self.compositionOffset = compositionOffset
        self.isKeyframe = isKeyframe
        self.data = data
    }
}

public struct AudioDecoderConfig: Sendable, Hashable {
    public var codec: AudioCodec
    /// AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1) for AAC; OpusHead (RFC 7845 5.1) for Opus;
    /// empty for MP3 (each frame carries its own header, ISO/IEC 11172-3 2.4.1.3).
    public var audioSpecificConfig: [UInt8]

    public init(codec: AudioCodec, audioSpecificConfig: [UInt8]) {
        self.codec = codec
        self.audioSpecificConfig = audioSpecificConfig
    }
}

/// One raw AAC frame (no ADTS header), or MP3 frames as FLV carries them.
public struct AudioAccessUnit: Sendable {
    /// Presentation timestamp, milliseconds.
    public var pts: Int64
    public var data: [UInt8]

    public init(pts: Int64, data: [UInt8]) {
        self.pts = pts
        self.data = data
    }
}
