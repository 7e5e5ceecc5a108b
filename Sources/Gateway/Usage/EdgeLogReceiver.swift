import GatewayAccess
import GatewayUsage
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

/// `usage.edge_log`: a UDP socket for the nginx edges' `gateway_usage` syslog lines. Each line
/// from an allowed edge address becomes a delivery (`deliver`); anything else is counted and
/// logged at most once per 10 s. Parsing is `EdgeLogLine`'s, pure; nothing here blocks.
final class EdgeLogReceiver: Service, Sendable {
    enum Outcome: String, Sendable, CaseIterable {
        case recorded
        /// Not a stream file's 2xx (an error, an API call): nothing to count.
        case ignored
        case malformed
        /// From an address not in `from`.
        case refused
    }

    let listen: ListenAddress
    let from: [IPPrefix]
    let deliver: @Sendable (EdgeLogRecord) -> Bool
    let logger: Logger
    private let logLimit = NIOLockedValueBox(LogRateLimiter())
    private let bound = NIOLockedValueBox<Channel?>(nil)

    /// `deliver` answers whether the record was counted (a stream file's 2xx).
    init(
        listen: ListenAddress, from: [IPPrefix], logger: Logger, deliver: @escaping @Sendable (EdgeLogRecord) -> Bool
    ) {
        self.listen = listen
        self.from = from
        self.logger = logger
        self.deliver = deliver
    }

    /// The bound address (port 0 picks one), once `run` bound it.
    var localAddress: SocketAddress? { bound.withLockedValue { $0?.localAddress } }

    func run() async throws {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(EdgeLogHandler(receiver: self))
                }
            }
            .bind(host: listen.host, port: listen.port).get()
        bound.withLockedValue { $0 = channel }
        logger.info("edge usage log listening on udp \(channel.localAddress.map { "\($0)" } ?? "?")")
        try? await gracefulShutdown()
        try? await channel.close()
    }

    func receive(_ bytes: ByteBuffer, from sender: SocketAddress) {
        guard let address = sender.ipAddress, from.contains(where: { $0.contains(address) }) else {
            note(.refused, "an edge usage line from \(sender.ipAddress ?? "?"), not in usage.edge_log.from")
            return
        }
        switch EdgeLogLine.parse(bytes.readableBytesView) {
        case .failure(let problem):
            note(.malformed, "an edge usage line from \(address) that does not read: \(problem)")
        case .success(let record):
            GatewayMetrics.edgeLogLine(outcome: deliver(record) ? Outcome.recorded.rawValue : Outcome.ignored.rawValue)
        }
    }

    private func note(_ outcome: Outcome, _ message: String) {
        GatewayMetrics.edgeLogLine(outcome: outcome.rawValue)
        let (log, suppressed) = logLimit.withLockedValue { $0.record(at: .now) }
        guard log else { return }
        logger.warning("\(message)", metadata: ["similar_lines_not_logged": "\(suppressed)"])
    }
}

private final class EdgeLogHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let receiver: EdgeLogReceiver

    init(receiver: EdgeLogReceiver) { self.receiver = receiver }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = Self.unwrapInboundIn(data)
        receiver.receive(envelope.data, from: envelope.remoteAddress)
    }
}
