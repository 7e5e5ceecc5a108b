import LadderMedia

/// A transcoding profile as operators write it in `profiles/*.yaml` (parsed and validated by
/// `ProfileLoader`). Bitrates are bits per second.
public struct Profile: Sendable, Hashable {
    public var name: String
    /// Segment duration; every video rung gets an IDR exactly at each multiple of it.
    public var segmentSeconds: Double
    /// Segments listed in live playlists.
    public var windowSegments: Int
    public var video: VideoLadderSpec
    /// nil: the stream's audio is dropped.
    public var audio: AudioSpec?
    /// LL-HLS part length (`part_seconds`); 0: no low-latency output.
    public var partSeconds: Double

    public init(
        name: String, segmentSeconds: Double, windowSegments: Int, video: VideoLadderSpec, audio: AudioSpec?,
        partSeconds: Double = 0
    ) {
        self.name = name
        self.segmentSeconds = segmentSeconds
        self.windowSegments = windowSegments
        self.video = video
        self.audio = audio
        self.partSeconds = partSeconds
    }
}

public struct VideoLadderSpec: Sendable, Hashable {
    /// Only "libx264" today.
    public var encoder: String
    /// Default x264 preset for renditions that do not set one.
    public var preset: String
    public var renditions: [RenditionSpec]

    /// Whether any rung is encoded here (not every rung passes the source through).
    public var encodesVideo: Bool { renditions.contains { !$0.copy } }

    public init(encoder: String, preset: String, renditions: [RenditionSpec]) {
        self.encoder = encoder
        self.preset = preset
        self.renditions = renditions
    }
}

public struct RenditionSpec: Sendable, Hashable {
    public var name: String
    /// true: the source video is passed through unchanged (no decode/encode for this rung).
    public var copy: Bool
    public var width: Int?
    public var height: Int?
    public var bitrate: Int?
    public var maxrate: Int?
    public var bufsize: Int?
    /// x264 profile: baseline, main, high.
    public var profile: String?
    /// H.264 level, e.g. "3.1", "4.0".
    public var level: String?
    /// Overrides the ladder's preset.
    public var preset: String?
    /// Frame-rate cap.
    public var fps: Double?

    public init(
        name: String, copy: Bool = false, width: Int? = nil, height: Int? = nil, bitrate: Int? = nil,
        maxrate: Int? = nil, bufsize: Int? = nil, profile: String? = nil, level: String? = nil,
        preset: String? = nil, fps: Double? = nil
    ) {
        self.name = name
        self.copy = copy
        self.width = width
        self.height = height
        self.bitrate = bitrate
        self.maxrate = maxrate
        self.bufsize = bufsize
        self.profile = profile
        self.level = level
        self.preset = preset
        self.fps = fps
    }
}

public struct AudioSpec: Sendable, Hashable {
    public var codec: AudioCodec
    public var bitrate: Int
    public var channels: Int
    public var sampleRate: Int
    /// true: the HLS master playlist also lists an audio-only variant (RFC 8216 4.3.4.2), e.g. for
    /// very poor connections.
    public var audioOnlyVariant: Bool

    public init(codec: AudioCodec, bitrate: Int, channels: Int, sampleRate: Int, audioOnlyVariant: Bool = false) {
        self.codec = codec
        self.bitrate = bitrate
        self.channels = channels
        self.sampleRate = sampleRate
        self.audioOnlyVariant = audioOnlyVariant
    }
}
