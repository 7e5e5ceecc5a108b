import LadderMedia

/// What the packager asks the store to do, in order.
enum PackagerAction: Sendable {
    /// `mirrored: false`: memory only (LL parts: the disk copy keeps whole segments).
    case put(path: String, bytes: [UInt8], kind: StoredFileKind, mirrored: Bool = true)
    case delete(path: String)
    case publishManifests(files: [String: [UInt8]], state: StreamState, progress: [String: PlaylistProgress])
    /// A segment complete on every track, for a recorder (after its `.put`s).
    case record(RecordedSegment)
    /// The stream ended: a recording of it is complete.
    case recordEnd
}

/// A rendition across publishes: its init versions, fragment numbering and measurements.
struct RenditionState: Sendable {
    let name: String
    var description: TrackDescription
    var initVersion = 0
    var initBytes: [UInt8] = []
    var storedInitVersions: Set<Int> = []
    /// The description each stored init segment was built from: a DASH Period that still lists
    /// an older init must describe that init's codec and size, not the newest one.
    var descriptionsByInitVersion: [Int: TrackDescription] = [:]
    var fragmenter: CMAFFragmenter
    /// End of the last published sample on the output timeline (track timescale).
    var floorTicks: Int64 = 0
    var meter = BitrateMeter()
    /// Video only: this rendition plus the audio of the same segments (the HLS variant).
    var variantMeter = BitrateMeter()
    var segmentsPublished = 0

    var isVideo: Bool { description.isVideo }
    var timescale: Int64 { Int64(max(1, description.timescale)) }
    var floorSeconds: Double { Double(floorTicks) / Double(timescale) }
}

/// One published segment of one rendition.
struct PublishedRendition: Sendable, Hashable {
    /// Earliest presentation time on the output timeline.
    var startTicks: Int64
    var durationTicks: Int64
    var timescale: Int64
    var byteCount: Int
    var initVersion: Int
    var programDateTimeMs: Int64?
    /// LL parts, while they are listed (the newest segments only).
    var parts: [PublishedPart] = []

    var startSeconds: Double { Double(startTicks) / Double(timescale) }
    var durationSeconds: Double { Double(durationTicks) / Double(timescale) }
}

/// A segment number published on every track of its epoch.
struct PublishedSegment: Sendable {
    var number: Int
    var isDiscontinuity: Bool
    var periodID: Int
    var renditions: [String: PublishedRendition]
    /// The rendition whose times define the segment for DASH periods (first video, else audio).
    var referenceName: String

    var reference: PublishedRendition? { renditions[referenceName] }
}

/// A DASH Period: where its media starts on the output timeline and, for live, on the wall clock.
struct PeriodAnchor: Sendable, Hashable {
    var id: Int
    var wallStartMs: Int64
    /// Output time at Period@start (numbered addressing: the start of the first slot).
    var mediaStartSeconds: Double
    /// Number of the period's first segment (numbered addressing: slot 0).
    var firstNumber: Int
    /// Wall-clock availability announced for the period's latest segment.
    var announcedEndMs: Int64
}
