import GatewayCluster
import Logging

/// The cluster's part of publish admission, after the key and the `on_publish` hook: register
/// this node as the stream's owner (taking it over from another node: the key was valid), and
/// take in the stream's numbering from etcd so that its playlists continue where the previous
/// owner left them.
///
/// etcd down: the publish is admitted locally (a streamer is never turned away because the
/// control plane is down) and registered when etcd answers; `ClusterNode` logs it.
struct ClusterAdmission: Sendable {
    let node: ClusterNode
    let continuity: StreamContinuity

    /// Registers the publish; `claim` identifies it for `release` if the publish fails later.
    func admit(stream: String) async -> (outcome: ClusterNode.Admission, claim: Int64) {
        let admitted = await node.admit(stream: stream)
        // Read even when the registration went local (etcd slow, or this node just started):
        // a number that another node used must never come again.
        if let numbering = await node.loadContinuity(stream: stream) {
            continuity.adopt(stream: stream, encoded: numbering)
        }
        return admitted
    }

    /// A publish admitted here did not start (the session closed, its profile failed).
    func release(stream: String, claim: Int64) {
        Task { await node.release(stream: stream, claim: claim) }
    }
}
