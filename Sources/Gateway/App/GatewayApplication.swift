import Foundation
import Ladder
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// What `gateway serve` was asked to do (flags, optionally merged with a config file).
struct GatewayOptions: Sendable {
    var profilePath: String
    var rtmp: ListenAddress
    var http: ListenAddress
    var application = "live"
    var streamKeys: [String: String] = [:]
    var rtmpLimits = RTMPServerLimits()
    var idleTimeout = TimeAmount.seconds(30)
}

/// Wires RTMP ingest, the media pipelines and the HTTP origin, and runs them until SIGINT/SIGTERM.
final class GatewayApplication: Sendable {
    let options: GatewayOptions
    let logger: Logger
    let registry = StreamRegistry()

    init(options: GatewayOptions, logger: Logger) throws {
        self.options = options
        self.logger = logger
    }

    func run() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let pool = NIOThreadPool.singleton
        let keys = StreamKeys(options.streamKeys)
        if keys.isEmpty {
            logger.warning("no stream keys configured: any stream name may publish (set keys with --config)")
        }
        let services = RTMPSessionServices(
            application: options.application, keys: keys, registry: registry,
            pipelineFactory: DiscardingPipelineFactory(), logger: logger, blockingPool: pool,
            idleTimeout: options.idleTimeout)
        let rtmpServer = RTMPServer(services: services, limits: options.rtmpLimits, group: group)
        let rtmpAddress = try await rtmpServer.bind(host: options.rtmp.host, port: options.rtmp.port)
        logger.info("RTMP listening on \(RTMPSessionHandler.describe(rtmpAddress))")
        logger.info("HTTP listening on \(options.http)")

        let rtmpService = RTMPService(server: rtmpServer, registry: registry, logger: logger)
        let serviceGroup = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: rtmpService)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await serviceGroup.run()
        logger.info("gateway stopped")
    }
}

/// Runs the RTMP listener until graceful shutdown, then ends every publish cleanly.
struct RTMPService: Service {
    let server: RTMPServer
    let registry: StreamRegistry
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        logger.info("shutting down: closing RTMP sessions and finishing open segments")
        await server.stopListening()
        let publishes = registry.allStreams.compactMap { $0.publish }
        for publish in publishes {
            publish.publisher.disconnect(reason: "gateway shutting down")
        }
        for publish in publishes {
            await publish.pipeline?.waitUntilFinished()
        }
    }
}

/// Temporary: accepts samples and discards them (replaced by the Ladder pipeline).
struct DiscardingPipelineFactory: IngestPipelineFactory {
    final class Pipeline: IngestPipeline {
        func submit(_ sample: Ladder.IngestSample) {}
        func finish() {}
        func waitUntilFinished() async {}
    }

    func makePipeline(stream: String) throws -> any IngestPipeline { Pipeline() }
}
