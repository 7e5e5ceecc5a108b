import GatewayCluster
import Ladder
import NIOCore

/// The gateway's YAML config (`gateway serve --config PATH`), as loaded by `GatewayConfigLoader`:
///
/// ```yaml
/// rtmp:
///   listen: 0.0.0.0:1935
///   app: live                       # rtmp://HOST:1935/live
///   max_connections: 1000
///   max_connections_per_ip: 32
///   handshake_timeout_seconds: 10
///   idle_timeout_seconds: 30
///   max_message_bytes: 8388608
///   max_ingest_delay_seconds: 3     # video older than this in the ingest queue is dropped
///   event_loop_threads: 1           # RTMP I/O threads (default: one per 4 cores, at least 1)
///   read_batching_ms: 150           # copy-only publishes: wake per ~150 ms (<= 64 KiB) of data (0: per arrival)
///   tls: { listen: 0.0.0.0:1936, cert: tls/cert.pem, key: tls/key.pem }
/// http:
///   listen: 0.0.0.0:8080
///   hls_js_url: /assets/hls.min.js  # optional; the player page's script sources
///   dash_js_url: /assets/dash.all.min.js
///   tls: { listen: 0.0.0.0:8443, cert: tls/cert.pem, key: tls/key.pem }
/// profile: profiles/default.yaml    # default transcoding profile
/// streams:                          # per-stream key and/or profile
///   studio: { key: s3cret-value, profile: profiles/1080p.yaml }
///   lobby: {}
/// keys_file: keys.txt               # more keys, one `NAME SECRET` per line
/// data_dir: /var/lib/gateway        # optional disk mirror of segments; stream numbering state
/// ended_stream_seconds: 600         # an ended stream stays playable this long, then is freed
/// reconnect_grace_seconds: 10       # a publisher that vanished may reconnect this long (0: off)
/// slate: slate.png                  # shown meanwhile (default: the last picture; off: no slate)
/// recording:                        # keep every segment on disk; a finished publish is a VOD
///   dir: /var/lib/gateway/recordings
///   streams: all                    # or a list of names (default: streams with record: true, else all)
///   keep_days: 7                    # deleted once ended this long ago
///   max_gigabytes: 100              # the oldest deleted first while above
/// admin:
///   token: LONG-RANDOM-SECRET       # `Authorization: Bearer ...` for the admin API
///   users: { alice: $2b$12$... }    # dashboard logins at /admin (gateway hash-password)
///   session_hours: 12               # how long a login lasts
/// ```
/// Relative paths are relative to the config file's folder.
struct GatewayConfig: Sendable, Hashable, CustomStringConvertible {
    struct TLS: Sendable, Hashable {
        var listen: ListenAddress
        /// PEM certificate chain.
        var certificatePath: String
        /// PEM private key.
        var privateKeyPath: String
    }

    /// `on_publish` admission hook: POST {name, app, client_ip, key} as JSON; a 2xx answer allows.
    struct PublishHook: Sendable, Hashable {
        var url: String
        /// A hook slower than this refuses the publish (fail closed) without delaying other sessions.
        var timeoutSeconds = 3.0
    }

    struct RTMP: Sendable, Hashable {
        var listen = ListenAddress(host: "0.0.0.0", port: 1935)
        /// The application name publishers use: rtmp://HOST/APP/NAME.
        var app = "live"
        var maxConnections = 1000
        var maxConnectionsPerIP = 32
        var handshakeTimeoutSeconds = 10.0
        /// A connection that sends nothing for this long is closed.
        var idleTimeoutSeconds = 30.0
        /// Largest RTMP message accepted (the length field holds 24 bits, RTMP spec 5.3.1.2.1).
        var maxMessageBytes = 8 * 1024 * 1024
        /// Bound on the latency the transcoder's ingest queue adds when encoding is slower than
        /// real time: older video is dropped to the next keyframe.
        var maxIngestDelaySeconds = 3.0
        /// Threads that run RTMP I/O (chunk codec, sessions, relay). One thread serves many streams:
        /// the media work runs on the pipelines' own threads, and fewer loops mean fewer wake-ups.
        var eventLoopThreads = RTMP.defaultEventLoopThreads
        /// Latency a publisher's socket reads may batch (SO_RCVLOWAT, see `ReceiveWatermark`); 0 is off.
        /// 150 ms: per-read costs (syscalls, wake-ups, thread hand-offs) are most of a copy stream's
        /// CPU, and 150 ms is small next to a 2 s segment.
        var readBatchingMilliseconds = 150
        static var defaultEventLoopThreads: Int { max(1, System.coreCount / 4) }
        /// RTMPS listener, in addition to `listen`.
        var tls: TLS?
        var onPublish: PublishHook?
    }

