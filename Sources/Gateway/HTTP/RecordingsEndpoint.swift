import Foundation
import Hummingbird
import Ladder
import NIOCore
import NIOPosix

/// `/vod/NAME/ID/...` and `/api/recordings`: recordings served from disk (a closed one's files
/// as written; a recording in progress has EVENT playlists rendered from its index), listed,
/// and deleted by an admin. Disk reads run on the thread pool, never on an event loop.
struct RecordingsEndpoint: Sendable {
    let library: RecordingLibrary
    let pool: NIOThreadPool
    /// Recorded files already read, for the hot path (purged when a recording is removed).
    let cache: RecordingFileCache

    init(
        library: RecordingLibrary, pool: NIOThreadPool = .singleton,
        cache: RecordingFileCache = RecordingFileCache()
    ) {
        self.library = library
        self.pool = pool
        self.cache = cache
        library.observeRemovals { [cache] summary in
            cache.remove(prefix: library.folder(stream: summary.stream, id: summary.id) + "/")
        }
    }

    struct RecordingList: Encodable {
        var recordings: [Listed]
    }

    /// A summary with its URLs.
    struct Listed: Encodable {
        var id: String
        var stream: String
        var state: String
        var start: String
        var end: String
        var durationSeconds: Double
        var renditions: [String]
        var segments: Int
        var bytes: Int
        var hls: String
        var dash: String
        var download: String

        init(_ summary: RecordingSummary) {
            id = summary.id
            stream = summary.stream
            state = summary.state.rawValue
            start = TextFormatting.iso8601(millisecondsSince1970: summary.startMs)
            end = TextFormatting.iso8601(millisecondsSince1970: summary.endMs)
            durationSeconds = (summary.durationSeconds * 1000).rounded() / 1000
            renditions = summary.renditions
            segments = summary.segments
            bytes = summary.bytes
            let base = "/vod/\(summary.stream)/\(summary.id)/"
            hls = base + RecordingManifests.naming.masterPlaylist
            dash = base + RecordingManifests.naming.manifest
            download = base + RecordingLibrary.downloadName(stream: summary.stream, id: summary.id)
        }
    }

    func list(stream: String?, visible: (String) -> Bool = { _ in true }) -> Response {
        if let stream, !StreamName.isValid(stream) {
            return OriginResponder.json(.badRequest, APIError(error: "invalid stream name"))
        }
        return OriginResponder.json(
            .ok,
            RecordingList(recordings: library.list(stream: stream).filter { visible($0.stream) }.map(Listed.init)))
    }

    func show(id: String) -> Response {
        guard let summary = library.summary(id: id) else {
            return OriginResponder.json(.notFound, APIError(error: "recording not found"))
        }
        return OriginResponder.json(.ok, Listed(summary))
    }

    /// Deletes a recording (the caller checked the admin credential).
    func delete(id: String) async -> Response {
        let result = try? await pool.runIfActive { [library] in library.delete(id: id) }
        switch result {
        case .deleted(let summary):
            return OriginResponder.json(.ok, Listed(summary))
        case .inProgress:
            return OriginResponder.json(
                .conflict, APIError(error: "recording in progress; it can be deleted once its stream ends"))
        case .notFound, nil:
            return OriginResponder.json(.notFound, APIError(error: "recording not found"))
        }
    }

    // MARK: Files

    /// A recording's file already in memory (the origin's hot path), else nil. Only files that
    /// `serve` validated are cached, and a removed recording's are purged: a hit needs no check.
    func cachedFile(stream: String, id: String, path: String) -> OriginFile? {
        cache.file(at: "\(library.policy.directory)/\(stream)/\(id)/\(path)")
    }

    func serve(
        stream: String, id: String, path: String, request: Request, context: some RequestContext
    ) async
        -> (response: Response, bytes: Int)
    {
        guard let summary = library.summary(id: id), summary.stream == stream else {
            return (OriginResponder.notFound(), 0)
        }
        if summary.state == .recording, let answer = inProgress(summary, path: path) {
            return (answer, 0)
        }
        guard let filePath = library.filePath(stream: stream, id: id, path: path),
            let kind = library.kind(ofPath: path, in: summary)
        else { return (OriginResponder.notFound(), 0) }
        let download = path == RecordingLibrary.downloadName(stream: stream, id: id)
        let cacheable = (summary.state != .recording || kind.isImmutable) && !download
        let cache = cacheable ? cache : nil
        if let cached = cache?.file(at: filePath) {
            return Self.memoryResponse(cached, request: request)
        }
        let loaded = try? await pool.runIfActive { () -> (size: Int, bytes: [UInt8]?)? in
            guard let size = RecordingLibrary.fileSize(filePath) else { return nil }
            guard cache != nil, size <= RecordingFileCache.maxFileBytes else { return (size, nil) }
            return FileManager.default.contents(atPath: filePath).map { (size, Array($0)) }
        }
        if let bytes = loaded?.bytes, let cache {
            var file = OriginFile(body: ByteBuffer(), contentType: kind.contentType, cache: .immutable)
            let shared = SharedBody(bytes)
            file.body = shared.buffer
            file.memoryFile = shared.memoryFile
            if !kind.isImmutable { file.cache = .endedManifest }
            cache.insert(file, at: filePath)
            return Self.memoryResponse(file, request: request)
        }
        guard let size = loaded?.size else {
            if path == RecordingLibrary.downloadName(stream: stream, id: id) {
                return (
                    OriginResponder.text(
                        .notFound, "the MP4 download is being prepared; try again shortly\n",
                        cacheControl: OriginResponder.noCache), 0
                )
            }
            return (OriginResponder.notFound(), 0)
        }
        var headers = HTTPFields()
        headers[.contentType] = kind.contentType
        headers[.cacheControl] =
            kind.isImmutable || path.hasSuffix(".mp4")
            ? CachePolicy.immutable.cacheControl
            : CachePolicy.endedManifest.cacheControl
        if path == RecordingLibrary.downloadName(stream: stream, id: id) {
            headers[.contentDisposition] = "attachment; filename=\"\(path)\""
        }
        return await send(filePath, size: size, headers: headers, request: request, context: context)
    }

