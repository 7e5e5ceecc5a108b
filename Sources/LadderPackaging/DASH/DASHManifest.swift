import LadderMedia

/// An MPD (ISO/IEC 23009-1 5.3) as a value, limited to what a live/VOD CMAF ladder needs.
/// `render()` gives the XML.
public struct DASHManifest: Sendable, Hashable {
    /// MPD@type (ISO/IEC 23009-1 5.3.1.2).
    public enum PresentationType: String, Sendable, Hashable {
        case dynamic
        case `static`
    }

    /// One SegmentTimeline `S` element (ISO/IEC 23009-1 5.3.9.6): `t` only where the timeline
    /// does not simply continue, `r` extra repeats of duration `d`.
    public struct TimelineEntry: Sendable, Hashable {
        public var t: Int64?
        public var d: Int64
        public var r: Int

        public init(t: Int64?, d: Int64, r: Int) {
            self.t = t
            self.d = d
            self.r = r
        }
    }

    /// SegmentTemplate (ISO/IEC 23009-1 5.3.9.4) addressed either by a SegmentTimeline or by a
    /// constant @duration (then `timeline` is empty).
    public struct SegmentTemplate: Sendable, Hashable {
        public var timescale: Int64
        public var presentationTimeOffset: Int64
        public var initialization: String
        public var media: String
        public var startNumber: Int
        /// SegmentTemplate@duration in `timescale` units, for numbered addressing.
        public var duration: Int64?
        public var timeline: [TimelineEntry]
        /// LL-DASH (DASH-IF IOP 9.X.4.4): a segment may be requested this many seconds before it
        /// is complete (segment minus chunk); its chunks then arrive with chunked transfer.
        public var availabilityTimeOffset: Double?

        public init(
            timescale: Int64, presentationTimeOffset: Int64, initialization: String, media: String, startNumber: Int,
            duration: Int64? = nil, timeline: [TimelineEntry], availabilityTimeOffset: Double? = nil
        ) {
            self.availabilityTimeOffset = availabilityTimeOffset
            self.timescale = timescale
            self.presentationTimeOffset = presentationTimeOffset
            self.initialization = initialization
            self.media = media
            self.startNumber = startNumber
            self.duration = duration
            self.timeline = timeline
        }
    }

    public struct Representation: Sendable, Hashable {
        public var id: String
        public var bandwidth: Int
        public var codecs: String
        public var width: Int?
        public var height: Int?
        /// FrameRateType: an integer or a ratio such as `30000/1001`.
        public var frameRate: String?
        public var sar: String?
        public var audioSamplingRate: Int?
        public var audioChannels: Int?
        public var segmentTemplate: SegmentTemplate

        public init(
            id: String, bandwidth: Int, codecs: String, width: Int? = nil, height: Int? = nil,
            frameRate: String? = nil, sar: String? = nil, audioSamplingRate: Int? = nil, audioChannels: Int? = nil,
            segmentTemplate: SegmentTemplate
        ) {
            self.id = id
            self.bandwidth = bandwidth
            self.codecs = codecs
            self.width = width
            self.height = height
            self.frameRate = frameRate
            self.sar = sar
            self.audioSamplingRate = audioSamplingRate
            self.audioChannels = audioChannels
            self.segmentTemplate = segmentTemplate
        }
    }

    public struct AdaptationSet: Sendable, Hashable {
        public var id: Int
        /// "video" or "audio".
        public var contentType: String
        public var mimeType: String
        public var segmentAlignment: Bool
        public var startWithSAP: Int?
        public var maxWidth: Int?
        public var maxHeight: Int?
        public var maxFrameRate: String?
        public var representations: [Representation]

        public init(
            id: Int, contentType: String, mimeType: String, segmentAlignment: Bool, startWithSAP: Int?,
            maxWidth: Int? = nil, maxHeight: Int? = nil, maxFrameRate: String? = nil, representations: [Representation]
        ) {
            self.id = id
            self.contentType = contentType
            self.mimeType = mimeType
            self.segmentAlignment = segmentAlignment
            self.startWithSAP = startWithSAP
            self.maxWidth = maxWidth
            self.maxHeight = maxHeight
            self.maxFrameRate = maxFrameRate
            self.representations = representations
        }
    }

    public struct Period: Sendable, Hashable {
        public var id: String
        /// Period@start relative to availabilityStartTime (dynamic) or to the presentation start (static).
        public var startMs: Int64
        public var adaptationSets: [AdaptationSet]

        public init(id: String, startMs: Int64, adaptationSets: [AdaptationSet]) {
            self.id = id
            self.startMs = startMs
            self.adaptationSets = adaptationSets
        }
    }

    /// UTCTiming (ISO/IEC 23009-1 5.8.4.11).
    public struct UTCTiming: Sendable, Hashable {
        /// urn:mpeg:dash:utc:http-iso:2014: the URL answers an ISO 8601 date-time.
        public static let httpISOScheme = "urn:mpeg:dash:utc:http-iso:2014"

        public var schemeIdUri: String
        public var value: String

        public init(schemeIdUri: String, value: String) {
            self.schemeIdUri = schemeIdUri
            self.value = value
        }
    }

    /// ServiceDescription (ISO/IEC 23009-1 K.4): the latency an LL-DASH player should keep.
    public struct ServiceDescription: Sendable, Hashable {
        public var targetLatencyMs: Int64
        public var minLatencyMs: Int64
        public var maxLatencyMs: Int64
        public var minPlaybackRate: Double
        public var maxPlaybackRate: Double

