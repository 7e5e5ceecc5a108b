import NIOConcurrencyHelpers
import NIOCore

/// Recorded files (segments, init segments, VOD playlists) held in memory once read, as shared
/// buffers (and memfds for sendfile), so popular recordings are served by the origin's hot path
/// like live segments. Bounded in bytes; the least recently used files leave first. Recorded
/// files never change, so an entry is only ever dropped, never stale (a deleted recording's are
/// purged by `remove(prefix:)`).
final class RecordingFileCache: Sendable {
    /// Larger files (the MP4 download) are streamed from disk instead.
    static let maxFileBytes = 8 << 20

    let capacityBytes: Int
    private let state = NIOLockedValueBox(State())

    private struct Entry {
        var file: OriginFile
        var lastUse: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var bytes = 0
        var tick: UInt64 = 0
    }

    init(capacityBytes: Int = 128 << 20) {
        self.capacityBytes = capacityBytes
    }

    func file(at path: String) -> OriginFile? {
        state.withLockedValue { state in
            guard let index = state.entries.index(forKey: path) else { return nil }
            state.tick &+= 1
            state.entries.values[index].lastUse = state.tick
            return state.entries.values[index].file
        }
    }

    /// Keeps `file` unless it is too large; evicts the least recently used beyond the capacity.
    func insert(_ file: OriginFile, at path: String) {
        let size = file.body.readableBytes
        guard size <= Self.maxFileBytes, size <= capacityBytes else { return }
        state.withLockedValue { state in
            state.tick &+= 1
            if let old = state.entries.updateValue(Entry(file: file, lastUse: state.tick), forKey: path) {
                state.bytes -= old.file.body.readableBytes
            }
            state.bytes += size
            while state.bytes > capacityBytes,
                let oldest = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse })
            {
                state.entries[oldest.key] = nil
                state.bytes -= oldest.value.file.body.readableBytes
            }
        }
    }

    /// Drops every file under `prefix` (a deleted recording's folder).
    func remove(prefix: String) {
        state.withLockedValue { state in
            for (path, entry) in state.entries where path.hasPrefix(prefix) {
                state.entries[path] = nil
                state.bytes -= entry.file.body.readableBytes
            }
        }
    }

    var byteCount: Int { state.withLockedValue { $0.bytes } }
}