    /// A file in memory, whole or a range of it.
    private static func memoryResponse(_ file: OriginFile, request: Request) -> (response: Response, bytes: Int) {
        let response = OriginResponder.fileResponse(file, request: request)
        return (
            response,
            response.status == .ok || response.status == .partialContent ? response.body.contentLength ?? 0 : 0
        )
    }

    /// A live stream's segment that left memory but is still listed (DVR): read from the
    /// stream's recording. nil when no recording has it.
    func serveDVR(
        stream: String, path: String, request: Request, context: some RequestContext
    ) async
        -> (response: Response, bytes: Int)?
    {
        // Most misses are of streams without recordings: no trip to the disk for those.
        guard path.hasSuffix(".m4s") || path.hasSuffix(".mp4"), library.hasRecording(of: stream) else { return nil }
        let found = try? await pool.runIfActive { [library] () -> (String, RecordingSummary, Int)? in
            guard let (file, summary) = library.dvrFile(stream: stream, path: path),
                let size = RecordingLibrary.fileSize(file)
            else { return nil }
            return (file, summary, size)
        }
        guard let (file, summary, size) = found ?? nil, let kind = library.kind(ofPath: path, in: summary) else {
            return nil
        }
        var headers = HTTPFields()
        headers[.contentType] = kind.contentType
        headers[.cacheControl] = CachePolicy.immutable.cacheControl
        return await send(file, size: size, headers: headers, request: request, context: context)
    }

    /// A file of `size` bytes with `headers`, honouring a Range (RFC 9110 14.2), read on the pool.
    private func send(
        _ filePath: String, size: Int, headers base: HTTPFields, request: Request, context: some RequestContext
    ) async -> (response: Response, bytes: Int) {
        var headers = base
        headers[.acceptRanges] = "bytes"
        let rangeHeader = request.method == .get && request.headers[.ifRange] == nil ? request.headers[.range] : nil
        let range: ClosedRange<Int>
        var status = HTTPResponse.Status.ok
        switch ByteRangeRequest.evaluate(header: rangeHeader, length: size) {
        case .whole:
            range = 0...max(0, size - 1)
        case .partial(let requested):
            range = requested.lowerBound...(requested.upperBound - 1)
            status = .partialContent
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
        case .unsatisfiable:
            headers[.contentRange] = "bytes */\(size)"
            headers[.cacheControl] = OriginResponder.noCache
            return (Response(status: .rangeNotSatisfiable, headers: headers), 0)
        }
        if size == 0 { return (Response(status: .ok, headers: headers, body: ResponseBody()), 0) }
        do {
            let body = try await FileIO(threadPool: pool).loadFile(
                path: filePath, range: range, context: context, chunkLength: 256 * 1024)
            return (Response(status: status, headers: headers, body: body), range.count)
        } catch {
            return (OriginResponder.notFound(), 0)  // deleted since
        }
    }

    /// A recording being written: its EVENT playlists come from memory; the MPD and the MP4
    /// exist once it is complete. nil: a file on disk answers.
    private func inProgress(_ summary: RecordingSummary, path: String) -> Response? {
        let naming = RecordingManifests.naming
        if path == naming.manifest || path == RecordingLibrary.downloadName(stream: summary.stream, id: summary.id) {
            return OriginResponder.text(
                .notFound,
                "recording in progress: its \(path == naming.manifest ? "DASH manifest" : "MP4 download") exists once it is complete; \(naming.masterPlaylist) is an EVENT playlist meanwhile\n",
                cacheControl: OriginResponder.noCache)
        }
        guard path.hasSuffix(".m3u8") else { return nil }
        guard let index = library.openIndex(stream: summary.stream, id: summary.id) else {
            return nil  // closed in the meantime: its files answer
        }
        var text: String?
        if path == naming.masterPlaylist {
            text = RecordingManifests.masterPlaylist(index).render()
        } else if path.hasSuffix("/\(naming.mediaPlaylist)") {
            let rendition = String(path.dropLast(naming.mediaPlaylist.count + 1))
            text = RecordingManifests.mediaPlaylist(index, rendition: rendition)?.render()
        }
        guard let text else { return OriginResponder.notFound() }
        return Response(
            status: .ok,
            headers: [
                .contentType: StoredFileKind.hlsPlaylist.contentType,
                .cacheControl: CachePolicy.liveManifest(maxAgeSeconds: 1).cacheControl,
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
