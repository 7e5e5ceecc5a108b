/// One delivered response of a stream's file, as the origin saw it.
public struct ViewerRequest: Sendable, Equatable {
    public var stream: String
    /// The token's viewer ID when there is one, else the client's address and User-Agent.
    public var sessionKey: String
    public var viewer: String?
    public var client: String?
    public var userAgent: String?
    /// Through a proxy or edge (the request named the viewer in X-Forwarded-For).
    public var viaEdge: Bool
    /// The rendition folder of a media playlist, segment or part ("720p"); nil for the master,
    /// the MPD and the page.
    public var rendition: String?
    /// A segment or part: what playing costs, and what measures the time watched.
    public var isMedia: Bool
    public var bytes: Int
    public var atMs: Int64

    public init(
        stream: String, sessionKey: String, viewer: String?, client: String?, userAgent: String?, viaEdge: Bool,
        rendition: String?, isMedia: Bool, bytes: Int, atMs: Int64
    ) {
        self.stream = stream
        self.sessionKey = sessionKey
        self.viewer = viewer
        self.client = client
        self.userAgent = userAgent
        self.viaEdge = viaEdge
        self.rendition = rendition
        self.isMedia = isMedia
        self.bytes = bytes
        self.atMs = atMs
    }
}

/// A viewer session: one viewer (or client) watching one stream until it goes quiet.
public struct ViewerSession: Sendable, Equatable, Codable {
    public var id: String
    public var stream: String
    public var viewer: String?
    public var client: String?
    public var userAgent: String?
    public var player: String
    public var viaEdge: Bool
    public var startedMs: Int64
    public var lastMs: Int64
    public var bytes: Int64
    /// Per rendition: seconds watched and bytes.
    public var renditions: [String: RenditionUsage]
    /// Ended (quiet for the idle time): written once more, then forgotten in memory.
    public var ended = false

    public struct RenditionUsage: Sendable, Equatable, Codable {
        public var seconds: Double
        public var bytes: Int64
    }

    public var secondsWatched: Double { renditions.values.reduce(0) { $0 + $1.seconds } }

    /// It fetched media: a viewer, not only a client polling playlists.
    public var watched: Bool { !renditions.isEmpty }
}

/// The sessions in progress, fed request by request (any thread, under the caller's lock).
/// Time watched is wall-clock time between a session's media requests, credited to the
/// rendition of the later one; a gap longer than `maxGapMs` (a pause, a stall) counts nothing.
/// A pure value: the clock comes with each request.
public struct ViewerSessions: Sendable {
    public let idleMs: Int64
    public let maxGapMs: Int64
    public let maxSessions: Int
    private var open: [String: Entry] = [:]
    private var nextID: UInt64 = 0
    private let idPrefix: String
    /// Requests of new sessions refused because `maxSessions` were open.
    public private(set) var refusedSessions = 0

    struct Entry: Sendable {
        var session: ViewerSession
        var lastMediaMs: Int64?
        var lastRendition: String?
        var dirty = true
    }

    public init(idPrefix: String, idleMs: Int64 = 30_000, maxGapMs: Int64 = 12_000, maxSessions: Int = 100_000) {
        self.idPrefix = idPrefix
        self.idleMs = idleMs
        self.maxGapMs = maxGapMs
        self.maxSessions = maxSessions
    }

    public var openCount: Int { open.count }

    /// The audio rendition's folder (the packager's one audio rendition).
    public static let audioRendition = "audio"

    public mutating func record(_ request: ViewerRequest) {
        let key = request.stream + "\u{0}" + request.sessionKey
        if open[key] == nil {
            guard open.count < maxSessions else {
                refusedSessions += 1
                return
            }
            nextID += 1
            open[key] = Entry(
                session: ViewerSession(
                    id: "\(idPrefix)-\(nextID)", stream: request.stream, viewer: request.viewer,
                    client: request.client, userAgent: request.userAgent.map { String($0.prefix(256)) },
                    player: PlayerKind.of(userAgent: request.userAgent), viaEdge: request.viaEdge,
                    startedMs: request.atMs, lastMs: request.atMs, bytes: 0, renditions: [:]))
        }
        open[key]!.dirty = true
        open[key]!.session.lastMs = max(open[key]!.session.lastMs, request.atMs)
        open[key]!.session.bytes += Int64(max(0, request.bytes))
        // Only media (segments, parts) makes a viewer and counts for a rendition; playlists
        // are overhead of the session.
        guard let rendition = request.rendition, request.isMedia else { return }
        var usage = open[key]!.session.renditions[rendition] ?? .init(seconds: 0, bytes: 0)
        usage.bytes += Int64(max(0, request.bytes))
        // Players fetch the audio rendition beside a video one: the time watched goes to the
        // video rendition, the audio one only keeps its bytes (unless audio is all it plays).
        let isAudio = rendition == Self.audioRendition
        let playsVideo = open[key]!.session.renditions.keys.contains { $0 != Self.audioRendition }
        if !isAudio || !playsVideo {
            if let last = open[key]!.lastMediaMs, request.atMs > last, request.atMs - last <= maxGapMs {
                usage.seconds += Double(request.atMs - last) / 1000
            }
            open[key]!.lastMediaMs = max(open[key]!.lastMediaMs ?? request.atMs, request.atMs)
            open[key]!.lastRendition = rendition
        }
        open[key]!.session.renditions[rendition] = usage
    }

    /// The sessions changed since the last drain (ended ones marked and forgotten).
    public mutating func drain(nowMs: Int64) -> [ViewerSession] {
        var changed: [ViewerSession] = []
        for key in Array(open.keys) {
            guard var entry = open[key] else { continue }
            let ended = nowMs - entry.session.lastMs >= idleMs
            if ended {
                entry.session.ended = true
                changed.append(entry.session)
                open[key] = nil
            } else if entry.dirty {
                entry.dirty = false
                changed.append(entry.session)
                open[key] = entry
            }
        }
        return changed
    }

    /// Open sessions per stream and rendition (the rendition of each one's latest media).
    public func viewersByRendition() -> [String: [String: Int]] {
        var result: [String: [String: Int]] = [:]
        for entry in open.values {
            guard let rendition = entry.lastRendition else { continue }
            result[entry.session.stream, default: [:]][rendition, default: 0] += 1
        }
        return result
    }
}

/// What played, from the User-Agent (players identify themselves there).
public enum PlayerKind {
    public static func of(userAgent: String?) -> String {
        guard let agent = userAgent?.lowercased(), !agent.isEmpty else { return "unknown" }
        let known: [(String, String)] = [
            ("vlc", "vlc"), ("lavf", "ffmpeg"), ("gstreamer", "gstreamer"), ("streamlink", "streamlink"),
            ("exoplayer", "exoplayer"), ("applecoremedia", "apple-native"), ("nginx", "edge"), ("curl", "curl"),
            ("python", "script"), ("chrome", "browser"), ("firefox", "browser"), ("safari", "browser"),
        ]
        return known.first { agent.contains($0.0) }?.1 ?? "other"
    }
}