    struct HTTP: Sendable, Hashable {
        var listen = ListenAddress(host: "0.0.0.0", port: 8080)
        /// Script sources for the player page; nil = the page's built-in defaults.
        var hlsJSURL: String?
        var dashJSURL: String?
        /// HTTPS listener, in addition to `listen`.
        var tls: TLS?
        /// `on_play` hook: POST {stream, client_ip, user_agent, viewer} once per new viewer
        /// session; a 2xx answer allows it, and the answer holds for the session.
        var onPlay: PublishHook?
    }

    struct Stream: Sendable, Hashable, CustomStringConvertible {
        /// Publish secret (`NAME?key=SECRET`); never logged.
        var key: String?
        /// Overrides the default profile for this stream.
        var profilePath: String?
        /// Record this stream (with a `recording` section).
        var record = false
        /// Overrides `playback.require_token` for this stream (nil: the default).
        var requireToken: Bool?

        var description: String {
            "Stream(key: \(key == nil ? "none" : "<redacted>"), profile: \(profilePath ?? "default"))"
        }
    }

    var rtmp = RTMP()
    var http = HTTP()
    /// Default profile for every stream without its own.
    var profilePath: String?
    var streams: [String: Stream] = [:]
    var keysFile: String?
    var dataDirectory: String?
    /// How long an ended stream's last window stays in memory (playable, listed), then is freed.
    var endedStreamSeconds = 600.0
    /// A stream whose publisher vanished (no unpublish) stays live this long for a reconnect,
    /// which continues its playlists and its recording after a discontinuity.
    var reconnectGraceSeconds = 10.0
    /// The picture a slate shows; nil: the last picture of the publish.
    var slatePath: String?
    /// `slate: off`: the stream waits for its publisher without new segments.
    var slateOff = false
    var recording: RecordingPolicy?
    /// Bearer token of the admin API (deletions); without one, only loopback clients may delete.
    var adminToken: String?
    /// `admin.users`: dashboard logins, name to bcrypt hash.
    var adminUsers: [String: String] = [:]
    /// How long a dashboard login lasts.
    var adminSessionHours = 12.0
    /// The read-only status (`/api/streams`, `/api/cluster`, `/metrics`) also needs the admin
    /// token (default: open, as most monitoring expects).
    var protectStatus = false
    /// `usage: { database, keep_days }`; `usageStore` applies the data_dir default.
    var usage: Usage?
    var usageOff = false
    var usageKeepDays: Double?
    var edgeLog: EdgeLog?

    /// `thumbnail.jpg` of each stream at most this wide (0: none).
    var thumbnailWidth = 640

    /// Signed playback URLs (`playback:`).
    struct Playback: Sendable, Hashable, CustomStringConvertible {
        var requireToken = false
        var secretFile: String?
        /// Take the viewer's address from X-Forwarded-For (only behind trusted edges).
        var trustForwardedFor = false
        /// From `secretFile`: key ID and secret, the first signs. Never logged.
        var secrets: [Secret] = []

        struct Secret: Sendable, Hashable {
            var id: String
            var secret: String
        }

        var description: String {
            "Playback(require_token: \(requireToken), keys: \(secrets.map(\.id)))"
        }
    }

    var playback: Playback?

    /// Whether requests for `stream` need a token.
    func requiresToken(_ stream: String) -> Bool {
        guard let playback else { return false }
        return streams[stream]?.requireToken ?? playback.requireToken
    }

    /// Set: this gateway is one node of a cluster sharing a registry in etcd.
    var cluster: ClusterSettings?
    /// Publish secrets by stream name: `streams.*.key` plus the keys file's lines (merged by the loader).
    var streamKeys: [String: String] = [:]

    /// The profile file of `stream`'s own entry; nil means the default profile, which is
    /// `GatewayOptions.profilePath` (the --profile flag, else `profile:`, else profiles/default.yaml).
    func streamProfilePath(_ stream: String) -> String? {
        streams[stream]?.profilePath
    }

    /// Every profile file the config names (default first), without duplicates.
    var referencedProfiles: [String] {
        var paths: [String] = []
        for path in [profilePath].compactMap({ $0 }) + streams.keys.sorted().compactMap({ streams[$0]?.profilePath })
        where !paths.contains(path) {
            paths.append(path)
        }
        return paths
    }

    /// Never includes a secret.
    var description: String {
        let names = streams.keys.sorted().joined(separator: ", ")
        return
            "GatewayConfig(rtmp: \(rtmp.listen)/\(rtmp.app), http: \(http.listen), profile: \(profilePath ?? "default"), streams: [\(names)], keys: \(streamKeys.count))"
    }
}

/// Every problem found in the gateway config (and the files it names), one line each.
struct GatewayConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    var issues: [ConfigIssue]

    var description: String { issues.map(\.description).joined(separator: "\n") }
}
