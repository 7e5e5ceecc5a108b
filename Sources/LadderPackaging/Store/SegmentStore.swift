import LadderMedia

/// In-memory files of every stream, as the HTTP origin serves them under `/live/<stream>/<path>`.
///
/// Layout per stream: `master.m3u8`, `manifest.mpd`, `<rendition>/index.m3u8`,
/// `<rendition>/init-<n>.mp4`, `<rendition>/seg-<number>.m4s` (audio is the rendition "audio").
/// Thread-safe; reads never block on disk I/O (the optional mirror is written outside the lock).
public final class SegmentStore: Sendable {
    struct StreamFiles {
        var files: [String: StoredFile] = [:]
        var state: StreamState = .live
        var byteCount = 0
    }

    struct State {
        var streams: [String: StreamFiles] = [:]
        var version: UInt64 = 0
    }

    public let mirror: DiskMirror?
    /// Init and media segments go to the mirror only, not to memory (nothing serves them here):
    /// an offline transcode then holds one segment at a time instead of the whole ladder.
    public let segmentsOnDiskOnly: Bool
    private let state = Locked(State())
    private let storedForm: @Sendable ([UInt8]) -> any StoredBytes
    /// Called with the stream's name after each change (outside the lock): blocking requests
    /// wait on it for a playlist version or a part.
    private let onChange: @Sendable (String) -> Void

    /// - Parameters:
    ///   - segmentsOnDiskOnly: needs a `mirror`; ignored without one.
    ///   - storedForm: turns a file's bytes, once per version and outside the store's lock, into
    ///     the form readers share (the gateway: a NIO ByteBuffer that every response sends as is).
    ///   - onChange: called with the stream's name after every put and manifest publication.
    public init(
        mirror: DiskMirror? = nil, segmentsOnDiskOnly: Bool = false,
        storedForm: @escaping @Sendable ([UInt8]) -> any StoredBytes = { $0 },
        onChange: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.mirror = mirror
        self.segmentsOnDiskOnly = segmentsOnDiskOnly && mirror != nil
        self.storedForm = storedForm
        self.onChange = onChange
    }

    /// Stores an init or media segment (or any file) and mirrors it. Creates the stream if needed.
    /// `mirrored: false` keeps the file in memory only (LL parts).
    public func put(
        stream: String, path: String, data: [UInt8], kind: StoredFileKind, mirrored: Bool = true
    ) throws(SegmentStoreError) {
        try validate(stream: stream, path: path)
        if segmentsOnDiskOnly && kind.isImmutable {
            try mirror?.write(stream: stream, path: path, bytes: data)
            return
        }
        let body = storedForm(data)
        state.withLock { state in
            state.version &+= 1
            let version = state.version
            var files = state.streams[stream] ?? StreamFiles()
            files.byteCount -= files.files[path]?.byteCount ?? 0
            files.files[path] = StoredFile(body: body, kind: kind, streamState: files.state, version: version)
            files.byteCount += data.count
            state.streams[stream] = files
        }
        onChange(stream)
        if mirrored { try mirror?.write(stream: stream, path: path, bytes: data) }
    }

