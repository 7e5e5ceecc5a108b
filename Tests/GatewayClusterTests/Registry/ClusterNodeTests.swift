import AsyncHTTPClient
import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing

@testable import GatewayCluster

/// `ClusterNode` against a real etcd: registration, the watched directory, takeover, the
/// numbering's compare-and-swap, an etcd outage and its healing, a node's death.
@Suite(.serialized, .enabled(if: EtcdServer.isInstalled, "etcd-server is not installed (scripts/setup.sh --test)"))
struct ClusterNodeTests {
    final class Members: Sendable {
        /// The cluster's etcd: it lives as long as its members.
        let etcd: EtcdServer
        let http = HTTPClient(eventLoopGroupProvider: .singleton)

        init(etcd: EtcdServer) {
            self.etcd = etcd
        }
        let lost = NIOLockedValueBox<[String: [String]]>([:])
        let tasks = NIOLockedValueBox<[String: Task<Void, Never>]>([:])

        func node(_ name: String, etcd: String, lease: Int = 2) -> ClusterNode {
            let settings = ClusterSettings(
                etcd: [etcd], node: name, advertise: "http://\(name):8080", leaseSeconds: lease,
                prefix: "/test-\(UUID().uuidString.prefix(8))")
            return node(settings)
        }

        func node(_ settings: ClusterSettings) -> ClusterNode {
            var logger = Logger(label: "cluster-test")
            logger.logLevel = .critical
            let node = ClusterNode(
                settings: settings, etcd: EtcdClient(endpoints: settings.etcd, http: http, requestTimeout: .seconds(1)),
                logger: logger,
                onLost: { [lost] stream, owner in
                    lost.withLockedValue { $0[settings.node, default: []].append("\(stream)>\(owner.node)") }
                })
            tasks.withLockedValue { $0[settings.node] = Task { await node.run() } }
            return node
        }

        /// Stops a node's loops without revoking its lease (as if the process died).
        func kill(_ name: String) {
            tasks.withLockedValue { $0[name]?.cancel() }
        }

        func shutdown() async {
            for task in tasks.withLockedValue({ Array($0.values) }) { task.cancel() }
            try? await http.shutdown()
        }
    }

    func sibling(of node: ClusterNode, _ name: String, members: Members) -> ClusterNode {
        var settings = node.settings
        settings.node = name
        settings.advertise = "http://\(name):8080"
        return members.node(settings)
    }

    /// A real etcd and two nodes (lease 2 s) of one cluster, both connected.
    func connectedPair() async throws -> (Members, ClusterNode, ClusterNode) {
        let etcd = try EtcdServer()
        let members = Members(etcd: etcd)
        try await etcd.waitUntilReady(http: members.http)
        let a = members.node("gw-a", etcd: etcd.url, lease: 2)
        let b = sibling(of: a, "gw-b", members: members)
        #expect(await eventually("both connected") { a.isConnected && b.isConnected })
        return (members, a, b)
    }

    @Test func registersTakesOverAndReleases() async throws {
        let (members, a, b) = try await connectedPair()

        #expect(await a.admit(stream: "cam1").outcome == .registered(previousOwner: nil))
        #expect(await eventually("b sees a's stream") { b.remoteOwner(of: "cam1")?.node == "gw-a" })
        #expect(a.remoteOwner(of: "cam1") == nil, "the owner serves its own stream")
        #expect(await eventually("nodes listed") { b.snapshot().nodes.map(\.node) == ["gw-a", "gw-b"] })

        // The publisher moved to b with a valid key: b takes over, a is told to end its publish.
        #expect(await b.admit(stream: "cam1").outcome == .registered(previousOwner: "gw-a"))
        #expect(await eventually("a lost cam1") { members.lost.withLockedValue { $0["gw-a"] } == ["cam1>gw-b"] })
        #expect(a.remoteOwner(of: "cam1")?.node == "gw-b")
        #expect(b.remoteOwner(of: "cam1") == nil)
        #expect(b.stats.takeovers == 1 && a.stats.lost == 1)

        // a frees its old copy: b's entry stays. b frees it: the entry goes.
        await a.release(stream: "cam1")
        #expect(b.snapshot().streams.map(\.node) == ["gw-b"])
        await b.release(stream: "cam1")
        #expect(await eventually("entry gone") { a.remoteOwner(of: "cam1") == nil && a.snapshot().streams.isEmpty })
        await members.shutdown()
    }

