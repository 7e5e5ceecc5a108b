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

    func admit(stream: String) async -> ClusterNode.Admission {
        let outcome = await node.admit(stream: stream)
        if case .registered = outcome, let numbering = await node.loadContinuity(stream: stream) {
            continuity.adopt(stream: stream, encoded: numbering)
        }
        return outcome
    }
}
