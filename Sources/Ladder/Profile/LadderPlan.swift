/// The source video as the pipeline sees it after decoding the first picture.
public struct SourceVideo: Sendable, Hashable {
    public var width: Int
    public var height: Int
    public var frameRate: Double?
    /// Pixel (sample) aspect ratio; 1:1 for square pixels.
    public var sampleAspectNum: Int
    public var sampleAspectDen: Int

    public init(width: Int, height: Int, frameRate: Double?, sampleAspectNum: Int = 1, sampleAspectDen: Int = 1) {
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.sampleAspectNum = sampleAspectNum
        self.sampleAspectDen = sampleAspectDen
    }
}

/// One rung as it will be produced for a given source (`LadderPlanner.plan`).
public struct PlannedRendition: Sendable, Hashable {
    public var name: String
    /// Passthrough of the source video: no decode/encode, the other fields describe the source.
    public var isCopy: Bool
    public var width: Int
    public var height: Int
    /// Bits per second (nil for copy).
    public var bitrate: Int?
    public var maxrate: Int?
    public var bufsize: Int?
    public var preset: String
    /// x264 profile (baseline/main/high), nil = x264's default.
    public var profile: String?
    /// H.264 level such as "3.1", nil = automatic.
    public var level: String?
    /// Output frame-rate cap; nil = keep the source rate.
    public var maxFrameRate: Double?

    public init(
        name: String, isCopy: Bool, width: Int, height: Int, bitrate: Int?, maxrate: Int?, bufsize: Int?,
        preset: String, profile: String?, level: String?, maxFrameRate: Double?
    ) {
        self.name = name
        self.isCopy = isCopy
        self.width = width
        self.height = height
        self.bitrate = bitrate
        self.maxrate = maxrate
        self.bufsize = bufsize
        self.preset = preset
        self.profile = profile
        self.level = level
        self.maxFrameRate = maxFrameRate
    }
}

public struct LadderPlan: Sendable, Hashable {
    public struct Skipped: Sendable, Hashable {
        public var name: String
        public var reason: String

        public init(name: String, reason: String) {
            self.name = name
            self.reason = reason
        }
    }

    /// Highest bitrate first (copy first).
    public var renditions: [PlannedRendition]
    public var skipped: [Skipped]

    public init(renditions: [PlannedRendition], skipped: [Skipped]) {
        self.renditions = renditions
        self.skipped = skipped
    }
}