    @Test func aMovedStreamIsNeverServedFromTheStaleCopy() async throws {
        let (members, a, b) = try await connectedPair()
        let first = await a.admit(stream: "cam1")
        #expect(a.routing(of: "cam1") == .local)
        _ = await b.admit(stream: "cam1")
        #expect(await eventually("a lost cam1") { a.routing(of: "cam1") == .remote(b.snapshot().streams[0].owner) })
        // The new owner dies: a's ended copy must not come back.
        members.kill("gw-b")
        #expect(await eventually("b's lease expired", timeout: .seconds(10)) { a.routing(of: "cam1") == .movedAway })
        // Releasing an older claim by its token leaves a newer publish's claim alone.
        let second = await a.admit(stream: "cam1")
        #expect(second.claim > first.claim)
        await a.release(stream: "cam1", claim: first.claim)
        #expect(a.routing(of: "cam1") == .local && a.snapshot().streams.map(\.node) == ["gw-a"])
        await a.release(stream: "cam1", claim: second.claim)
        #expect(await eventually("released") { a.snapshot().streams.isEmpty })
        await members.shutdown()
    }

    @Test func numberingMergesConcurrentWriters() async throws {
        let (members, a, b) = try await connectedPair()
        // Each writer keeps the larger number: whatever the interleaving, the maximum wins.
        await withTaskGroup(of: Bool.self) { group in
            for (node, value) in [(a, 40), (b, 70), (a, 55), (b, 10)] {
                group.addTask {
                    await node.saveContinuity(stream: "cam1") { current in
                        let stored = current.flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 0
                        return Array(String(max(stored, value)).utf8)
                    }
                }
            }
            for await saved in group { #expect(saved) }
        }
        let stored = await b.loadContinuity(stream: "cam1").map { String(decoding: $0, as: UTF8.self) }
        #expect(stored == "70")
        #expect(await a.loadContinuity(stream: "other") == nil)
        await members.shutdown()
    }

    @Test func anOutageAdmitsLocallyAndHeals() async throws {
        let (members, a, b) = try await connectedPair()
        #expect(await a.admit(stream: "cam1").outcome == .registered(previousOwner: nil))
        #expect(await eventually("b sees cam1") { b.remoteOwner(of: "cam1") != nil })

        members.etcd.stop(signal: SIGKILL)
        #expect(await eventually("a notices") { !a.isConnected })
        guard case .local = await a.admit(stream: "cam2").outcome else {
            Issue.record("with etcd down a publish is admitted locally")
            return
        }
        #expect(a.snapshot().streams.first { $0.name == "cam2" }?.registered == false)
        #expect(b.remoteOwner(of: "cam1")?.node == "gw-a", "what b knew stays usable")

        try members.etcd.start()
        #expect(
            await eventually("b sees cam2 once etcd is back", timeout: .seconds(30)) {
                b.remoteOwner(of: "cam2")?.node == "gw-a" && b.remoteOwner(of: "cam1")?.node == "gw-a"
            })
        #expect(a.isConnected && a.snapshot().streams.allSatisfy(\.registered))
        await members.shutdown()
    }

    @Test func aDeadNodesEntriesExpireWithItsLease() async throws {
        let (members, a, b) = try await connectedPair()
        #expect(await a.admit(stream: "cam1").outcome == .registered(previousOwner: nil))
        #expect(await eventually("b sees cam1") { b.remoteOwner(of: "cam1") != nil })
        members.kill("gw-a")
        #expect(
            await eventually("the lease expired", timeout: .seconds(10)) {
                b.remoteOwner(of: "cam1") == nil && !b.snapshot().nodes.contains { $0.node == "gw-a" }
            })
        await members.shutdown()
    }
}

extension ClusterSnapshot.Stream {
    var owner: StreamOwnerRecord { StreamOwnerRecord(node: node, advertise: advertise, since: since) }
}
