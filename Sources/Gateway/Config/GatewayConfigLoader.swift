import Foundation
import Ladder

/// Reads the gateway config YAML (schema in `GatewayConfig`), reporting every problem with its
/// file, line and field, like profiles do.
enum GatewayConfigLoader {
    static let maxConfigBytes = 1024 * 1024
    static let maxKeysFileBytes = 4 * 1024 * 1024
    /// Largest value of the RTMP message length field (24 bits, RTMP spec 5.3.1.2.1).
    static let maxRTMPMessageBytes = (1 << 24) - 1
    static let maxSecretLength = 256

    static let topKeys = [
        "rtmp", "http", "profile", "streams", "keys_file", "data_dir", "ended_stream_seconds", "recording", "admin",
        "reconnect_grace_seconds", "slate", "cluster", "playback", "usage", "thumbnail_width",
    ]
    static let rtmpKeys = [
        "listen", "app", "max_connections", "max_connections_per_ip", "handshake_timeout_seconds",
        "idle_timeout_seconds", "max_message_bytes", "max_ingest_delay_seconds", "event_loop_threads",
        "read_batching_ms", "tls", "on_publish",
    ]
    static let httpKeys = ["listen", "hls_js_url", "dash_js_url", "tls", "on_play"]
    static let tlsKeys = ["listen", "cert", "key"]
    static let publishHookKeys = ["url", "timeout_seconds"]
    static let streamKeys = ["key", "profile", "record", "require_token"]

    /// Reads the config at `path`, then its keys file; with `checkProfiles`, also loads every profile
    /// it names so their problems are reported before the first publish.
    static func load(path: String, checkProfiles: Bool = true) throws(GatewayConfigError) -> GatewayConfig {
        let text: String
        switch ConfigFile.readText(path: path, maxBytes: maxConfigBytes) {
        case .success(let contents): text = contents
        case .failure(let issue): throw GatewayConfigError(issues: [issue])
        }
        var config = try parse(yaml: text, file: path) { FileManager.default.isReadableFile(atPath: $0) }

        var issues: [ConfigIssue] = []
        if let keysFile = config.keysFile {
            switch ConfigFile.readText(path: keysFile, maxBytes: maxKeysFileBytes) {
            case .success(let contents):
                do throws(GatewayConfigError) {
                    let entries = try parseKeysFile(text: contents, file: keysFile)
                    try config.merge(keysFileEntries: entries, file: keysFile)
                } catch {
                    issues += error.issues
                }
            case .failure(let issue):
                issues.append(issue)
            }
        }
        issues += loadPlaybackSecrets(&config)
        if checkProfiles {
            for profilePath in config.referencedProfiles {
                do throws(ProfileError) {
                    _ = try ProfileLoader.load(path: profilePath)
                } catch {
                    issues += error.issues
                }
            }
        }
        if !issues.isEmpty { throw GatewayConfigError(issues: issues) }
        return config
    }

    /// Parses config YAML. `fileExists` checks TLS certificate/key paths (after resolving them
    /// against the config's folder); the default accepts any path.
    static func parse(
        yaml: String, file: String, fileExists: @escaping (String) -> Bool = { _ in true }
    )
        throws(GatewayConfigError) -> GatewayConfig
    {
        let root: ConfigNode
        switch ConfigYAML.compose(yaml: yaml, file: file) {
        case .malformed(let issues): throw GatewayConfigError(issues: issues)
        case .empty: return GatewayConfig()
        case .document(let node): root = node
        }
        var parser = Parser(
            reader: ConfigReader(file: file), baseDirectory: directory(of: file), fileExists: fileExists)
        let config = parser.parse(root)
        if parser.reader.issues.isEmpty { return config }
        throw GatewayConfigError(issues: parser.reader.sortedIssues)
    }

