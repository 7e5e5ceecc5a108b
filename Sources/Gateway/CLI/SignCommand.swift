import ArgumentParser
import Foundation
import GatewayAccess

struct SignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Print a signed playback URL for a stream (playback.secret_file of the config).",
        discussion:
            "The token is in the path (/live/NAME/t/TOKEN/master.m3u8), so every playlist, MPD, segment and part URL a player derives from it carries it. Give the folder (/live/NAME/t/TOKEN/) for the player page."
    )

    @Argument(help: "Stream name.")
    var name: String

    @Option(help: "Gateway config with a playback section.")
    var config: String

    @Option(help: "Seconds the URL stays valid.")
    var ttl: Int = PlaybackSigner.defaultTTLSeconds

    @Option(help: "Only for this client address or prefix, e.g. 203.0.113.0/24.")
    var ip: String?

    @Option(help: "A viewer or session ID of your choosing (usage reports group by it).")
    var viewer: String?

    @Option(help: "Where viewers reach the gateway or its edges. (default: from http.listen)")
    var baseURL: String?

    @Option(help: "A recording's ID (GET /api/recordings): the URL of that VOD instead of the live stream.")
    var recording: String?

    @Flag(help: "Print the DASH MPD's URL instead of the HLS master playlist's.")
    var dash = false

    func run() throws {
        let loaded: GatewayConfig
        do {
            loaded = try GatewayConfigLoader.load(path: config, checkProfiles: false)
        } catch {
            throw ValidationError("\(error)")
        }
        guard let playback = loaded.playback else {
            throw ValidationError("\(config) has no playback section (playback: { secret_file: PATH })")
        }
        let signer = PlaybackSigner(keys: PlaybackKeys(playback.secrets.map { (id: $0.id, secret: $0.secret) }))
        switch signer.sign(.init(stream: name, ttlSeconds: ttl, ip: ip, viewer: viewer, recording: recording)) {
        case .failure(let error):
            throw ValidationError(error.description)
        case .success(let answer):
            let listen = loaded.http.listen
            let host = listen.host == "0.0.0.0" || listen.host == "::" ? "127.0.0.1" : listen.host
            var base = baseURL ?? "http://\(host):\(listen.port)"
            if base.hasSuffix("/") { base.removeLast() }
            print(base + (dash ? answer.manifest : answer.master))
        }
    }
}
