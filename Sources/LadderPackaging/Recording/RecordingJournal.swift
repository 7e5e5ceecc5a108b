import Foundation

/// A recording's index on disk: one JSON object per line, appended as the recording grows
/// (`index.jsonl`). A line is appended only after the files it names are written, so a crash
/// leaves at worst a torn last line, which `parse` skips. Pure functions over bytes.
public enum RecordingJournal {
    public static let fileName = "index.jsonl"

    public enum Entry: Sendable, Hashable {
        case start(id: String, stream: String, atMs: Int64)
        /// A rendition's description for one init version.
        case track(version: Int, RecordedTrack)
        case initSegment(rendition: String, version: Int, byteCount: Int)
        case segment(RecordingIndex.Segment)
        case end(atMs: Int64, state: RecordingIndex.State)
    }

    public struct Parsed: Sendable, Hashable {
        public var index: RecordingIndex?
        /// Lines that were not a valid entry (a torn last line after a crash, or damage).
        public var damagedLines: Int
    }

    /// One line, with its newline.
    public static func line(_ entry: Entry) -> [UInt8] {
        var line = Line(type: "")
        switch entry {
        case .start(let id, let stream, let atMs):
            line = Line(type: "start", id: id, stream: stream, ms: atMs)
        case .track(let version, let track):
            line = Line(type: "track", version: version, track: track)
        case .initSegment(let rendition, let version, let byteCount):
            line = Line(type: "init", version: version, rendition: rendition, bytes: byteCount)
        case .segment(let segment):
            line = Line(
                type: "segment", number: segment.number, discontinuity: segment.isDiscontinuity ? true : nil,
                pdt: segment.programDateTimeMs,
                renditions: segment.renditions.mapValues {
                    [Int64($0.initVersion), $0.startTicks, $0.durationTicks, Int64($0.byteCount)]
                })
        case .end(let atMs, let state):
            line = Line(type: "end", ms: atMs, state: state)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(line)) ?? Data("{}".utf8)
        return Array(data) + [0x0A]
    }

    /// The index the lines describe; nil without a valid start line first.
    public static func parse(_ bytes: [UInt8]) -> Parsed {
        var index: RecordingIndex?
        var damaged = 0
        let decoder = JSONDecoder()
        for raw in bytes.split(separator: 0x0A, omittingEmptySubsequences: true) {
            guard let line = try? decoder.decode(Line.self, from: Data(raw)), let entry = line.entry else {
                damaged += 1
                continue
            }
            if case .start(let id, let stream, let atMs) = entry {
                if index == nil { index = RecordingIndex(id: id, stream: stream, startMs: atMs) }
                continue
            }
            index?.apply(entry)
        }
        return Parsed(index: index, damagedLines: damaged)
    }

    /// The stored form: short keys, absent fields omitted.
    struct Line: Codable {
        var type: String
        var id: String?
        var stream: String?
        var ms: Int64?
        var version: Int?
        var track: RecordedTrack?
        var rendition: String?
        var bytes: Int?
        var number: Int?
        var discontinuity: Bool?
        var pdt: Int64?
        /// Segment renditions: [init version, start ticks, duration ticks, bytes].
        var renditions: [String: [Int64]]?
        var state: RecordingIndex.State?

        var entry: Entry? {
            switch type {
            case "start":
                guard let id, let stream, let ms else { return nil }
                return .start(id: id, stream: stream, atMs: ms)
            case "track":
                guard let version, let track else { return nil }
                return .track(version: version, track)
            case "init":
                guard let rendition, let version, let bytes else { return nil }
                return .initSegment(rendition: rendition, version: version, byteCount: bytes)
            case "segment":
                guard let number, let pdt, let renditions else { return nil }
                var entries: [String: RecordingIndex.Entry] = [:]
                for (name, values) in renditions {
                    guard values.count == 4, values[2] >= 0, values[3] >= 0, values[3] <= Int64(Int32.max),
                        let version = Int(exactly: values[0])
                    else { return nil }
                    entries[name] = RecordingIndex.Entry(
                        initVersion: version, startTicks: values[1], durationTicks: values[2],
                        byteCount: Int(values[3]))
                }
                return .segment(
                    RecordingIndex.Segment(
                        number: number, isDiscontinuity: discontinuity ?? false, programDateTimeMs: pdt,
                        renditions: entries))
            case "end":
                guard let ms, let state else { return nil }
                return .end(atMs: ms, state: state)
            default:
                return nil
            }
        }
    }
}
