import Foundation
import LadderMedia
import Testing

@testable import LadderPackaging

/// DVR (time shift, profile `dvr_seconds`): playlists and the MPD list more than the window, and
/// what is older than the window leaves memory (the stream's recording serves it).
@Suite struct PackagerDVRTests {
    @Test func listsTheDVRDepthButKeepsOnlyTheWindowInMemory() throws {
        let store = SegmentStore()
        let config = PackagerConfig(
            mode: .live, segmentSeconds: 2, windowSegments: 3, deletionGraceSegments: 2, dvrSegments: 10)
        let packager = StreamPackager(streamName: "cam", config: config, store: store)
        packager.begin(tracks: SyntheticLadder.tracks())
        SyntheticLadder.feed(packager, seconds: 40)
        let stream = StoredStream(store: store, name: "cam")
        // 19 segments published (the 20th waits for the next keyframe): the last 10 are listed.
        #expect(stream.segmentURIs("720p") == (10...19).map { "seg-\($0).m4s" })
        #expect(stream.tagValue("720p", "#EXT-X-MEDIA-SEQUENCE") == "10")
        let inMemory = store.paths(stream: "cam").filter { $0.hasPrefix("720p/seg-") }
        #expect(inMemory.count == 5, "window + grace: \(inMemory)")
        #expect(store.get(stream: "cam", path: "720p/seg-14.m4s") == nil)
        #expect(store.get(stream: "cam", path: "720p/seg-15.m4s") != nil)
        #expect(store.get(stream: "cam", path: "720p/init-1.mp4") != nil, "listed segments keep their init")
        let mpd = try #require(stream.text("manifest.mpd"))
        #expect(mpd.contains("timeShiftBufferDepth=\"PT20S\""))
    }

    @Test func withoutDVRTheWindowIsBothListedAndKept() {
        let store = SegmentStore()
        let packager = StreamPackager(
            streamName: "cam",
            config: PackagerConfig(
                mode: .live, segmentSeconds: 2, windowSegments: 3,
                deletionGraceSegments: 2), store: store)
        packager.begin(tracks: SyntheticLadder.tracks())
        SyntheticLadder.feed(packager, seconds: 40)
        let stream = StoredStream(store: store, name: "cam")
        #expect(stream.segmentURIs("720p") == (17...19).map { "seg-\($0).m4s" })
        #expect(store.paths(stream: "cam").filter { $0.hasPrefix("720p/seg-") }.count == 5)
    }

    @Test func vodIgnoresDVR() {
        #expect(PackagerConfig(mode: .vod, dvrSegments: 10).dvrSegments == 0)
        #expect(PackagerConfig(mode: .live, windowSegments: 6, dvrSegments: 4).listedSegments == 6)
    }
}
