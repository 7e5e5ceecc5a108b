import Hummingbird
import HummingbirdHTTP2
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle

/// Where the origin listens and how it behaves.
struct OriginServerConfiguration: Sendable {
    var host: String
    /// 0 picks a free port; `OriginServer.listeningAddress()` tells which.
    var port: Int
    var settings: OriginSettings
    /// A client counts as a viewer for this long after its last request.
    var viewerWindow: Duration
    /// Idle keep-alive connections are closed after this long.
    var idleTimeout: Duration
    var serverName: String?
    /// HTTPS when set (certificate and key from the gateway config).
    var tls: TLSConfiguration?

    init(
        host: String = "0.0.0.0", port: Int = 8080, settings: OriginSettings = OriginSettings(),
        viewerWindow: Duration = .seconds(30), idleTimeout: Duration = .seconds(60),
        serverName: String? = "swift-live-ladder", tls: TLSConfiguration? = nil
    ) {
        self.host = host
        self.port = port
        self.settings = settings
        self.viewerWindow = viewerWindow
        self.idleTimeout = idleTimeout
        self.serverName = serverName
        self.tls = tls
    }
}

enum OriginServerError: Error, Equatable {
    /// `run()` returned or failed before the socket was bound.
    case stoppedBeforeListening
}

/// The HTTP origin (Hummingbird over NIO): stream content from memory, player pages, status API
/// and metrics. A ServiceLifecycle `Service`: `run()` serves until graceful shutdown, which stops
/// accepting connections and lets requests in flight finish.
final class OriginServer: Service, Sendable {
    let viewers: ViewerTracker
    let responder: OriginResponder
    let application: Application<OriginResponder>
    private let listening: ListeningState

    init(
        configuration: OriginServerConfiguration, content: any OriginContent, statusSource: any StatusSource,
        recordings: RecordingsEndpoint? = nil, cluster: ClusterProxy? = nil, access: PlaybackAccess? = nil,
        usage: UsageTracking? = nil, control: (any StreamControl)? = nil, history: StreamHistory? = nil,
        playHook: PlayHook? = nil,
        logger: Logger = Logger(label: "gateway.http")
    ) throws {
        if case .failure(let error) = configuration.settings.playerTemplate {
            logger.error("player pages will fail with 500: \(error)")
        }
        let viewers = ViewerTracker(window: configuration.viewerWindow)
        let listening = ListeningState()
        var responder = OriginResponder(
            content: content, statusSource: statusSource, viewers: viewers, settings: configuration.settings,
            recordings: recordings, cluster: cluster, access: access, usage: usage, control: control)
        responder.history = history
        responder.playHook = playHook
        self.responder = responder
        let idleTimeout = TimeAmount.nanoseconds(Self.nanoseconds(configuration.idleTimeout))
        self.viewers = viewers
        self.listening = listening
        let serverName = configuration.serverName
        let zeroCopy = configuration.tls == nil
        let fastResponder = responder
        let http1 = OriginHTTP1Channel.builder(idleTimeout: idleTimeout) { idleTimeout in
            OriginFastPathHandler(
                responder: fastResponder, serverName: serverName, idleTimeout: idleTimeout, zeroCopy: zeroCopy)
        }
        self.application = Application(
            responder: fastResponder,
            // With TLS, ALPN offers h2 and http/1.1 (HTTP/2 is what Apple recommends for LL-HLS);
            // every request then goes to the responder (the hot path is HTTP/1.1 cleartext only).
            server: try configuration.tls.map {
                let idle = Duration.nanoseconds(Self.nanoseconds(configuration.idleTimeout))
                return try .http2Upgrade(
                    tlsConfiguration: $0,
                    configuration: .init(idleTimeout: idle, streamConfiguration: .init(idleTimeout: idleTimeout)))
            } ?? http1,
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: configuration.serverName
            ),
            onServerRunning: { channel in
                listening.resolve(channel.localAddress)
            },
            logger: logger
        )
    }

    func run() async throws {
        do {
            try await application.run()
            listening.fail(OriginServerError.stoppedBeforeListening)
        } catch {
            listening.fail(error)
            throw error
        }
    }

    /// Waits until the socket is bound (e.g. to log "HTTP listening on …" with the real port when
    /// the configured port is 0): the same `ListenAddress` type, and text, as `--http` takes.
    /// Throws if `run()` fails or ends before binding.
    func listeningAddress() async throws -> ListenAddress {
        try await listening.wait()
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? Int64.max : whole &+ attoseconds / 1_000_000_000
    }
}

/// One-shot rendezvous between the server's bind and `listeningAddress()` callers.
private final class ListeningState: Sendable {
    private enum State {
        case pending([CheckedContinuation<ListenAddress, any Error>])
        case listening(ListenAddress)
        case stopped(any Error)
    }

    private let state = NIOLockedValueBox(State.pending([]))

    func wait() async throws -> ListenAddress {
        try await withCheckedThrowingContinuation { continuation in
            let outcome: Result<ListenAddress, any Error>? = state.withLockedValue { state in
                switch state {
                case .pending(var waiters):
                    waiters.append(continuation)
                    state = .pending(waiters)
                    return nil
                case .listening(let address):
                    return .success(address)
                case .stopped(let error):
                    return .failure(error)
                }
            }
            if let outcome { continuation.resume(with: outcome) }
        }
    }

    func resolve(_ address: SocketAddress?) {
        guard let address, let host = address.ipAddress, let port = address.port else {
            fail(OriginServerError.stoppedBeforeListening)
            return
        }
        finish(.success(ListenAddress(host: host, port: port)))
    }

    func fail(_ error: any Error) {
        finish(.failure(error))
    }

    private func finish(_ outcome: Result<ListenAddress, any Error>) {
        let waiters: [CheckedContinuation<ListenAddress, any Error>] = state.withLockedValue { state in
            guard case .pending(let waiters) = state else { return [] }
            switch outcome {
            case .success(let address): state = .listening(address)
            case .failure(let error): state = .stopped(error)
            }
            return waiters
        }
        for waiter in waiters { waiter.resume(with: outcome) }
    }
}
