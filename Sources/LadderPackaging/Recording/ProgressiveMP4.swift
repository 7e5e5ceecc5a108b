import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns recorded CMAF tracks into one progressive, "faststart" MP4 (`ftyp`, `moov` with complete
/// sample tables, then `mdat`) by rewriting boxes and copying sample data; nothing is re-encoded.
public enum ProgressiveMP4 {
    public struct Track: Sendable {
        /// Init segments of this track by version (a recording may change resolution after a reconnect).
        public var initSegments: [Int: [UInt8]]
        /// The track's CMAF segments in decode order: file path + which init version it uses.
        public var segments: [Segment]

        public init(initSegments: [Int: [UInt8]], segments: [Segment]) {
            self.initSegments = initSegments
            self.segments = segments
        }
    }

    public struct Segment: Sendable, Hashable {
        public var path: String
        public var initVersion: Int

        public init(path: String, initVersion: Int) {
            self.path = path
            self.initVersion = initVersion
        }
    }

    /// Bytes of the `mdat` payload, in file order: a byte range of one input fragment.
    public struct Payload: Sendable, Hashable {
        /// Index of the track in the input.
        public var track: Int
        /// Index of the fragment (segment) within that track.
        public var fragment: Int
        public var range: Range<Int>
    }

    /// The whole file: `header` (`ftyp`, `moov`, the `mdat` header), then every payload in order.
    public struct Plan: Sendable {
        public var header: [UInt8]
        public var payloads: [Payload]
        /// Header plus payloads.
        public var fileSize: UInt64
    }

    /// The progressive file's layout from in-memory init segments and fragments; pure.
    public static func plan(
        tracks: [(inits: [Int: [UInt8]], fragments: [(initVersion: Int, bytes: [UInt8])])]
    ) throws(ProgressiveMP4Error) -> Plan {
        var planner = Planner(inits: tracks.map(\.inits))
        for (track, input) in tracks.enumerated() {
            for (index, fragment) in input.fragments.enumerated() {
                try planner.add(
                    track: track, fragment: index, initVersion: fragment.initVersion, bytes: fragment.bytes,
                    label: "track \(track + 1) fragment \(index)")
            }
        }
        return try planner.finish()
    }

    /// Writes the MP4 to `destination` atomically (temporary file in the same folder + rename),
    /// streaming: memory stays bounded by one segment plus the sample tables, never the whole file.
    public static func write(tracks: [Track], to destination: String) throws(ProgressiveMP4Error) {
        var planner = Planner(inits: tracks.map(\.initSegments))
        for (track, input) in tracks.enumerated() {
            for (index, segment) in input.segments.enumerated() {
                let bytes = try SourceFile.readAll(segment.path)
                try planner.add(
                    track: track, fragment: index, initVersion: segment.initVersion, bytes: bytes, label: segment.path)
            }
        }
        let plan = try planner.finish()
        try writeFile(plan, sources: tracks.map { $0.segments.map(\.path) }, to: destination)
    }

    /// Header, then each payload copied from its segment in blocks, into a temporary file that
    /// is synced and renamed over `destination` (POSIX rename is atomic within a file system).
    static func writeFile(_ plan: Plan, sources: [[String]], to destination: String) throws(ProgressiveMP4Error) {
        let parent = (destination as NSString).deletingLastPathComponent
        let directory = parent.isEmpty ? "." : parent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .writeFailed(path: directory, reason: "cannot create the directory")
        }
        let name = (destination as NSString).lastPathComponent
        let temporary = "\(directory)/.\(name).\(UUID().uuidString).tmp"
        let output = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw .writeFailed(path: temporary, reason: SourceFile.message(errno)) }
        var failure: ProgressiveMP4Error?
        do {
            try copy(plan, sources: sources, to: output, path: temporary)
        } catch {
            failure = error
        }
        if close(output) != 0, failure == nil {
            failure = .writeFailed(path: temporary, reason: SourceFile.message(errno))
        }
        if failure == nil, rename(temporary, destination) != 0 {
            failure = .writeFailed(path: destination, reason: SourceFile.message(errno))
        }
        if let failure {
            unlink(temporary)
            throw failure
        }
    }

    /// Writes the header and copies every payload through one reused block buffer, then syncs.
    private static func copy(
        _ plan: Plan, sources: [[String]], to output: Int32, path: String
    ) throws(ProgressiveMP4Error) {
        var readers: [Int: SourceFile] = [:]
        defer { readers.values.forEach { $0.close() } }
        try SourceFile.writeAll(plan.header[...], to: output, path: path)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        for payload in plan.payloads {
            let source = sources[payload.track][payload.fragment]
            if readers[payload.track]?.path != source {
                readers[payload.track]?.close()
                readers[payload.track] = nil
                readers[payload.track] = try SourceFile(path: source)
            }
            var position = payload.range.lowerBound
            while position < payload.range.upperBound {
                let count = min(buffer.count, payload.range.upperBound - position)
                try readers[payload.track]?.read(at: position, count: count, into: &buffer)
                try SourceFile.writeAll(buffer[..<count], to: output, path: path)
                position += count
            }
        }
        guard fsync(output) == 0 else { throw .writeFailed(path: path, reason: SourceFile.message(errno)) }
    }
}

