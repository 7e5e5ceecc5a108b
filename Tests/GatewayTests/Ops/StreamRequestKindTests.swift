import Testing

@testable import Gateway

@Suite struct StreamRequestKindTests {
    @Test func namesEachFileThePackagerWrites() {
        #expect(StreamRequestKind.of(path: "master.m3u8", query: nil) == .playlist)
        #expect(StreamRequestKind.of(path: "720p/index.m3u8", query: "_HLS_msn=4&_HLS_part=1") == .blockingReload)
        #expect(StreamRequestKind.of(path: "720p/index.m3u8", query: "_HLS_skip=YES") == .playlist)
        #expect(StreamRequestKind.of(path: "manifest.mpd", query: nil) == .manifest)
        #expect(StreamRequestKind.of(path: "720p/init-0.mp4", query: nil) == .initSegment)
        #expect(StreamRequestKind.of(path: "720p/seg-41.m4s", query: nil) == .segment)
        #expect(StreamRequestKind.of(path: "audio/part-41.2.m4s", query: nil) == .part)
        #expect(StreamRequestKind.of(path: "thumb.jpg", query: nil) == .other)
    }
}
