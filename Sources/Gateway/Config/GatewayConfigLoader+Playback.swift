import Foundation
import Ladder

/// `playback:`: signed viewer access. The secrets live in their own file (`KID SECRET` per
/// line, the first signs), so the config can be shared without them and rotated alone.
extension GatewayConfigLoader {
    static let playbackKeys = ["require_token", "secret_file", "trust_forwarded_for"]
    static let minPlaybackSecretLength = 16

    /// Reads and checks the secret file named by the config (after the YAML parsed).
    static func loadPlaybackSecrets(_ config: inout GatewayConfig) -> [ConfigIssue] {
        guard let file = config.playback?.secretFile else { return [] }
        switch ConfigFile.readText(path: file, maxBytes: maxKeysFileBytes) {
        case .failure(let issue):
            return [issue]
        case .success(let text):
            do throws(GatewayConfigError) {
                let entries = try parseKeysFile(text: text, file: file)
                if let short = entries.first(where: { $0.secret.utf8.count < minPlaybackSecretLength }) {
                    return [
                        ConfigIssue(
                            file: file, line: short.line, column: 1, path: "",
                            message: "a playback secret needs at least \(minPlaybackSecretLength) characters")
                    ]
                }
                if entries.isEmpty {
                    return [ConfigIssue(file: file, line: 1, column: 1, path: "", message: "no KID SECRET line")]
                }
                config.playback?.secrets = entries.map { .init(id: $0.name, secret: $0.secret) }
                return []
            } catch {
                return error.issues
            }
        }
    }
}

extension GatewayConfigLoader.Parser {
    mutating func parsePlayback(_ top: ConfigMapping, into config: inout GatewayConfig) {
        guard let map = reader.mapping(top, "playback", knownKeys: GatewayConfigLoader.playbackKeys) else {
            if config.streams.values.contains(where: { $0.requireToken == true }), let entry = top.entry("streams") {
                reader.report(
                    "a stream says require_token: true, but there is no playback section (playback: { secret_file: PATH })",
                    at: entry.value, path: top.path.key("streams"))
            }
            return
        }
        var playback = GatewayConfig.Playback()
        playback.requireToken = reader.bool(map, "require_token")?.value ?? false
        playback.trustForwardedFor = reader.bool(map, "trust_forwarded_for")?.value ?? false
        playback.secretFile = path(map, "secret_file")
        if playback.secretFile == nil, !map.contains("secret_file") {
            reader.report(
                "playback needs a secret_file (lines of KID SECRET; the first signs)", at: map.node,
                path: map.path.key("secret_file"))
        }
        config.playback = playback
    }
}
