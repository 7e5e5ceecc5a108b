import Foundation

/// What one recording holds, rebuilt from its journal (`RecordingJournal`): the tracks, every
/// segment listed in order, and whether it is still being written. Pure value.
public struct RecordingIndex: Sendable, Hashable {
    public enum State: String, Sendable, Hashable, Codable {
        /// Being written by this gateway now.
        case recording
        /// The stream ended and the recording was closed.
        case complete
        /// The gateway stopped (crash, kill) while writing: playable up to its last listed segment.
        case interrupted
    }

    public struct Entry: Sendable, Hashable {
        public var initVersion: Int
        public var startTicks: Int64
        public var durationTicks: Int64
        public var byteCount: Int
    }

    public struct Segment: Sendable, Hashable {
        public var number: Int
        public var isDiscontinuity: Bool
        public var programDateTimeMs: Int64
        public var renditions: [String: Entry]
    }

    public var id: String
    public var stream: String
    public var startMs: Int64
    public var endMs: Int64?
    public var state: State
    /// Every init version of each rendition, as recorded.
    public var tracks: [String: [Int: RecordedTrack]] = [:]
    /// Renditions in the order they first appeared (video first within a segment, as published).
    public var renditionOrder: [String] = []
    public var segments: [Segment] = []
    /// Bytes of the media and init segments listed.
    public var byteCount = 0

    public init(id: String, stream: String, startMs: Int64, state: State = .recording) {
        self.id = id
        self.stream = stream
        self.startMs = startMs
        self.state = state
    }

    /// The newest description of a rendition.
    public func track(_ name: String) -> RecordedTrack? {
        tracks[name].flatMap { versions in versions.keys.max().flatMap { versions[$0] } }
    }

    public var videoRenditions: [String] { renditionOrder.filter { track($0)?.isVideo == true } }
    public var audioRenditions: [String] { renditionOrder.filter { track($0)?.isVideo == false } }

    /// The rendition whose segment times stand for the recording's (first video, else first audio).
    public var referenceRendition: String? { videoRenditions.first ?? audioRenditions.first }

    /// Seconds of media: the reference rendition's listed segments.
    public var durationSeconds: Double {
        guard let reference = referenceRendition, let timescale = track(reference)?.timescale else { return 0 }
        let ticks = segments.reduce(Int64(0)) { $0 &+ ($1.renditions[reference]?.durationTicks ?? 0) }
        return Double(ticks) / Double(max(1, timescale))
    }

    /// Wall clock of the end: the close time, else the end of the last segment.
    public var lastWallMs: Int64 {
        if let endMs { return endMs }
        guard let last = segments.last else { return startMs }
        let reference = referenceRendition.flatMap { last.renditions[$0] }
        let timescale = referenceRendition.flatMap { track($0)?.timescale } ?? 1
        let durationMs = reference.map { $0.durationTicks * 1000 / max(1, timescale) } ?? 0
        return last.programDateTimeMs + durationMs
    }

    // MARK: - Building from journal entries

    mutating func apply(_ entry: RecordingJournal.Entry) {
        switch entry {
        case .start:
            break
        case .track(let version, let track):
            if tracks[track.name] == nil { renditionOrder.append(track.name) }
            tracks[track.name, default: [:]][version] = track
        case .initSegment(_, _, let bytes):
            byteCount += bytes
        case .segment(let segment):
            segments.append(segment)
            byteCount += segment.renditions.values.reduce(0) { $0 + $1.byteCount }
        case .end(let atMs, let state):
            endMs = atMs
            self.state = state
        }
    }

    /// Keeps the segments `keep` accepts and every one before the first it refuses (a file that
    /// is missing or shorter than listed after a crash): a VOD never lists past a hole.
    mutating func truncate(whereInvalid keep: (Segment) -> Bool) {
        guard let firstBad = segments.firstIndex(where: { !keep($0) }) else { return }
        for segment in segments[firstBad...] {
            byteCount -= segment.renditions.values.reduce(0) { $0 + $1.byteCount }
        }
        segments.removeSubrange(firstBad...)
    }
}
