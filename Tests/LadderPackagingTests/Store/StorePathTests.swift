import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

@Suite struct StorePathTests {
    @Test func acceptsTheStreamLayout() {
        for path in ["master.m3u8", "manifest.mpd", "720p/index.m3u8", "audio/init-1.mp4", "360p/seg-12.m4s"] {
            #expect(StorePath.isValidPath(path))
        }
        #expect(StorePath.isValidStreamName("my-stream_1"))
    }

    @Test func rejectsEscapes() {
        for path in [
            "..", "../a", "a/..", "a/./b", "/a", "a/", "a\\..\\b", "a\u{7F}", String(repeating: "a", count: 2000),
        ] {
            #expect(!StorePath.isValidPath(path))
        }
        #expect(!StorePath.isValidStreamName("a/b"))
    }
}
