import Foundation
import Ladder
import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RTMPWire

/// Everything a session needs from the rest of the gateway.
struct RTMPSessionServices: Sendable {
    var application: String
    var keys: StreamKeys
    var registry: StreamRegistry
    var pipelineFactory: any IngestPipelineFactory
    var logger: Logger
    /// Runs admission work that may touch the disk (profile loading) off the event loop.
    var blockingPool: NIOThreadPool
    var maxStreamsPerConnection = 8
    /// A publisher that sends nothing for this long is considered dead and closed.
    var idleTimeout = TimeAmount.seconds(30)
    /// Optional `on_publish` admission hook.
    var publishHook: PublishHookClient?
}

/// Asks a session (from any thread) to close, with the reason to log.
struct RTMPSessionCloseRequest: Sendable {
    var reason: String
}

/// The session layer of an RTMP connection: commands, publish/play, FLV tags to `IngestSample`s,
/// and the relay to RTMP players. Runs on its channel's event loop and never blocks.
final class RTMPSessionHandler: ChannelInboundHandler {
    typealias InboundIn = RTMPMessage
    typealias OutboundOut = RTMPMessage

    private let services: RTMPSessionServices
    private var machine: RTMPSessionStateMachine
    private var logger: Logger
    private var remoteAddress = "unknown"
    private var closing = false
    private var publishing: PublishingState?
    private var player: RTMPRelayPlayer?
    private var playingStream: LiveStream?
    private var lastInbound = NIODeadline.now()
    private var idleCheck: RepeatedTask?

    /// Media-side state of a publish in progress.
    private struct PublishingState {
        var stream: LiveStream
        var handle: RTMPPublisherHandle
        var pipeline: (any IngestPipeline)?
        var streamID: UInt32
        var startedAt: NIODeadline
        var videoClock = TimestampUnwrapper()
        var audioClock = TimestampUnwrapper()
        /// The one FLV-to-sample conversion (the code the fuzzers test): validates NAL lengths and
        /// configs, drops empty frames and repeated sequence headers.
        var converter = FLVIngestConverter()
        var mediaErrors = 0
        var bytes = 0
        var ingestBytes: Metrics.Counter
        /// Samples of the current socket read, handed to the pipeline together at channelReadComplete
        /// (one wake-up of its decode thread per read instead of one per message).
        var pendingSamples: [IngestSample] = []

        /// After the call the array is unique again, so emptying it keeps its buffer for the next read.
        mutating func submitPendingSamples() {
            guard !pendingSamples.isEmpty else { return }
            pipeline?.submit(contentsOf: pendingSamples)
            pendingSamples.removeAll(keepingCapacity: true)
        }
    }

    /// A read burst is bounded by NIO's read sizes; this only caps a pathological one.
    private static let maxPendingSamples = 256

    init(services: RTMPSessionServices) {
        self.services = services
        self.machine = RTMPSessionStateMachine(
            application: services.application, maxStreams: services.maxStreamsPerConnection)
        self.logger = services.logger
    }

