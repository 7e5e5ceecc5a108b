/// What the transcode pipeline hands to packaging: per track (one per video rung plus one
/// audio track), a description and encoded samples in the track's own timescale.

public enum TrackCodec: String, Sendable, Hashable, Codable {
    case h264
    case hevc
    case vp9
    case av1
    case aac

    public init(_ video: VideoCodec) {
        switch video {
        case .h264: self = .h264
        case .hevc: self = .hevc
        case .vp9: self = .vp9
        case .av1: self = .av1
        }
    }
}

public struct TrackDescription: Sendable, Hashable {
    public enum Media: Sendable, Hashable {
        /// `sampleAspect` is the pixel aspect ratio (1:1 for square pixels).
        case video(width: Int, height: Int, frameRate: Double?, sampleAspectNum: Int, sampleAspectDen: Int)
        case audio(sampleRate: Int, channels: Int)
    }

    /// Rendition name from the profile ("720p", "audio"); used in URLs.
    public var name: String
    public var media: Media
    public var codec: TrackCodec
    /// RFC 6381 codec string taken from the real bitstream, e.g. "avc1.64001f", "mp4a.40.2".
    public var codecString: String
    /// Units per second of every time in `EncodedSample` for this track
    /// (90000 or a frame-rate multiple for video; the sample rate for audio).
    public var timescale: Int
    /// avcC / hvcC record (ISO/IEC 14496-15), vpcC payload (VP-ISOBMFF 2.2), av1C record
    /// (AV1-ISOBMFF 2.3) or AudioSpecificConfig (ISO/IEC 14496-3).
    public var decoderConfig: [UInt8]
    /// Configured target (average) bitrate, bits per second (nil for passthrough).
    public var targetBitrate: Int?
    /// Configured peak: the encoder's VBV maxrate, bits per second (nil: unknown or passthrough).
    /// What RFC 8216 4.3.4.2 BANDWIDTH states until a peak has been measured.
    public var peakBitrate: Int?

    public init(
        name: String, media: Media, codec: TrackCodec, codecString: String, timescale: Int,
        decoderConfig: [UInt8], targetBitrate: Int?, peakBitrate: Int? = nil
    ) {
        self.peakBitrate = peakBitrate
        self.name = name
        self.media = media
        self.codec = codec
        self.codecString = codecString
        self.timescale = timescale
        self.decoderConfig = decoderConfig
        self.targetBitrate = targetBitrate
    }

    /// The peak to announce before one is measured: the configured peak, else the target.
    public var announcedPeakBitrate: Int? { peakBitrate ?? targetBitrate }

    public var isVideo: Bool {
        if case .video = media { return true }
        return false
    }
}

public struct EncodedSample: Sendable {
    /// Decode time in the track's timescale, on the publisher's timeline (packaging rebases it).
    public var decodeTime: Int64
    public var presentationTime: Int64
    /// Duration in the track's timescale; 0 when unknown (packaging derives it from the next sample).
    public var duration: Int64
    /// Sync sample: an IDR for video (every rung has one at each segment boundary); always true for AAC.
    public var isSync: Bool
    /// H.264/HEVC: NAL units each prefixed by a 4-byte big-endian length. VP9: one frame (or
    /// superframe). AV1: the temporal unit's OBUs without temporal delimiters. Audio: one raw AAC frame.
    public var data: [UInt8]
    /// Set on the sync sample that starts segment k of the stream's `SegmentGrid`: decided once,
    /// by the rung that made the sample (`SegmentBoundaryTracker`); the packager cuts video here
    /// and nowhere else. nil for every other sample, and for audio (which follows the video cuts).
    public var segmentStart: Int64?

    public init(
        decodeTime: Int64, presentationTime: Int64, duration: Int64, isSync: Bool, data: [UInt8],
        segmentStart: Int64? = nil
    ) {
        self.decodeTime = decodeTime
        self.presentationTime = presentationTime
        self.duration = duration
        self.isSync = isSync
        self.data = data
        self.segmentStart = segmentStart
    }
}

/// The packager side of the pipeline. Calls for one track come from one thread, in decode
/// order; calls for different tracks may come from different threads concurrently.
public protocol EncodedMediaSink: AnyObject, Sendable {
    /// Declares the tracks of a (new) publish. Track indexes are positions in `tracks`.
    /// Called again after a publisher reconnect; a changed description means a new init segment.
    func begin(tracks: [TrackDescription])
    func append(_ sample: EncodedSample, track: Int)
    /// The publish ended (publisher left, or the stream is shut down): close open segments.
    func end()
    /// The publisher vanished and its samples from the segment with this grid index on
    /// (`EncodedSample.segmentStart`) are a slate: live, but not recorded.
    func slateBegins(atSegment gridIndex: Int64)
    /// A JPEG of the top rung's newest segment-start picture (about one per segment).
    func thumbnail(jpeg: [UInt8])
}

extension EncodedMediaSink {
    public func slateBegins(atSegment gridIndex: Int64) {}
    public func thumbnail(jpeg: [UInt8]) {}
}