        public init(
            targetLatencyMs: Int64, minLatencyMs: Int64, maxLatencyMs: Int64, minPlaybackRate: Double,
            maxPlaybackRate: Double
        ) {
            self.targetLatencyMs = targetLatencyMs
            self.minLatencyMs = minLatencyMs
            self.maxLatencyMs = maxLatencyMs
            self.minPlaybackRate = minPlaybackRate
            self.maxPlaybackRate = maxPlaybackRate
        }
    }

    public static let liveProfile = "urn:mpeg:dash:profile:isoff-live:2011"
    static let channelConfigurationScheme = "urn:mpeg:dash:23003:3:audio_channel_configuration:2011"

    public var type: PresentationType
    public var profiles: String
    public var availabilityStartTimeMs: Int64?
    public var publishTimeMs: Int64?
    public var minimumUpdatePeriodMs: Int64?
    public var timeShiftBufferDepthMs: Int64?
    public var suggestedPresentationDelayMs: Int64?
    public var minBufferTimeMs: Int64
    public var mediaPresentationDurationMs: Int64?
    public var periods: [Period]
    public var utcTimings: [UTCTiming]
    public var serviceDescription: ServiceDescription?

    public init(
        type: PresentationType, profiles: String = DASHManifest.liveProfile, availabilityStartTimeMs: Int64? = nil,
        publishTimeMs: Int64? = nil, minimumUpdatePeriodMs: Int64? = nil, timeShiftBufferDepthMs: Int64? = nil,
        suggestedPresentationDelayMs: Int64? = nil, minBufferTimeMs: Int64, mediaPresentationDurationMs: Int64? = nil,
        periods: [Period], utcTimings: [UTCTiming], serviceDescription: ServiceDescription? = nil
    ) {
        self.serviceDescription = serviceDescription
        self.type = type
        self.profiles = profiles
        self.availabilityStartTimeMs = availabilityStartTimeMs
        self.publishTimeMs = publishTimeMs
        self.minimumUpdatePeriodMs = minimumUpdatePeriodMs
        self.timeShiftBufferDepthMs = timeShiftBufferDepthMs
        self.suggestedPresentationDelayMs = suggestedPresentationDelayMs
        self.minBufferTimeMs = minBufferTimeMs
        self.mediaPresentationDurationMs = mediaPresentationDurationMs
        self.periods = periods
        self.utcTimings = utcTimings
    }

    /// Compacts (start, duration) pairs into `S` elements: `t` on the first entry and after any
    /// gap or overlap, runs of equal durations folded into `r`.
    public static func timeline(_ segments: [(start: Int64, duration: Int64)]) -> [TimelineEntry] {
        var entries: [TimelineEntry] = []
        var expectedStart: Int64?
        for segment in segments {
            let continues = expectedStart == segment.start
            if continues, let last = entries.last, last.d == segment.duration {
                entries[entries.count - 1].r += 1
            } else {
                entries.append(TimelineEntry(t: continues ? nil : segment.start, d: segment.duration, r: 0))
            }
            expectedStart = segment.start + segment.duration
        }
        return entries
    }

    /// FrameRateType (ISO/IEC 23009-1 5.3.12.2): integer, NTSC-style x/1001, or a reduced ratio over 1000.
    public static func frameRateString(_ rate: Double) -> String? {
        guard rate.isFinite, rate > 0, rate < 10_000 else { return nil }
        if abs(rate - rate.rounded()) < 0.0005 {
            return "\(Int(rate.rounded()))"
        }
        let ntsc = (rate * 1.001).rounded()
        if abs(ntsc * 1000 / 1001 - rate) < 0.0005 {
            return "\(Int(ntsc) * 1000)/1001"
        }
        var numerator = Int((rate * 1000).rounded())
        var denominator = 1000
        var (a, b) = (numerator, denominator)
        while b != 0 { (a, b) = (b, a % b) }
        numerator /= a
        denominator /= a
        return "\(numerator)/\(denominator)"
    }
}

extension DASHManifest {
    /// Video Representations as one AdaptationSet per codec (the codecs' sample entry: avc1,
    /// hvc1, vp09, av01), in ladder order: switching within a set must be seamless, which it is
    /// not across codecs (ISO/IEC 23009-1 5.3.3.1, DASH-IF IOP 3.2.13). Players take the set they
    /// can decode. The first set keeps id 0 (audio is 1); the others take 2, 3, ...
    public static func videoAdaptationSets(
        _ videos: [(representation: Representation, frameRate: Double?)]
    ) -> [AdaptationSet] {
        var families: [String] = []
        var members: [String: [(representation: Representation, frameRate: Double?)]] = [:]
        for video in videos {
            let family = String(video.representation.codecs.prefix { $0 != "." })
            if members[family] == nil { families.append(family) }
            members[family, default: []].append(video)
        }
        return families.enumerated().map { position, family in
            let set = members[family] ?? []
            let representations = set.map(\.representation)
            return AdaptationSet(
                id: position == 0 ? 0 : position + 1, contentType: "video",
                mimeType: StoredFileKind.Media.video.mimeType, segmentAlignment: true, startWithSAP: 1,
                maxWidth: representations.compactMap(\.width).max(),
                maxHeight: representations.compactMap(\.height).max(),
                maxFrameRate: set.compactMap(\.frameRate).max().flatMap(frameRateString),
                representations: representations)
        }
    }
}
