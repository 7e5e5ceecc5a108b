import Ladder
import NIOCore

/// What the HTTP origin serves under `/live/NAME/`. Content lives in memory (the packager's
/// segment store); the origin never reads stream content from the filesystem.
protocol OriginContent: Sendable {
    /// `path` is relative to /live/NAME/, already normalised (no "..", no leading "/"),
    /// e.g. "master.m3u8", "manifest.mpd", "720p/init.mp4", "720p/seg-42.m4s".
    func file(stream: String, path: String) -> OriginFile?
    func streamExists(_ stream: String) -> Bool
    /// Names of the streams currently being published, for the index page.
    func liveStreams() -> [String]
    /// How long a blocking request of a live LL stream may be held (3 target durations,
    /// RFC 8216bis 6.2.5.2); nil when the stream has no LL output.
    func blockingTimeout(stream: String) -> Duration?
    /// Returns once the stream's content changed, or at `deadline`.
    func changed(stream: String, before deadline: ContinuousClock.Instant) async
}

extension OriginContent {
    func blockingTimeout(stream: String) -> Duration? { nil }

    func changed(stream: String, before deadline: ContinuousClock.Instant) async {
        try? await Task.sleep(until: deadline)
    }
}

/// One in-memory file of a stream.
struct OriginFile: Sendable {
    var body: ByteBuffer
    /// The Content-Type it is served with; empty means `application/octet-stream`.
    var contentType: String
    var cache: CachePolicy
    /// The same bytes as `body` in a memfd, for sendfile(2) (large files of the gateway's store).
    var memoryFile: MemoryFile?
    /// A live LL-HLS media playlist: where it stands (blocking reloads).
    var progress: PlaylistProgress?

    init(body: ByteBuffer, contentType: String, cache: CachePolicy) {
        self.body = body
        self.contentType = contentType
        self.cache = cache
    }

    init(bytes: some Sequence<UInt8>, contentType: String, cache: CachePolicy) {
        self.init(body: ByteBuffer(bytes: bytes), contentType: contentType, cache: cache)
    }
}

/// How long shared caches and players may reuse a response.
enum CachePolicy: Sendable, Hashable {
    /// Init and media segments: written once, never change.
    case immutable
    /// A playlist or MPD that is still updated; `maxAgeSeconds` is about half a segment
    /// (RFC 8216 6.2.2 lets clients reload no sooner than that). Values below 1 mean `no-cache`.
    case liveManifest(maxAgeSeconds: Int)
    /// The stream ended: the playlist has EXT-X-ENDLIST / the MPD is static and stays as it is.
    case endedManifest

    /// The `Cache-Control` value (RFC 9111 5.2.2).
    var cacheControl: String {
        switch self {
        case .immutable:
            return "public, max-age=31536000, immutable"
        case .liveManifest(let maxAgeSeconds):
            return maxAgeSeconds < 1 ? "no-cache" : "public, max-age=\(maxAgeSeconds)"
        case .endedManifest:
            return "public, max-age=300"
        }
    }
}

/// Status of every known stream, for `/api/streams`. The origin fills in `viewers` and
/// `bytesServed` itself from its own `ViewerTracker`.
protocol StatusSource: Sendable {
    func streams() -> [StreamStatus]
}

/// Media types of the origin's own responses (pages, API, metrics, errors). Stream files carry
/// theirs in `OriginFile.contentType`, from the store (`StoredFileKind.contentType`).
enum OriginContentType {
    static let html = "text/html; charset=utf-8"
    static let json = "application/json; charset=utf-8"
    static let plainText = "text/plain; charset=utf-8"
    static let javascript = "text/javascript; charset=utf-8"
    static let css = "text/css; charset=utf-8"
    static let svg = "image/svg+xml"
    /// Prometheus text exposition format 0.0.4.
    static let prometheus = "text/plain; version=0.0.4; charset=utf-8"
    /// A stream file whose type is not known (RFC 9110 8.3).
    static let octetStream = "application/octet-stream"
}