    /// One `NAME SECRET` per line; blank lines and lines starting with `#` are ignored. Messages
    /// never repeat a secret.
    static func parseKeysFile(text: String, file: String) throws(GatewayConfigError) -> [KeysFileEntry] {
        var entries: [KeysFileEntry] = []
        var issues: [ConfigIssue] = []
        var firstLineByName: [String: Int] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            func problem(_ message: String) {
                issues.append(ConfigIssue(file: file, line: lineNumber, column: 1, path: "", message: message))
            }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count == 2 else {
                problem("expected NAME SECRET (two words separated by spaces), found \(fields.count) words")
                continue
            }
            let name = String(fields[0])
            let secret = String(fields[1])
            guard StreamName.isValid(name) else {
                problem("invalid stream name \"\(name.prefix(40))\" (letters, digits, _ - . only)")
                continue
            }
            if let message = secretProblem(secret) {
                problem(message)
                continue
            }
            if let first = firstLineByName[name] {
                problem("stream \"\(name)\" already has a key at line \(first)")
                continue
            }
            firstLineByName[name] = lineNumber
            entries.append(KeysFileEntry(name: name, secret: secret, line: lineNumber))
        }
        if !issues.isEmpty { throw GatewayConfigError(issues: issues) }
        return entries
    }

    struct KeysFileEntry: Sendable, Hashable {
        var name: String
        var secret: String
        var line: Int
    }

    /// Why `secret` is unusable, without quoting it; nil when fine. Secrets travel in the RTMP URL's
    /// query (`NAME?key=SECRET`), so they are limited to RFC 3986 2.3 unreserved characters.
    static func secretProblem(_ secret: String) -> String? {
        let unreserved = secret.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                return true
            default:
                return false
            }
        }
        if secret.isEmpty || secret.utf8.count > maxSecretLength || !unreserved {
            return
                "a key must be 1 to \(maxSecretLength) characters of A-Z, a-z, 0-9, - . _ ~ (it is sent in the RTMP URL)"
        }
        return nil
    }

    /// `file`'s folder ("" for a bare file name).
    static func directory(of file: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return "" }
        return file[..<slash].isEmpty ? "/" : String(file[..<slash])
    }

    static func resolve(_ path: String, against directory: String) -> String {
        if path.hasPrefix("/") || directory.isEmpty { return path }
        return directory.hasSuffix("/") ? directory + path : directory + "/" + path
    }

    // MARK: Sections

    struct Parser {
        var reader: ConfigReader
        let baseDirectory: String
        let fileExists: (String) -> Bool

        mutating func parse(_ root: ConfigNode) -> GatewayConfig {
            var config = GatewayConfig()
            guard let top = reader.mapping(root, path: .root, knownKeys: topKeys) else { return config }
            if let rtmp = reader.mapping(top, "rtmp", knownKeys: rtmpKeys) {
                config.rtmp = parseRTMP(rtmp)
            }
            if let http = reader.mapping(top, "http", knownKeys: httpKeys) {
                config.http = parseHTTP(http)
            }
            if config.rtmp.listen == config.http.listen, config.rtmp.listen.port != 0 {
                // Reported where the operator wrote the clashing address.
                let at =
                    top.entry("http").flatMap { $0.value.mappingEntry("listen") }
                    ?? top.entry("rtmp").flatMap { $0.value.mappingEntry("listen") }
                reader.report(
                    "rtmp.listen and http.listen are the same address \(config.http.listen)",
                    line: at?.value.line ?? top.node.line, column: at?.value.column ?? top.node.column,
                    path: .root.key("http").key("listen"))
            }
            config.profilePath = path(top, "profile")
            config.keysFile = path(top, "keys_file")
            config.dataDirectory = path(top, "data_dir")
            if let value = seconds(top, "ended_stream_seconds", maximum: 30 * 86400) {
                config.endedStreamSeconds = value
            }
            if top.entry("slate")?.value.scalar?.text == "off" {
                config.slateOff = true
            } else if let slate = path(top, "slate"), let node = top.entry("slate")?.value {
                if fileExists(slate) {
                    config.slatePath = slate
                } else {
                    reader.report("cannot read \(slate)", at: node, path: top.path.key("slate"))
                }
            }
            if let field = reader.number(top, "reconnect_grace_seconds") {
                if (0...3600).contains(field.value) {
                    config.reconnectGraceSeconds = field.value
                } else {
                    reader.report("reconnect_grace_seconds must be between 0 and 3600, found \(field.value)", at: field)
                }
            }
            if let entry = top.entry("streams") {
                config.streams = parseStreams(entry.value, path: top.path.key("streams"))
            }
            config.streamKeys = config.streams.compactMapValues(\.key)
            parseRecordingAndAdmin(top, into: &config)
            parseCluster(top, into: &config)
            parsePlayback(top, into: &config)
            parseUsage(top, into: &config)
            if let width = integer(top, "thumbnail_width", in: 0...3840) { config.thumbnailWidth = width }
            return config
        }

        private mutating func parseRTMP(_ map: ConfigMapping) -> GatewayConfig.RTMP {
            var rtmp = GatewayConfig.RTMP()
            if let listen = listenAddress(map, "listen") { rtmp.listen = listen.value }
            if let app = reader.string(map, "app") {
                if StreamName.isValid(app.value) {
                    rtmp.app = app.value
                } else {
                    reader.report(
                        "app must be letters, digits, _ - . (it is the first path part of the RTMP URL)", at: app)
                }
            }
            if let value = integer(map, "max_connections", in: 1...1_000_000) { rtmp.maxConnections = value }
            if let field = reader.integer(map, "max_connections_per_ip") {
                if field.value < 1 {
                    reader.report("max_connections_per_ip must be at least 1, found \(field.value)", at: field)
                } else if field.value > rtmp.maxConnections {
                    reader.report(
                        "max_connections_per_ip \(field.value) is above max_connections \(rtmp.maxConnections)",
                        at: field)
                } else {
                    rtmp.maxConnectionsPerIP = field.value
                }
            }
            if let value = seconds(map, "handshake_timeout_seconds", maximum: 300) {
                rtmp.handshakeTimeoutSeconds = value
            }
            if let value = seconds(map, "idle_timeout_seconds", maximum: 3600) { rtmp.idleTimeoutSeconds = value }
            if let value = integer(map, "max_message_bytes", in: 1024...maxRTMPMessageBytes) {
                rtmp.maxMessageBytes = value
            }
            if let value = seconds(map, "max_ingest_delay_seconds", maximum: 60) {
                rtmp.maxIngestDelaySeconds = value
            }
            if let value = integer(map, "event_loop_threads", in: 1...256) { rtmp.eventLoopThreads = value }
            if let value = integer(map, "read_batching_ms", in: 0...200) { rtmp.readBatchingMilliseconds = value }
            if let tls = reader.mapping(map, "tls", knownKeys: tlsKeys) {
                rtmp.tls = parseTLS(tls, plainListen: rtmp.listen)
            }
            rtmp.onPublish = webhook(map, "on_publish")
            return rtmp
        }

        /// `on_publish` / `on_play`: `{ url: http(s)://..., timeout_seconds: N }`.
        private mutating func webhook(_ map: ConfigMapping, _ key: String) -> GatewayConfig.PublishHook? {
            guard let hook = reader.mapping(map, key, knownKeys: GatewayConfigLoader.publishHookKeys) else {
                return nil
            }
            guard let url = reader.string(hook, "url") else {
                reader.report(
                    "\(key) needs a url", line: hook.node.line, column: hook.node.column, path: hook.path.key("url"))
                return nil
            }
            guard url.value.hasPrefix("http://") || url.value.hasPrefix("https://"), URL(string: url.value) != nil
            else {
                reader.report("\(key).url must be an http:// or https:// URL", at: url)
                return nil
            }
            var result = GatewayConfig.PublishHook(url: url.value)
            if let timeout = seconds(hook, "timeout_seconds", maximum: 60) { result.timeoutSeconds = timeout }
            return result
        }

        private mutating func parseHTTP(_ map: ConfigMapping) -> GatewayConfig.HTTP {
            var http = GatewayConfig.HTTP()
            if let listen = listenAddress(map, "listen") { http.listen = listen.value }
            http.hlsJSURL = scriptURL(map, "hls_js_url")
            http.dashJSURL = scriptURL(map, "dash_js_url")
            if let tls = reader.mapping(map, "tls", knownKeys: tlsKeys) {
                http.tls = parseTLS(tls, plainListen: http.listen)
            }
            http.onPlay = webhook(map, "on_play")
            return http
        }

        private mutating func parseTLS(_ map: ConfigMapping, plainListen: ListenAddress) -> GatewayConfig.TLS? {
            let listen = listenAddress(map, "listen", required: true)
            if let listen, listen.value == plainListen {
                reader.report("the TLS listener needs its own port, not \(plainListen)", at: listen)
            }
            let certificate = existingFile(map, "cert")
            let privateKey = existingFile(map, "key")
            guard let listen, let certificate, let privateKey else { return nil }
            return GatewayConfig.TLS(listen: listen.value, certificatePath: certificate, privateKeyPath: privateKey)
        }

        // MARK: Values

        private mutating func listenAddress(
            _ map: ConfigMapping, _ key: String, required: Bool = false
        )
            -> ConfigField<ListenAddress>?
        {
            reader.field(map, key, required: required) { node in
                ConfigValue.string(node).flatMap { text in
                    guard let address = ListenAddress(parsing: text) else {
                        return .failure(
                            ConfigValueProblem(
                                "expected HOST:PORT such as 0.0.0.0:1935 or [::]:1935, found \(node.summary)"))
                    }
                    return .success(address)
                }
            }
        }

        mutating func integer(_ map: ConfigMapping, _ key: String, in range: ClosedRange<Int>) -> Int? {
            guard let field = reader.integer(map, key) else { return nil }
            guard range.contains(field.value) else {
                reader.report(
                    "\(key) must be between \(range.lowerBound) and \(range.upperBound), found \(field.value)",
                    at: field)
                return nil
            }
            return field.value
        }

        mutating func seconds(_ map: ConfigMapping, _ key: String, maximum: Double) -> Double? {
            guard let field = reader.number(map, key) else { return nil }
            guard field.value > 0, field.value <= maximum else {
                reader.report("\(key) must be above 0 and at most \(Int(maximum)), found \(field.value)", at: field)
                return nil
            }
            return field.value
        }

        mutating func path(_ map: ConfigMapping, _ key: String) -> String? {
            guard let field = reader.string(map, key) else { return nil }
            guard !field.value.isEmpty, !field.value.contains("\0") else {
                reader.report("expected a file path", at: field)
                return nil
            }
            return resolve(field.value, against: baseDirectory)
        }

        private mutating func existingFile(_ map: ConfigMapping, _ key: String) -> String? {
            guard map.contains(key) else {
                reader.report("required key is missing", at: map.node, path: map.path.key(key))
                return nil
            }
            guard let resolved = path(map, key), let node = map.entry(key)?.value else { return nil }
            guard fileExists(resolved) else {
                reader.report("cannot read \(resolved)", at: node, path: map.path.key(key))
                return nil
            }
            return resolved
        }

        private mutating func scriptURL(_ map: ConfigMapping, _ key: String) -> String? {
            guard let field = reader.string(map, key) else { return nil }
            let url = field.value
            let allowed = url.hasPrefix("https://") || url.hasPrefix("http://") || url.hasPrefix("/")
            guard allowed, !url.contains(where: { $0 == "\"" || $0 == "<" || $0 == ">" || $0.isWhitespace }) else {
                reader.report(
                    "expected an http(s):// URL or a path starting with /, found \(field.node.summary)", at: field)
                return nil
            }
            return url
        }
    }
}

extension GatewayConfig {
    /// Adds the keys file's secrets; a stream may get its key from only one place.
    mutating func merge(
        keysFileEntries entries: [GatewayConfigLoader.KeysFileEntry], file: String
    )
        throws(GatewayConfigError)
    {
        var issues: [ConfigIssue] = []
        for entry in entries {
            if streamKeys[entry.name] != nil {
                issues.append(
                    ConfigIssue(
                        file: file, line: entry.line, column: 1, path: "",
                        message: "stream \"\(entry.name)\" already has a key in the config's streams section"))
                continue
            }
            streamKeys[entry.name] = entry.secret
        }
        if !issues.isEmpty { throw GatewayConfigError(issues: issues) }
    }
}

extension ConfigNode {
    fileprivate func mappingEntry(_ key: String) -> ConfigEntry? {
        guard case .mapping(let entries) = content else { return nil }
        return entries.first { $0.key == key }
    }
}
