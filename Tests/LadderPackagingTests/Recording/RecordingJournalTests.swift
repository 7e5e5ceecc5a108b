import Foundation
import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

/// The journal's lines and the index and manifests they rebuild (golden text).
@Suite struct RecordingJournalTests {
    static let video = RecordedTrack(TrackFixtures.video720)
    static let audio = RecordedTrack(TrackFixtures.stereoAAC)

    static func segment(_ number: Int, discontinuity: Bool = false, start: Int64) -> RecordingIndex.Segment {
        RecordingIndex.Segment(
            number: number, isDiscontinuity: discontinuity, programDateTimeMs: 1_795_255_200_000 + start / 90,
            renditions: [
                "720p": RecordingIndex.Entry(
                    initVersion: 1, startTicks: start, durationTicks: 180_000, byteCount: 500_000),
                "audio": RecordingIndex.Entry(
                    initVersion: 1, startTicks: start * 48 / 90, durationTicks: 96_000, byteCount: 32_000),
            ])
    }

    static var entries: [RecordingJournal.Entry] {
        [
            .start(id: "20261206T081530Z", stream: "cam", atMs: 1_795_255_200_000),
            .track(version: 1, video), .initSegment(rendition: "720p", version: 1, byteCount: 700),
            .track(version: 1, audio), .initSegment(rendition: "audio", version: 1, byteCount: 600),
            .segment(segment(7, start: 0)), .segment(segment(8, start: 180_000)),
            .segment(segment(9, discontinuity: true, start: 900_000)),
        ]
    }

    @Test func linesRoundTripAndATornOrForeignLineIsSkipped() throws {
        var bytes = Self.entries.flatMap(RecordingJournal.line)
        bytes += Array("not json\n{\"type\":\"segment\",\"number\":3}\n{\"type\":\"segm".utf8)
        let parsed = RecordingJournal.parse(bytes)
        let index = try #require(parsed.index)
        #expect(parsed.damagedLines == 3)
        #expect(index.id == "20261206T081530Z" && index.stream == "cam" && index.state == .recording)
        #expect(index.segments.map(\.number) == [7, 8, 9])
        #expect(index.segments[2].isDiscontinuity)
        #expect(index.tracks["720p"]?[1] == Self.video)
        #expect(index.renditionOrder == ["720p", "audio"])
        #expect(index.byteCount == 700 + 600 + 3 * 532_000)
        #expect(abs(index.durationSeconds - 6) < 1e-9)
        #expect(RecordingJournal.parse(Array("{\"type\":\"end\"}\n".utf8)).index == nil, "no start line, no index")
    }

    @Test func anEndLineClosesTheIndex() throws {
        let bytes = (Self.entries + [.end(atMs: 1_795_255_210_000, state: .complete)]).flatMap(RecordingJournal.line)
        let index = try #require(RecordingJournal.parse(bytes).index)
        #expect(index.state == .complete && index.endMs == 1_795_255_210_000)
    }

    @Test func theVODPlaylistIsGolden() throws {
        var index = try #require(RecordingJournal.parse(Self.entries.flatMap(RecordingJournal.line)).index)
        index.apply(.end(atMs: 1_795_255_210_000, state: .complete))
        let playlist = try #require(RecordingManifests.mediaPlaylist(index, rendition: "720p")).render()
        #expect(
            playlist == """
                #EXTM3U
                #EXT-X-VERSION:7
                #EXT-X-TARGETDURATION:2
                #EXT-X-MEDIA-SEQUENCE:7
                #EXT-X-DISCONTINUITY-SEQUENCE:0
                #EXT-X-PLAYLIST-TYPE:VOD
                #EXT-X-INDEPENDENT-SEGMENTS
                #EXT-X-MAP:URI="init-1.mp4"
                #EXT-X-PROGRAM-DATE-TIME:2026-11-21T10:00:00.000Z
                #EXTINF:2.000000,
                seg-7.m4s
                #EXT-X-PROGRAM-DATE-TIME:2026-11-21T10:00:02.000Z
                #EXTINF:2.000000,
                seg-8.m4s
                #EXT-X-DISCONTINUITY
                #EXT-X-MAP:URI="init-1.mp4"
                #EXT-X-PROGRAM-DATE-TIME:2026-11-21T10:00:10.000Z
                #EXTINF:2.000000,
                seg-9.m4s
                #EXT-X-ENDLIST

                """)
        let master = RecordingManifests.masterPlaylist(index).render()
        #expect(master.contains("CODECS=\"avc1.64001f,mp4a.40.2\",RESOLUTION=1280x720"))
        // 500 kB per 2 s of video plus 32 kB of audio: 2.128 Mbit/s.
        #expect(master.contains("BANDWIDTH=2128000,AVERAGE-BANDWIDTH=2128000"))
    }

    @Test func theStaticMPDHasAPeriodPerEpochPlacedEndToEnd() throws {
        var index = try #require(RecordingJournal.parse(Self.entries.flatMap(RecordingJournal.line)).index)
        index.apply(.end(atMs: 1_795_255_210_000, state: .complete))
        let mpd = RecordingManifests.dashManifest(index).render()
        #expect(mpd.contains("type=\"static\"") && mpd.contains("mediaPresentationDuration=\"PT6S\""))
        #expect(mpd.contains("<Period id=\"p0\" start=\"PT0S\">"))
        #expect(mpd.contains("<Period id=\"p1\" start=\"PT4S\">"))
        #expect(mpd.contains("presentationTimeOffset=\"900000\"") && mpd.contains("startNumber=\"9\""))
        #expect(!mpd.contains("availabilityStartTime"))
    }

    @Test func anEventPlaylistHasNoEndList() throws {
        let index = try #require(RecordingJournal.parse(Self.entries.flatMap(RecordingJournal.line)).index)
        let playlist = try #require(RecordingManifests.mediaPlaylist(index, rendition: "audio")).render()
        #expect(playlist.contains("#EXT-X-PLAYLIST-TYPE:EVENT") && !playlist.contains("#EXT-X-ENDLIST"))
        #expect(RecordingManifests.mediaPlaylist(index, rendition: "1080p") == nil)
    }
}
