import Foundation
import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

/// A packager that continues an earlier one's numbering (a restart, or a retired stream
/// published again): RFC 8216 6.2.1/6.2.2 and ISO/IEC 23009-1 Period ids.
@Suite struct StreamContinuationTests {
    @Test func aContinuedStreamKeepsCountingAfterADiscontinuity() throws {
        let store = SegmentStore()
        let reports = Locked<[StreamContinuation]>([])
        let packager = StreamPackager(
            streamName: "cam", config: .live(segmentSeconds: 2, windowSegments: 10), store: store,
            continuing: StreamContinuation(nextSequence: 120, discontinuitySequence: 3, nextPeriod: 9),
            onContinuation: { value in reports.withLock { $0.append(value) } })
        #expect(
            reports.withLock { $0 } == [StreamContinuation(nextSequence: 120, discontinuitySequence: 3, nextPeriod: 9)],
            "reported before anything is published")
        packager.begin(tracks: SyntheticLadder.tracks())
        SyntheticLadder.feed(packager, seconds: 6)
        let stream = StoredStream(store: store, name: "cam")
        let playlist = try #require(stream.text("720p/index.m3u8"))
        #expect(stream.tagValue("720p", "#EXT-X-MEDIA-SEQUENCE") == "120")
        #expect(stream.tagValue("720p", "#EXT-X-DISCONTINUITY-SEQUENCE") == "3")
        #expect(playlist.contains("#EXT-X-DISCONTINUITY\n"), "the first segment follows an unknown past")
        #expect(stream.segmentURIs("audio").first == "seg-120.m4s")
        let mpd = try #require(stream.text("manifest.mpd"))
        #expect(mpd.contains("<Period id=\"p9\""), "a Period id never used before")

        let last = try #require(reports.withLock { $0.last })
        #expect(last.nextSequence == 120 + stream.segmentURIs("720p").count)
        #expect(last.discontinuitySequence == 4 && last.nextPeriod == 10)
        let values = reports.withLock { $0 }
        #expect(zip(values, values.dropFirst()).allSatisfy { $0.nextSequence <= $1.nextSequence })
    }

    @Test func aFreshStreamStartsAtOneWithoutADiscontinuity() throws {
        let store = SegmentStore()
        let reports = Locked<[StreamContinuation]>([])
        let packager = StreamPackager(
            streamName: "cam", config: .live(segmentSeconds: 2, windowSegments: 10), store: store,
            onContinuation: { value in reports.withLock { $0.append(value) } })
        packager.begin(tracks: SyntheticLadder.tracks())
        SyntheticLadder.feed(packager, seconds: 4)
        let stream = StoredStream(store: store, name: "cam")
        #expect(stream.tagValue("720p", "#EXT-X-MEDIA-SEQUENCE") == "1")
        #expect(try #require(stream.text("720p/index.m3u8")).contains("#EXT-X-DISCONTINUITY\n") == false)
        #expect(
            reports.withLock { $0.first }
                == StreamContinuation(nextSequence: 1, discontinuitySequence: 0, nextPeriod: 0))
    }
}
