import Ladder
import NIOCore

/// How the gateway's store keeps each file: one ByteBuffer per version, which every response
/// sends as is (a reference, never a copy per request), and for a large file (a segment) the
/// same bytes in a `MemoryFile` that plain-HTTP responses send with sendfile(2).
struct SharedBody: StoredBytes {
    let buffer: ByteBuffer
    let memoryFile: MemoryFile?

    init(_ bytes: [UInt8]) {
        buffer = ByteBuffer(bytes: bytes)
        memoryFile = MemoryFile.make(bytes)
    }

    var count: Int { buffer.readableBytes }
    var array: [UInt8] { Array(buffer.readableBytesView) }
}

/// Serves the packager's in-memory store to the HTTP origin.
struct StoreOriginContent: OriginContent {
    let store: SegmentStore
    /// Segment length per stream, for the live manifests' max-age (about half a segment).
    let segmentSeconds: @Sendable (String) -> Double?
    /// Whether the stream has LL parts (blocking reloads, hinted parts).
    var hasParts: @Sendable (String) -> Bool = { _ in false }
    /// Wakes blocked requests; the store's `onChange` notifies it.
    var waiters = StoreChangeWaiters()

    func file(stream: String, path: String) -> OriginFile? {
        guard let stored = store.get(stream: stream, path: path) else { return nil }
        let cache: CachePolicy
        if stored.isImmutable {
            cache = .immutable
        } else if stored.progress != nil {
            // An LL playlist changes with every part: players and caches revalidate each time
            // (blocking requests, keyed by their query, are cacheable instead).
            cache = .liveManifest(maxAgeSeconds: 0)
        } else if stored.streamState == .live {
            cache = .liveManifest(maxAgeSeconds: Int((segmentSeconds(stream) ?? 2) / 2))
        } else {
            cache = .endedManifest
        }
        let shared = stored.body as? SharedBody
        var file = OriginFile(
            body: shared?.buffer ?? ByteBuffer(bytes: stored.bytes), contentType: stored.contentType, cache: cache)
        file.memoryFile = shared?.memoryFile
        file.progress = stored.progress
        return file
    }

    func blockingTimeout(stream: String) -> Duration? {
        guard hasParts(stream), store.streamState(stream) == .live, let seconds = segmentSeconds(stream) else {
            return nil
        }
        // Three target durations (RFC 8216bis 6.2.5.2); EXT-X-TARGETDURATION rounds the segment.
        return .seconds(3 * max(1, seconds.rounded()))
    }

    func changed(stream: String, before deadline: ContinuousClock.Instant) async {
        await waiters.changed(stream: stream, before: deadline)
    }

    func streamExists(_ stream: String) -> Bool {
        store.streamState(stream) != nil
    }

    func liveStreams() -> [String] {
        store.streams().filter { $0.state == .live }.map(\.name)
    }
}
