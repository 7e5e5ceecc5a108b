import Testing

@testable import GatewayUsage

@Suite struct ViewerSessionsTests {
    func request(
        _ key: String, _ rendition: String?, at ms: Int64, media: Bool = true, bytes: Int = 1000
    )
        -> ViewerRequest
    {
        ViewerRequest(
            stream: "cam1", sessionKey: key, viewer: nil, client: "198.51.100.7", userAgent: "VLC/3.0.18",
            viaEdge: false, rendition: rendition, isMedia: media, bytes: bytes, atMs: ms)
    }

    @Test func timeWatchedIsCreditedToTheRenditionOfEachMediaRequest() throws {
        var sessions = ViewerSessions(idPrefix: "t", idleMs: 30_000, maxGapMs: 12_000)
        sessions.record(request("a", nil, at: 0, media: false))  // the master playlist
        for second in stride(from: 0, through: 60, by: 2) {
            sessions.record(request("a", second < 30 ? "720p" : "360p", at: Int64(second) * 1000))
        }
        sessions.record(request("b", "360p", at: 50_000))
        let changed = sessions.drain(nowMs: 61_000)
        let a = try #require(changed.first { $0.renditions["720p"] != nil })
        #expect(a.player == "vlc" && !a.ended)
        #expect(a.renditions["720p"]?.seconds == 28 && a.renditions["360p"]?.seconds == 32)
        #expect(a.secondsWatched == 60 && a.bytes == 32 * 1000)
        #expect(sessions.viewersByRendition() == ["cam1": ["360p": 2]])
        #expect(sessions.drain(nowMs: 62_000).isEmpty, "unchanged sessions are not written again")
        // Quiet for the idle time: written once more as ended, then forgotten.
        let ended = sessions.drain(nowMs: 91_000)
        #expect(ended.count == 2 && ended.allSatisfy(\.ended) && sessions.openCount == 0)
    }

    @Test func aPauseCountsNothingAndSessionsAreBounded() {
        var sessions = ViewerSessions(idPrefix: "t", idleMs: 60_000, maxGapMs: 12_000, maxSessions: 2)
        sessions.record(request("a", "720p", at: 0))
        sessions.record(request("a", "720p", at: 40_000))  // a 40 s pause
        sessions.record(request("a", "720p", at: 42_000))
        sessions.record(request("b", "720p", at: 0))
        sessions.record(request("c", "720p", at: 0))  // over the bound
        let changed = sessions.drain(nowMs: 43_000)
        #expect(changed.count == 2 && sessions.refusedSessions == 1)
        #expect(changed.first { $0.bytes == 3000 }?.secondsWatched == 2)
    }

    @Test func playersAreNamedFromTheirUserAgent() {
        #expect(PlayerKind.of(userAgent: "Lavf/59.27.100") == "ffmpeg")
        #expect(PlayerKind.of(userAgent: "GStreamer souphttpsrc 1.22.0 libsoup/3.2.2") == "gstreamer")
        #expect(PlayerKind.of(userAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0") == "browser")
        #expect(PlayerKind.of(userAgent: nil) == "unknown")
    }
}
