import LadderMedia

/// Mirrors every stored file to `root/<stream>/<path>` (for nginx or a CDN origin pull).
/// Writes are atomic (temporary file + rename in the same directory) so a reader never sees a
/// partial segment or playlist. The store writes segments before the manifests naming them.
public final class DiskMirror: Sendable {
    public let root: String
    /// False: `root/<path>`, for a single stream (an offline transcode's output directory).
    public let streamFolders: Bool
    private let failures = PackagingLock<Int>(0)

    public init(root: String, streamFolders: Bool = true) {
        var trimmed = root
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.root = trimmed
        self.streamFolders = streamFolders
    }

    /// Number of failed writes since creation (the in-memory copy is still served).
    public var failureCount: Int { failures.withLock { $0 } }

    func write(stream: String, path: String, bytes: [UInt8]) throws(SegmentStoreError) {
        do {
            try AtomicFile.write(bytes, to: fullPath(stream: stream, path: path))
        } catch {
            failures.withLock { $0 += 1 }
            throw error
        }
    }

    func delete(stream: String, path: String) {
        AtomicFile.remove(fullPath(stream: stream, path: path))
    }

    func removeStream(_ stream: String) {
        guard streamFolders else { return }  // never delete an output directory the caller owns
        AtomicFile.removeTree("\(root)/\(stream)")
    }

    /// Callers validated `stream` and `path` with `StorePath` first.
    func fullPath(stream: String, path: String) -> String {
        streamFolders ? "\(root)/\(stream)/\(path)" : "\(root)/\(path)"
    }
}
