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

        public init(
            uri: String, durationTicks: Int64, timescale: Int64, isDiscontinuity: Bool, mapURI: String,
            programDateTimeMs: Int64?
        ) {
            self.uri = uri
            self.durationTicks = durationTicks
            self.timescale = timescale
            self.isDiscontinuity = isDiscontinuity
            self.mapURI = mapURI
            self.programDateTimeMs = programDateTimeMs
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

    public init(
        version: Int = 7, targetDuration: Int, mediaSequence: Int, discontinuitySequence: Int,
        playlistType: PlaylistType?, independentSegments: Bool = true, segments: [Segment], hasEndList: Bool
    ) {
        self.version = version
        self.targetDuration = targetDuration
        self.mediaSequence = mediaSequence
        self.discontinuitySequence = discontinuitySequence
        self.playlistType = playlistType
        self.independentSegments = independentSegments
        self.segments = segments
        self.hasEndList = hasEndList
    }

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
            let duration = TextFormatting.fixed(
                ticks: segment.durationTicks, timescale: segment.timescale, decimals: Self.durationDecimals)
            lines.append("#EXTINF:\(duration),")
            lines.append(HLSText.line(segment.uri))
        }
        if hasEndList {
            lines.append("#EXT-X-ENDLIST")
        }
        return lines.joined(separator: "\n") + "\n"
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