    /// Replaces the given playlists/MPD and sets the stream state in one step, so a reader sees
    /// either all old or all new manifests. Kinds come from the extensions (.m3u8, .mpd).
    public func publishManifests(
        stream: String, files: [String: [UInt8]], state newState: StreamState = .live,
        progress: [String: PlaylistProgress] = [:]
    ) throws(SegmentStoreError) {
        guard StorePath.isValidStreamName(stream) else { throw .invalidStreamName(stream) }
        var manifests: [(String, [UInt8], StoredFileKind)] = []
        for (path, bytes) in files.sorted(by: { $0.key < $1.key }) {
            guard StorePath.isValidPath(path), let kind = StoredFileKind.manifestKind(forPath: path) else {
                throw .invalidPath(path)
            }
            manifests.append((path, bytes, kind))
        }
        let bodies = manifests.map { storedForm($0.1) }
        state.withLock { state in
            state.version &+= 1
            let version = state.version
            var stored = state.streams[stream] ?? StreamFiles()
            stored.state = newState
            for ((path, bytes, kind), body) in zip(manifests, bodies) {
                stored.byteCount -= stored.files[path]?.byteCount ?? 0
                stored.files[path] = StoredFile(
                    body: body, kind: kind, streamState: newState, version: version, progress: progress[path])
                stored.byteCount += bytes.count
            }
            state.streams[stream] = stored
        }
        onChange(stream)
        // Playlists last on disk too, after the segments they name (each file atomically).
        var firstError: SegmentStoreError?
        for (path, bytes, _) in manifests {
            do {
                try mirror?.write(stream: stream, path: path, bytes: bytes)
            } catch {
                firstError = firstError ?? error
            }
        }
        if let firstError { throw firstError }
    }

    public func delete(stream: String, path: String) {
        guard StorePath.isValidStreamName(stream), StorePath.isValidPath(path) else { return }
        let removed = state.withLock { state -> Bool in
            guard var stored = state.streams[stream], let file = stored.files.removeValue(forKey: path) else {
                return false
            }
            state.version &+= 1
            stored.byteCount -= file.byteCount
            state.streams[stream] = stored
            return true
        }
        if removed {
            mirror?.delete(stream: stream, path: path)
        }
    }

    /// The file with its content type and cacheability at `path`, or nil. Only valid names and
    /// paths are ever stored (`put` checks), so a lookup (every origin request) checks nothing.
    public func get(stream: String, path: String) -> StoredFile? {
        state.withLock { state in
            guard let stored = state.streams[stream], var file = stored.files[path] else { return nil }
            file.streamState = stored.state
            return file
        }
    }

    public func streamState(_ stream: String) -> StreamState? {
        state.withLock { $0.streams[stream]?.state }
    }

    /// Every stream, sorted by name.
    public func streams() -> [StoredStreamSummary] {
        state.withLock { state in
            state.streams.map { name, stored in
                StoredStreamSummary(
                    name: name, state: stored.state, fileCount: stored.files.count, byteCount: stored.byteCount)
            }
        }.sorted { $0.name < $1.name }
    }

    /// Paths of one stream's files, sorted.
    public func paths(stream: String) -> [String] {
        state.withLock { $0.streams[stream].map { Array($0.files.keys) } ?? [] }.sorted()
    }

    /// Forgets a stream (memory and disk copy).
    public func removeStream(_ stream: String) {
        guard StorePath.isValidStreamName(stream) else { return }
        let existed = state.withLock { state -> Bool in
            guard state.streams.removeValue(forKey: stream) != nil else { return false }
            state.version &+= 1
            return true
        }
        if existed {
            mirror?.removeStream(stream)
        }
    }

    /// Writes every file of the stream under `directory` (`directory/master.m3u8`, ...), e.g. the
    /// finished VOD ladder of an offline transcode. Segments first, manifests last.
    public func writeAll(stream: String, to directory: String) throws(SegmentStoreError) {
        guard StorePath.isValidStreamName(stream) else { throw .invalidStreamName(stream) }
        guard let files = state.withLock({ $0.streams[stream]?.files }) else { throw .unknownStream(stream) }
        let ordered = files.sorted { lhs, rhs in
            (lhs.value.kind.isImmutable ? 0 : 1, lhs.key) < (rhs.value.kind.isImmutable ? 0 : 1, rhs.key)
        }
        var root = directory
        while root.count > 1, root.hasSuffix("/") { root.removeLast() }
        for (path, file) in ordered {
            try AtomicFile.write(file.bytes, to: "\(root)/\(path)")
        }
    }

    private func validate(stream: String, path: String) throws(SegmentStoreError) {
        guard StorePath.isValidStreamName(stream) else { throw .invalidStreamName(stream) }
        guard StorePath.isValidPath(path) else { throw .invalidPath(path) }
    }
}
