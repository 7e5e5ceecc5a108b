import LadderMedia

/// A media playlist (RFC 8216 4.3.3 / 4.3.2) as a value; `render()` gives the text.
public struct HLSMediaPlaylist: Sendable, Hashable {
    /// EXT-X-PLAYLIST-TYPE (RFC 8216 4.3.3.5).
    public enum PlaylistType: String, Sendable, Hashable {
        case event = "EVENT"
        case vod = "VOD"
    }

    public struct Segment: Sendable, Hashable {
        /// Relative to the playlist.
        public var uri: String
        public var durationTicks: Int64
        public var timescale: Int64
        /// EXT-X-DISCONTINUITY before this segment (RFC 8216 4.3.2.3).
        public var isDiscontinuity: Bool
        /// Media initialization section in effect (EXT-X-MAP, RFC 8216 4.3.2.5), relative URI.
        public var mapURI: String
        /// EXT-X-PROGRAM-DATE-TIME of the segment's first sample, ms since 1970 (RFC 8216 4.3.2.6).
        public var programDateTimeMs: Int64?
        /// Its LL parts (EXT-X-PART before its EXTINF), while they are listed.
        public var parts: [Part]

        public init(
            uri: String, durationTicks: Int64, timescale: Int64, isDiscontinuity: Bool, mapURI: String,
            programDateTimeMs: Int64?, parts: [Part] = []
        ) {
            self.uri = uri
            self.durationTicks = durationTicks
            self.timescale = timescale
            self.isDiscontinuity = isDiscontinuity
            self.mapURI = mapURI
            self.programDateTimeMs = programDateTimeMs
            self.parts = parts
        }
    }

    /// EXT-X-PART (RFC 8216bis 4.4.4.9).
    public struct Part: Sendable, Hashable {
        public var uri: String
        public var durationTicks: Int64
        public var timescale: Int64
        /// Starts with an IDR (INDEPENDENT=YES).
        public var isIndependent: Bool

        public init(uri: String, durationTicks: Int64, timescale: Int64, isIndependent: Bool) {
            self.uri = uri
            self.durationTicks = durationTicks
            self.timescale = timescale
            self.isIndependent = isIndependent
        }
    }

    /// EXT-X-RENDITION-REPORT (RFC 8216bis 4.4.5.4): another rendition's live edge.
    public struct RenditionReport: Sendable, Hashable {
        public var uri: String
        public var lastMediaSequence: Int
        public var lastPart: Int?

        public init(uri: String, lastMediaSequence: Int, lastPart: Int?) {
            self.uri = uri
            self.lastMediaSequence = lastMediaSequence
            self.lastPart = lastPart
        }
    }

    /// The low-latency tags of a live playlist with parts.
    public struct LowLatency: Sendable, Hashable {
        /// EXT-X-PART-INF PART-TARGET (RFC 8216bis 4.4.3.7); fixed for the stream's life.
        public var partTargetSeconds: Double
        /// EXT-X-SERVER-CONTROL CAN-SKIP-UNTIL (4.4.3.8): delta updates offered (at least 6x the
        /// target duration); nil when the window is too short for any segment to be skipped.
        public var canSkipUntilSeconds: Double?
        /// A delta update (6.2.5.1): this many segments before the listed ones are replaced by
        /// EXT-X-SKIP (4.4.5.2).
        public var skippedSegments: Int
        /// EXT-X-SERVER-CONTROL PART-HOLD-BACK (4.4.3.8): at least 3x PART-TARGET (SHOULD).
        public var partHoldBackSeconds: Double
        /// Parts of the segment after the last complete one (no EXTINF yet).
        public var pendingParts: [Part]
        /// EXT-X-PRELOAD-HINT:TYPE=PART (4.4.5.3): the next part's URI.
        public var preloadHintURI: String?
        public var renditionReports: [RenditionReport]

        public init(
            partTargetSeconds: Double, partHoldBackSeconds: Double, pendingParts: [Part], preloadHintURI: String?,
            renditionReports: [RenditionReport], canSkipUntilSeconds: Double? = nil, skippedSegments: Int = 0
        ) {
            self.partTargetSeconds = partTargetSeconds
            self.canSkipUntilSeconds = canSkipUntilSeconds
            self.skippedSegments = skippedSegments
            self.partHoldBackSeconds = partHoldBackSeconds
            self.pendingParts = pendingParts
            self.preloadHintURI = preloadHintURI
            self.renditionReports = renditionReports
        }
    }

    /// Digits after the point in EXTINF (RFC 8216 4.3.2.1 allows decimal-floating-point).
    public static let durationDecimals = 6

    public var version: Int
    public var targetDuration: Int
    public var mediaSequence: Int
    public var discontinuitySequence: Int
    public var playlistType: PlaylistType?
    public var independentSegments: Bool
    public var segments: [Segment]
    public var hasEndList: Bool
    public var lowLatency: LowLatency?

