/// `GET /api/usage`: viewer and publish sessions summed per stream and per hour or day (UTC).
/// A session spanning buckets is split between them by time. A pure function of the stored sessions.
public struct UsageReport: Codable, Sendable, Equatable {
    public enum Grouping: String, Codable, Sendable {
        case hour, day

        var milliseconds: Int64 { self == .hour ? 3_600_000 : 86_400_000 }
    }

    public struct Bucket: Codable, Sendable, Equatable {
        public var start: String
        public var stream: String
        public var viewerMinutes: Double
        public var uniqueViewers: Int
        public var peakConcurrency: Int
        /// Every session, also those that only fetched playlists (not counted as viewers).
        public var sessions: Int
        public var sessionsViaEdge: Int
        public var bytes: Int64
        public var minutesByRendition: [String: Double]
        public var bytesByRendition: [String: Int64]
        public var players: [String: Int]
    }

    public struct Publish: Codable, Sendable, Equatable {
        public var stream: String
        public var start: String
        public var end: String
        public var durationSeconds: Double
        public var ingestBytes: Int64
        public var drops: Int64
        public var errors: Int64
    }

    public var from: String
    public var to: String
    public var group: Grouping
    public var stream: String?
    public var buckets: [Bucket]
    public var publishes: [Publish]

    public init(
        sessions: [ViewerSession], publishes: [PublishSession], fromMs: Int64, toMs: Int64, group: Grouping,
        stream: String?, time: (Int64) -> String
    ) {
        self.from = time(fromMs)
        self.to = time(toMs)
        self.group = group
        self.stream = stream
        let size = group.milliseconds
        // A session counts in every bucket it overlaps, its time and bytes split by the overlap.
        var grouped: [BucketKey: [(session: ViewerSession, share: Double)]] = [:]
        for session in sessions where session.lastMs >= fromMs && session.startedMs < toMs {
            let first = max(session.startedMs, fromMs)
            let last = min(session.lastMs, toMs - 1)
            let span = Double(max(1, session.lastMs - session.startedMs))
            var bucket = first - (first % size + size) % size
            while bucket <= last {
                let overlap = min(session.lastMs, bucket + size) - max(session.startedMs, bucket)
                let share = session.lastMs == session.startedMs ? 1 : max(0, Double(overlap)) / span
                grouped[BucketKey(start: bucket, stream: session.stream), default: []].append((session, share))
                bucket += size
            }
        }
        buckets = grouped.keys.sorted().map { key in
            let members = grouped[key] ?? []
            var minutes: [String: Double] = [:]
            var bytes: [String: Int64] = [:]
            var players: [String: Int] = [:]
            var total: Int64 = 0
            for (session, share) in members {
                for (rendition, usage) in session.renditions {
                    minutes[rendition, default: 0] += usage.seconds * share / 60
                    bytes[rendition, default: 0] += Int64((Double(usage.bytes) * share).rounded())
                }
                total += Int64((Double(session.bytes) * share).rounded())
                if session.watched { players[session.player, default: 0] += 1 }
            }
            let watching = members.map(\.session).filter(\.watched)
            let viewers = Set(watching.map { $0.viewer ?? "\($0.client ?? "-")|\($0.userAgent ?? "-")" })
            return Bucket(
                start: time(key.start), stream: key.stream, viewerMinutes: minutes.values.reduce(0, +),
                uniqueViewers: viewers.count,
                peakConcurrency: Self.peak(watching, from: key.start, to: key.start + size),
                sessions: members.count, sessionsViaEdge: members.filter(\.session.viaEdge).count,
                bytes: total, minutesByRendition: minutes, bytesByRendition: bytes, players: players)
        }
        self.publishes = publishes.map {
            Publish(
                stream: $0.stream, start: time($0.startedMs), end: time($0.endedMs),
                durationSeconds: Double($0.endedMs - $0.startedMs) / 1000, ingestBytes: $0.ingestBytes,
                drops: $0.drops, errors: $0.errors)
        }
    }

    struct BucketKey: Hashable, Comparable {
        var start: Int64
        var stream: String

        static func < (lhs: BucketKey, rhs: BucketKey) -> Bool {
            (lhs.start, lhs.stream) < (rhs.start, rhs.stream)
        }
    }

    /// The most sessions open at once within [from, to) (a sweep over their start and end).
    static func peak(_ sessions: [ViewerSession], from: Int64, to: Int64) -> Int {
        var edges: [(Int64, Int)] = []
        for session in sessions {
            let start = max(session.startedMs, from)
            let end = min(session.lastMs, to)
            guard end >= start else { continue }
            edges.append((start, 1))
            edges.append((end + 1, -1))
        }
        // At one instant, ends before starts.
        edges.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        var open = 0
        var most = 0
        for (_, delta) in edges {
            open += delta
            most = max(most, open)
        }
        return most
    }

    /// RFC 4180 CSV: one row per bucket and stream, one column per rendition's minutes and bytes.
    public var csv: String {
        let renditions = Set(buckets.flatMap { $0.bytesByRendition.keys }).sorted()
        var header = ["start", "stream", "viewer_minutes", "unique_viewers", "peak_concurrency", "sessions", "bytes"]
        header += renditions.flatMap { ["minutes_\($0)", "bytes_\($0)"] }
        var lines = [header.map(Self.field).joined(separator: ",")]
        for bucket in buckets {
            var row = [
                bucket.start, bucket.stream, Self.number(bucket.viewerMinutes), String(bucket.uniqueViewers),
                String(bucket.peakConcurrency), String(bucket.sessions), String(bucket.bytes),
            ]
            for rendition in renditions {
                row.append(Self.number(bucket.minutesByRendition[rendition] ?? 0))
                row.append(String(bucket.bytesByRendition[rendition] ?? 0))
            }
            lines.append(row.map(Self.field).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func number(_ value: Double) -> String {
        String((value * 1000).rounded() / 1000)
    }
}
