import Foundation
import LadderMedia
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Writing: each stream's recording grows by whole segments, files first and then the journal
/// line that lists them, so a crash never lists a segment that is not on disk.
extension RecordingLibrary {
    struct Writer {
        var id: String
        var directory: String
        var journal: CInt
        /// "rendition/version" of the init segments written.
        var writtenInits: Set<String> = []
        /// Segments were left out since the last one listed: the next is a discontinuity.
        var gap = false
    }

    public func record(stream: String, segment: RecordedSegment) {
        guard policy.records(stream) else { return }
        let bytes = segment.renditions.reduce(0) { $0 + $1.bytes.count }
        let admitted = state.withLock { state -> Bool in
            guard state.backlogBytes + bytes <= policy.maxBacklogBytes else {
                state.counters.segmentsDropped += 1
                return false
            }
            state.backlogBytes += bytes
            return true
        }
        guard admitted else {
            queue.async { [self] in
                markGap(stream: stream)
                warn("recording backlog full; segment left out of the recording", stream: stream)
            }
            return
        }
        queue.async { [self] in
            write(segment, stream: stream)
            state.withLock { $0.backlogBytes -= bytes }
        }
    }

    public func streamEnded(stream: String, atMs: Int64) {
        guard policy.records(stream) else { return }
        queue.async { [self] in close(stream: stream, atMs: atMs, state: .complete) }
    }

    private func markGap(stream: String) {
        writers.withLock { $0[stream]?.gap = true }
    }

    private func write(_ segment: RecordedSegment, stream: String) {
        guard var writer = writers.withLock({ $0[stream] }) ?? open(stream: stream, atMs: segment.programDateTimeMs)
        else {
            state.withLock { $0.counters.segmentsDropped += 1 }
            return
        }
        defer { writers.withLock { $0[stream] = writer } }
        var lines: [RecordingJournal.Entry] = []
        var index = state.withLock { $0.open[stream] } ?? RecordingIndex(id: writer.id, stream: stream, startMs: 0)
        var entries: [String: RecordingIndex.Entry] = [:]
        var written = 0
        do {
            for rendition in segment.renditions {
                let name = rendition.track.name
                if index.tracks[name]?[rendition.initVersion] != rendition.track {
                    lines.append(.track(version: rendition.initVersion, rendition.track))
                }
                let initKey = "\(name)/\(rendition.initVersion)"
                if !writer.writtenInits.contains(initKey) {
                    try AtomicFile.write(
                        rendition.initBytes,
                        to:
                            "\(writer.directory)/\(name)/\(RecordingManifests.naming.initName(version: rendition.initVersion))"
                    )
                    writer.writtenInits.insert(initKey)
                    lines.append(
                        .initSegment(
                            rendition: name, version: rendition.initVersion, byteCount: rendition.initBytes.count))
                    written += rendition.initBytes.count
                }
                try AtomicFile.write(
                    rendition.bytes,
                    to: "\(writer.directory)/\(name)/\(RecordingManifests.naming.segmentName(number: segment.number))")
                written += rendition.bytes.count
                entries[name] = RecordingIndex.Entry(
                    initVersion: rendition.initVersion, startTicks: rendition.startTicks,
                    durationTicks: rendition.durationTicks, byteCount: rendition.bytes.count)
            }
            let listed = RecordingIndex.Segment(
                number: segment.number, isDiscontinuity: segment.isDiscontinuity || writer.gap,
                programDateTimeMs: segment.programDateTimeMs, renditions: entries)
            lines.append(.segment(listed))
            try append(lines, to: writer.journal, path: "\(writer.directory)/\(RecordingJournal.fileName)")
        } catch {
            // A full disk or a removed folder: this segment is left out; the live stream goes on.
            writer.gap = true
            state.withLock {
                $0.counters.writeFailures += 1
                $0.counters.segmentsDropped += 1
            }
            warn("recording write failed; segment left out of the recording", stream: stream, error: error)
            return
        }
        writer.gap = false
        for line in lines { index.apply(line) }
        state.withLock { state in
            state.open[stream] = index
            state.counters.segmentsWritten += 1
            state.counters.bytesWritten += written
        }
    }

