import LadderMedia

/// How a `StreamPackager` cuts, lists and names one stream's segments.
public struct PackagerConfig: Sendable, Hashable {
    public enum Mode: String, Sendable, Hashable {
        /// Sliding window, dynamic MPD, segments deleted after a grace period.
        case live
        /// Offline transcode: every segment stays listed, EVENT playlists while running, then
        /// VOD playlists and a static MPD (the MPD is only written at the end).
        case vod
    }

    /// File names inside `/live/<stream>/`. Segment and init names get a number and an extension
    /// (`seg-12.m4s`, `init-1.mp4`).
    public struct Naming: Sendable, Hashable {
        public var masterPlaylist: String
        public var manifest: String
        public var mediaPlaylist: String
        public var initPrefix: String
        public var segmentPrefix: String

        public init(
            masterPlaylist: String = "master.m3u8", manifest: String = "manifest.mpd",
            mediaPlaylist: String = "index.m3u8", initPrefix: String = "init-", segmentPrefix: String = "seg-"
        ) {
            self.masterPlaylist = masterPlaylist
            self.manifest = manifest
            self.mediaPlaylist = mediaPlaylist
            self.initPrefix = initPrefix
            self.segmentPrefix = segmentPrefix
        }

        /// The names the gateway serves (every profile packages with them); the origin's
        /// player page and in-progress segment lookups use the same value.
        public static let standard = Naming()

        /// `init-3.mp4`: a rendition's init segment of that version.
        public func initName(version: Int) -> String { "\(initPrefix)\(version).mp4" }

        /// `seg-12.m4s`: the media segment with that media sequence number.
        public func segmentName(number: Int) -> String { "\(segmentPrefix)\(number).m4s" }
    }

    /// How a live (dynamic) MPD addresses segments. Static MPDs always use a SegmentTimeline.
    public enum DASHAddressing: String, Sendable, Hashable {
        /// SegmentTemplate@duration with $Number$: segment N of a Period is the slot
        /// [(N - startNumber) * segmentSeconds, + segmentSeconds). Periods restart the grid
        /// wherever real segments leave it. GStreamer 1.22's dashdemux/dashdemux2 need this:
        /// their SegmentTimeline seek adds the first S start twice and fails on any stream older
        /// than its window.
        case numbered
        /// SegmentTemplate with a SegmentTimeline of the listed segments (exact times).
        case timeline
    }

    public var mode: Mode
    /// Boundaries are at k * segmentSeconds on the publisher's timeline (where the pipeline forces IDRs).
    public var segmentSeconds: Double
    /// Segments listed in live playlists and the MPD (ignored for VOD: all are listed).
    public var windowSegments: Int
    /// Segments stay downloadable this many segments after leaving the window.
    public var deletionGraceSegments: Int
    /// DVR (time shift): live playlists and the MPD list this many segments when it is more than
    /// the window; those older than the window leave memory (a recording serves them). 0: none.
    public var dvrSegments: Int
    /// DASH UTCTiming (urn:mpeg:dash:utc:http-iso:2014) URL, absolute or relative; nil = none.
    public var utcTimingURL: String?
    /// The default `utcTimingURL`: the gateway's origin answers this path with the time
    /// (ISO/IEC 23009-1 5.8.5.7), and routes it from this constant.
    public static let defaultUTCTimingURL = "/time"
    /// EXT-X-PROGRAM-DATE-TIME on every segment.
    public var programDateTime: Bool
    /// A `sidx` at the start of each media segment.
    public var segmentIndex: Bool
    /// Added to the wall-clock anchor of DASH periods so a segment is never announced as
    /// available before it was published (players must never 404 on an advertised URL).
    public var availabilityMarginSeconds: Double
    public var dashAddressing: DASHAddressing
    public var naming: Naming
    /// Low-latency parts (LL-HLS EXT-X-PART, RFC 8216bis 4.4.4.9): every track's segments are
    /// written as CMAF chunks of about this length, each its own file; 0 = none. Live only.
    public var partSeconds: Double

    public init(
        mode: Mode = .live, segmentSeconds: Double = 2, windowSegments: Int = 6, deletionGraceSegments: Int? = nil,
        utcTimingURL: String? = defaultUTCTimingURL, programDateTime: Bool? = nil, segmentIndex: Bool = false,
        availabilityMarginSeconds: Double = 0.5, dashAddressing: DASHAddressing = .numbered,
        naming: Naming = .standard, partSeconds: Double = 0, dvrSegments: Int = 0
    ) {
        self.mode = mode
        self.dvrSegments = mode == .live ? min(max(0, dvrSegments), 1_000_000) : 0
        self.segmentSeconds = segmentSeconds.isFinite ? min(max(segmentSeconds, 0.1), 600) : 2
        self.windowSegments = max(1, windowSegments)
        self.deletionGraceSegments = max(0, deletionGraceSegments ?? windowSegments)
        self.utcTimingURL = utcTimingURL
        self.programDateTime = programDateTime ?? (mode == .live)
        self.segmentIndex = segmentIndex
        self.availabilityMarginSeconds =
            availabilityMarginSeconds.isFinite ? min(max(availabilityMarginSeconds, 0), 10) : 0.5
        self.dashAddressing = dashAddressing
        self.naming = naming
        self.partSeconds =
            mode == .live && partSeconds.isFinite && partSeconds > 0
            ? min(max(partSeconds, 0.05), self.segmentSeconds) : 0
    }

    public static func live(segmentSeconds: Double = 2, windowSegments: Int = 6) -> PackagerConfig {
        PackagerConfig(mode: .live, segmentSeconds: segmentSeconds, windowSegments: windowSegments)
    }

    public static func vod(segmentSeconds: Double = 2) -> PackagerConfig {
        PackagerConfig(mode: .vod, segmentSeconds: segmentSeconds)
    }

    var segmentMilliseconds: Int64 { Int64((segmentSeconds * 1000).rounded()) }

    /// Segments live playlists and the MPD list: the window, or the DVR depth when longer.
    public var listedSegments: Int { max(windowSegments, dvrSegments) }

    /// Parts are on: chunked segments, parts listed in the media playlists.
    public var hasParts: Bool { partSeconds > 0 }

    /// EXT-X-PART-INF PART-TARGET, fixed by the config so it never changes between reloads
    /// (RFC 8216bis 4.4.3.7; Apple's players stop when it does). Parts end at the frame boundary
    /// nearest each grid instant, so a part can be one frame longer than `partSeconds`: the
    /// margin covers an AAC frame at 44.1 kHz (23.2 ms) and any video frame rate from 42 fps.
    public var partTargetSeconds: Double { ((partSeconds + Self.partTargetMargin) * 1000).rounded(.up) / 1000 }
    static let partTargetMargin = 0.024
}