    public init(
        version: Int = 7, targetDuration: Int, mediaSequence: Int, discontinuitySequence: Int,
        playlistType: PlaylistType?, independentSegments: Bool = true, segments: [Segment], hasEndList: Bool,
        lowLatency: LowLatency? = nil
    ) {
        self.version = version
        self.targetDuration = targetDuration
        self.mediaSequence = mediaSequence
        self.discontinuitySequence = discontinuitySequence
        self.playlistType = playlistType
        self.independentSegments = independentSegments
        self.segments = segments
        self.hasEndList = hasEndList
        self.lowLatency = lowLatency
    }

    /// Where the delta update (6.2.5.1) of the playlist at `path` is stored: `_HLS_skip=YES` on
    /// `720p/index.m3u8` is answered with `720p/index.delta.m3u8` when it exists.
    public static func deltaPath(for path: String) -> String? {
        guard path.hasSuffix(".m3u8") else { return nil }
        return String(path.dropLast(5)) + ".delta.m3u8"
    }

    /// EXT-X-SKIP needs protocol version 9 (RFC 8216bis 7).
    public static let deltaUpdateVersion = 9

    /// EXT-X-TARGETDURATION: every EXTINF rounded to the nearest integer must not exceed it
    /// (RFC 8216 4.3.3.1); never below 1.
    public static func targetDuration(maxDurationTicks: Int64, timescale: Int64) -> Int {
        guard timescale > 0, maxDurationTicks > 0 else { return 1 }
        return max(1, Int((maxDurationTicks + timescale / 2) / timescale))
    }

    public func render() -> String {
        var lines = [
            "#EXTM3U",
            "#EXT-X-VERSION:\(version)",
            "#EXT-X-TARGETDURATION:\(targetDuration)",
            "#EXT-X-MEDIA-SEQUENCE:\(mediaSequence)",
            "#EXT-X-DISCONTINUITY-SEQUENCE:\(discontinuitySequence)",
        ]
        if let playlistType {
            lines.append("#EXT-X-PLAYLIST-TYPE:\(playlistType.rawValue)")
        }
        if independentSegments {
            lines.append("#EXT-X-INDEPENDENT-SEGMENTS")
        }
        if let lowLatency {
            let holdBack = TextFormatting.fixed(lowLatency.partHoldBackSeconds, decimals: 3)
            var control = "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES"
            if let skip = lowLatency.canSkipUntilSeconds {
                control += ",CAN-SKIP-UNTIL=\(TextFormatting.fixed(skip, decimals: 3))"
            }
            lines.append(control + ",PART-HOLD-BACK=\(holdBack)")
            lines.append(
                "#EXT-X-PART-INF:PART-TARGET=\(TextFormatting.fixed(lowLatency.partTargetSeconds, decimals: 3))")
            if lowLatency.skippedSegments > 0 {
                lines.append("#EXT-X-SKIP:SKIPPED-SEGMENTS=\(lowLatency.skippedSegments)")
            }
        }
        var currentMap: String?
        for segment in segments {
            if segment.isDiscontinuity {
                lines.append("#EXT-X-DISCONTINUITY")
            }
            // Repeat the map after a discontinuity too: some players drop it there.
            if segment.mapURI != currentMap || segment.isDiscontinuity {
                lines.append("#EXT-X-MAP:URI=\"\(HLSText.quoted(segment.mapURI))\"")
                currentMap = segment.mapURI
            }
            if let milliseconds = segment.programDateTimeMs {
                lines.append("#EXT-X-PROGRAM-DATE-TIME:\(TextFormatting.iso8601(millisecondsSince1970: milliseconds))")
            }
            lines += segment.parts.map(Self.partLine)
            let duration = TextFormatting.fixed(
                ticks: segment.durationTicks, timescale: segment.timescale, decimals: Self.durationDecimals)
            lines.append("#EXTINF:\(duration),")
            lines.append(HLSText.line(segment.uri))
        }
        if let lowLatency, !hasEndList {
            lines += lowLatency.pendingParts.map(Self.partLine)
            if let hint = lowLatency.preloadHintURI {
                lines.append("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"\(HLSText.quoted(hint))\"")
            }
            for report in lowLatency.renditionReports {
                var line =
                    "#EXT-X-RENDITION-REPORT:URI=\"\(HLSText.quoted(report.uri))\",LAST-MSN=\(report.lastMediaSequence)"
                if let part = report.lastPart { line += ",LAST-PART=\(part)" }
                lines.append(line)
            }
        }
        if hasEndList {
            lines.append("#EXT-X-ENDLIST")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func partLine(_ part: Part) -> String {
        let duration = TextFormatting.fixed(ticks: part.durationTicks, timescale: part.timescale, decimals: 5)
        let independent = part.isIndependent ? ",INDEPENDENT=YES" : ""
        return "#EXT-X-PART:DURATION=\(duration),URI=\"\(HLSText.quoted(part.uri))\"\(independent)"
    }
}

/// Text hygiene for values placed in playlists.
enum HLSText {
    /// A quoted-string may not contain `"`, CR or LF (RFC 8216 4.2).
    static func quoted(_ value: String) -> String {
        String(value.unicodeScalars.filter { $0 != "\"" && $0 != "\r" && $0 != "\n" })
    }

    /// A URI line may not break across lines.
    static func line(_ value: String) -> String {
        String(value.unicodeScalars.filter { $0 != "\r" && $0 != "\n" })
    }
}
