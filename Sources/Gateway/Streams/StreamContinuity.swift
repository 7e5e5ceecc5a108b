import Dispatch
import Foundation
import GatewayCluster
import Ladder
import Logging
import NIOConcurrencyHelpers

/// Keeps each stream's numbering (`StreamContinuation`) so that a stream published again, after
/// its packager was retired or after the gateway restarted, continues its media sequence, its
/// discontinuity sequence and its DASH Period ids.
///
/// In memory always; with a data directory also in `DIR/.state/NAME.json` (no stream name
/// starts with "."), written crash-safely: a temp file, fsync, rename, fsync of the directory.
/// A write reserves numbers ahead (`reserve` segments, `reservePeriods` periods), so files are
/// written rarely and off the media threads, yet a `kill -9` never makes a number go down:
/// the next write is queued when half the reserve is used, long before the rest is.
final class StreamContinuity: Sendable {
    let directory: String?
    private let reserve: Int
    private let reservePeriods: Int
    private let logger: Logger
    /// Per stream: the numbering reserved (what the file says, or will once written).
    private let reserved = NIOLockedValueBox<[String: StreamContinuation]>([:])
    private let writes = DispatchQueue(label: "gateway.stream-continuity")
    private let failures = NIOLockedValueBox(0)
    /// In a cluster the numbering is also kept in etcd, so the node a stream moves to continues it.
    private let cluster = NIOLockedValueBox<ClusterNode?>(nil)
    /// Streams whose latest reservation etcd has not taken yet.
    private let remoteUnsaved = NIOLockedValueBox<Set<String>>([])

    init(directory: String?, reserve: Int = 60, reservePeriods: Int = 8, logger: Logger) {
        self.directory = directory.map { ($0 as NSString).appendingPathComponent(".state") }
        self.reserve = max(2, reserve)
        self.reservePeriods = max(2, reservePeriods)
        self.logger = logger
    }

    /// Where a new packager of `stream` starts: the reserved numbering (memory, then disk), or nil.
    func start(stream: String) -> StreamContinuation? {
        if let known = reserved.withLockedValue({ $0[stream] }) { return known }
        guard let path = path(stream), FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            let value = try JSONDecoder().decode(
                StreamContinuation.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            reserved.withLockedValue { $0[stream] = value }
            return value
        } catch {
            logger.warning(
                "stream state unreadable, numbering starts afresh",
                metadata: ["stream": "\(stream)", "path": "\(path)", "error": "\(error)"])
            return nil
        }
    }

    func attach(cluster node: ClusterNode) {
        cluster.withLockedValue { $0 = node }
    }

    /// Takes in the numbering another node reserved (from etcd) before a publish of `stream`
    /// starts here: each field keeps the larger value, so numbers never go down.
    func adopt(stream: String, encoded: [UInt8]) {
        guard let remote = try? JSONDecoder().decode(StreamContinuation.self, from: Data(encoded)) else {
            logger.warning("stream numbering in etcd unreadable, ignored", metadata: ["stream": "\(stream)"])
            return
        }
        _ = start(stream: stream)  // the disk's copy, read outside the lock, into memory
        reserved.withLockedValue { $0[stream] = Self.merged($0[stream], remote) }
    }

    static func merged(_ lhs: StreamContinuation?, _ rhs: StreamContinuation) -> StreamContinuation {
        guard let lhs else { return rhs }
        return StreamContinuation(
            nextSequence: max(lhs.nextSequence, rhs.nextSequence),
            discontinuitySequence: max(lhs.discontinuitySequence, rhs.discontinuitySequence),
            nextPeriod: max(lhs.nextPeriod, rhs.nextPeriod))
    }

    /// The packager's numbering moved (reports may arrive out of order: each field only grows).
    func progress(stream: String, _ current: StreamContinuation) {
        let write = reserved.withLockedValue { all -> StreamContinuation? in
            let held = all[stream]
            let needed =
                held.map {
                    current.nextSequence + reserve / 2 > $0.nextSequence
                        || current.discontinuitySequence > $0.discontinuitySequence
                        || current.nextPeriod + reservePeriods / 2 > $0.nextPeriod
                } ?? true
            guard needed else { return nil }
            let next = StreamContinuation(
                nextSequence: max(held?.nextSequence ?? 0, current.nextSequence + reserve),
                discontinuitySequence: max(held?.discontinuitySequence ?? 0, current.discontinuitySequence),
                nextPeriod: max(held?.nextPeriod ?? 0, current.nextPeriod + reservePeriods))
            all[stream] = next
            return next
        }
        let node = cluster.withLockedValue { $0 }
        guard let write else {
            // A reservation etcd missed (it was down) is saved once it answers again.
            if let node, node.isConnected, let held = reserved.withLockedValue({ $0[stream] }),
                remoteUnsaved.withLockedValue({ $0.remove(stream) }) != nil
            {
                saveRemotely(stream: stream, held, node: node)
            }
            return
        }
        if let node { saveRemotely(stream: stream, write, node: node) }
        guard let path = path(stream) else { return }
        writes.async { [self] in
            // The newest reservation wins: a queued older one is skipped.
            guard reserved.withLockedValue({ $0[stream] }) == write else { return }
            do {
                try Self.writeDurably(write, to: path)
            } catch {
                let count = failures.withLockedValue {
                    $0 += 1; return $0
                }
                if count == 1 || count.isMultiple(of: 100) {
                    logger.error(
                        "cannot save stream state; a restart may renumber this stream",
                        metadata: [
                            "stream": "\(stream)", "path": "\(path)", "error": "\(error)", "failures": "\(count)",
                        ])
                }
            }
        }
    }

    /// Merges `value` into etcd's copy; on failure the stream is retried by a later `progress`.
    private func saveRemotely(stream: String, _ value: StreamContinuation, node: ClusterNode) {
        Task { [logger, remoteUnsaved] in
            let saved = await node.saveContinuity(stream: stream) { current in
                let stored = current.flatMap { try? JSONDecoder().decode(StreamContinuation.self, from: Data($0)) }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                return (try? encoder.encode(Self.merged(stored, value))).map(Array.init) ?? current ?? []
            }
            guard !saved, remoteUnsaved.withLockedValue({ $0.insert(stream).inserted }) else { return }
            logger.warning(
                "stream numbering not saved in etcd yet; saved when etcd answers",
                metadata: ["stream": "\(stream)"])
        }
    }

    /// Waits for the queued writes (tests).
    func flush() {
        writes.sync {}
    }

    var failureCount: Int { failures.withLockedValue { $0 } }

    private func path(_ stream: String) -> String? {
        guard let directory, StreamName.isValid(stream) else { return nil }
        return (directory as NSString).appendingPathComponent("\(stream).json")
    }

    /// A temp file, fsync, rename over the old one, fsync of the directory.
    static func writeDurably(_ value: StreamContinuation, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.write(Array(try encoder.encode(value)), to: path, durable: true)
    }
}
