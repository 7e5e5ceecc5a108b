import LadderMedia

/// A rendition as a recording describes it: what its playlists and MPD need, as stored in the
/// recording's journal (so a VOD renders without the packager that made it).
public struct RecordedTrack: Sendable, Hashable, Codable {
    public var name: String
    public var isVideo: Bool
    /// RFC 6381 CODECS value (from the bitstream, as the live manifests say it).
    public var codecs: String
    public var timescale: Int64
    public var width: Int?
    public var height: Int?
    public var frameRate: Double?
    /// Pixel aspect ratio (DASH @sar), video only.
    public var sarWidth: Int?
    public var sarHeight: Int?
    public var sampleRate: Int?
    public var channels: Int?

    public init(_ description: TrackDescription) {
        name = description.name
        isVideo = description.isVideo
        codecs = description.codecString
        timescale = Int64(max(1, description.timescale))
        switch description.media {
        case .video(let width, let height, let rate, let aspectNum, let aspectDen):
            self.width = width
            self.height = height
            frameRate = rate.flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
            let (aspectH, aspectV) = CMAFInitSegment.normalizedAspect(aspectNum, aspectDen)
            sarWidth = Int(aspectH)
            sarHeight = Int(aspectV)
        case .audio(let sampleRate, let channels):
            self.sampleRate = sampleRate
            self.channels = channels > 0 ? channels : nil
        }
    }

    /// RESOLUTION (RFC 8216 4.3.4.2): the coded size with the width scaled by the pixel aspect.
    public var displaySize: (width: Int, height: Int)? {
        guard let width, let height else { return nil }
        return (Int((Double(width) * Double(sarWidth ?? 1) / Double(max(1, sarHeight ?? 1))).rounded()), height)
    }

    enum CodingKeys: String, CodingKey {
        case name, codecs, timescale, width, height, channels
        case isVideo = "video"
        case frameRate = "frame_rate"
        case sarWidth = "sar_w"
        case sarHeight = "sar_h"
        case sampleRate = "sample_rate"
    }
}

/// A segment published on every track of the stream, as the packager hands it to a recorder:
/// the boundary was decided once by the packager and the recording keeps it as is.
public struct RecordedSegment: Sendable {
    public struct Rendition: Sendable {
        public var track: RecordedTrack
        public var initVersion: Int
        /// The init segment of `initVersion` (shared storage with the packager's copy).
        public var initBytes: [UInt8]
        /// The whole CMAF segment (all its chunks).
        public var bytes: [UInt8]
        /// Earliest presentation time and duration on the output timeline (track timescale).
        public var startTicks: Int64
        public var durationTicks: Int64

        public init(
            track: RecordedTrack, initVersion: Int, initBytes: [UInt8], bytes: [UInt8], startTicks: Int64,
            durationTicks: Int64
        ) {
            self.track = track
            self.initVersion = initVersion
            self.initBytes = initBytes
            self.bytes = bytes
            self.startTicks = startTicks
            self.durationTicks = durationTicks
        }
    }

    /// The live media sequence number.
    public var number: Int
    /// Follows a gap (reconnect, resync): EXT-X-DISCONTINUITY, and a new DASH Period in the VOD.
    public var isDiscontinuity: Bool
    /// Wall clock of the segment's start (EXT-X-PROGRAM-DATE-TIME), milliseconds since 1970.
    public var programDateTimeMs: Int64
    public var renditions: [Rendition]

    public init(number: Int, isDiscontinuity: Bool, programDateTimeMs: Int64, renditions: [Rendition]) {
        self.number = number
        self.isDiscontinuity = isDiscontinuity
        self.programDateTimeMs = programDateTimeMs
        self.renditions = renditions
    }
}

/// Receives every complete segment of the streams it records. Called under the packager's lock,
/// so an implementation only enqueues: no I/O, no waiting.
public protocol SegmentRecorder: Sendable {
    func record(stream: String, segment: RecordedSegment)
    /// The stream ended (its last segment was recorded before): the recording is complete.
    func streamEnded(stream: String, atMs: Int64)
}
