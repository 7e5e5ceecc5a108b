import GatewayAccess
import Ladder

/// `recording:` and `admin:` sections of the gateway config.
extension GatewayConfigLoader {
    static let recordingKeys = ["dir", "streams", "keep_days", "max_gigabytes", "max_backlog_megabytes"]
    static let adminKeys = ["token", "protect_status", "users", "session_hours"]
    /// Shortest admin token accepted: it guards deletions.
    static let minAdminTokenLength = 16

    static let gigabyte = 1_000_000_000.0
}

extension GatewayConfigLoader.Parser {
    mutating func parseRecordingAndAdmin(_ top: ConfigMapping, into config: inout GatewayConfig) {
        let marked = Set(config.streams.filter(\.value.record).keys)
        if let map = reader.mapping(top, "recording", knownKeys: GatewayConfigLoader.recordingKeys) {
            config.recording = parseRecording(map, marked: marked)
        } else if !marked.isEmpty, let name = marked.sorted().first, let entry = top.entry("streams") {
            reader.report(
                "stream \"\(name)\" says record: true, but there is no recording section (recording: { dir: PATH })",
                at: entry.value, path: top.path.key("streams").key(name).key("record"))
        }
        if let map = reader.mapping(top, "admin", knownKeys: GatewayConfigLoader.adminKeys) {
            config.protectStatus = reader.bool(map, "protect_status")?.value ?? false
            if let token = reader.string(map, "token") {
                if token.value.utf8.count < GatewayConfigLoader.minAdminTokenLength
                    || GatewayConfigLoader.secretProblem(token.value) != nil
                {
                    reader.report(
                        "admin.token must be \(GatewayConfigLoader.minAdminTokenLength) to \(GatewayConfigLoader.maxSecretLength) characters of A-Z, a-z, 0-9, - . _ ~",
                        at: token)
                } else {
                    config.adminToken = token.value
                }
            }
            if let entry = map.entry("users"), let users = reader.openMapping(entry.value, path: map.path.key("users"))
            {
                parseAdminUsers(users, into: &config)
            }
            if let hours = seconds(map, "session_hours", maximum: 720) { config.adminSessionHours = hours }
        }
    }

    /// `users: { NAME: BCRYPT_HASH }` (`gateway hash-password` prints one).
    private mutating func parseAdminUsers(_ users: ConfigMapping, into config: inout GatewayConfig) {
        for entry in users.entries {
            let path = users.path.key(entry.key)
            guard !entry.key.isEmpty, entry.key.utf8.count <= AdminAuth.maxUserLength,
                entry.key.allSatisfy({ $0.isLetter || $0.isNumber || "_.-@".contains($0) })
            else {
                reader.report(
                    "admin user names are 1 to \(AdminAuth.maxUserLength) letters, digits, _ . - @",
                    line: entry.keyLine, column: entry.keyColumn, path: path)
                continue
            }
            guard let hash = entry.value.scalar?.text, AdminAuth.isBcryptHash(hash) else {
                reader.report(
                    "expected a bcrypt hash such as $2b$12$... (make one with: gateway hash-password); the value is not shown, in case it is a password",
                    at: entry.value, path: path)
                continue
            }
            config.adminUsers[entry.key] = hash
        }
    }

    /// `streams: all`, a list of names, or absent: the streams marked `record: true`, else all.
    private mutating func parseRecording(_ map: ConfigMapping, marked: Set<String>) -> RecordingPolicy? {
        let directory = path(map, "dir")
        if directory == nil, !map.contains("dir") {
            reader.report("recording needs a dir", at: map.node, path: map.path.key("dir"))
        }
        var streams: RecordingPolicy.Streams = marked.isEmpty ? .all : .named(marked)
        if let entry = map.entry("streams") {
            if let scalar = entry.value.scalar, scalar.text == "all" {
                streams = .all
            } else if let list = reader.sequence(map, "streams") {
                var names = marked
                for item in list.value {
                    guard let text = item.scalar?.text, StreamName.isValid(text) else {
                        reader.report(
                            "expected a stream name (letters, digits, _ - .), found \(item.summary)", at: item,
                            path: map.path.key("streams"))
                        continue
                    }
                    names.insert(text)
                }
                streams = .named(names)
            }
        }
        let keepSeconds = seconds(map, "keep_days", maximum: 36500).map { $0 * 86400 }
        let maxBytes = seconds(map, "max_gigabytes", maximum: 1_000_000).map {
            Int64($0 * GatewayConfigLoader.gigabyte)
        }
        let backlog = integer(map, "max_backlog_megabytes", in: 1...4096).map { $0 * 1024 * 1024 }
        guard let directory else { return nil }
        return RecordingPolicy(
            directory: directory, streams: streams, keepSeconds: keepSeconds, maxBytes: maxBytes,
            maxBacklogBytes: backlog ?? 64 * 1024 * 1024)
    }
}
