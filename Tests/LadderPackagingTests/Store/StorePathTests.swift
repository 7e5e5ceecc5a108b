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

    /// Stream folders follow the one `StreamName` rule, stricter than a path component.
    @Test func streamNamesFollowTheStreamNameRule() {
        for name in ["cam1", "Cam_1-main.v2", "a..b", String(repeating: "n", count: 128)] {
            #expect(StorePath.isValidStreamName(name), "\(name)")
            #expect(StreamName.isValid(name), "\(name)")
        }
        for name in [
            "", ".", "..", ".hidden", "a b", "caf\u{E9}", "a\\b", "a%2f", "x\u{7F}", "a:b",
            String(repeating: "n", count: 129),
        ] {
            #expect(!StorePath.isValidStreamName(name), "\(name)")
            #expect(!StreamName.isValid(name), "\(name)")
        }
        // A path component is looser: file names inside a stream may use spaces.
        #expect(StorePath.isValidComponent("a b"))
    }
}