    func channelActive(context: ChannelHandlerContext) {
        remoteAddress = context.channel.remoteAddress.map(Self.describe) ?? "unknown"
        logger[metadataKey: "client"] = "\(remoteAddress)"
        startIdleCheck(context: context)
        context.fireChannelActive()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive {
            remoteAddress = context.channel.remoteAddress.map(Self.describe) ?? "unknown"
            logger[metadataKey: "client"] = "\(remoteAddress)"
            startIdleCheck(context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        publishing?.submitPendingSamples()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        endRole(reason: closing ? "connection closed" : "publisher disconnected")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        close(context: context, reason: "\(Self.describe(error))")
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let request = event as? RTMPSessionCloseRequest {
            close(context: context, reason: request.reason)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        let message = unwrapInboundIn(data)
        lastInbound = .now()
        switch message.type {
        case .commandAMF0, .commandAMF3:
            handleCommand(message, context: context)
        case .video, .audio:
            handleMedia(message)
        case .dataAMF0, .dataAMF3:
            handleData(message)
        case .userControl:
            handleUserControl(message, context: context)
        case .setChunkSize, .abort, .acknowledgement, .windowAcknowledgementSize, .setPeerBandwidth:
            break  // applied by the chunk codec
        case .aggregate:
            // Aggregate messages (RTMP spec 7.1.6) are not sent by publishers we know of.
            logger.debug("ignoring aggregate message")
        default:
            logger.debug("ignoring message type \(message.type)")
        }
    }

    // MARK: Commands

    private func handleCommand(_ message: RTMPMessage, context: ChannelHandlerContext) {
        let command: RTMPCommand
        do {
            command = try RTMPCommand(decoding: message)
        } catch {
            close(context: context, reason: "malformed command: \(error)")
            return
        }
        for action in machine.receive(command) {
            perform(action, context: context)
        }
    }

    private func perform(_ action: RTMPSessionStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .send(let messages):
            for message in messages { context.write(wrapOutboundOut(message), promise: nil) }
            context.flush()
        case .admitPublish(let name, let key, let streamID):
            admitPublish(name: name, key: key, streamID: streamID, context: context)
        case .startPlay(let name, let streamID):
            startPlay(name: name, streamID: streamID, context: context)
        case .stopRole(let reason):
            endRole(reason: reason)
        case .close(let reason):
            close(context: context, reason: reason)
        }
    }

    private func admitPublish(name: String, key: String?, streamID: UInt32, context: ChannelHandlerContext) {
        if let refusal = services.keys.check(name: name, key: key) {
            refusePublish(name: name, streamID: streamID, refusal: refusal, detail: nil, context: context)
            return
        }
        guard let hook = services.publishHook else {
            createPipeline(name: name, streamID: streamID, context: context)
            return
        }
        let request = PublishHookClient.Request(
            name: name, app: services.application,
            clientIP: context.channel.remoteAddress?.ipAddress ?? "unknown", key: key)
        context.eventLoop.makeFutureWithTask {
            await hook.authorize(request)
        }.assumeIsolated().whenSuccess { decision in
            guard !self.closing, case .admitting = self.machine.role else { return }
            switch decision {
            case .allow:
                self.createPipeline(name: name, streamID: streamID, context: context)
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

    /// Loads the profile and builds the pipeline on the blocking pool, then starts the publish.
    private func createPipeline(name: String, streamID: UInt32, context: ChannelHandlerContext) {
        let factory = services.pipelineFactory
        services.blockingPool.runIfActive(eventLoop: context.eventLoop) {
            try factory.makePipeline(stream: name)
        }.assumeIsolated().whenComplete { result in
            guard !self.closing, case .admitting = self.machine.role else {
                if case .success(let pipeline) = result { pipeline.finish() }
                return
            }
            switch result {
            case .success(let pipeline):
                self.startPublish(name: name, streamID: streamID, pipeline: pipeline, context: context)
            case .failure(let error):
                self.refusePublish(
                    name: name, streamID: streamID, refusal: .profileError, detail: "\(error)", context: context)
            }
        }
    }

    private func refusePublish(
        name: String, streamID: UInt32, refusal: PublishRefusal, detail: String?, context: ChannelHandlerContext
    ) {
        machine.publishRefused()
        let status: NetStreamStatus =
            refusal.statusCode == NetStreamStatus.publishUnauthorized.rawValue
            ? .publishUnauthorized : .publishBadName
        let logName = StreamName.isValid(name) ? name : "(invalid)"
        logger.warning(
            "publish refused",
            metadata: [
                "stream": "\(logName)", "reason": "\(refusal.rawValue)",
                "detail": "\(detail ?? refusal.description)",
            ])
        GatewayMetrics.publishRefused(reason: refusal)
        context.write(
            wrapOutboundOut(RTMPCommandReplies.onStatus(status, streamID: streamID, description: refusal.description)),
            promise: nil)
        context.flush()
        close(context: context, reason: "publish refused (\(refusal.rawValue))")
    }

    private func startPublish(
        name: String, streamID: UInt32, pipeline: any IngestPipeline, context: ChannelHandlerContext
    ) {
        machine.publishAdmitted()
        let sync = context.pipeline.syncOperations
        var readBatching = "off"
        if let batching = try? sync.handler(type: ReceiveBatchingHandler.self) {
            if pipeline.encodesVideo {
                // An encoded ladder reads per arrival: the encoder's delay leaves no room for batching's.
                sync.removeHandler(batching, promise: nil)
                readBatching = "off (encoded ladder)"
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
        context.write(
            wrapOutboundOut(ProtocolControlMessage.userControl(.streamBegin(streamID: streamID)).message()),
            promise: nil)
        context.write(
            wrapOutboundOut(
                RTMPCommandReplies.onStatus(
                    .publishStart, streamID: streamID, description: "\(name) is now published.", details: name)),
            promise: nil)
        context.flush()
    }

    private func startPlay(name: String, streamID: UInt32, context: ChannelHandlerContext) {
        guard StreamName.isValid(name), let stream = services.registry.stream(named: name), stream.isLive else {
            logger.info(
                "play refused: stream not found",
                metadata: ["stream": "\(StreamName.isValid(name) ? name : "(invalid)")"])
            context.write(
                wrapOutboundOut(
                    RTMPCommandReplies.onStatus(
                        .playStreamNotFound, streamID: streamID, description: "No such stream.")), promise: nil)
            context.flush()
            machine.roleEnded()
            return
        }
        let replies = [
            ProtocolControlMessage.userControl(.streamIsRecorded(streamID: streamID)).message(),
            ProtocolControlMessage.userControl(.streamBegin(streamID: streamID)).message(),
            RTMPCommandReplies.onStatus(.playReset, streamID: streamID, description: "Playing and resetting \(name)."),
            RTMPCommandReplies.onStatus(.playStart, streamID: streamID, description: "Started playing \(name)."),
            RTMPCommandReplies.sampleAccess(streamID: streamID),
            RTMPCommandReplies.dataStart(streamID: streamID),
        ]
        for message in replies { context.write(wrapOutboundOut(message), promise: nil) }
        context.flush()
        let player = RTMPRelayPlayer(channel: context.channel, streamID: streamID)
        self.player = player
        playingStream = stream
        logger.info("play start", metadata: ["stream": "\(name)"])
        stream.relay.subscribe(player)
    }

    /// Ends publishing or playing (the connection may stay open).
    private func endRole(reason: String) {
        publishing?.submitPendingSamples()  // before finish(): the pipeline encodes everything that arrived
        if let publishing {
            self.publishing = nil
            let duration = Double((NIODeadline.now() - publishing.startedAt).nanoseconds) / 1e9
            if services.registry.endPublish(name: publishing.stream.name, publisher: publishing.handle) != nil {
                publishing.pipeline?.finish()
                publishing.stream.relay.publisherEnded()
            }
            logger.info(
                "publish stop",
                metadata: [
                    "stream": "\(publishing.stream.name)", "reason": "\(reason)",
                    "duration": "\(String(format: "%.1f", duration))s", "bytes": "\(publishing.bytes)",
                    "media_errors": "\(publishing.mediaErrors)",
                ])
        }
        if let player, let playingStream {
            playingStream.relay.unsubscribe(player)
            logger.info(
                "play stop",
                metadata: [
                    "stream": "\(playingStream.name)", "reason": "\(reason)", "dropped": "\(player.droppedMessages)",
                ])
            self.player = nil
            self.playingStream = nil
        }
        machine.roleEnded()
    }

    // MARK: Media

    private func handleMedia(_ message: RTMPMessage) {
        guard publishing?.streamID == message.streamID else {
            return  // media before publish was admitted, or for another stream: not ours to take
        }
        // In place: copying the state out and back costs a retain and release per field per message.
        handleMedia(message, state: &publishing!)
    }

    private func handleMedia(_ message: RTMPMessage, state: inout PublishingState) {
        state.bytes += message.payload.readableBytes
        if message.payload.readableBytes > 0 { state.ingestBytes.increment(by: message.payload.readableBytes) }
        do {
            if let sample = try ingestSample(from: message, state: &state), state.pipeline != nil {
                state.pendingSamples.append(sample)
                if state.pendingSamples.count >= Self.maxPendingSamples { state.submitPendingSamples() }
            }
            state.stream.relay.publish(message)
        } catch {
            state.mediaErrors = state.handle.countIngestError()
            GatewayMetrics.droppedFrames(stream: state.stream.name, stage: .malformed)
            // Log the first few and then every 100th, so a broken encoder cannot flood the log.
            if state.mediaErrors <= 5 || state.mediaErrors % 100 == 0 {
                logger.warning(
                    "dropping a malformed media message",
                    metadata: [
                        "stream": "\(state.stream.name)", "type": "\(message.type)", "error": "\(error)",
                        "count": "\(state.mediaErrors)",
                    ])
            }
        }
    }

    private func ingestSample(from message: RTMPMessage, state: inout PublishingState) throws -> IngestSample? {
        if message.type == .video {
            let time = state.videoClock.unwrap(message.timestamp)
            return try state.converter.ingestVideo(message.payload, timestamp: time)
        } else {
            let time = state.audioClock.unwrap(message.timestamp)
            return try state.converter.ingestAudio(message.payload, timestamp: time)
        }
    }

    private func handleData(_ message: RTMPMessage) {
        guard let state = publishing else { return }
        guard case .metadata(let properties) = try? RTMPDataMessage(decoding: message) else { return }
        // Players get onMetaData without the @setDataFrame wrapper.
        state.stream.relay.publish(
            RTMPDataMessage.metadataMessage(properties, streamID: message.streamID, timestamp: message.timestamp))
    }

    private func handleUserControl(_ message: RTMPMessage, context: ChannelHandlerContext) {
        guard case .userControl(let event) = try? ProtocolControlMessage(decoding: message) else { return }
        if case .pingRequest(let timestamp) = event {
            context.writeAndFlush(
                wrapOutboundOut(ProtocolControlMessage.userControl(.pingResponse(timestamp: timestamp)).message()),
                promise: nil)
        }
    }

    // MARK: Lifecycle

    private func startIdleCheck(context: ChannelHandlerContext) {
        guard idleCheck == nil else { return }
        let timeout = services.idleTimeout
        let interval = TimeAmount.nanoseconds(max(timeout.nanoseconds / 4, 100_000_000))
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        idleCheck = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            let (handler, context) = loopBound.value
            // Players only receive, so only publishers and idle connections must keep talking.
            if handler.player == nil, NIODeadline.now() - handler.lastInbound > timeout {
                let seconds = timeout.nanoseconds / 1_000_000_000
                handler.close(context: context, reason: "no data for \(seconds) s (dead or idle peer)")
            }
        }
    }

    private func close(context: ChannelHandlerContext, reason: String) {
        guard !closing else { return }
        closing = true
        idleCheck?.cancel()
        logger.info("connection closed", metadata: ["reason": "\(reason)"])
        endRole(reason: reason)
        context.close(promise: nil)
    }

    static func describe(_ address: SocketAddress) -> String {
        if let ip = address.ipAddress, let port = address.port { return "\(ip):\(port)" }
        return "\(address)"
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? IOError { return "I/O error: \(error.description)" }
        return "\(error)"
    }
}

/// How other sessions and the registry reach a publishing session.
final class RTMPPublisherHandle: Publisher {
    let channel: any Channel
    let remoteAddress: String
    private let malformed = NIOLockedValueBox(0)

    var ingestErrors: Int { malformed.withLockedValue { $0 } }

    /// Counts a media message dropped as malformed; returns the new count.
    func countIngestError() -> Int {
        malformed.withLockedValue { count in
            count += 1
            return count
        }
    }

    init(channel: any Channel, remoteAddress: String) {
        self.channel = channel
        self.remoteAddress = remoteAddress
    }

    func disconnect(reason: String) {
        channel.pipeline.fireUserInboundEventTriggered(RTMPSessionCloseRequest(reason: reason))
    }
}
