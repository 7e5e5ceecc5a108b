import AsyncHTTPClient
import Foundation
import GatewayAccess
import GatewayCluster
import GatewayUsage
import Ladder
import Logging
import NIOCore
import NIOPosix
import RTMPWire
import ServiceLifecycle

/// What `gateway serve` runs with: the config file's values, overridden by flags.
struct GatewayOptions: Sendable {
    struct PlayerScripts: Sendable {
        var hlsJS: String?
        var videoJS: String?
        var dashJS: String?
    }

    var config: GatewayConfig
    var profilePath: String
    var rtmp: ListenAddress
    var http: ListenAddress
    var dataDirectory: String?
    var playerScripts: PlayerScripts

    init(config: GatewayConfig) {
        self.config = config
        profilePath = config.profilePath ?? "profiles/default.yaml"
        rtmp = config.rtmp.listen
        http = config.http.listen
        dataDirectory = config.dataDirectory
        playerScripts = PlayerScripts(hlsJS: config.http.hlsJSURL, videoJS: nil, dashJS: config.http.dashJSURL)
    }

    var rtmpLimits: RTMPServerLimits {
        RTMPServerLimits(
            maxConnections: config.rtmp.maxConnections,
            maxConnectionsPerIP: config.rtmp.maxConnectionsPerIP,
            handshakeTimeout: .milliseconds(Int64(config.rtmp.handshakeTimeoutSeconds * 1000)),
            chunkLimits: ChunkLimits(maxMessageLength: config.rtmp.maxMessageBytes),
            readBatching: config.rtmp.readBatchingMilliseconds > 0
                ? .milliseconds(Int64(config.rtmp.readBatchingMilliseconds)) : nil)
    }

    var idleTimeout: TimeAmount { .milliseconds(Int64(config.rtmp.idleTimeoutSeconds * 1000)) }
}

/// Wires RTMP ingest, the media pipelines and the HTTP origin, and runs them until SIGINT/SIGTERM.
final class GatewayApplication: Sendable {
    let options: GatewayOptions
    let logger: Logger
    let registry = StreamRegistry()

