import Foundation
import LadderMedia
import Logging

/// The recordings on disk: it records streams as their segments are published (a
/// `SegmentRecorder`), lists them, finds their files, and deletes them by age and size.
///
/// Layout (a plain web server can serve it): `DIR/NAME/ID/index.jsonl` (the journal),
/// `DIR/NAME/ID/<rendition>/init-V.mp4` and `seg-N.m4s` (the live segments, byte for byte),
/// and once complete `master.m3u8`, `<rendition>/index.m3u8`, `manifest.mpd` and `NAME-ID.mp4`.
///
/// All disk work runs on one serial queue in submission order; `record` only enqueues, within
/// a bounded backlog. Lists and lookups read memory under a lock never held across I/O.
public final class RecordingLibrary: SegmentRecorder {
    public let policy: RecordingPolicy
    let logger: Logger
    let queue = DispatchQueue(label: "ladder.recordings")
    /// Progressive MP4s are built here, so a long one never delays the segments being written.
    let downloads = DispatchQueue(label: "ladder.recordings.mp4", qos: .utility)
    let state = Locked(State())
    /// Queue-confined writer state (file descriptors, written inits) per stream being recorded.
    let writers = Locked<[String: Writer]>([:])
    /// Told of every recording removed (deleted or by retention), after its folder is gone.
    let removalObservers = Locked<[@Sendable (RecordingSummary) -> Void]>([])

    struct State {
        /// Recordings being written, by stream: their index grows with each segment.
        var open: [String: RecordingIndex] = [:]
        /// Closed recordings (complete or interrupted), by id.
        var closed: [String: RecordingSummary] = [:]
        var backlogBytes = 0
        var counters = RecordingCounters()
        /// Occurrences of each warning, for rate-limited logging.
        var warnings: [String: Int] = [:]
    }

    public init(policy: RecordingPolicy, logger: Logger = Logger(label: "ladder.recordings")) {
        var trimmed = policy
        while trimmed.directory.count > 1, trimmed.directory.hasSuffix("/") { trimmed.directory.removeLast() }
        self.policy = trimmed
        self.logger = logger
    }

    public var counters: RecordingCounters { state.withLock { $0.counters } }

    /// Calls `observer` with each recording removed from now on (caches of its files drop them).
    public func observeRemovals(_ observer: @escaping @Sendable (RecordingSummary) -> Void) {
        removalObservers.withLock { $0.append(observer) }
    }

    /// The folder of a recording: `DIR/NAME/ID` (its files are below it).
    public func folder(stream: String, id: String) -> String { directory(stream: stream, id: id) }

    /// Returns once the segments and journals queued so far are on disk (shutdown).
    public func flushWrites() {
        queue.sync {}
    }

    /// Returns once everything queued so far is on disk, MP4s too (tests).
    public func flush() {
        queue.sync {}
        downloads.sync {}
    }

    // MARK: - Listing and lookup

    /// Every recording (of `stream`), newest first.
    public func list(stream: String? = nil) -> [RecordingSummary] {
        let all = state.withLock { state in
            Array(state.closed.values) + state.open.values.map(RecordingSummary.init)
        }
        return all.filter { stream == nil || $0.stream == stream }.sorted { ($0.startMs, $0.id) > ($1.startMs, $1.id) }
    }

    public func summary(id: String) -> RecordingSummary? {
        state.withLock { state in
            state.closed[id] ?? state.open.values.first { $0.id == id }.map(RecordingSummary.init)
        }
    }

    /// The index of a recording being written (its EVENT playlists render from it).
    public func openIndex(stream: String, id: String) -> RecordingIndex? {
        state.withLock { state in state.open[stream].flatMap { $0.id == id ? $0 : nil } }
    }

    /// The file of a recording at `path` (relative to the recording's folder), or nil when the
    /// recording or the path is unknown. Never outside the recording's folder.
    public func filePath(stream: String, id: String, path: String) -> String? {
        guard StreamName.isValid(stream), StreamName.isValid(id), Self.isServable(path),
            summary(id: id)?.stream == stream
        else { return nil }
        return "\(directory(stream: stream, id: id))/\(path)"
    }

    /// A live stream's segment or init segment that left memory but is listed for DVR: the file
    /// of the stream's recording being written, else of its newest closed recording.
    public func dvrFile(stream: String, path: String) -> (path: String, summary: RecordingSummary)? {
        guard hasRecording(of: stream), Self.isServable(path), path.split(separator: "/").count == 2,
            path.hasSuffix(".m4s") || path.hasSuffix(".mp4")
        else { return nil }
        let candidates = state.withLock { state -> [RecordingSummary] in
            let open = state.open[stream].map { [RecordingSummary($0)] } ?? []
            let closed = state.closed.values.filter { $0.stream == stream }.sorted { $0.startMs > $1.startMs }
            return open + closed.prefix(1)
        }
        for summary in candidates {
            let file = "\(directory(stream: stream, id: summary.id))/\(path)"
            if Self.fileSize(file) != nil { return (file, summary) }
        }
        return nil
    }

    /// Whether `stream` has a recording (being written or closed): a cheap check before disk I/O.
    public func hasRecording(of stream: String) -> Bool {
        state.withLock { state in
            state.open[stream] != nil || state.closed.values.contains { $0.stream == stream }
        }
    }

    /// A path below a recording's folder that may be served: valid components, none hidden (no
    /// temporary file of an atomic write), never the journal.
    static func isServable(_ path: String) -> Bool {
        StorePath.isValidPath(path) && path != RecordingJournal.fileName
            && !path.split(separator: "/").contains { $0.hasPrefix(".") }
    }

    /// The served type of a recording's file (the store's MIME table): audio segments of the
    /// audio renditions are audio/mp4.
    public func kind(ofPath path: String, in summary: RecordingSummary) -> StoredFileKind? {
        if let manifest = StoredFileKind.manifestKind(forPath: path) { return manifest }
        let components = path.split(separator: "/")
        if components.count == 1, path.hasSuffix(".mp4") { return .mediaSegment(.video) }
        guard components.count == 2 else { return nil }
        let media: StoredFileKind.Media = audioRendition(String(components[0]), in: summary) ? .audio : .video
        if path.hasSuffix(".m4s") { return .mediaSegment(media) }
        if path.hasSuffix(".mp4") { return .initSegment(media) }
        return nil
    }

    /// The progressive download's file name.
    public static func downloadName(stream: String, id: String) -> String { "\(stream)-\(id).mp4" }

    func directory(stream: String, id: String) -> String { "\(policy.directory)/\(stream)/\(id)" }

    private func audioRendition(_ name: String, in summary: RecordingSummary) -> Bool {
        summary.audioRenditions.contains(name)
    }
}

/// What recording did, for metrics and the API.
public struct RecordingCounters: Sendable, Hashable {
    public var segmentsWritten = 0
    public var bytesWritten = 0
    /// Segments left out: the backlog was full or a write failed (a full disk).
    public var segmentsDropped = 0
    public var writeFailures = 0
    public var deleted = 0

    public init() {}
}
