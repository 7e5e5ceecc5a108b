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