    init(options: GatewayOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// The store the packagers write and the origin serves: every file version as one shared
    /// `SharedBody`, mirrored to `dataDirectory` (when set) by a bounded serial writer.
    static func makeStore(dataDirectory: String?, waiters: StoreChangeWaiters = StoreChangeWaiters()) -> SegmentStore {
        SegmentStore(
            mirror: dataDirectory.map { DiskMirror(root: $0, writes: .serialQueue(maxBacklogBytes: 256 << 20)) },
            storedForm: { SharedBody($0) }, onChange: { waiters.notify(stream: $0) })
    }

    func run() async throws {
        // RTMP I/O gets its own loops (rtmp.event_loop_threads); the HTTP origin keeps NIO's shared ones.
        let rtmpLoops = MultiThreadedEventLoopGroup(numberOfThreads: options.config.rtmp.eventLoopThreads)
        defer { rtmpLoops.shutdownGracefully { _ in } }
        let pool = NIOThreadPool.singleton
        let keys = StreamKeys(options.config.streamKeys)
        if keys.isEmpty {
            logger.warning("no stream keys configured: any stream name may publish (set keys with --config)")
        }
        let config = options.config
        let waiters = StoreChangeWaiters()
        let store = Self.makeStore(dataDirectory: options.dataDirectory, waiters: waiters)
        let recordings = try await Self.openRecordings(config.recording, pool: pool, logger: logger)
        let usage = try await Self.openUsage(config, dataDirectory: options.dataDirectory, pool: pool, logger: logger)
        let continuity = StreamContinuity(directory: options.dataDirectory, logger: logger)
        var transcoderOptions = StreamTranscoder.Options(
            ingestMaxDelay: .milliseconds(Int64(config.rtmp.maxIngestDelaySeconds * 1000)),
            slateImagePath: try Self.checkedSlate(config.slatePath))
        transcoderOptions.thumbnailWidth = config.thumbnailWidth
        let pipelines = LadderPipelineFactory(
            defaultProfilePath: options.profilePath, profileOverrides: { config.streamProfilePath($0) },
            store: store, logger: logger,
            transcoderOptions: transcoderOptions,
            continuity: continuity, recorder: recordings,
            reconnectGrace: .milliseconds(Int64(config.reconnectGraceSeconds * 1000)), slateEnabled: !config.slateOff)
        let profile = try pipelines.checkDefaultProfile()
        logger.info(
            "default profile loaded",
            metadata: [
                "profile": "\(options.profilePath)", "name": "\(profile.name)",
                "renditions": "\(profile.video.renditions.map(\.name).joined(separator: ","))",
            ])
        let cluster = config.cluster.map { settings in
            // A dead peer refuses at once: fail within a second instead of AsyncHTTPClient's
            // default 10 s of connect retries, so a proxied request answers 502 promptly.
            let http = HTTPClient(
                eventLoopGroupProvider: .singleton,
                configuration: HTTPClient.Configuration(timeout: .init(connect: .seconds(1))))
            let node = ClusterNode(
                settings: settings, etcd: EtcdClient(endpoints: settings.etcd, http: http), logger: logger,
                onLost: { [registry] stream, owner in
                    Self.streamMoved(stream, to: owner, registry: registry, pipelines: pipelines)
                })
            continuity.attach(cluster: node)
            logger.info(
                "cluster node",
                metadata: [
                    "node": "\(settings.node)", "advertise": "\(settings.advertise)",
                    "etcd": "\(settings.etcd.joined(separator: ","))",
                ])
            // Proxied requests get their own client: LL-HLS blocking reloads hold a connection
            // for seconds, and AsyncHTTPClient's default is 8 per host.
            let proxyHTTP = HTTPClient(
                eventLoopGroupProvider: .singleton,
                configuration: HTTPClient.Configuration(
                    timeout: .init(connect: .seconds(1)),
                    connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)))
            return (node: node, http: http, proxyHTTP: proxyHTTP)
        }
        var services = RTMPSessionServices(
            application: options.config.rtmp.app, keys: keys, registry: registry,
            pipelineFactory: pipelines, logger: logger, blockingPool: pool,
            idleTimeout: options.idleTimeout,
            publishHook: config.rtmp.onPublish.flatMap { hook in
                URL(string: hook.url).map {
                    PublishHookClient(url: $0, timeout: .milliseconds(Int64(hook.timeoutSeconds * 1000)))
                }
            })
        services.cluster = cluster.map { ClusterAdmission(node: $0.node, continuity: continuity) }
        services.usage = usage
        let rtmpServer = RTMPServer(services: services, limits: options.rtmpLimits, group: rtmpLoops)
        let rtmpAddress = try await rtmpServer.bind(host: options.rtmp.host, port: options.rtmp.port)
        logger.info(
            "RTMP listening on \(RTMPSessionHandler.describe(rtmpAddress))",
            metadata: ["io_threads": "\(options.config.rtmp.eventLoopThreads)"])
        if let tls = config.rtmp.tls {
            let context = try TLSSupport.serverContext(certificate: tls.certificatePath, key: tls.privateKeyPath)
            let address = try await rtmpServer.bind(host: tls.listen.host, port: tls.listen.port, tls: context)
            logger.info("RTMPS listening on \(RTMPSessionHandler.describe(address))")
        }

        let status = GatewayStatus(registry: registry, pipelines: pipelines, store: store)
        let content = StoreOriginContent(
            store: store, segmentSeconds: { [pipelines] in pipelines.packager(for: $0)?.config.segmentSeconds },
            hasParts: { [pipelines] in pipelines.packager(for: $0)?.config.hasParts ?? false }, waiters: waiters)
        var settings = OriginSettings()
        settings.admin = AdminAuth(
            token: config.adminToken, users: config.adminUsers,
            sessionSeconds: Int64(config.adminSessionHours * 3600))
        settings.protectStatus = config.protectStatus
        settings.edgeLogSources = config.edgeLog?.from.compactMap(IPPrefix.init) ?? []
        // Behind trusted edges, viewers are told apart by X-Forwarded-For (usage, audience).
        settings.trustForwardedFor = config.playback?.trustForwardedFor ?? false
        var player = PlayerConfiguration()
        if let url = options.playerScripts.hlsJS { player.hlsJsURL = url }
        if let url = options.playerScripts.videoJS { player.videoJsURL = url }
        if let url = options.playerScripts.dashJS { player.dashJsURL = url }
        settings.player = player
        let proxy = cluster.map { ClusterProxy(node: $0.node, http: $0.proxyHTTP, logger: logger) }
        let access = config.playback.map { playback in
            PlaybackAccess(
                keys: PlaybackKeys(playback.secrets.map { (id: $0.id, secret: $0.secret) }),
                requiresToken: { [config] in config.requiresToken($0) }, trustForwardedFor: playback.trustForwardedFor,
                logger: logger)
        }
        let endpoint = recordings.map { RecordingsEndpoint(library: $0, pool: pool) }
        let tracking = usage.map { recorder in
            var tracking = UsageTracking(recorder: recorder, requiresToken: { [config] in config.requiresToken($0) })
            if let access { tracking.claims = { access.verifiedClaims($0) } }
            return tracking
        }
        let control = GatewayStreamControl(registry: registry, pipelines: pipelines)
        let history = StreamHistory()
        let playHook = config.http.onPlay.map {
            PlayHook(url: $0.url, timeout: .milliseconds(Int64($0.timeoutSeconds * 1000)), logger: logger)
        }
        let origin = try OriginServer(
            configuration: OriginServerConfiguration(
                host: options.http.host, port: options.http.port, settings: settings),
            content: content, statusSource: status, recordings: endpoint, cluster: proxy, access: access,
            usage: tracking, control: control, history: history, playHook: playHook, logger: logger)
        let httpsOrigin: OriginServer? = try config.http.tls.map { tls in
            try OriginServer(
                configuration: OriginServerConfiguration(
                    host: tls.listen.host, port: tls.listen.port, settings: settings,
                    tls: TLSSupport.serverConfiguration(certificate: tls.certificatePath, key: tls.privateKeyPath)),
                content: content, statusSource: status, recordings: endpoint, cluster: proxy, access: access,
                usage: tracking, control: control, history: history, playHook: playHook, logger: logger)
        }
        let rtmpService = RTMPService(
            server: rtmpServer, registry: registry, pipelines: pipelines, logger: logger,
            endsStreams: cluster == nil)
        let retention = StreamRetention(
            retention: .milliseconds(Int64(config.endedStreamSeconds * 1000)), registry: registry,
            pipelines: pipelines, logger: logger,
            onFreed: { [viewers = origin.viewers, httpsViewers = httpsOrigin?.viewers, node = cluster?.node] name in
                viewers.forget(stream: name)
                httpsViewers?.forget(stream: name)
                GatewayMetrics.forget(stream: name)
                GatewayMetrics.forgetRequests(stream: name)
                if let node { Task { await node.release(stream: name) } }
            })
        let reporter = StatusReporter(
            status: status, viewers: origin.viewers, interval: .seconds(10), logger: logger)
        // ServiceGroup stops services in reverse order: the reporter, then ingest (which finishes
        // the open segments and ends the playlists), and the HTTP origin last.
        let clusterServices =
            cluster.map {
                [
                    ServiceGroupConfiguration.ServiceConfiguration(
                        service: ClusterService(node: $0.node, clients: [$0.http, $0.proxyHTTP], logger: logger))
                ]
            } ?? []
        let serviceGroup = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: clusterServices
                    + [origin, httpsOrigin].compactMap { $0 }.map {
                        ServiceGroupConfiguration.ServiceConfiguration(service: $0)
                    }
                    + [.init(service: rtmpService), .init(service: retention), .init(service: reporter)]
                    + [.init(service: HistorySampler(history: history) { origin.responder.mergedStatuses() })]
                    + (access.map { [.init(service: SecretReloader(config: config, access: $0, logger: logger))] } ?? [])
                    + (config.edgeLog.map { edgeLog in
                        [
                            .init(
                                service: EdgeLogReceiver(
                                    listen: edgeLog.listen, from: edgeLog.from.compactMap(IPPrefix.init),
                                    logger: logger
                                ) { origin.responder.countEdgeDelivery($0) })
                        ]
                    } ?? [])
                    + (recordings.map { [.init(service: RecordingRetention(library: $0, pool: pool))] } ?? []),
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await serviceGroup.run() }
            group.addTask { [logger] in
                let address = try await origin.listeningAddress()
                logger.info("HTTP listening on \(address)")
                if let httpsOrigin {
                    let secure = try await httpsOrigin.listeningAddress()
                    logger.info("HTTPS listening on \(secure)")
                }
            }
            try await group.waitForAll()
        }
        usage?.stop()  // open viewer sessions end at their last request, written
        store.mirror?.flush()  // the final playlists reach the disk before the process exits
        recordings?.flushWrites()  // recordings end complete (an MP4 still building is redone at start)
        logger.info("gateway stopped")
    }
}

