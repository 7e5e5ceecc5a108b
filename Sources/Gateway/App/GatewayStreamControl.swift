/// The operator's actions on a stream (`POST /api/streams/NAME/disconnect|end`), and the end of
/// a stream that moved to another cluster node.
struct GatewayStreamControl: StreamControl {
    let registry: StreamRegistry
    let pipelines: LadderPipelineFactory

    func disconnectPublisher(of stream: String, reason: String) -> Bool {
        guard let publish = registry.stream(named: stream)?.publish else { return false }
        publish.publisher.disconnect(reason: reason)  // a vanish: the stream waits for a reconnect
        return true
    }

    func end(stream: String, reason: String) -> Bool {
        var ended = false
        if let live = registry.stream(named: stream), let publish = live.publish,
            registry.endPublish(name: stream, publisher: publish.publisher) != nil
        {
            publish.pipeline?.finish()  // ended here, not vanished: no slate, no reconnect grace
            publish.publisher.disconnect(reason: reason)
            ended = true
        }
        pipelines.slates.stop(stream: stream)
        if let packager = pipelines.packager(for: stream), packager.isAwaitingReconnect {
            packager.expireWaitingReconnect()
            ended = true
        }
        return ended
    }
}
