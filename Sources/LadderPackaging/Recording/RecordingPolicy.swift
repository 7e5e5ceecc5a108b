/// What the gateway records and how long it keeps it (`recording:` in the gateway config).
public struct RecordingPolicy: Sendable, Hashable {
    public enum Streams: Sendable, Hashable {
        case all
        case named(Set<String>)
    }

    /// Root of the recordings: `DIR/NAME/ID/...`.
    public var directory: String
    public var streams: Streams
    /// Recordings that ended longer ago are deleted (nil: kept until size forces it).
    public var keepSeconds: Double?
    /// The oldest recordings are deleted while all of them take more (nil: no limit).
    public var maxBytes: Int64?
    /// Bytes waiting for the disk; a segment that would exceed it is left out of the recording
    /// (counted and logged, and the next one is marked as a discontinuity), never buffered.
    public var maxBacklogBytes: Int

    public init(
        directory: String, streams: Streams = .all, keepSeconds: Double? = nil, maxBytes: Int64? = nil,
        maxBacklogBytes: Int = 64 * 1024 * 1024
    ) {
        self.directory = directory
        self.streams = streams
        self.keepSeconds = keepSeconds
        self.maxBytes = maxBytes
        self.maxBacklogBytes = maxBacklogBytes
    }

    public func records(_ stream: String) -> Bool {
        switch streams {
        case .all: true
        case .named(let names): names.contains(stream)
        }
    }
}

/// One recording as `/api/recordings` lists it.
public struct RecordingSummary: Sendable, Hashable, Codable {
    public var id: String
    public var stream: String
    public var state: RecordingIndex.State
    public var startMs: Int64
    public var endMs: Int64
    public var durationSeconds: Double
    public var renditions: [String]
    public var audioRenditions: [String]
    public var segments: Int
    public var bytes: Int

    public init(_ index: RecordingIndex) {
        id = index.id
        stream = index.stream
        state = index.state
        startMs = index.startMs
        endMs = index.lastWallMs
        durationSeconds = index.durationSeconds
        renditions = index.renditionOrder
        audioRenditions = index.audioRenditions
        segments = index.segments.count
        bytes = index.byteCount
    }
}
