import Foundation
import Logging
import NIOConcurrencyHelpers

/// This gateway as a member of the cluster. It keeps a lease alive in etcd, registers the
/// streams published here under it (`PREFIX/streams/NAME`), and watches the whole prefix into a
/// `ClusterDirectory`, so any node can tell who owns a stream without asking etcd per request.
///
/// etcd being down never stops a stream: running streams go on, new publishes are admitted
/// locally and registered when etcd is back (the later publish wins a conflict, by `since`).
/// A stream registered by another node after this node's claim means the publisher moved:
/// `onLost` tells the gateway to end the local publish.
public final class ClusterNode: Sendable {
    public enum Admission: Sendable, Equatable {
        /// Registered; `previousOwner`: another node owned the name (a takeover).
        case registered(previousOwner: String?)
        /// etcd did not answer: admitted here, registered once it answers.
        case local(reason: String)
    }

    struct Claim: Sendable {
        var since: Int64
        /// The revision of the registration; nil while etcd has not taken it.
        var revision: Int64?
        var superseded = false
    }

    struct State: Sendable {
        var directory: ClusterDirectory
        var lease: Int64?
        var connected = false
        var lastError = ""
        var claims: [String: Claim] = [:]
        var stats = ClusterStats()
    }

    public let settings: ClusterSettings
    let etcd: EtcdClient
    let logger: Logger
    let onLost: @Sendable (_ stream: String, _ newOwner: StreamOwnerRecord) -> Void
    let state: NIOLockedValueBox<State>
    let clock: @Sendable () -> Int64

    public init(
        settings: ClusterSettings, etcd: EtcdClient, logger: Logger,
        clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
        onLost: @escaping @Sendable (_ stream: String, _ newOwner: StreamOwnerRecord) -> Void
    ) {
        self.settings = settings
        self.etcd = etcd
        self.logger = logger
        self.clock = clock
        self.onLost = onLost
        self.state = NIOLockedValueBox(State(directory: ClusterDirectory(settings: settings)))
    }

    // MARK: Queries (any thread, no I/O)

    /// Where requests for a stream are answered.
    public enum StreamRouting: Sendable, Equatable {
        /// Here: this node holds a live claim, or nobody in the cluster owns the name.
        case local
        /// The node that owns it.
        case remote(StreamOwnerRecord)
        /// It moved away from this node and no live node owns it now: the copy here is stale
        /// (it may end with ENDLIST) and must not be served.
        case movedAway
    }

    public func routing(of stream: String) -> StreamRouting {
        state.withLockedValue { state in
            let owner = state.directory.owners[stream].flatMap { $0.record.node == settings.node ? nil : $0.record }
            if let claim = state.claims[stream] {
                if !claim.superseded { return .local }
                return owner.map { .remote($0) } ?? .movedAway
            }
            return owner.map { .remote($0) } ?? .local
        }
    }

    /// The other node that owns `stream`, when requests for it must go there.
    public func remoteOwner(of stream: String) -> StreamOwnerRecord? {
        if case .remote(let owner) = routing(of: stream) { return owner }
        return nil
    }

    public var isConnected: Bool { state.withLockedValue { $0.connected } }

    public var stats: ClusterStats {
        state.withLockedValue { state in
            var stats = state.stats
            stats.connected = state.connected
            stats.claims = state.claims.count
            return stats
        }
    }

    public func snapshot() -> ClusterSnapshot {
        state.withLockedValue { state in
            var streams = state.directory.owners.map { name, owner in
                ClusterSnapshot.Stream(
                    name: name, node: owner.record.node, advertise: owner.record.advertise, since: owner.record.since,
                    registered: true)
            }
            for (name, claim) in state.claims
            where !claim.superseded && state.directory.owners[name]?.record.node != settings.node {
                streams.removeAll { $0.name == name }
                streams.append(
                    .init(
                        name: name, node: settings.node, advertise: settings.advertise, since: claim.since,
                        registered: false))
            }
            return ClusterSnapshot(
                node: settings.node, advertise: settings.advertise, etcd: state.connected ? "connected" : "unavailable",
                etcdError: state.connected ? nil : state.lastError,
                nodes: state.directory.nodes.map { .init(node: $0.key, advertise: $0.value.advertise) }
                    .sorted { $0.node < $1.node },
                streams: streams.sorted { $0.name < $1.name })
        }
    }

    // MARK: Publishes

    /// A publish of `stream` was admitted here (its key checked): register this node as its
    /// owner. `claim` identifies this claim for `release` (a later publish of the name has another).
    public func admit(stream: String) async -> (outcome: Admission, claim: Int64) {
        let since = state.withLockedValue { state in
            // Unique per stream even within one millisecond.
            max(clock(), (state.claims[stream]?.since ?? 0) + 1)
        }
        return (await admit(stream: stream, since: since), since)
    }

    private func admit(stream: String, since: Int64) async -> Admission {
        let (lease, previous) = state.withLockedValue { state -> (Int64?, String?) in
            state.claims[stream] = Claim(since: since)
            let owner = state.directory.owners[stream]?.record.node
            return (state.connected ? state.lease : nil, owner == settings.node ? nil : owner)
        }
        guard let lease else {
            let reason = state.withLockedValue { $0.lastError }
            logger.warning(
                "etcd unavailable: publish admitted locally, registered when etcd answers",
                metadata: ["stream": "\(stream)", "error": "\(reason)"])
            return .local(reason: reason)
        }
        do {
            try await register(stream: stream, since: since, lease: lease)
            if let previous {
                state.withLockedValue { $0.stats.takeovers += 1 }
                logger.notice(
                    "stream taken over from another node", metadata: ["stream": "\(stream)", "from": "\(previous)"])
            }
            return .registered(previousOwner: previous)
        } catch {
            failed(error, during: "register \(stream)")
            logger.warning(
                "etcd unavailable: publish admitted locally, registered when etcd answers",
                metadata: ["stream": "\(stream)", "error": "\(error)"])
            return .local(reason: "\(error)")
        }
    }

