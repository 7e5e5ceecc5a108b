import AsyncHTTPClient
import GatewayCluster
import Logging
import ServiceLifecycle

/// Runs this node's membership (`ClusterNode`: lease, registrations, watch) until graceful
/// shutdown, then revokes the lease so that the node's entries go at once, not a lease later.
struct ClusterService: Service {
    let node: ClusterNode
    let clients: [HTTPClient]
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await node.run()
        }
        await node.shutdown()
        for client in clients { try? await client.shutdown() }
        logger.info("cluster node left", metadata: ["node": "\(node.settings.node)"])
    }
}

extension GatewayApplication {
    /// Ends the local publish of a stream that another node registered since (the publisher
    /// moved there): the session closes, the local copy ends, and requests for the stream are
    /// proxied to the new owner from now on (`ClusterNode.remoteOwner`).
    static func streamMoved(
        _ stream: String, to owner: StreamOwnerRecord, registry: StreamRegistry, pipelines: LadderPipelineFactory
    ) {
        _ = GatewayStreamControl(registry: registry, pipelines: pipelines)
            .end(stream: stream, reason: "stream moved to node \(owner.node)")
    }
}
