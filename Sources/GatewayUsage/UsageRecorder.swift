import Dispatch
import Foundation
import Logging
import NIOConcurrencyHelpers

/// Takes every delivered request (from the origin's request paths: a lock and a dictionary
/// update, no I/O) and writes the changed sessions to SQLite in one transaction every
/// `flushInterval`, on its own queue. A failed write (full disk) is counted, logged at a limited
/// rate and retried with the next batch; memory stays bounded by `ViewerSessions.maxSessions`.
public final class UsageRecorder: Sendable {
    public let store: UsageStore
    let logger: Logger
    let keepMs: Int64?
    private let sessions: NIOLockedValueBox<ViewerSessions>
    private let pending = NIOLockedValueBox<[PublishSession]>([])
    /// Sessions a failed write left unsaved, written with the next batch (newest version wins).
    private let unsaved = NIOLockedValueBox<[String: ViewerSession]>([:])
    private let failures = NIOLockedValueBox(0)
    private let queue = DispatchQueue(label: "gateway.usage")
    private let ticker = NIOLockedValueBox<Task<Void, Never>?>(nil)
    static let maxPendingPublishes = 10_000

    public init(
        store: UsageStore, keepDays: Double?, logger: Logger,
        idPrefix: String = UUID().uuidString.prefix(8).lowercased()
    ) {
        self.store = store
        self.logger = logger
        self.keepMs = keepDays.map { Int64($0 * 86_400_000) }
        self.sessions = NIOLockedValueBox(ViewerSessions(idPrefix: idPrefix))
    }

    public func record(_ request: ViewerRequest) {
        sessions.withLockedValue { $0.record(request) }
    }

    public func recordPublish(_ publish: PublishSession) {
        pending.withLockedValue { if $0.count < Self.maxPendingPublishes { $0.append(publish) } }
    }

    public func viewersByRendition() -> [String: [String: Int]] {
        sessions.withLockedValue { $0.viewersByRendition() }
    }

    public var writeFailures: Int { failures.withLockedValue { $0 } }

    /// Requests of new sessions not tracked because `ViewerSessions.maxSessions` were open.
    public var refusedSessions: Int { sessions.withLockedValue { $0.refusedSessions } }

    /// Flushes every `interval` and applies retention about hourly, until `stop()`. The writes
    /// run on the recorder's own queue, never on a task's or an event loop's thread.
    public func start(interval: Duration = .seconds(5)) {
        let everyHour = max(1, Int(Duration.seconds(3600) / interval))
        let task = Task { [self, queue] in
            var tick = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { return }
                let retention = tick % everyHour == 0
                tick += 1
                queue.async {
                    self.write(nowMs: Self.nowMs())
                    if retention { self.applyRetention(nowMs: Self.nowMs()) }
                }
            }
        }
        ticker.withLockedValue { $0 = task }
    }

    /// Stops the ticks and writes everything, ending the open sessions at their last request.
    public func stop() {
        ticker.withLockedValue {
            $0?.cancel()
            $0 = nil
        }
        queue.sync { write(nowMs: Int64.max / 2) }
    }

    /// Writes what changed (on the recorder's queue; tests call it through `flush`).
    public func flush(nowMs: Int64) {
        queue.sync { write(nowMs: nowMs) }
    }

    private func write(nowMs: Int64) {
        let changed = sessions.withLockedValue { $0.drain(nowMs: nowMs) }
        let publishes = pending.withLockedValue { pending in
            defer { pending = [] }
            return pending
        }
        var batch = unsaved.withLockedValue { unsaved in
            defer { unsaved = [:] }
            return unsaved
        }
        for session in changed { batch[session.id] = session }
        do {
            try store.save(Array(batch.values), publishes: publishes)
        } catch {
            unsaved.withLockedValue { unsaved in
                for (id, session) in batch where unsaved.count < 100_000 { unsaved[id] = session }
            }
            pending.withLockedValue {
                $0.insert(contentsOf: publishes.prefix(Self.maxPendingPublishes - $0.count), at: 0)
            }
            let count = failures.withLockedValue {
                $0 += 1; return $0
            }
            if count == 1 || count.isMultiple(of: 100) {
                logger.error(
                    "usage report write failed; kept in memory and retried",
                    metadata: ["error": "\(error)", "failures": "\(count)", "sessions": "\(batch.count)"])
            }
        }
    }

    private func applyRetention(nowMs: Int64) {
        guard let keepMs else { return }
        do {
            let removed = try store.deleteEnded(before: nowMs - keepMs)
            if removed > 0 {
                logger.info("usage sessions past retention removed", metadata: ["sessions": "\(removed)"])
            }
        } catch {
            logger.warning("usage retention failed", metadata: ["error": "\(error)"])
        }
    }

    /// A report over the stored sessions (disk I/O: not on an event loop).
    public func report(
        stream: String?, fromMs: Int64, toMs: Int64, group: UsageReport.Grouping, time: (Int64) -> String
    ) throws -> UsageReport {
        UsageReport(
            sessions: try store.sessions(stream: stream, fromMs: fromMs, toMs: toMs),
            publishes: try store.publishes(stream: stream, fromMs: fromMs, toMs: toMs), fromMs: fromMs, toMs: toMs,
            group: group, stream: stream, time: time)
    }

    static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