    /// Starts a recording of `stream`: its folder and the journal's first line.
    private func open(stream: String, atMs: Int64) -> Writer? {
        let id = state.withLock { state -> String in
            let base = Self.recordingID(atMs: atMs)
            var id = base
            var suffix = 2
            while state.closed[id] != nil || state.open.values.contains(where: { $0.id == id }) {
                id = "\(base)-\(suffix)"
                suffix += 1
            }
            state.open[stream] = RecordingIndex(id: id, stream: stream, startMs: atMs)
            return id
        }
        let folder = directory(stream: stream, id: id)
        let path = "\(folder)/\(RecordingJournal.fileName)"
        var descriptor: CInt = -1
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw SegmentStoreError.writeFailed(path: path, errno: errno) }
            try append([.start(id: id, stream: stream, atMs: atMs)], to: descriptor, path: path)
        } catch {
            if descriptor >= 0 { Glibc.close(descriptor) }
            AtomicFile.removeTree(folder)
            state.withLock { state in
                state.open[stream] = nil
                state.counters.writeFailures += 1
            }
            warn("cannot start a recording", stream: stream, error: error)
            return nil
        }
        logger.info("recording started", metadata: ["stream": "\(stream)", "id": "\(id)", "path": "\(folder)"])
        return Writer(id: id, directory: folder, journal: descriptor)
    }

    /// Ends the stream's recording: the journal's last line, then its manifests, then (in the
    /// background) the progressive MP4. A recording with no segment is removed.
    func close(stream: String, atMs: Int64, state closing: RecordingIndex.State) {
        guard let writer = writers.withLock({ $0.removeValue(forKey: stream) }) else { return }
        let path = "\(writer.directory)/\(RecordingJournal.fileName)"
        let wrote = (try? append([.end(atMs: atMs, state: closing)], to: writer.journal, path: path)) != nil
        fsync(writer.journal)
        Glibc.close(writer.journal)
        guard var index = state.withLock({ $0.open.removeValue(forKey: stream) }) else { return }
        index.apply(.end(atMs: atMs, state: wrote ? closing : .interrupted))
        guard !index.segments.isEmpty else {
            AtomicFile.removeTree(writer.directory)
            return
        }
        finish(index, directory: writer.directory)
        logger.info(
            "recording \(index.state.rawValue)",
            metadata: [
                "stream": "\(stream)", "id": "\(index.id)", "segments": "\(index.segments.count)",
                "seconds": "\(Int(index.durationSeconds.rounded()))", "bytes": "\(index.byteCount)",
            ])
    }

    /// A closed recording: manifests on disk, listed as closed, its MP4 queued.
    func finish(_ index: RecordingIndex, directory folder: String) {
        var files: [(String, [UInt8])] = []
        for name in index.renditionOrder {
            if let playlist = RecordingManifests.mediaPlaylist(index, rendition: name) {
                files.append((RecordingManifests.mediaPlaylistPath(name), Array(playlist.render().utf8)))
            }
        }
        files.append((RecordingManifests.naming.manifest, Array(RecordingManifests.dashManifest(index).render().utf8)))
        files.append(
            (RecordingManifests.naming.masterPlaylist, Array(RecordingManifests.masterPlaylist(index).render().utf8)))
        for (path, bytes) in files {
            do {
                try AtomicFile.write(bytes, to: "\(folder)/\(path)")
            } catch {
                state.withLock { $0.counters.writeFailures += 1 }
                warn("cannot write a recording's manifest", stream: index.stream, error: error)
            }
        }
        state.withLock { $0.closed[index.id] = RecordingSummary(index) }
        downloads.async { [self] in buildDownload(index, directory: folder) }
    }

    /// Appends journal lines (O_APPEND). A write that fails part way (a full disk) is cut back,
    /// so a later line never continues a torn one.
    func append(_ entries: [RecordingJournal.Entry], to descriptor: CInt, path: String) throws(SegmentStoreError) {
        let bytes = entries.flatMap(RecordingJournal.line)
        let start = lseek(descriptor, 0, SEEK_END)
        var offset = 0
        while offset < bytes.count {
            let result = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if result < 0 {
                let code = errno
                if code == EINTR { continue }
                if start >= 0 { _ = ftruncate(descriptor, start) }
                throw .writeFailed(path: path, errno: code)
            }
            offset += result
        }
    }

    /// "20261206T081530Z": the UTC start, sortable and a valid path component.
    static func recordingID(atMs: Int64) -> String {
        let iso = TextFormatting.iso8601(millisecondsSince1970: atMs)
        let seconds = iso.prefix(19).filter { $0 != "-" && $0 != ":" }
        return "\(seconds)Z"
    }

    /// Logs the first and every 100th occurrence of each message (a failing disk repeats).
    func warn(_ message: String, stream: String, error: (any Error)? = nil) {
        let count = state.withLock { state -> Int in
            state.warnings[message, default: 0] += 1
            return state.warnings[message] ?? 1
        }
        guard count == 1 || count.isMultiple(of: 100) else { return }
        var metadata: Logger.Metadata = ["stream": "\(stream)", "occurrences": "\(count)"]
        if let error { metadata["error"] = "\(error)" }
        logger.warning("\(message)", metadata: metadata)
    }
}
