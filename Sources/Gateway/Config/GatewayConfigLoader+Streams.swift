import Ladder

/// `streams:` of the gateway config: per-stream key, profile and `record: true`.
extension GatewayConfigLoader.Parser {
    mutating func parseStreams(_ node: ConfigNode, path: ConfigPath) -> [String: GatewayConfig.Stream] {
        if node.isNull { return [:] }
        guard let map = reader.openMapping(node, path: path) else { return [:] }
        var streams: [String: GatewayConfig.Stream] = [:]
        for entry in map.entries {
            let streamPath = path.key(entry.key)
            guard StreamName.isValid(entry.key) else {
                reader.report(
                    "invalid stream name \"\(entry.key.prefix(40))\" (letters, digits, _ - . only; it is used in URLs)",
                    line: entry.keyLine, column: entry.keyColumn, path: streamPath)
                continue
            }
            var stream = GatewayConfig.Stream()
            if !entry.value.isNull {
                guard
                    let settings = reader.mapping(
                        entry.value, path: streamPath, knownKeys: GatewayConfigLoader.streamKeys)
                else {
                    continue
                }
                if let key = settings.entry("key") {
                    // The secret is never quoted back, only described.
                    if let secret = key.value.scalar, secret.kind != .null {
                        if let message = GatewayConfigLoader.secretProblem(secret.text) {
                            reader.report(message, at: key.value, path: streamPath.key("key"))
                        } else {
                            stream.key = secret.text
                        }
                    } else {
                        reader.report("expected a text key", at: key.value, path: streamPath.key("key"))
                    }
                }
                stream.profilePath = self.path(settings, "profile")
                stream.record = reader.bool(settings, "record")?.value ?? false
                stream.requireToken = reader.bool(settings, "require_token")?.value
            }
            streams[entry.key] = stream
        }
        return streams
    }
}
