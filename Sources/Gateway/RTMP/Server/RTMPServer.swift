import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import RTMPWire

/// Listener limits for the RTMP port.
struct RTMPServerLimits: Sendable {
    var maxConnections = 1000
    var maxConnectionsPerIP = 50
    var handshakeTimeout = TimeAmount.seconds(10)
    var chunkLimits = ChunkLimits()
    /// Socket reads of a steady stream wait for about this much data (nil: every arrival wakes).
    var readBatching: TimeAmount? = .milliseconds(150)
}

/// Counts open connections in total and per IP, refusing those over the limits.
final class ConnectionLimiter: Sendable {
    private struct Counts {
        var total = 0
        var perIP: [String: Int] = [:]
    }

    private let limits: RTMPServerLimits
    private let counts = NIOLockedValueBox(Counts())

    init(limits: RTMPServerLimits) {
        self.limits = limits
    }

    /// nil when admitted (the caller must `release` later), else the refusal reason.
    func admit(ip: String) -> String? {
        counts.withLockedValue { counts in
            if counts.total >= limits.maxConnections {
                return "connection limit (\(limits.maxConnections)) reached"
            }
            if counts.perIP[ip, default: 0] >= limits.maxConnectionsPerIP {
                return "per-IP connection limit (\(limits.maxConnectionsPerIP)) reached"
            }
            counts.total += 1
            counts.perIP[ip, default: 0] += 1
            return nil
        }
    }

    func release(ip: String) {
        counts.withLockedValue { counts in
            counts.total -= 1
            let remaining = counts.perIP[ip, default: 1] - 1
            counts.perIP[ip] = remaining > 0 ? remaining : nil
        }
    }

    var openConnections: Int { counts.withLockedValue { $0.total } }
}

/// The RTMP (and optionally RTMPS) listener: one pipeline per connection with one handler per
/// protocol layer: [TLS] -> handshake -> chunk codec -> session.
final class RTMPServer: Sendable {
    let services: RTMPSessionServices
    let limits: RTMPServerLimits
    let limiter: ConnectionLimiter
    private let group: any EventLoopGroup
    private let channels = NIOLockedValueBox<[any Channel]>([])

    init(services: RTMPSessionServices, limits: RTMPServerLimits, group: any EventLoopGroup) {
        self.services = services
        self.limits = limits
        self.limiter = ConnectionLimiter(limits: limits)
        self.group = group
    }

    /// Binds and returns the bound address (port 0 picks a free port).
    func bind(host: String, port: Int, tls: NIOSSLContext? = nil) async throws -> SocketAddress {
        let services = services
        let limits = limits
        let limiter = limiter
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let ip = channel.remoteAddress?.ipAddress ?? "unknown"
                if let refusal = limiter.admit(ip: ip) {
                    services.logger.warning(
                        "connection refused", metadata: ["client": "\(ip)", "reason": "\(refusal)"])
                    return channel.close()
                }
                channel.closeFuture.whenComplete { _ in limiter.release(ip: ip) }
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let delay = limits.readBatching {
                        try sync.addHandler(ReceiveBatchingHandler(delay: delay))
                    }
                    if let tls {
                        try sync.addHandler(NIOSSLServerHandler(context: tls))
                    }
                    try sync.addHandler(RTMPHandshakeHandler(timeout: limits.handshakeTimeout))
                    try sync.addHandler(RTMPChunkCodec(limits: limits.chunkLimits))
                    try sync.addHandler(RTMPSessionHandler(services: services))
                }
            }
            .bind(host: host, port: port).get()
        channels.withLockedValue { $0.append(channel) }
        guard let address = channel.localAddress else { throw ChannelError.unknownLocalAddress }
        return address
    }

    /// Stops accepting and closes every listener.
    func stopListening() async {
        let listeners = channels.withLockedValue { channels in
            defer { channels.removeAll() }
            return channels
        }
        for channel in listeners { try? await channel.close() }
    }
}
