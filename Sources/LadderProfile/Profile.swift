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
    /// Rewind offered by live playlists and MPDs (`dvr_seconds`, time shift); 0: the window only.
    /// Segments older than the window are served from the stream's recording.
    public var dvrSeconds: Double

    public init(
        name: String, segmentSeconds: Double, windowSegments: Int, video: VideoLadderSpec, audio: AudioSpec?,
        partSeconds: Double = 0, dvrSeconds: Double = 0
    ) {
        self.dvrSeconds = dvrSeconds
        self.name = name
        self.segmentSeconds = segmentSeconds
        self.windowSegments = windowSegments
        self.video = video
        self.audio = audio
        self.partSeconds = partSeconds
    }
}

public struct VideoLadderSpec: Sendable, Hashable {
    /// The H.264 rungs' encoder: "libx264".
    public var encoder: String
    /// Default x264 preset for H.264 renditions that do not set one.
    public var preset: String
    public var renditions: [RenditionSpec]
    /// x264 rc-lookahead in frames (`lookahead_frames`); nil: the preset's.
    public var lookaheadFrames: Int?
    /// Most consecutive B-frames (`bframes`); nil: the preset's.
    public var bframes: Int?

    /// Whether any rung is encoded here (not every rung passes the source through).
    public var encodesVideo: Bool { renditions.contains { !$0.copy } }

    public init(
        encoder: String, preset: String, renditions: [RenditionSpec], lookaheadFrames: Int? = nil, bframes: Int? = nil
    ) {
        self.encoder = encoder
        self.preset = preset
        self.renditions = renditions
        self.lookaheadFrames = lookaheadFrames
        self.bframes = bframes
    }

    /// x264's own lookahead and B-frames per preset (x264 common/base.c), for the latency budget
    /// when the profile leaves them to the preset.
    public static let presetDelays: [String: (lookahead: Int, bframes: Int)] = [
        "ultrafast": (0, 0), "superfast": (0, 3), "veryfast": (10, 3), "faster": (20, 3), "fast": (30, 3),
        "medium": (40, 3), "slow": (50, 3), "slower": (60, 8), "veryslow": (60, 8), "placebo": (60, 16),
    ]

    /// x265's rc-lookahead and B-frames per preset (x265 docs, "Preset Options").
    public static let x265PresetDelays: [String: (lookahead: Int, bframes: Int)] = [
        "ultrafast": (5, 3), "superfast": (10, 3), "veryfast": (15, 4), "faster": (15, 4), "fast": (15, 4),
        "medium": (20, 4), "slow": (25, 4), "slower": (40, 8), "veryslow": (40, 8),
    ]

    /// Frames a picture may wait inside x264 before its packet comes out with `preset`:
    /// lookahead plus B-frames (one thread per rung: no frame-thread delay).
    public func encoderDelayFrames(preset: String) -> Int {
        let delay = encoderDelay(of: VideoCoding(codec: .h264, preset: preset))
        return (delay?.lookahead ?? 0) + (delay?.bframes ?? 0)
    }

    /// The lookahead and B-frames a rung's encoder holds pictures for, from its resolved coding
    /// (`LadderPlanner.coding`): x264's and x265's from their preset and the ladder's knobs; none
    /// for VP9 and AV1 (lag-in-frames 0); nil for a hardware encoder (not known here).
    public func encoderDelay(of coding: VideoCoding) -> (lookahead: Int, bframes: Int)? {
        guard !coding.isHardware else { return nil }
        let defaults: (lookahead: Int, bframes: Int)
        switch coding.codec {
        case .h264: defaults = coding.preset.flatMap { Self.presetDelays[$0] } ?? (10, 3)
        case .hevc: defaults = coding.preset.flatMap { Self.x265PresetDelays[$0] } ?? (5, 3)
        case .vp9, .av1: return (0, 0)
        }
        return (lookaheadFrames ?? defaults.lookahead, bframes ?? defaults.bframes)
    }
}

public struct RenditionSpec: Sendable, Hashable {
    public var name: String
    /// `codec` (default h264).
    public var codec: VideoCodec = .h264
    /// `encoder`: a libavcodec encoder of `codec`; nil: the codec's software encoder.
    public var encoder: String?
    /// libvpx-vp9 `deadline`, `row_mt`, `tile_columns`; libvpx-vp9 and libaom-av1 `cpu_used`.
    public var deadline: String?
    public var cpuUsed: Int?
    public var rowMT: Bool?
    public var tileColumns: Int?
    /// `threads`: worker threads inside the encoder library.
    public var threads: Int?
    /// true: the source video is passed through unchanged (no decode/encode for this rung).
    public var copy: Bool
    public var width: Int?
    public var height: Int?
    public var bitrate: Int?
    public var maxrate: Int?
    public var bufsize: Int?
    /// H.264 profile: baseline, main, high.
    public var profile: String?
    /// H.264 level, e.g. "3.1", "4.0".
    public var level: String?
    /// x264/x265 (or NVENC) preset; for H.264 rungs it overrides the ladder's preset.
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
