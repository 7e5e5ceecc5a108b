import LadderMedia

/// The source video as the pipeline sees it after decoding the first picture.
public struct SourceVideo: Sendable, Hashable {
    public var width: Int
    public var height: Int
    public var frameRate: Double?
    /// Pixel (sample) aspect ratio; 1:1 for square pixels.
    public var sampleAspectNum: Int
    public var sampleAspectDen: Int
    /// What a copy rung passes through.
    public var codec: VideoCodec

    public init(
        width: Int, height: Int, frameRate: Double?, sampleAspectNum: Int = 1, sampleAspectDen: Int = 1,
        codec: VideoCodec = .h264
    ) {
        self.codec = codec
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.sampleAspectNum = sampleAspectNum
        self.sampleAspectDen = sampleAspectDen
    }

    /// The source `gateway validate` plans for when none is given.
    public static let nominal = SourceVideo(width: 1920, height: 1080, frameRate: nil)

    /// Parses `WxH` or `WxH@FPS` (e.g. `1280x720`, `1920x1080@29.97`), as given to `--source`.
    public init?(parsing text: String) {
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        let size = parts[0].lowercased().split(separator: "x", omittingEmptySubsequences: false)
        let limit = 1...(ProfileLoader.maxDimension * 2)
        guard size.count == 2, let width = Int(size[0]), let height = Int(size[1]), limit.contains(width),
            limit.contains(height)
        else { return nil }
        var frameRate: Double?
        if parts.count == 2 {
            guard let rate = Double(parts[1]), rate.isFinite, rate > 0, rate <= ProfileLoader.maxFrameRate else {
                return nil
            }
            frameRate = rate
        }
        self.init(width: width, height: height, frameRate: frameRate)
    }

    /// The sample aspect as a width stretch factor; 1 when unknown (0) or outside 1:10...10:1
    /// (garbage, not anamorphic video).
    public var sampleAspect: Double {
        guard sampleAspectNum > 0, sampleAspectDen > 0 else { return 1 }
        let value = Double(sampleAspectNum) / Double(sampleAspectDen)
        return (0.1...10).contains(value) ? value : 1
    }

    /// Display aspect ratio: width / height after applying the sample aspect.
    public var displayAspect: Double {
        Double(max(width, 1)) * sampleAspect / Double(max(height, 1))
    }

    /// Width in square pixels at the coded height.
    public var displayWidth: Double { displayAspect * Double(max(height, 1)) }
}

/// One rung as it will be produced for a given source (`LadderPlanner.plan`).
public struct PlannedRendition: Sendable, Hashable {
    public var name: String
    /// Passthrough of the source video: no decode/encode, the other fields describe the source.
    public var isCopy: Bool
    /// Output size: even and >= 2 when transcoded; the coded source size for copy.
    public var width: Int
    public var height: Int
    /// Bits per second (nil for copy).
    public var bitrate: Int?
    /// VBV maximum rate: the profile's maxrate, else the bitrate (nil for copy).
    public var maxrate: Int?
    /// VBV buffer size in bits: the profile's bufsize, else 2x maxrate (nil for copy).
    public var bufsize: Int?
    /// Codec, encoder and knobs, resolved to the codec's defaults (the source's codec for copy).
    public var coding: VideoCoding
    /// x264/x265 preset ("" for copy, VP9 and AV1).
    public var preset: String { coding.preset ?? "" }
    /// H.264 profile (baseline/main/high), nil = x264's default.
    public var profile: String? { coding.profile }
    /// H.264 level such as "3.1", nil = automatic.
    public var level: String? { coding.level }
    /// Output frame-rate cap; nil = keep the source rate.
    public var maxFrameRate: Double?
    /// Output frame rate: min(source rate, cap); nil when both are unknown.
    public var frameRate: Double?
    /// x264 keyint exactly as the encoder gets it (`LadderPlanner.keyframeInterval`: two segments
    /// of frames); nil for copy. IDRs are forced at every segment start.
    public var keyframeIntervalFrames: Int?
    /// Output pixel aspect: 1:1 when transcoded (scaled to the display aspect); the source's for copy.
    public var sampleAspectNum: Int
    public var sampleAspectDen: Int
    /// Set when the planner changed the rung, e.g. shrank it to a small source.
    public var note: String?

    public init(
        name: String, isCopy: Bool, width: Int, height: Int, bitrate: Int?, maxrate: Int?, bufsize: Int?,
        coding: VideoCoding, maxFrameRate: Double?, frameRate: Double? = nil,
        keyframeIntervalFrames: Int? = nil, sampleAspectNum: Int = 1, sampleAspectDen: Int = 1, note: String? = nil
    ) {
        self.name = name
        self.isCopy = isCopy
        self.width = width
        self.height = height
        self.bitrate = bitrate
        self.maxrate = maxrate
        self.bufsize = bufsize
        self.coding = coding
        self.maxFrameRate = maxFrameRate
        self.frameRate = frameRate
        self.keyframeIntervalFrames = keyframeIntervalFrames
        self.sampleAspectNum = sampleAspectNum
        self.sampleAspectDen = sampleAspectDen
        self.note = note
    }

    /// True when the decoded picture can be encoded as is (no scaling).
    public func matchesSourceSize(_ source: SourceVideo) -> Bool {
        width == source.width && height == source.height && source.sampleAspect == 1
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