    /// The stream is gone from this node (its ended playlists were freed, or its publish failed
    /// after admission): its entry goes, if it is still this node's. With `claim`, only that
    /// claim is released (not a newer publish's of the same name).
    public func release(stream: String, claim: Int64? = nil) async {
        let released = state.withLockedValue { state -> Claim? in
            guard let held = state.claims[stream], claim == nil || held.since == claim else { return nil }
            return state.claims.removeValue(forKey: stream)
        }
        guard let released, let revision = released.revision, !released.superseded else { return }
        let key = EtcdBytes(settings.streamsPrefix + stream)
        do {
            _ = try await etcd.txn(
                EtcdTxnRequest(
                    compare: [.modified(key, at: revision)],
                    success: [EtcdRequestOp(requestDeleteRange: EtcdDeleteRequest(key: key))], failure: []))
        } catch {
            // The lease removes it when this node stops; meanwhile other nodes proxy here (404).
            failed(error, during: "release \(stream)")
        }
    }

    /// Writes this node's entry for `stream` (if the claim made at `since` is still current).
    /// With `expecting`, only if the key is still at that revision (0: absent); returns whether
    /// it was written.
    @discardableResult
    func register(
        stream: String, since: Int64, lease: Int64, expecting: Int64? = nil
    ) async throws(EtcdError)
        -> Bool
    {
        let record = StreamOwnerRecord(node: settings.node, advertise: settings.advertise, since: since)
        let value = (try? JSONEncoder().encode(record)).map(Array.init) ?? []
        let key = settings.streamsPrefix + stream
        let revision: Int64
        if let expecting {
            let bytes = EtcdBytes(key)
            let answer = try await etcd.txn(
                EtcdTxnRequest(
                    compare: [.modified(bytes, at: expecting)],
                    success: [
                        EtcdRequestOp(
                            requestPut: EtcdPutRequest(key: bytes, value: EtcdBytes(value), lease: EtcdInt(lease)))
                    ], failure: []))
            guard answer.succeeded == true else { return false }
            revision = answer.header?.revision?.value ?? 0
        } else {
            revision = try await etcd.put(key, value: value, lease: lease)
        }
        state.withLockedValue { state in
            guard state.claims[stream]?.since == since else { return }
            state.claims[stream]?.revision = revision
        }
        return true
    }

    // MARK: Stream numbering (outlives nodes: no lease)

    public func loadContinuity(stream: String) async -> [UInt8]? {
        do {
            return try await etcd.get(settings.continuityPrefix + stream)?.value?.bytes
        } catch {
            failed(error, during: "read numbering of \(stream)")
            return nil
        }
    }

    /// Read, merge, compare-and-swap: concurrent writers (the old and the new owner of a
    /// moving stream) never lose each other's reservation.
    public func saveContinuity(stream: String, merge: @Sendable ([UInt8]?) -> [UInt8]) async -> Bool {
        let key = settings.continuityPrefix + stream
        for _ in 0..<4 {
            do {
                let current = try await etcd.get(key)
                let merged = merge(current?.value?.bytes)
                if merged == current?.value?.bytes { return true }
                let bytes = EtcdBytes(key)
                let answer = try await etcd.txn(
                    EtcdTxnRequest(
                        compare: [.modified(bytes, at: current?.modRevision?.value ?? 0)],
                        success: [EtcdRequestOp(requestPut: EtcdPutRequest(key: bytes, value: EtcdBytes(merged)))],
                        failure: []))
                if answer.succeeded == true { return true }
            } catch {
                failed(error, during: "save numbering of \(stream)")
                return false
            }
        }
        return false
    }

    // MARK: Failures

    func failed(_ error: any Error, during what: String) {
        let wasConnected = state.withLockedValue { state -> Bool in
            defer {
                state.connected = false
                state.lastError = "\(error)"
                state.stats.failures += 1
            }
            return state.connected
        }
        if wasConnected {
            logger.warning(
                "etcd unavailable: running streams go on; new publishes are admitted locally",
                metadata: ["during": "\(what)", "error": "\(error)"])
        }
    }
}

/// Counters for `/metrics`.
public struct ClusterStats: Sendable, Equatable {
    public var connected = false
    public var claims = 0
    public var failures = 0
    public var takeovers = 0
    public var lost = 0
    public var leaseGrants = 0

    public init() {}
}

/// `GET /api/cluster`.
public struct ClusterSnapshot: Codable, Sendable, Equatable {
    public struct Node: Codable, Sendable, Equatable {
        public var node: String
        public var advertise: String
    }

    public struct Stream: Codable, Sendable, Equatable {
        public var name: String
        public var node: String
        public var advertise: String
        public var since: Int64
        /// False: admitted while etcd did not answer, not in etcd yet.
        public var registered: Bool
    }

    public var node: String
    public var advertise: String
    public var etcd: String
    public var etcdError: String?
    public var nodes: [Node]
    public var streams: [Stream]
}
