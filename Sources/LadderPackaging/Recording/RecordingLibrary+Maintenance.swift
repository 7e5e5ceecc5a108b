import Foundation
import LadderMedia

#if canImport(Glibc)
    import Glibc
#endif

/// Start-up recovery, deletion and retention. All on the library's queue, like the writes.
extension RecordingLibrary {
    public enum DeleteResult: Sendable, Hashable {
        case deleted(RecordingSummary)
        case notFound
        /// Still being written: it ends with its stream.
        case inProgress
    }

    /// Reads every recording on disk. One without an end line was being written when the gateway
    /// stopped: it is closed as `interrupted` after its last segment whose files are all there.
    /// Returns the ids it closed that way.
    @discardableResult
    public func recover(nowMs: Int64) -> [String] {
        queue.sync { recoverOnQueue(nowMs: nowMs) }
    }

    private func recoverOnQueue(nowMs: Int64) -> [String] {
        var interrupted: [String] = []
        let files = FileManager.default
        for stream in (try? files.contentsOfDirectory(atPath: policy.directory)) ?? [] where StreamName.isValid(stream)
        {
            for id in (try? files.contentsOfDirectory(atPath: "\(policy.directory)/\(stream)")) ?? [] {
                guard StreamName.isValid(id) else { continue }
                let folder = directory(stream: stream, id: id)
                let journalPath = "\(folder)/\(RecordingJournal.fileName)"
                guard let data = files.contents(atPath: journalPath) else { continue }
                let parsed = RecordingJournal.parse(Array(data))
                guard var index = parsed.index, index.id == id, index.stream == stream else {
                    warn("unreadable recording journal skipped", stream: stream)
                    continue
                }
                if index.state == .recording {
                    index.truncate { segment in
                        segment.renditions.allSatisfy { name, entry in
                            Self.fileSize(
                                "\(folder)/\(name)/\(RecordingManifests.naming.segmentName(number: segment.number))")
                                == entry.byteCount
                        }
                    }
                    let endMs = index.segments.isEmpty ? nowMs : index.lastWallMs
                    if let descriptor = Self.openJournal(journalPath) {
                        // A torn last line is ended first, so the end line stands on its own.
                        if data.last != 0x0A { _ = Glibc.write(descriptor, "\n", 1) }
                        try? append([.end(atMs: endMs, state: .interrupted)], to: descriptor, path: journalPath)
                        Glibc.close(descriptor)
                    }
                    index.apply(.end(atMs: endMs, state: .interrupted))
                    interrupted.append(id)
                    logger.warning(
                        "recording interrupted by a restart, closed at its last complete segment",
                        metadata: ["stream": "\(stream)", "id": "\(id)", "segments": "\(index.segments.count)"])
                    finish(index, directory: folder)
                } else {
                    state.withLock { $0.closed[id] = RecordingSummary(index) }
                    // A shutdown during its MP4's build: built again.
                    if Self.fileSize("\(folder)/\(Self.downloadName(stream: stream, id: id))") == nil {
                        downloads.async { [self, index] in buildDownload(index, directory: folder) }
                    }
                }
            }
        }
        return interrupted
    }

    /// Deletes a closed recording (its folder, then its listing).
    public func delete(id: String) -> DeleteResult {
        queue.sync {
            let found = state.withLock { state -> DeleteResult in
                if state.open.values.contains(where: { $0.id == id }) { return .inProgress }
                guard let summary = state.closed.removeValue(forKey: id) else { return .notFound }
                return .deleted(summary)
            }
            if case .deleted(let summary) = found { remove(summary, reason: "deleted") }
            return found
        }
    }

    /// Deletes closed recordings that ended more than `keepSeconds` ago, then the oldest while
    /// everything recorded takes more than `maxBytes`. Never a recording being written.
    @discardableResult
    public func enforceRetention(nowMs: Int64) -> [RecordingSummary] {
        queue.sync {
            let doomed = state.withLock { state -> [RecordingSummary] in
                var doomed: [RecordingSummary] = []
                var oldestFirst = state.closed.values.sorted { ($0.endMs, $0.id) < ($1.endMs, $1.id) }
                if let keep = policy.keepSeconds {
                    let cutoff = nowMs - Int64(keep * 1000)
                    while let oldest = oldestFirst.first, oldest.endMs < cutoff {
                        doomed.append(oldestFirst.removeFirst())
                    }
                }
                if let maxBytes = policy.maxBytes {
                    var total = oldestFirst.reduce(0) { $0 + Int64($1.bytes) }
                    total += state.open.values.reduce(0) { $0 + Int64($1.byteCount) }
                    while total > maxBytes, !oldestFirst.isEmpty {
                        let oldest = oldestFirst.removeFirst()
                        total -= Int64(oldest.bytes)
                        doomed.append(oldest)
                    }
                }
                for summary in doomed { state.closed[summary.id] = nil }
                return doomed
            }
            for summary in doomed { remove(summary, reason: "retention") }
            return doomed
        }
    }

    private func remove(_ summary: RecordingSummary, reason: String) {
        let folder = directory(stream: summary.stream, id: summary.id)
        // Not while its MP4 is being built (a queued build checks the listing first).
        downloads.sync { AtomicFile.removeTree(folder) }
        state.withLock { $0.counters.deleted += 1 }
        for observer in removalObservers.withLock({ $0 }) { observer(summary) }
        logger.info(
            "recording removed",
            metadata: [
                "stream": "\(summary.stream)", "id": "\(summary.id)", "reason": "\(reason)",
                "bytes": "\(summary.bytes)",
            ])
    }

    /// The top video rendition and the first audio rendition as one progressive MP4.
    func buildDownload(_ index: RecordingIndex, directory folder: String) {
        guard summary(id: index.id) != nil else { return }
        let top = index.videoRenditions.max { lhs, rhs in
            (index.track(lhs)?.height ?? 0, index.track(lhs)?.width ?? 0)
                < (index.track(rhs)?.height ?? 0, index.track(rhs)?.width ?? 0)
        }
        let names = [top, index.audioRenditions.first].compactMap { $0 }
        var tracks: [ProgressiveMP4.Track] = []
        for name in names {
            var inits: [Int: [UInt8]] = [:]
            var segments: [ProgressiveMP4.Segment] = []
            for segment in index.segments {
                guard let entry = segment.renditions[name] else { continue }
                if inits[entry.initVersion] == nil {
                    let path = "\(folder)/\(name)/\(RecordingManifests.naming.initName(version: entry.initVersion))"
                    guard let data = FileManager.default.contents(atPath: path) else { continue }
                    inits[entry.initVersion] = Array(data)
                }
                segments.append(
                    ProgressiveMP4.Segment(
                        path: "\(folder)/\(name)/\(RecordingManifests.naming.segmentName(number: segment.number))",
                        initVersion: entry.initVersion))
            }
            if !segments.isEmpty { tracks.append(ProgressiveMP4.Track(initSegments: inits, segments: segments)) }
        }
        guard !tracks.isEmpty else { return }
        do {
            try ProgressiveMP4.write(
                tracks: tracks, to: "\(folder)/\(Self.downloadName(stream: index.stream, id: index.id))")
        } catch {
            state.withLock { $0.counters.writeFailures += 1 }
            warn("cannot build a recording's MP4 download", stream: index.stream, error: error)
        }
    }

    /// The size of the file at `path`, or nil when there is none.
    public static func fileSize(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int(info.st_size)
    }

    static func openJournal(_ path: String) -> CInt? {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        return descriptor >= 0 ? descriptor : nil
    }
}
