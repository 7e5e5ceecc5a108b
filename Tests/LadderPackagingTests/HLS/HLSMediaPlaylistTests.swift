import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

@Suite struct HLSMediaPlaylistTests {
    static let base: Int64 = 1_795_255_200_000  // 2026-11-21T10:00:00.000Z

    static func segment(
        _ number: Int, ticks: Int64 = 180000, discontinuity: Bool = false, map: Int = 1, at ms: Int64
    )
        -> HLSMediaPlaylist.Segment
    {
        HLSMediaPlaylist.Segment(
            uri: "seg-\(number).m4s", durationTicks: ticks, timescale: 90000, isDiscontinuity: discontinuity,
            mapURI: "init-\(map).mp4", programDateTimeMs: base + ms)
    }

    @Test func liveWindow() {
        let playlist = HLSMediaPlaylist(
            targetDuration: 2, mediaSequence: 41, discontinuitySequence: 0, playlistType: nil,
            segments: [Self.segment(41, at: 0), Self.segment(42, ticks: 180180, at: 2000), Self.segment(43, at: 4002)],
            hasEndList: false)
        #expect(
            playlist.render() == """
                #EXTM3U
                #EXT-X-VERSION:7
                #EXT-X-TARGETDURATION:2
                #EXT-X-MEDIA-SEQUENCE:41
                #EXT-X-DISCONTINUITY-SEQUENCE:0
                #EXT-X-INDEPENDENT-SEGMENTS
                #EXT-X-MAP:URI="init-1.mp4"
                #EXT-X-PROGRAM-DATE-TIME:2026-11-21T10:00:00.000Z
                #EXTINF:2.000000,
                seg-41.m4s
                #EXT-X-PROGRAM-DATE-TIME:2026-11-21T10:00:02.000Z
                #EXTINF:2.002000,
                seg-42.m4s
                #EXT-X-PROGRAM-DATE-TIME:2026-11-21T10:00:04.002Z
                #EXTINF:2.000000,
                seg-43.m4s

                """)
    }

    @Test func discontinuityWithNewMapAndEndList() {
        let playlist = HLSMediaPlaylist(
            targetDuration: 2, mediaSequence: 7, discontinuitySequence: 3, playlistType: nil,
            segments: [
                Self.segment(7, ticks: 90000, at: 0),
                Self.segment(8, discontinuity: true, at: 30000),
                Self.segment(9, discontinuity: true, map: 2, at: 60000),
                Self.segment(10, map: 2, at: 62000),
            ],
            hasEndList: true)
        #expect(
            playlist.render() == """
                #EXTM3U
                #EXT-X-VERSION:7
                #EXT-X-TARGETDURATION:2
                #EXT-X-MEDIA-SEQUENCE:7
                #EXT-X-DISCONTINUITY-SEQUENCE:3
                #EXT-X-INDEPENDENT-SEGMENTS
                #EXT-X-MAP:URI="init-1.mp4"
                #EXT-X-PROGRAM-DATE-TIME:2026-11-21T10:00:00.000Z
                #EXTINF:1.000000,
                seg-7.m4s
                #EXT-X-DISCONTINUITY
                #EXT-X-MAP:URI="init-1.mp4"
                #EXT-X-PROGRAM-DATE-TIME:2026-11-21T10:00:30.000Z
                #EXTINF:2.000000,
                seg-8.m4s
                #EXT-X-DISCONTINUITY
                #EXT-X-MAP:URI="init-2.mp4"
                #EXT-X-PROGRAM-DATE-TIME:2026-11-21T10:01:00.000Z
                #EXTINF:2.000000,
                seg-9.m4s
                #EXT-X-PROGRAM-DATE-TIME:2026-11-21T10:01:02.000Z
                #EXTINF:2.000000,
                seg-10.m4s
                #EXT-X-ENDLIST

                """)
    }

    @Test func vodWithoutProgramDateTime() {
        let segments = [
            HLSMediaPlaylist.Segment(
                uri: "seg-1.m4s", durationTicks: 96256, timescale: 48000, isDiscontinuity: false, mapURI: "init-1.mp4",
                programDateTimeMs: nil)
        ]
        let playlist = HLSMediaPlaylist(
            targetDuration: 2, mediaSequence: 1, discontinuitySequence: 0, playlistType: .vod, segments: segments,
            hasEndList: true)
        #expect(
            playlist.render() == """
                #EXTM3U
                #EXT-X-VERSION:7
                #EXT-X-TARGETDURATION:2
                #EXT-X-MEDIA-SEQUENCE:1
                #EXT-X-DISCONTINUITY-SEQUENCE:0
                #EXT-X-PLAYLIST-TYPE:VOD
                #EXT-X-INDEPENDENT-SEGMENTS
                #EXT-X-MAP:URI="init-1.mp4"
                #EXTINF:2.005333,
                seg-1.m4s
                #EXT-X-ENDLIST

                """)
    }

    @Test func targetDurationRoundsToNearest() {
        #expect(HLSMediaPlaylist.targetDuration(maxDurationTicks: 180180, timescale: 90000) == 2)
        #expect(HLSMediaPlaylist.targetDuration(maxDurationTicks: 225000, timescale: 90000) == 3)  // 2.5 s
        #expect(HLSMediaPlaylist.targetDuration(maxDurationTicks: 224999, timescale: 90000) == 2)
        #expect(HLSMediaPlaylist.targetDuration(maxDurationTicks: 100, timescale: 90000) == 1)
        #expect(HLSMediaPlaylist.targetDuration(maxDurationTicks: 0, timescale: 0) == 1)
    }

    @Test func urisCannotBreakLines() {
        let segments = [
            HLSMediaPlaylist.Segment(
                uri: "seg\n#EXT-X-ENDLIST\n1.m4s", durationTicks: 1, timescale: 1, isDiscontinuity: false,
                mapURI: "init\".mp4", programDateTimeMs: nil)
        ]
        let text = HLSMediaPlaylist(
            targetDuration: 1, mediaSequence: 0, discontinuitySequence: 0, playlistType: nil, segments: segments,
            hasEndList: false
        ).render()
        #expect(!text.contains("\n#EXT-X-ENDLIST"))
        #expect(text.contains("#EXT-X-MAP:URI=\"init.mp4\""))
    }
}

