import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

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
            SIGINT/SIGTERM stop ingest, finish the open segments and end the playlists.
            """
    )

    @Option(help: "Default transcoding profile (YAML); re-read at each publish when edited.")
    var profile: String = "profiles/default.yaml"

    @Option(help: "RTMP listen address, HOST:PORT (port 0 = any free port).")
    var rtmp: ListenAddress = ListenAddress(host: "0.0.0.0", port: 1935)

    @Option(help: "HTTP listen address, HOST:PORT (port 0 = any free port).")
    var http: ListenAddress = ListenAddress(host: "0.0.0.0", port: 8080)

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
        let gateway = try GatewayApplication(
            options: GatewayOptions(profilePath: profile, rtmp: rtmp, http: http), logger: logger)
        try await gateway.run()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
