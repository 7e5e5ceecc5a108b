/// One stream as shown by `GET /api/streams` (encoded with snake_case keys).
/// Bitrates are bits per second; nil means "not known yet".
struct StreamStatus: Codable, Sendable, Equatable {
    enum State: String, Codable, Sendable {
        case live
        /// The publisher vanished; the stream stays live for `reconnect_grace_seconds`.
        case reconnecting
        case ended
    }

    /// What the publisher sends.
    struct Input: Codable, Sendable, Equatable {
        var videoCodec: String?
        var width: Int?
        var height: Int?
        var fps: Double?
        /// Measured over the recent ingest, audio and video together.
        var bitrate: Int?
        var audioCodec: String?
        var audioSampleRate: Int?
        var audioChannels: Int?
        /// Seconds between the input's last two video keyframes.
        var keyframeInterval: Double?

        init(
            videoCodec: String? = nil, width: Int? = nil, height: Int? = nil, fps: Double? = nil,
            bitrate: Int? = nil, audioCodec: String? = nil, audioSampleRate: Int? = nil, audioChannels: Int? = nil,
            keyframeInterval: Double? = nil
        ) {
            self.keyframeInterval = keyframeInterval
            self.videoCodec = videoCodec
            self.width = width
            self.height = height
            self.fps = fps
            self.bitrate = bitrate
            self.audioCodec = audioCodec
            self.audioSampleRate = audioSampleRate
            self.audioChannels = audioChannels
        }
    }

    /// One video rung of the ladder.
    struct Rendition: Codable, Sendable, Equatable {
        var name: String
        var codec: String?
        /// RFC 6381, as the playlists list it ("vp09.00.21.08").
        var codecString: String?
        var width: Int
        var height: Int
        var targetBitrate: Int?
        var measuredBitrate: Int?
        var fps: Double?
        /// Encoded media seconds per wall-clock second (1.0 = real time; below 1 falls behind).
        var encoderSpeed: Double?
        /// Time a picture spends in the encoder (lookahead and B-frames), measured, ms.
        var encoderDelayMs: Double?
        var droppedFrames: Int
        /// Frames that reached the encoder after their segment's deadline.
        var lateFrames: Int
        /// Viewer sessions on this rung now (usage tracking); filled by the origin.
        var viewers: Int?

        init(
            name: String, codec: String? = nil, codecString: String? = nil, width: Int, height: Int,
            targetBitrate: Int? = nil,
            measuredBitrate: Int? = nil, fps: Double? = nil, encoderSpeed: Double? = nil,
            encoderDelayMs: Double? = nil, droppedFrames: Int = 0, lateFrames: Int = 0
        ) {
            self.encoderDelayMs = encoderDelayMs
            self.name = name
            self.codec = codec
            self.codecString = codecString
            self.width = width
            self.height = height
            self.targetBitrate = targetBitrate
            self.measuredBitrate = measuredBitrate
            self.fps = fps
            self.encoderSpeed = encoderSpeed
            self.droppedFrames = droppedFrames
            self.lateFrames = lateFrames
        }
    }

    /// The single audio rendition shared by every rung.
    struct Audio: Codable, Sendable, Equatable {
        var codec: String
        var sampleRate: Int
        var channels: Int
        var bitrate: Int?
        /// True when the publisher's AAC is packaged as is, without re-encoding.
        var passthrough: Bool

        init(codec: String, sampleRate: Int, channels: Int, bitrate: Int? = nil, passthrough: Bool) {
            self.codec = codec
            self.sampleRate = sampleRate
            self.channels = channels
            self.bitrate = bitrate
            self.passthrough = passthrough
        }
    }

    var name: String
    var state: State
    var uptimeSeconds: Double
    /// "IP:port" of the RTMP publisher (never the stream key).
    var publisherAddress: String?
    var profile: String?
    var input: Input
    var renditions: [Rendition]
    var audio: Audio?
    var segmentsProduced: Int
    /// Distinct HTTP clients (IP + User-Agent) seen in the last ~30 s; filled by the origin.
    var viewers: Int
    /// Response body bytes of this stream's content; filled by the origin.
    var bytesServed: Int64
    /// Access units dropped at the ingest queue (the one drop point): queue full, or late.
    var ingestDrops: Int
    /// Of `ingestDrops`, video that waited longer than the latency bound (encoding slower than real time).
    var ingestDropsLate: Int
    /// Media messages of the current publish dropped as malformed before they reached the ladder.
    var ingestErrors: Int
    var decodeErrors: Int
    var discontinuities: Int
    /// Publisher timestamp jumps (clock restarts re-based at ingest, gaps closed by the packager).
    var timestampJumps: Int
    /// Ingest to listed: from the newest listed video's arrival at the decoder to its listing
    /// (a part with LL, else a segment), seconds; nil when nothing was listed recently.
    var latencySeconds: Double?
    /// Viewers need a signed URL (`playback:`); filled by the origin.
    var protected: Bool?

    init(
        name: String, state: State, uptimeSeconds: Double, publisherAddress: String? = nil, profile: String? = nil,
        input: Input = Input(), renditions: [Rendition] = [], audio: Audio? = nil, segmentsProduced: Int = 0,
        viewers: Int = 0, bytesServed: Int64 = 0, ingestDrops: Int = 0, ingestDropsLate: Int = 0,
        ingestErrors: Int = 0, decodeErrors: Int = 0, discontinuities: Int = 0, timestampJumps: Int = 0
    ) {
        self.name = name
        self.state = state
        self.uptimeSeconds = uptimeSeconds
        self.publisherAddress = publisherAddress
        self.profile = profile
        self.input = input
        self.renditions = renditions
        self.audio = audio
        self.segmentsProduced = segmentsProduced
        self.viewers = viewers
        self.bytesServed = bytesServed
        self.ingestDrops = ingestDrops
        self.ingestDropsLate = ingestDropsLate
        self.ingestErrors = ingestErrors
        self.decodeErrors = decodeErrors
        self.discontinuities = discontinuities
        self.timestampJumps = timestampJumps
    }
}

/// The body of `GET /api/streams`.
struct StreamStatusList: Codable, Sendable, Equatable {
    var streams: [StreamStatus]
}

/// The body of an API error (404 unknown stream, 400 bad name).
struct APIError: Codable, Sendable, Equatable {
    var error: String
    var stream: String?
}