struct UsageStoreError: Error, CustomStringConvertible {
    var description: String
}

struct SlateImageError: Error, CustomStringConvertible {
    var description: String
}

extension GatewayApplication {
    /// The configured slate picture, decoded once now so that a broken one stops start-up.
    static func checkedSlate(_ path: String?) throws -> String? {
        guard let path else { return nil }
        if let problem = SlateImage.problem(path: path) {
            throw SlateImageError(description: "slate: \(path) cannot be decoded as a picture: \(problem)")
        }
        return path
    }

    /// The usage store (SQLite, migrated to the current schema) and its recorder, started.
    static func openUsage(
        _ config: GatewayConfig, dataDirectory: String?, pool: NIOThreadPool, logger: Logger
    ) async throws -> UsageRecorder? {
        var effective = config
        effective.dataDirectory = dataDirectory
        guard let settings = effective.usageStore else { return nil }
        let store = try await pool.runIfActive {
            do {
                try FileManager.default.createDirectory(
                    atPath: (settings.databasePath as NSString).deletingLastPathComponent,
                    withIntermediateDirectories: true)
                return try UsageStore(path: settings.databasePath)
            } catch {
                throw UsageStoreError(description: "usage database \(settings.databasePath): \(error)")
            }
        }
        let recorder = UsageRecorder(store: store, keepDays: settings.keepDays, logger: logger)
        recorder.start()
        logger.info(
            "usage reports kept",
            metadata: ["database": "\(settings.databasePath)", "keep_days": "\(settings.keepDays ?? 0)"])
        return recorder
    }

