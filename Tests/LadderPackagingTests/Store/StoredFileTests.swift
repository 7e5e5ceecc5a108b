import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

@Suite struct StoredFileTests {
    @Test func contentTypesAndCacheability() {
        #expect(StoredFileKind.initSegment(.video).contentType == "video/mp4")
        #expect(StoredFileKind.mediaSegment(.audio).contentType == "audio/mp4")
        #expect(StoredFileKind.hlsPlaylist.contentType == "application/vnd.apple.mpegurl")
        #expect(StoredFileKind.dashManifest.contentType == "application/dash+xml")
        #expect(StoredFileKind.initSegment(.audio).isImmutable)
        #expect(!StoredFileKind.hlsPlaylist.isImmutable)
        #expect(StoredFileKind.manifestKind(forPath: "a/index.m3u8") == .hlsPlaylist)
        #expect(StoredFileKind.manifestKind(forPath: "manifest.mpd") == .dashManifest)
        #expect(StoredFileKind.manifestKind(forPath: "seg-1.m4s") == nil)
    }
}
