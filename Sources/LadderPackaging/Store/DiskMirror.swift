import Dispatch
import LadderMedia

/// Mirrors every stored file to `root/<stream>/<path>` (for nginx or a CDN origin pull).
/// Writes are atomic (temporary file + rename in the same directory) so a reader never sees a
/// partial segment or playlist. The store writes segments before the manifests naming them.
///
/// `.serialQueue` (the live gateway) runs the disk work on one queue of its own, in submission
/// order, so no lock that a request takes is held across disk I/O. Its backlog is bounded: a
/// write that would exceed it is refused (counted, thrown) rather than buffered.
public final class DiskMirror: Sendable {
    public enum Writes: Sendable, Hashable {
        /// On the caller's thread; a failure throws (an offline transcode fails with it).
        case synchronous
        /// In order on the mirror's own queue, with at most this many bytes waiting.
        case serialQueue(maxBacklogBytes: Int)
    }

    public let root: String
    /// False: `root/<path>`, for a single stream (an offline transcode's output directory).
    public let streamFolders: Bool
    public let writes: Writes
    private let queue: DispatchQueue?
    private let state = Locked(State())

    private struct State {
        var failures = 0
        var backlogBytes = 0
    }

    public init(root: String, streamFolders: Bool = true, writes: Writes = .synchronous) {
        var trimmed = root
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.root = trimmed
        self.streamFolders = streamFolders
        self.writes = writes
        queue = writes == .synchronous ? nil : DispatchQueue(label: "ladder.disk-mirror")
    }

    /// Number of failed or refused writes since creation (the in-memory copy is still served).
    public var failureCount: Int { state.withLock { $0.failures } }

    /// Bytes queued for the disk and not yet written.
    public var backlogBytes: Int { state.withLock { $0.backlogBytes } }

    /// Returns once everything queued so far is on disk (tests, shutdown).
    public func flush() {
        queue?.sync {}
    }

    func write(stream: String, path: String, bytes: [UInt8]) throws(SegmentStoreError) {
        let target = fullPath(stream: stream, path: path)
        guard case .serialQueue(let maxBacklog) = writes, let queue else {
            do {
                try AtomicFile.write(bytes, to: target)
            } catch {
                state.withLock { $0.failures += 1 }
                throw error
            }
            return
        }
        let admitted = state.withLock { state -> Bool in
            guard state.backlogBytes + bytes.count <= maxBacklog else {
                state.failures += 1
                return false
            }
            state.backlogBytes += bytes.count
            return true
        }
        guard admitted else { throw .mirrorBacklogFull(path: path) }
        queue.async { [self] in
            let failed = (try? AtomicFile.write(bytes, to: target)) == nil
            state.withLock { state in
                state.backlogBytes -= bytes.count
                if failed { state.failures += 1 }
            }
        }
    }

    func delete(stream: String, path: String) {
        let target = fullPath(stream: stream, path: path)
        run { AtomicFile.remove(target) }
    }

    func removeStream(_ stream: String) {
        guard streamFolders else { return }  // never delete an output directory the caller owns
        let folder = "\(root)/\(stream)"
        run { AtomicFile.removeTree(folder) }
    }

    private func run(_ work: @escaping @Sendable () -> Void) {
        if let queue { queue.async(execute: work) } else { work() }
    }

    /// Callers validated `stream` and `path` with `StorePath` first.
    func fullPath(stream: String, path: String) -> String {
        streamFolders ? "\(root)/\(stream)/\(path)" : "\(root)/\(path)"
    }
}
