import ArgumentParser
import Foundation
import Logging
import NIOCore

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Accept RTMP publishes and serve the transcoded ladder over HTTP.",
        discussion: """
            Publish:  rtmp://HOST:1935/live/NAME   (stream key NAME, or NAME?key=SECRET with keys configured)
            Play:     http://HOST:8080/live/NAME/master.m3u8  (HLS)
                      http://HOST:8080/live/NAME/manifest.mpd (DASH)
                      http://HOST:8080/live/NAME/             (player page)
            Operate:  /api/streams, /metrics, /healthz
            Flags override the --config file. SIGINT/SIGTERM stop ingest, finish the open
            segments and end the playlists before exiting.
            """
    )

    @Option(help: "Gateway config (YAML): listeners, limits, stream keys, per-stream profiles.")
    var config: String?

    @Option(
        help:
            "Default transcoding profile (YAML), re-read at each publish when edited. (default: profiles/default.yaml)")
    var profile: String?

    @Option(help: "RTMP listen address, HOST:PORT; port 0 picks a free port. (default: 0.0.0.0:1935)")
    var rtmp: ListenAddress?

    @Option(help: "HTTP listen address, HOST:PORT; port 0 picks a free port. (default: 0.0.0.0:8080)")
    var http: ListenAddress?

    @Option(
        help:
            "Mirror every segment and playlist to this folder (atomic writes), for nginx or a CDN; it also keeps each stream's numbering across restarts (.state/)."
    )
    var dataDir: String?

    @Option(help: "hls.js URL for the player page (default: a public CDN).")
    var hlsJsUrl: String?

    @Option(help: "Video.js URL for the player page (default: a public CDN).")
    var videojsUrl: String?

    @Option(help: "dash.js URL for the player page (default: a public CDN).")
    var dashJsUrl: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "gateway")
        if !MallocTuning.apply() {
            logger.debug("malloc thresholds left at the C library's defaults (no glibc mallopt)")
        }
        if let openFiles = OpenFileLimit.raiseToHardLimit() {
            logger.debug("open files limit: \(openFiles)")
        }
        var fileConfig = GatewayConfig()
        if let config {
            do {
                fileConfig = try GatewayConfigLoader.load(path: config)
            } catch {
                throw ValidationError("\(error)")
            }
        }
        var options = GatewayOptions(config: fileConfig)
        if let profile { options.profilePath = profile }
        if let rtmp { options.rtmp = rtmp }
        if let http { options.http = http }
        if let dataDir { options.dataDirectory = dataDir }
        if let hlsJsUrl { options.playerScripts.hlsJS = hlsJsUrl }
        if let videojsUrl { options.playerScripts.videoJS = videojsUrl }
        if let dashJsUrl { options.playerScripts.dashJS = dashJsUrl }
        let gateway = GatewayApplication(options: options, logger: logger)
        try await gateway.run()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

extension ListenAddress: ExpressibleByArgument {
    init?(argument: String) { self.init(parsing: argument) }
}