/// Why a progressive MP4 could not be made.
public enum ProgressiveMP4Error: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadableFile(path: String, reason: String)
    /// `box` is truncated, oversized or missing in the file at `path` (or the fragment it names).
    case malformedBox(path: String, box: String, reason: String)
    /// A segment uses an init version the track has no init segment for.
    case missingInitVersion(path: String, version: Int)
    /// Valid ISO BMFF this builder does not handle, e.g. sample data outside the fragment's `mdat`.
    case unsupported(path: String, reason: String)
    case writeFailed(path: String, reason: String)

    init(_ failure: FragmentReader.Failure, path: String) {
        switch failure {
        case .malformed(let box, let reason): self = .malformedBox(path: path, box: box, reason: reason)
        case .unsupported(let reason): self = .unsupported(path: path, reason: reason)
        }
    }

    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason): "cannot read \(path): \(reason)"
        case .malformedBox(let path, let box, let reason): "malformed \(box) box in \(path): \(reason)"
        case .missingInitVersion(let path, let version): "\(path) uses init version \(version), which is missing"
        case .unsupported(let path, let reason): "unsupported input \(path): \(reason)"
        case .writeFailed(let path, let reason): "cannot write \(path): \(reason)"
        }
    }
}

extension ProgressiveMP4 {
    /// An open input file read with pread(2), plus the whole-file and write helpers around it.
    struct SourceFile {
        let path: String
        let descriptor: Int32

        init(path: String) throws(ProgressiveMP4Error) {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw .unreadableFile(path: path, reason: Self.message(errno)) }
            self.path = path
        }

        func close() {
            closeDescriptor(descriptor)
        }

        /// Fills `buffer[0..<count]` from `offset`; a short file is an error (it changed since planning).
        func read(at offset: Int, count: Int, into buffer: inout [UInt8]) throws(ProgressiveMP4Error) {
            var done = 0
            var failure: Int32 = 0
            buffer.withUnsafeMutableBytes { raw in
                guard let base = raw.baseAddress else { return }
                while done < count {
                    let result = pread(descriptor, base + done, count - done, off_t(offset + done))
                    if result < 0, errno == EINTR { continue }
                    guard result > 0 else {
                        failure = result < 0 ? errno : 0
                        return
                    }
                    done += result
                }
            }
            guard done == count else {
                throw .unreadableFile(
                    path: path, reason: failure == 0 ? "shorter than when it was read" : Self.message(failure))
            }
        }

        /// The whole file: one segment, the unit memory is bounded by.
        static func readAll(_ path: String) throws(ProgressiveMP4Error) -> [UInt8] {
            let file = try SourceFile(path: path)
            defer { file.close() }
            var status = stat()
            guard fstat(file.descriptor, &status) == 0 else {
                throw .unreadableFile(path: path, reason: message(errno))
            }
            guard status.st_mode & S_IFMT == S_IFREG else {
                throw .unreadableFile(path: path, reason: "not a regular file")
            }
            var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
            try file.read(at: 0, count: bytes.count, into: &bytes)
            return bytes
        }

        static func writeAll(_ bytes: ArraySlice<UInt8>, to descriptor: Int32, path: String) throws(ProgressiveMP4Error)
        {
            var failure: Int32 = 0
            bytes.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count, let base = raw.baseAddress {
                    let result = writeDescriptor(descriptor, base + done, raw.count - done)
                    if result < 0 {
                        if errno == EINTR { continue }
                        failure = errno
                        return
                    }
                    done += result
                }
            }
            guard failure == 0 else { throw .writeFailed(path: path, reason: message(failure)) }
        }

        static func message(_ code: Int32) -> String {
            "\(String(cString: strerror(code))) (errno \(code))"
        }
    }
}

// Inside ProgressiveMP4 `write` and `close` name its own members; these reach the system calls.
private func closeDescriptor(_ descriptor: Int32) {
    _ = close(descriptor)
}

private func writeDescriptor(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
