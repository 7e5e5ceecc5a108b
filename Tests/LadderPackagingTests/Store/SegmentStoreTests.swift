import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

@Suite struct SegmentStoreTests {
    @Test func segmentsAreImmutableWithMediaContentTypes() throws {
        let store = SegmentStore()
        try store.put(stream: "cam", path: "720p/seg-1.m4s", data: [1, 2], kind: .mediaSegment(.video))
        try store.put(stream: "cam", path: "audio/init-1.mp4", data: [3], kind: .initSegment(.audio))
        let segment = try #require(store.get(stream: "cam", path: "720p/seg-1.m4s"))
        #expect(segment.bytes == [1, 2])
        #expect(segment.contentType == "video/mp4")
        #expect(segment.isImmutable)
        #expect(!segment.isLiveManifest)
        #expect(store.get(stream: "cam", path: "audio/init-1.mp4")?.contentType == "audio/mp4")
        #expect(store.get(stream: "cam", path: "720p/seg-2.m4s") == nil)
        #expect(store.get(stream: "other", path: "720p/seg-1.m4s") == nil)
    }

    @Test func manifestsArePublishedTogetherWithTheState() throws {
        let store = SegmentStore()
        try store.publishManifests(
            stream: "cam", files: ["master.m3u8": [1], "manifest.mpd": [2], "720p/index.m3u8": [3]], state: .live)
        let master = try #require(store.get(stream: "cam", path: "master.m3u8"))
        #expect(master.contentType == "application/vnd.apple.mpegurl")
        #expect(master.isLiveManifest)
        #expect(!master.isImmutable)
        #expect(store.get(stream: "cam", path: "manifest.mpd")?.contentType == "application/dash+xml")
        let before = master.version

        try store.publishManifests(stream: "cam", files: ["master.m3u8": [9]], state: .ended)
        let ended = try #require(store.get(stream: "cam", path: "master.m3u8"))
        #expect(ended.bytes == [9])
        #expect(ended.version > before)
        #expect(ended.streamState == .ended)
        #expect(!ended.isLiveManifest)
        // Files not in the new set stay, and report the stream's current state.
        #expect(store.get(stream: "cam", path: "720p/index.m3u8")?.streamState == .ended)
        #expect(store.streamState("cam") == .ended)
    }

    @Test func manifestsMustBePlaylistsOrMPDs() {
        let store = SegmentStore()
        #expect(throws: SegmentStoreError.invalidPath("x/seg-1.m4s")) {
            try store.publishManifests(stream: "cam", files: ["x/seg-1.m4s": [1]])
        }
        #expect(store.streams().isEmpty)
    }

    @Test func pathsCannotEscapeTheStream() {
        let store = SegmentStore()
        for path in ["../x.m4s", "a/../../x", "/etc/passwd", "a//b", "./a", "a\\b", "a/\u{0}b", ""] {
            #expect(throws: SegmentStoreError.invalidPath(path)) {
                try store.put(stream: "cam", path: path, data: [], kind: .mediaSegment(.video))
            }
            #expect(store.get(stream: "cam", path: path) == nil)
        }
        for stream in ["..", ".", "a/b", ""] {
            #expect(throws: SegmentStoreError.invalidStreamName(stream)) {
                try store.put(stream: stream, path: "a.m4s", data: [], kind: .mediaSegment(.video))
            }
        }
    }

    @Test func deleteListAndRemove() throws {
        let store = SegmentStore()
        try store.put(stream: "b", path: "720p/seg-1.m4s", data: [1, 2, 3], kind: .mediaSegment(.video))
        try store.put(stream: "b", path: "720p/seg-2.m4s", data: [4], kind: .mediaSegment(.video))
        try store.put(stream: "a", path: "audio/seg-1.m4s", data: [5], kind: .mediaSegment(.audio))
        #expect(store.streams().map(\.name) == ["a", "b"])
        #expect(store.streams().last?.byteCount == 4)
        store.delete(stream: "b", path: "720p/seg-1.m4s")
        #expect(store.get(stream: "b", path: "720p/seg-1.m4s") == nil)
        #expect(store.paths(stream: "b") == ["720p/seg-2.m4s"])
        #expect(store.streams().last?.byteCount == 1)
        store.removeStream("b")
        #expect(store.streams().map(\.name) == ["a"])
        #expect(store.get(stream: "b", path: "720p/seg-2.m4s") == nil)
    }

    @Test func writeAllExportsTheStream() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let store = SegmentStore()
        try store.put(stream: "vod", path: "360p/seg-1.m4s", data: [1], kind: .mediaSegment(.video))
        try store.publishManifests(stream: "vod", files: ["master.m3u8": [2], "360p/index.m3u8": [3]], state: .ended)
        try store.writeAll(stream: "vod", to: directory.path + "/")
        #expect(directory.files() == ["360p/index.m3u8", "360p/seg-1.m4s", "master.m3u8"])
        #expect(directory.read("360p/seg-1.m4s") == [1])
        #expect(throws: SegmentStoreError.unknownStream("none")) {
            try store.writeAll(stream: "none", to: directory.path)
        }
    }

    @Test func concurrentWritersAndReaders() async throws {
        let store = SegmentStore()
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    for number in 0..<200 {
                        try? store.put(
                            stream: "s", path: "r\(writer)/seg-\(number).m4s", data: [UInt8(number & 0xFF)],
                            kind: .mediaSegment(.video))
                        _ = store.get(stream: "s", path: "r\(writer)/seg-\(number / 2).m4s")
                    }
                }
            }
        }
        #expect(store.paths(stream: "s").count == 800)
        #expect(store.streams().first?.byteCount == 800)
    }
}