/// The LL-HLS tags (RFC 8216bis 4.4.3.7, 4.4.3.8, 4.4.4.9, 4.4.5.2-4).
@Suite struct HLSMediaPlaylistLowLatencyTests {
    static func part(_ uri: String, _ ticks: Int64, independent: Bool = false) -> HLSMediaPlaylist.Part {
        HLSMediaPlaylist.Part(uri: uri, durationTicks: ticks, timescale: 90000, isIndependent: independent)
    }

    static let playlist = HLSMediaPlaylist(
        targetDuration: 1, mediaSequence: 7, discontinuitySequence: 0, playlistType: nil,
        segments: [
            HLSMediaPlaylist.Segment(
                uri: "seg-7.m4s", durationTicks: 90000, timescale: 90000, isDiscontinuity: false,
                mapURI: "init-1.mp4", programDateTimeMs: nil),
            HLSMediaPlaylist.Segment(
                uri: "seg-8.m4s", durationTicks: 90000, timescale: 90000, isDiscontinuity: false,
                mapURI: "init-1.mp4", programDateTimeMs: nil,
                parts: [part("part-8.0.m4s", 45000, independent: true), part("part-8.1.m4s", 45000)]),
        ],
        hasEndList: false,
        lowLatency: HLSMediaPlaylist.LowLatency(
            partTargetSeconds: 0.524, partHoldBackSeconds: 1.572,
            pendingParts: [part("part-9.0.m4s", 45000, independent: true)], preloadHintURI: "part-9.1.m4s",
            renditionReports: [
                HLSMediaPlaylist.RenditionReport(uri: "../audio/index.m3u8", lastMediaSequence: 9, lastPart: 0)
            ], canSkipUntilSeconds: 6))

    @Test func partsHintsAndReports() {
        #expect(
            Self.playlist.render() == """
                #EXTM3U
                #EXT-X-VERSION:7
                #EXT-X-TARGETDURATION:1
                #EXT-X-MEDIA-SEQUENCE:7
                #EXT-X-DISCONTINUITY-SEQUENCE:0
                #EXT-X-INDEPENDENT-SEGMENTS
                #EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=6.000,PART-HOLD-BACK=1.572
                #EXT-X-PART-INF:PART-TARGET=0.524
                #EXT-X-MAP:URI="init-1.mp4"
                #EXTINF:1.000000,
                seg-7.m4s
                #EXT-X-PART:DURATION=0.50000,URI="part-8.0.m4s",INDEPENDENT=YES
                #EXT-X-PART:DURATION=0.50000,URI="part-8.1.m4s"
                #EXTINF:1.000000,
                seg-8.m4s
                #EXT-X-PART:DURATION=0.50000,URI="part-9.0.m4s",INDEPENDENT=YES
                #EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-9.1.m4s"
                #EXT-X-RENDITION-REPORT:URI="../audio/index.m3u8",LAST-MSN=9,LAST-PART=0

                """)
    }

    @Test func aDeltaUpdateSkipsWhatEndsCanSkipUntilBeforeTheEnd() throws {
        var long = Self.playlist
        long.segments = (1...8).map { number in
            HLSMediaPlaylist.Segment(
                uri: "seg-\(number).m4s", durationTicks: 90000, timescale: 90000, isDiscontinuity: false,
                mapURI: "init-1.mp4", programDateTimeMs: nil)
        }
        long.mediaSequence = 1
        let delta = try #require(PackagerCore.deltaUpdate(of: long))
        // 8 s listed, CAN-SKIP-UNTIL 6 s: segments 1 and 2 end at least 6 s before the end.
        #expect(delta.lowLatency?.skippedSegments == 2)
        #expect(delta.segments.map(\.uri).first == "seg-3.m4s")
        let text = delta.render()
        #expect(text.contains("#EXT-X-VERSION:9\n"))
        #expect(text.contains("#EXT-X-MEDIA-SEQUENCE:1\n"), "the sequence still names the first, skipped, one")
        #expect(text.contains("#EXT-X-PART-INF:PART-TARGET=0.524\n#EXT-X-SKIP:SKIPPED-SEGMENTS=2\n"))
        var closed = long
        closed.lowLatency?.canSkipUntilSeconds = nil
        #expect(PackagerCore.deltaUpdate(of: closed) == nil, "no delta updates where none is offered")
    }
}
