import Foundation
import Ladder
import LadderTestSupport
import RTMPTestSupport
import RTMPWire
import Testing

@testable import Gateway

private typealias Reported = ReportedIssue

private func issues(
    _ yaml: String, file: String = "gateway.yaml", fileExists: @escaping (String) -> Bool = { _ in true }
) -> [Reported] {
    do throws(GatewayConfigError) {
        let config = try GatewayConfigLoader.parse(yaml: yaml, file: file, fileExists: fileExists)
        Issue.record("expected issues, parsed \(config)")
        return []
    } catch {
        return error.issues.map(Reported.init)
    }
}

@Suite struct GatewayConfigLoaderTests {
    @Test func parsesEveryKey() throws {
        let yaml = """
            rtmp:
              listen: 127.0.0.1:1936
              app: stream
              max_connections: 50
              max_connections_per_ip: 5
              handshake_timeout_seconds: 5
              idle_timeout_seconds: 20.5
              max_message_bytes: 1048576
              max_ingest_delay_seconds: 1.5
              event_loop_threads: 3
              read_batching_ms: 0
              tls: { listen: "[::]:1937", cert: tls/cert.pem, key: /etc/tls/key.pem }
            http:
              listen: 0.0.0.0:9090
              hls_js_url: /assets/hls.min.js
              dash_js_url: https://cdn.example.com/dash.all.min.js
            profile: profiles/default.yaml
            streams:
              studio: { key: Sup3r-secret_key, profile: profiles/1080p.yaml }
              lobby: {}
              open:
            keys_file: keys.txt
            data_dir: /var/lib/gateway
            """
        let config = try GatewayConfigLoader.parse(yaml: yaml, file: "/etc/gateway/gateway.yaml")
        #expect(config.rtmp.listen == ListenAddress(host: "127.0.0.1", port: 1936))
        #expect(config.rtmp.app == "stream")
        #expect(config.rtmp.maxConnections == 50)
        #expect(config.rtmp.maxConnectionsPerIP == 5)
        #expect(config.rtmp.handshakeTimeoutSeconds == 5)
        #expect(config.rtmp.idleTimeoutSeconds == 20.5)
        #expect(config.rtmp.maxMessageBytes == 1_048_576)
        #expect(config.rtmp.maxIngestDelaySeconds == 1.5)
        #expect(config.rtmp.eventLoopThreads == 3)
        #expect(config.rtmp.readBatchingMilliseconds == 0)
        #expect(
            config.rtmp.tls
                == GatewayConfig.TLS(
                    listen: ListenAddress(host: "::", port: 1937), certificatePath: "/etc/gateway/tls/cert.pem",
                    privateKeyPath: "/etc/tls/key.pem"))
        #expect(config.http.listen == ListenAddress(host: "0.0.0.0", port: 9090))
        #expect(config.http.hlsJSURL == "/assets/hls.min.js")
        #expect(config.http.dashJSURL == "https://cdn.example.com/dash.all.min.js")
        #expect(config.http.tls == nil)
        #expect(config.profilePath == "/etc/gateway/profiles/default.yaml")
        #expect(config.keysFile == "/etc/gateway/keys.txt")
        #expect(config.dataDirectory == "/var/lib/gateway")
        #expect(config.streams.keys.sorted() == ["lobby", "open", "studio"])
        #expect(config.streamKeys == ["studio": "Sup3r-secret_key"])
        #expect(config.streamProfilePath("studio") == "/etc/gateway/profiles/1080p.yaml")
        #expect(config.streamProfilePath("lobby") == nil)
        #expect(config.profilePath == "/etc/gateway/profiles/default.yaml")
        #expect(
            config.referencedProfiles == ["/etc/gateway/profiles/default.yaml", "/etc/gateway/profiles/1080p.yaml"])
    }

    @Test func defaults() throws {
        let config = try GatewayConfigLoader.parse(yaml: "# nothing configured\n", file: "gateway.yaml")
        #expect(config == GatewayConfig())
        #expect(config.rtmp.listen == ListenAddress(host: "0.0.0.0", port: 1935))
        #expect(config.rtmp.app == "live")
        #expect(config.rtmp.readBatchingMilliseconds == 150)
        #expect(config.http.listen == ListenAddress(host: "0.0.0.0", port: 8080))
        #expect(config.streamProfilePath("any") == nil)
    }

    @Test func relativePathsStayRelativeForABareFileName() throws {
        let config = try GatewayConfigLoader.parse(yaml: "profile: profiles/low-cpu.yaml\n", file: "gateway.yaml")
        #expect(config.profilePath == "profiles/low-cpu.yaml")
    }

    @Test func descriptionNeverShowsSecrets() throws {
        let yaml = "streams:\n  studio: { key: very-secret-value }\n"
        let config = try GatewayConfigLoader.parse(yaml: yaml, file: "g.yaml")
        #expect(!config.description.contains("very-secret-value"))
        #expect(!String(reflecting: config).contains("very-secret-value"))
        #expect(!"\(config.streams)".contains("very-secret-value"))
    }

    @Test func unknownKeysSuggestTheClosest() {
        let yaml = """
            rtmp:
              listen: 0.0.0.0:1935
              max_conections: 10
            profiles: default.yaml
            """
        #expect(
            issues(yaml) == [
                Reported(
                    3, 3, "rtmp.max_conections", "unknown key \"max_conections\" (did you mean \"max_connections\"?)"),
                Reported(4, 1, "profiles", "unknown key \"profiles\" (did you mean \"profile\"?)"),
            ])
    }

    @Test func badValuesAreReportedAtTheirLines() {
        let yaml = """
            rtmp:
              listen: 1935
              app: "live/x"
              max_connections: 0
              max_connections_per_ip: many
              handshake_timeout_seconds: -1
              max_message_bytes: 20000000
              max_ingest_delay_seconds: 120
              event_loop_threads: 0
              read_batching_ms: 500
            http:
              listen: 0.0.0.0:99999
              hls_js_url: javascript:alert(1)
            """
        #expect(
            issues(yaml) == [
                Reported(2, 11, "rtmp.listen", "expected HOST:PORT such as 0.0.0.0:1935 or [::]:1935, found 1935"),
                Reported(
                    3, 8, "rtmp.app", "app must be letters, digits, _ - . (it is the first path part of the RTMP URL)"),
                Reported(4, 20, "rtmp.max_connections", "max_connections must be between 1 and 1000000, found 0"),
                Reported(5, 27, "rtmp.max_connections_per_ip", "expected a whole number, found \"many\""),
                Reported(
                    6, 30, "rtmp.handshake_timeout_seconds",
                    "handshake_timeout_seconds must be above 0 and at most 300, found -1.0"),
                Reported(
                    7, 22, "rtmp.max_message_bytes",
                    "max_message_bytes must be between 1024 and 16777215, found 20000000"),
                Reported(
                    8, 29, "rtmp.max_ingest_delay_seconds",
                    "max_ingest_delay_seconds must be above 0 and at most 60, found 120.0"),
                Reported(
                    9, 23, "rtmp.event_loop_threads", "event_loop_threads must be between 1 and 256, found 0"),
                Reported(
                    10, 21, "rtmp.read_batching_ms", "read_batching_ms must be between 0 and 200, found 500"),
                Reported(
                    12, 11, "http.listen",
                    "expected HOST:PORT such as 0.0.0.0:1935 or [::]:1935, found \"0.0.0.0:99999\""),
                Reported(
                    13, 15, "http.hls_js_url",
                    "expected an http(s):// URL or a path starting with /, found \"javascript:alert(1)\""),
            ])
    }

    @Test func perIPLimitAboveTotal() {
        let yaml = "rtmp:\n  max_connections: 10\n  max_connections_per_ip: 20\n"
        #expect(
            issues(yaml) == [
                Reported(
                    3, 27, "rtmp.max_connections_per_ip", "max_connections_per_ip 20 is above max_connections 10")
            ])
    }

    @Test func clashingListeners() {
        let yaml = "rtmp:\n  listen: 0.0.0.0:8080\n"
        #expect(
            issues(yaml) == [
                Reported(2, 11, "http.listen", "rtmp.listen and http.listen are the same address 0.0.0.0:8080")
            ])
    }

    @Test func tlsNeedsItsKeysAndReadableFiles() {
        let yaml = """
            rtmp:
              tls: { listen: 0.0.0.0:1935, cert: missing.pem }
            http:
              tls:
                listen: 0.0.0.0:8443
                cert: /ok/cert.pem
                key: /missing/key.pem
            """
        #expect(
            issues(yaml, file: "/etc/g.yaml", fileExists: { $0.hasPrefix("/ok/") }) == [
                Reported(2, 8, "rtmp.tls.key", "required key is missing"),
                Reported(2, 18, "rtmp.tls.listen", "the TLS listener needs its own port, not 0.0.0.0:1935"),
                Reported(2, 38, "rtmp.tls.cert", "cannot read /etc/missing.pem"),
                Reported(7, 10, "http.tls.key", "cannot read /missing/key.pem"),
            ])
    }

    @Test func streamNamesAndKeysAreChecked() {
        let yaml = """
            streams:
              "bad name": { key: abc }
              studio: { key: "has space", profil: x.yaml }
              lobby: 42
            """
        let reported = issues(yaml)
        #expect(
            reported == [
                Reported(
                    2, 3, "streams.bad name",
                    "invalid stream name \"bad name\" (letters, digits, _ - . only; it is used in URLs)"),
                Reported(
                    3, 18, "streams.studio.key",
                    "a key must be 1 to 256 characters of A-Z, a-z, 0-9, - . _ ~ (it is sent in the RTMP URL)"),
                Reported(3, 31, "streams.studio.profil", "unknown key \"profil\" (did you mean \"profile\"?)"),
                Reported(4, 10, "streams.lobby", "expected a mapping of keys, found 42"),
            ])
        #expect(!reported.contains { $0.message.contains("has space") })
    }

    @Test func malformedYAML() {
        let reported = issues("rtmp:\n  listen: [0.0.0.0:1935\nhttp: {}\n")
        #expect(reported.count == 1)
        #expect(reported.first?.message.hasPrefix("invalid YAML:") == true)
        #expect(reported.first?.line == 3)
    }

    @Test func keysFileParses() throws {
        let text = "# name secret\n\nstudio  abc123\nlobby\tZ-9_x.y~\n"
        let entries = try GatewayConfigLoader.parseKeysFile(text: text, file: "keys.txt")
        #expect(
            entries == [
                GatewayConfigLoader.KeysFileEntry(name: "studio", secret: "abc123", line: 3),
                GatewayConfigLoader.KeysFileEntry(name: "lobby", secret: "Z-9_x.y~", line: 4),
            ])
    }

    @Test func keysFileProblemsNeverQuoteTheSecret() throws {
        let text = "studio abc123\nstudio other\nlobby\nbad/name xyz\nstage p@ss!word\n"
        let error = try #require(throws: GatewayConfigError.self) {
            try GatewayConfigLoader.parseKeysFile(text: text, file: "keys.txt")
        }
        #expect(
            error.description.split(separator: "\n").map(String.init) == [
                "keys.txt:2:1: stream \"studio\" already has a key at line 1",
                "keys.txt:3:1: expected NAME SECRET (two words separated by spaces), found 1 words",
                "keys.txt:4:1: invalid stream name \"bad/name\" (letters, digits, _ - . only)",
                "keys.txt:5:1: a key must be 1 to 256 characters of A-Z, a-z, 0-9, - . _ ~ (it is sent in the RTMP URL)",
            ])
        #expect(!error.description.contains("p@ss"))
        #expect(!error.description.contains("other"))
    }

    @Test func loadMergesTheKeysFileAndChecksProfiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gwconfig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = "video:\n  renditions: [{ name: a, height: 360, bitrate: 800k }]\n"
        let broken = "video:\n  renditions: [{ name: a, height: 361, bitrate: 800k }]\n"
        try good.write(to: directory.appendingPathComponent("good.yaml"), atomically: true, encoding: .utf8)
        try broken.write(to: directory.appendingPathComponent("broken.yaml"), atomically: true, encoding: .utf8)
        try "lobby key-two\n".write(to: directory.appendingPathComponent("keys.txt"), atomically: true, encoding: .utf8)

        let configPath = directory.appendingPathComponent("gateway.yaml").path
        let yaml = "profile: good.yaml\nkeys_file: keys.txt\nstreams:\n  studio: { key: key-one }\n"
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
        let config = try GatewayConfigLoader.load(path: configPath)
        #expect(config.streamKeys == ["studio": "key-one", "lobby": "key-two"])

        let brokenYAML = "profile: good.yaml\nstreams:\n  studio: { profile: broken.yaml }\n"
        try brokenYAML.write(toFile: configPath, atomically: true, encoding: .utf8)
        let error = try #require(throws: GatewayConfigError.self) {
            try GatewayConfigLoader.load(path: configPath)
        }
        #expect(
            error.description
                == "\(directory.path)/broken.yaml:2:35: video.renditions[0].height: odd height 361 (H.264 4:2:0 video needs even dimensions)"
        )
        #expect(try GatewayConfigLoader.load(path: configPath, checkProfiles: false).streams.count == 1)
    }

    @Test func keyDefinedTwiceIsAnError() throws {
        var config = try GatewayConfigLoader.parse(yaml: "streams:\n  studio: { key: one }\n", file: "g.yaml")
        let entries = [GatewayConfigLoader.KeysFileEntry(name: "studio", secret: "two", line: 7)]
        let error = try #require(throws: GatewayConfigError.self) {
            try config.merge(keysFileEntries: entries, file: "keys.txt")
        }
        #expect(
            error.description == "keys.txt:7:1: stream \"studio\" already has a key in the config's streams section")
    }

    @Test func missingConfigFile() throws {
        let error = try #require(throws: GatewayConfigError.self) {
            try GatewayConfigLoader.load(path: "/nonexistent/gateway.yaml")
        }
        #expect(error.description == "/nonexistent/gateway.yaml: no such file")
    }

    @Test func publishHook() throws {
        let config = try GatewayConfigLoader.parse(
            yaml: """
                rtmp:
                  on_publish: { url: "http://127.0.0.1:9000/hook", timeout_seconds: 2 }
                """, file: "gateway.yaml")
        #expect(
            config.rtmp.onPublish == GatewayConfig.PublishHook(url: "http://127.0.0.1:9000/hook", timeoutSeconds: 2))
        #expect(try GatewayConfigLoader.parse(yaml: "rtmp: {}", file: "g.yaml").rtmp.onPublish == nil)
    }

    @Test func publishHookErrors() {
        let reported = issues(
            """
            rtmp:
              on_publish: { url: "ftp://x/hook", timeout: 2 }
            """)
        #expect(reported.contains { $0.line == 2 && $0.message.contains("http:// or https://") })
        #expect(reported.contains { $0.line == 2 && $0.message.contains("timeout") })
    }
}
