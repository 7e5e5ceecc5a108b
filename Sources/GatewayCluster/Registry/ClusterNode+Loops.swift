import Foundation
import Logging

/// The node's two loops: the lease (grant, keep alive, register again after a loss) and the
/// watch (range the prefix, then follow it; range again after any break).
extension ClusterNode {
    /// Runs until the task is cancelled.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.leaseLoop() }
            group.addTask { await self.watchLoop() }
            await group.waitForAll()
        }
    }

    /// Graceful stop: revoking the lease removes this node's entries at once.
    public func shutdown() async {
        guard let lease = state.withLockedValue({ $0.lease }) else { return }
        try? await etcd.revoke(lease: lease)
    }

    private var keepAliveInterval: Duration { .milliseconds(max(300, settings.leaseSeconds * 1000 / 3)) }

    func leaseLoop() async {
        while !Task.isCancelled {
            if state.withLockedValue({ $0.lease }) == nil {
                do {
                    try await grantLeaseAndRegister()
                } catch {
                    failed(error, during: "lease grant")
                    try? await Task.sleep(for: .seconds(1))
                    continue
                }
            }
            try? await Task.sleep(for: keepAliveInterval)
            guard let lease = state.withLockedValue({ $0.lease }) else { continue }
            do {
                let ttl = try await etcd.keepAlive(lease: lease)
                if ttl <= 0 {
                    logger.warning("cluster lease expired: registering this node and its streams again")
                    state.withLockedValue { $0.lease = nil }
                } else {
                    connected()
                    await registerPending()
                }
            } catch {
                failed(error, during: "lease keepalive")
            }
        }
    }

    /// A new lease, this node's entry, and every claim registered under it.
    private func grantLeaseAndRegister() async throws(EtcdError) {
        let lease = try await etcd.grantLease(seconds: settings.leaseSeconds)
        let node = (try? JSONEncoder().encode(NodeRecord(advertise: settings.advertise))).map(Array.init) ?? []
        try await etcd.put(settings.nodesPrefix + settings.node, value: node, lease: lease)
        state.withLockedValue { state in
            state.lease = lease
            state.stats.leaseGrants += 1
            // The old lease's entries are gone: every claim is registered again.
            for name in state.claims.keys { state.claims[name]?.revision = nil }
        }
        connected()
        logger.info(
            "cluster node registered",
            metadata: ["node": "\(settings.node)", "advertise": "\(settings.advertise)", "lease": "\(lease)"])
        await registerPending()
    }

    /// Registers the claims etcd does not have yet (admitted while it was down, or after a new
    /// lease). A claim another node registered since, for a later publish, has lost.
    func registerPending() async {
        let pending = state.withLockedValue { state in
            state.claims.filter { $0.value.revision == nil && !$0.value.superseded }
                .map { ($0.key, $0.value.since) }
        }
        guard !pending.isEmpty, let lease = state.withLockedValue({ $0.lease }) else { return }
        for (stream, since) in pending {
            do {
                let current = try await etcd.get(settings.streamsPrefix + stream)
                if let bytes = current?.value?.bytes,
                    let record = try? JSONDecoder().decode(StreamOwnerRecord.self, from: Data(bytes)),
                    record.node != settings.node, record.since > since
                {
                    lose(stream: stream, to: record)
                    continue
                }
                // Only over what was just read: a takeover landing in between wins, and the
                // next round reads it (compare-and-swap, not a blind put).
                guard
                    try await register(
                        stream: stream, since: since, lease: lease, expecting: current?.modRevision?.value ?? 0)
                else { continue }
                logger.info("stream registered in the cluster", metadata: ["stream": "\(stream)"])
            } catch {
                failed(error, during: "register \(stream)")
                return
            }
        }
    }

    func connected() {
        let was = state.withLockedValue { state -> Bool in
            defer { state.connected = true }
            return state.connected
        }
        if !was { logger.info("etcd connected", metadata: ["endpoints": "\(etcd.endpoints.joined(separator: ","))"]) }
    }

    func watchLoop() async {
        while !Task.isCancelled {
            do {
                let snapshot = try await etcd.range(prefix: settings.watchPrefix)
                let changes = state.withLockedValue { $0.directory.reset(to: snapshot.kvs ?? []) }
                for change in changes { handle(change) }
                var revision = snapshot.header?.revision?.value ?? 0
                for try await message in etcd.watch(prefix: settings.watchPrefix, fromRevision: revision + 1) {
                    guard let result = message.result else {
                        throw EtcdError.rejected(
                            status: message.error?.code ?? 0, message: message.error?.message ?? "watch")
                    }
                    if result.canceled == true || (result.compactRevision?.value ?? 0) > 0 {
                        break  // range again
                    }
                    revision = result.header?.revision?.value ?? revision
                    for event in result.events ?? [] {
                        if let change = state.withLockedValue({ $0.directory.apply(event) }) { handle(change) }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                failed(error, during: "watch")
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    static let watchRenewal = Duration.seconds(30)

    private func follow(fromRevision revision: Int64) async throws {
        for try await message in etcd.watch(prefix: settings.watchPrefix, fromRevision: revision) {
            guard let result = message.result else {
                throw EtcdError.rejected(status: message.error?.code ?? 0, message: message.error?.message ?? "watch")
            }
            if result.canceled == true || (result.compactRevision?.value ?? 0) > 0 { return }  // range again
            for event in result.events ?? [] {
                if let change = state.withLockedValue({ $0.directory.apply(event) }) { handle(change) }
            }
        }
    }

    /// A directory change against this node's claims.
    func handle(_ change: ClusterDirectory.Change) {
        switch change {
        case .owner(let stream, let owner) where owner.record.node != settings.node:
            let lost = state.withLockedValue { state -> Bool in
                guard let claim = state.claims[stream], !claim.superseded else { return false }
                if let revision = claim.revision { return owner.revision > revision }
                return owner.record.since > claim.since
            }
            if lost { lose(stream: stream, to: owner.record) }
        case .ownerGone(let stream):
            // This node's entry went (deleted by hand, or its lease expired while etcd was
            // unreachable): the lease loop registers it again.
            state.withLockedValue { state in
                if state.claims[stream]?.superseded == false { state.claims[stream]?.revision = nil }
            }
        default:
            break
        }
    }

    func lose(stream: String, to owner: StreamOwnerRecord) {
        let first = state.withLockedValue { state -> Bool in
            guard state.claims[stream]?.superseded == false else { return false }
            state.claims[stream]?.superseded = true
            state.stats.lost += 1
            return true
        }
        guard first else { return }
        logger.notice(
            "stream moved to another node: ending its publish here",
            metadata: ["stream": "\(stream)", "node": "\(owner.node)", "advertise": "\(owner.advertise)"])
        onLost(stream, owner)
    }
}