    /// The recordings library, with what an earlier run left: recordings it was writing are
    /// closed as interrupted (off the event loops: it reads every journal).
    static func openRecordings(
        _ policy: RecordingPolicy?, pool: NIOThreadPool, logger: Logger
    ) async throws
        -> RecordingLibrary?
    {
        guard let policy else { return nil }
        let library = RecordingLibrary(policy: policy, logger: logger)
        let nowMs = TextFormatting.milliseconds(since1970: Date())
        let interrupted = try await pool.runIfActive { library.recover(nowMs: nowMs) }
        logger.info(
            "recordings ready",
            metadata: [
                "dir": "\(policy.directory)", "recordings": "\(library.list().count)",
                "interrupted": "\(interrupted.count)",
            ])
        return library
    }
}

/// Runs the RTMP listener until graceful shutdown, then ends every publish cleanly.
struct RTMPService: Service {
    let server: RTMPServer
    let registry: StreamRegistry
    let pipelines: LadderPipelineFactory
    let logger: Logger
    /// A single gateway ends its streams (EXT-X-ENDLIST). A cluster node leaves them open:
    /// their publishers reconnect to another node, which continues them (a rolling restart
    /// must not end every stream, nor leave edges caching ended playlists).
    var endsStreams = true

    func run() async throws {
        try? await gracefulShutdown()
        logger.info("shutting down: closing RTMP sessions and finishing open segments")
        await server.stopListening()
        pipelines.slates.stopAll()  // a shutdown is no publisher vanishing: no slate
        let publishes = registry.allStreams.compactMap { $0.publish }
        for publish in publishes {
            publish.publisher.disconnect(reason: "gateway shutting down")
        }
        for publish in publishes {
            await publish.pipeline?.waitUntilFinished()
        }
        // Shutting down is not a publisher vanishing: their playlists and recordings end now.
        if endsStreams { pipelines.endStreamsAwaitingReconnect() }
    }
}
