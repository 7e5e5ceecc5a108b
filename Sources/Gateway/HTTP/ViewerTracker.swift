import NIOConcurrencyHelpers

/// Per-stream audience as seen by the origin: distinct recent clients (IP + User-Agent) and
/// body bytes served. Safe to call from any thread; every call is O(1) amortised except
/// `snapshot`, which prunes expired clients.
final class ViewerTracker: Sendable {
    struct StreamAudience: Equatable, Sendable {
        var viewers: Int
        var bytesServed: Int64
    }

    private struct StreamEntry {
        var lastSeenByClient: [String: ContinuousClock.Instant] = [:]
        var bytesServed: Int64 = 0
    }

    /// A client counts as a viewer while its last request is younger than this.
    let window: Duration
    /// Bound on remembered clients per stream; past it new clients are not counted until
    /// old ones expire, so memory stays bounded whatever clients send.
    let maxClientsPerStream: Int
    static let maxClientKeyLength = 512

    private let streams = NIOLockedValueBox<[String: StreamEntry]>([:])

    init(window: Duration = .seconds(30), maxClientsPerStream: Int = 10_000) {
        self.window = window
        self.maxClientsPerStream = maxClientsPerStream
    }

    /// The identity of a client: its address and User-Agent, truncated.
    static func clientKey(address: String?, userAgent: String?) -> String {
        let key = "\(address ?? "-")|\(userAgent ?? "-")"
        return key.utf8.count <= maxClientKeyLength
            ? key : String(decoding: key.utf8.prefix(maxClientKeyLength), as: UTF8.self)
    }

    /// Records one response of `bytes` body bytes for `stream` to `client` at `now`.
    func record(stream: String, client: String, bytes: Int, at now: ContinuousClock.Instant) {
        streams.withLockedValue { streams in
            // In place: copying the entry out would copy its client table on every request.
            Self.record(&streams[stream, default: StreamEntry()], client: client, bytes: bytes, now: now, self)
        }
    }

    /// Current audience of every stream seen so far, pruning clients idle for longer than `window`.
    func snapshot(at now: ContinuousClock.Instant) -> [String: StreamAudience] {
        streams.withLockedValue { streams in
            var result: [String: StreamAudience] = [:]
            for name in streams.keys {
                guard var entry = streams[name] else { continue }
                Self.pruneExpired(&entry, now: now, window: window)
                streams[name] = entry
                result[name] = StreamAudience(viewers: entry.lastSeenByClient.count, bytesServed: entry.bytesServed)
            }
            return result
        }
    }

    func audience(of stream: String, at now: ContinuousClock.Instant) -> StreamAudience {
        streams.withLockedValue { streams in
            guard var entry = streams[stream] else { return StreamAudience(viewers: 0, bytesServed: 0) }
            Self.pruneExpired(&entry, now: now, window: window)
            streams[stream] = entry
            return StreamAudience(viewers: entry.lastSeenByClient.count, bytesServed: entry.bytesServed)
        }
    }

    /// Drops everything known about `stream` (e.g. when the gateway forgets an ended stream).
    func forget(stream: String) {
        _ = streams.withLockedValue { $0.removeValue(forKey: stream) }
    }

    private static func record(
        _ entry: inout StreamEntry, client: String, bytes: Int, now: ContinuousClock.Instant, _ tracker: ViewerTracker
    ) {
        entry.bytesServed &+= Int64(max(0, bytes))
        if entry.lastSeenByClient[client] != nil || entry.lastSeenByClient.count < tracker.maxClientsPerStream {
            entry.lastSeenByClient[client] = now
        } else {
            pruneExpired(&entry, now: now, window: tracker.window)
            if entry.lastSeenByClient.count < tracker.maxClientsPerStream { entry.lastSeenByClient[client] = now }
        }
    }

    private static func pruneExpired(_ entry: inout StreamEntry, now: ContinuousClock.Instant, window: Duration) {
        entry.lastSeenByClient = entry.lastSeenByClient.filter { now - $0.value < window }
    }
}
