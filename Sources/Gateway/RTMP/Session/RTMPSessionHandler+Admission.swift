import Ladder
import NIOCore
import NIOPosix
import RTMPWire

/// Publish admission: stream key, `on_publish` hook, then the profile and pipeline (built on the
/// blocking pool), and the takeover of a live name. Each asynchronous step asks the machine
/// whether the publish is still wanted: the session may have closed or deleted it meanwhile.
extension RTMPSessionHandler {
    func admitPublish(name: String, key: String?, streamID: UInt32, context: ChannelHandlerContext) {
        if let refusal = services.keys.check(name: name, key: key) {
            refusePublish(name: name, streamID: streamID, refusal: refusal, detail: nil, context: context)
            return
        }
        guard let hook = services.publishHook else {
            registerInCluster(name: name, streamID: streamID, context: context)
            return
        }
        let request = PublishHookClient.Request(
            name: name, app: services.application,
            clientIP: context.channel.remoteAddress?.ipAddress ?? "unknown", key: key)
        context.eventLoop.makeFutureWithTask {
            await hook.authorize(request)
        }.assumeIsolated().whenSuccess { decision in
            guard self.machine.isAdmitting(name: name, streamID: streamID) else { return }
            switch decision {
            case .allow:
                self.registerInCluster(name: name, streamID: streamID, context: context)
            case .deny(let status):
                self.refusePublish(
                    name: name, streamID: streamID, refusal: .webhookDenied, detail: "on_publish answered \(status)",
                    context: context)
            case .unavailable(let why):
                self.refusePublish(
                    name: name, streamID: streamID, refusal: .webhookUnavailable, detail: why, context: context)
            }
        }
    }

    /// In a cluster, registers this node as the stream's owner first (`ClusterAdmission`).
    private func registerInCluster(name: String, streamID: UInt32, context: ChannelHandlerContext) {
        guard let cluster = services.cluster else {
            createPipeline(name: name, streamID: streamID, context: context)
            return
        }
        context.eventLoop.makeFutureWithTask {
            await cluster.admit(stream: name)
        }.assumeIsolated().whenSuccess { outcome, claim in
            guard self.machine.isAdmitting(name: name, streamID: streamID) else {
                cluster.release(stream: name, claim: claim)
                return
            }
            self.clusterClaims[name] = claim
            if case .registered(let previous?) = outcome {
                self.logger.notice(
                    "publish takes the stream over from node \(previous)", metadata: ["stream": "\(name)"])
            }
            self.createPipeline(name: name, streamID: streamID, context: context)
        }
    }

    /// Loads the profile and builds the pipeline on the blocking pool, then starts the publish.
    private func createPipeline(name: String, streamID: UInt32, context: ChannelHandlerContext) {
        let factory = services.pipelineFactory
        services.blockingPool.runIfActive(eventLoop: context.eventLoop) {
            try factory.makePipeline(stream: name)
        }.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let pipeline):
                self.startPublish(name: name, streamID: streamID, pipeline: pipeline, context: context)
            case .failure(let error):
                self.releaseClusterClaim(name)
                self.refusePublish(
                    name: name, streamID: streamID, refusal: .profileError, detail: "\(error)", context: context)
            }
        }
    }

    /// The cluster registration of a publish that will not start.
    private func releaseClusterClaim(_ name: String) {
        guard let claim = clusterClaims.removeValue(forKey: name) else { return }
        services.cluster?.release(stream: name, claim: claim)
    }

    private func refusePublish(
        name: String, streamID: UInt32, refusal: PublishRefusal, detail: String?, context: ChannelHandlerContext
    ) {
        guard case .proceed(let actions) = machine.publishRefused(refusal, name: name, streamID: streamID) else {
            return
        }
        logger.warning(
            "publish refused",
            metadata: [
                "stream": "\(StreamName.isValid(name) ? name : "(invalid)")", "reason": "\(refusal.rawValue)",
                "detail": "\(detail ?? refusal.description)",
            ])
        GatewayMetrics.publishRefused(reason: refusal)
        for action in actions { perform(action, context: context) }
    }

    private func startPublish(
        name: String, streamID: UInt32, pipeline: any IngestPipeline, context: ChannelHandlerContext
    ) {
        guard case .proceed(let actions) = machine.publishAdmitted(name: name, streamID: streamID) else {
            pipeline.finish()  // built for a publish that is gone: nothing else owns it
            releaseClusterClaim(name)
            return
        }
        clusterClaims[name] = nil  // the stream's retention releases it from now on
        let sync = context.pipeline.syncOperations
        var readBatching = "off"
        if let batching = try? sync.handler(type: ReceiveBatchingHandler.self) {
            if pipeline.encodesVideo || pipeline.isLowLatency {
                // An encoded ladder reads per arrival: the encoder's delay leaves no room for
                // batching's; neither does LL output (batching held parts back by up to 0.4 s).
                sync.removeHandler(batching, promise: nil)
                readBatching = pipeline.encodesVideo ? "off (encoded ladder)" : "off (low latency)"
            } else {
                readBatching = "\(batching.delayMilliseconds)ms"
            }
        }
        let handle = RTMPPublisherHandle(channel: context.channel, remoteAddress: remoteAddress)
        let (stream, replaced) = services.registry.beginPublish(name: name, publisher: handle, pipeline: pipeline)
        if let replaced {
            logger.notice(
                "publish takeover: closing the previous publisher",
                metadata: ["stream": "\(name)", "previous": "\(replaced.publisher.remoteAddress)"])
            replaced.pipeline?.finish()
            replaced.publisher.disconnect(reason: "taken over by a new publisher from \(remoteAddress)")
        }
        publishing = PublishingState(
            stream: stream, handle: handle, pipeline: pipeline, streamID: streamID, startedAt: .now(),
            ingestBytes: GatewayMetrics.ingestBytesCounter(stream: name))
        stream.relay.publisherStarted()
        logger.info(
            "publish start",
            metadata: ["stream": "\(name)", "app": "\(services.application)", "read_batching": "\(readBatching)"])
        GatewayMetrics.publishStarted()
        for action in actions { perform(action, context: context) }
    }
}
