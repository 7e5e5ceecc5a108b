import Ladder

/// `recording:` and `admin:` sections of the gateway config.
extension GatewayConfigLoader {
    static let recordingKeys = ["dir", "streams", "keep_days", "max_gigabytes", "max_backlog_megabytes"]
    static let adminKeys = ["token", "protect_status"]
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
            if let token = reader.string(map, "token", required: true) {
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
