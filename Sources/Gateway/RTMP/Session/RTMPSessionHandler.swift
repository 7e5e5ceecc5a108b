import Foundation
import GatewayUsage
import Ladder
import Logging
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
    /// In a cluster: registers the publish in etcd before its pipeline starts.
    var cluster: ClusterAdmission?
    /// Usage reports: each publish, with its duration and drops.
    var usage: UsageRecorder?
}

/// Asks a session (from any thread) to close, with the reason to log.
struct RTMPSessionCloseRequest: Sendable {
    var reason: String
}

/// The session layer of an RTMP connection: commands, publish/play, FLV tags to `IngestSample`s,
/// and the relay to RTMP players. Runs on its channel's event loop and never blocks.
///
/// `RTMPSessionStateMachine` decides (role, closing, replies); this handler performs its actions
/// and holds the resources: the publish's pipeline and media state, the relay player. Publish
/// admission is in `+Admission`, media ingest in `+Media`.
final class RTMPSessionHandler: ChannelInboundHandler {
    typealias InboundIn = RTMPMessage
    typealias OutboundOut = RTMPMessage

    let services: RTMPSessionServices
    var machine: RTMPSessionStateMachine
    var logger: Logger
    var remoteAddress = "unknown"
    /// The publish's resources and media state, while the machine's role is `.publishing`.
    var publishing: PublishingState?
    /// Cluster registrations of publishes being admitted (released if they do not start).
    var clusterClaims: [String: Int64] = [:]
    private var player: RTMPRelayPlayer?
    private var playingStream: LiveStream?
    private var lastInbound = NIODeadline.now()
    private var idleCheck: RepeatedTask?

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
        perform(machine.channelInactive(), context: context)
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
        guard !machine.isClosing else { return }
        let message = unwrapInboundIn(data)
        lastInbound = .now()
        switch message.type {
        case .commandAMF0, .commandAMF3:
            handleCommand(message, context: context)
        case .video, .audio:
            handleMedia(message)
            if let refusal = publishing?.refusal, let streamID = publishing?.streamID {
                context.writeAndFlush(
                    wrapOutboundOut(
                        RTMPCommandReplies.onStatus(.publishFailed, streamID: streamID, description: refusal)),
                    promise: nil)
                close(context: context, reason: "publish refused: \(refusal)")
            }
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

    func perform(_ action: RTMPSessionStateMachine.Action, context: ChannelHandlerContext) {
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
            idleCheck?.cancel()
            logger.info("connection closed", metadata: ["reason": "\(reason)"])
            endRole(reason: reason)
            context.close(promise: nil)
        }
    }

    private func handleUserControl(_ message: RTMPMessage, context: ChannelHandlerContext) {
        guard case .userControl(let event) = try? ProtocolControlMessage(decoding: message) else { return }
        if case .pingRequest(let timestamp) = event {
            context.writeAndFlush(
                wrapOutboundOut(ProtocolControlMessage.userControl(.pingResponse(timestamp: timestamp)).message()),
                promise: nil)
        }
    }

    // MARK: Play

    private func startPlay(name: String, streamID: UInt32, context: ChannelHandlerContext) {
        guard StreamName.isValid(name), let stream = services.registry.stream(named: name), stream.isLive else {
            logger.info(
                "play refused: stream not found",
                metadata: ["stream": "\(StreamName.isValid(name) ? name : "(invalid)")"])
            for action in machine.playRefused(streamID: streamID) { perform(action, context: context) }
            return
        }
        for action in machine.playStarted(name: name, streamID: streamID) { perform(action, context: context) }
        let player = RTMPRelayPlayer(channel: context.channel, streamID: streamID)
        self.player = player
        playingStream = stream
        logger.info("play start", metadata: ["stream": "\(name)"])
        stream.relay.subscribe(player)
    }

    /// The publisher ended its publish itself (anything else: it vanished, and may reconnect).
    static let unpublishReasons: Set<String> = ["FCUnpublish", "deleteStream", "closeStream"]

    /// Releases what the ended role held (publish or play); the machine already left the role.
    private func endRole(reason: String) {
        publishing?.submitPendingSamples()  // before finish(): the pipeline encodes everything that arrived
        if let publishing {
            self.publishing = nil
            let duration = Double((NIODeadline.now() - publishing.startedAt).nanoseconds) / 1e9
            if services.registry.endPublish(name: publishing.stream.name, publisher: publishing.handle) != nil {
                publishing.pipeline?.finish(publisherVanished: !Self.unpublishReasons.contains(reason))
                publishing.stream.relay.publisherEnded()
            }
            recordPublishUsage(publishing, duration: duration)
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
    }

    // MARK: Lifecycle

    private func startIdleCheck(context: ChannelHandlerContext) {
        guard idleCheck == nil else { return }
        let timeout = services.idleTimeout
        let interval = TimeAmount.nanoseconds(max(timeout.nanoseconds / 4, 100_000_000))
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        idleCheck = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            let (handler, context) = loopBound.value
            if handler.machine.idleTimeoutApplies, NIODeadline.now() - handler.lastInbound > timeout {
                let seconds = timeout.nanoseconds / 1_000_000_000
                handler.close(context: context, reason: "no data for \(seconds) s (dead or idle peer)")
            }
        }
    }

    /// Closes the session once (later requests are ignored): the role ends, then the channel.
    func close(context: ChannelHandlerContext, reason: String) {
        for action in machine.close(reason: reason) {
            perform(action, context: context)
        }
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
