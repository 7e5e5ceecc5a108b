import LadderMedia

/// Whether a stream is still being published.
public enum StreamState: String, Sendable, Hashable {
    case live
    case ended
}

/// What a stored file is; decides its content type and cacheability.
public enum StoredFileKind: Sendable, Hashable {
    public enum Media: Sendable, Hashable {
        case video
        case audio

        /// The MIME type of this media's CMAF init and media segments (ISO/IEC 23000-19 Annex
        /// B, RFC 4337): the HTTP Content-Type and the DASH AdaptationSet@mimeType alike.
        public var mimeType: String {
            switch self {
            case .video: "video/mp4"
            case .audio: "audio/mp4"
            }
        }
    }

    /// CMAF header (`init-N.mp4`).
    case initSegment(Media)
    /// CMAF segment (`seg-N.m4s`).
    case mediaSegment(Media)
    case hlsPlaylist
    case dashManifest
    /// `thumbnail.jpg`: the newest segment-start picture of the top rung.
    case thumbnail

    /// MIME type for the HTTP Content-Type header (RFC 8216 4, ISO/IEC 23009-1 Annex C, RFC 6381),
    /// the one source the origin serves stored files with.
    public var contentType: String {
        switch self {
        case .initSegment(let media), .mediaSegment(let media): media.mimeType
        case .hlsPlaylist: "application/vnd.apple.mpegurl"
        case .dashManifest: "application/dash+xml"
        case .thumbnail: "image/jpeg"
        }
    }

    /// Segments and init segments never change once written (their URL changes instead);
    /// playlists and the MPD are replaced as the stream advances.
    public var isImmutable: Bool {
        switch self {
        case .initSegment, .mediaSegment: true
        case .hlsPlaylist, .dashManifest, .thumbnail: false
        }
    }

    /// Manifest kind from a file name, nil when it is neither a playlist nor an MPD.
    public static func manifestKind(forPath path: String) -> StoredFileKind? {
        if path.hasSuffix(".m3u8") { return .hlsPlaylist }
        if path.hasSuffix(".mpd") { return .dashManifest }
        return nil
    }
}

/// A stored file's bytes in the form its server sends without copying them (the gateway keeps
/// NIO `ByteBuffer`s; see `SegmentStore.init(storedForm:)`). Immutable once stored: every reader
/// shares the one copy.
public protocol StoredBytes: Sendable {
    var count: Int { get }
    /// The bytes as an array: a copy unless the stored form is one (disk writes, tests).
    var array: [UInt8] { get }
}

extension Array: StoredBytes where Element == UInt8 {
    public var array: [UInt8] { self }
}

/// One file as the HTTP origin serves it.
public struct StoredFile: Sendable {
    /// Shared with every other reader of this version of the file.
    public var body: any StoredBytes
    public var kind: StoredFileKind
    /// State of the stream when the file was read (an ended stream's manifests are final).
    public var streamState: StreamState
    /// Increases every time the store changes any file; usable as an ETag.
    public var version: UInt64
    /// A live LL-HLS media playlist: where it stands, for blocking reloads.
    public var progress: PlaylistProgress?

    public init(
        body: any StoredBytes, kind: StoredFileKind, streamState: StreamState, version: UInt64,
        progress: PlaylistProgress? = nil
    ) {
        self.body = body
        self.kind = kind
        self.streamState = streamState
        self.version = version
        self.progress = progress
    }

    public init(bytes: [UInt8], kind: StoredFileKind, streamState: StreamState, version: UInt64) {
        self.init(body: bytes, kind: kind, streamState: streamState, version: version)
    }

    /// The bytes as an array (a copy unless stored as one): for disk writes and tests, not serving.
    public var bytes: [UInt8] { body.array }
    public var byteCount: Int { body.count }
    public var contentType: String { kind.contentType }
    public var isImmutable: Bool { kind.isImmutable }
    /// A manifest that will still change (serve with a short or no cache lifetime).
    public var isLiveManifest: Bool { !kind.isImmutable && streamState == .live }
}

/// One stream in `SegmentStore.streams()`.
public struct StoredStreamSummary: Sendable, Hashable {
    public var name: String
    public var state: StreamState
    public var fileCount: Int
    public var byteCount: Int

    public init(name: String, state: StreamState, fileCount: Int, byteCount: Int) {
        self.name = name
        self.state = state
        self.fileCount = fileCount
        self.byteCount = byteCount
    }
}

public enum SegmentStoreError: Error, Hashable, Sendable {
    /// Empty, absolute, or with `.`/`..`/empty components, a backslash or a control character.
    case invalidPath(String)
    case invalidStreamName(String)
    case unknownStream(String)
    /// Writing the disk copy failed (errno).
    case writeFailed(path: String, errno: Int32)
    /// The disk mirror's queue already holds its maximum of unwritten bytes (a slow or full disk).
    case mirrorBacklogFull(path: String)
}
