import Hummingbird
import HummingbirdTesting
import Ladder
import NIOCore
import Testing

@testable import Gateway

/// Stream files are served with the store's type (`StoredFileKind.contentType`), whatever their
/// extension: audio CMAF segments are audio/mp4 (RFC 4337), as the MPD's AdaptationSet says.
@Suite struct OriginContentTypeTests {
    @Test func storedFilesAreServedWithTheStoreKindsType() async throws {
        let store = SegmentStore(storedForm: { SharedBody($0) })
        let files: [(String, StoredFileKind)] = [
            ("720p/init-1.mp4", .initSegment(.video)),
            ("720p/seg-1.m4s", .mediaSegment(.video)),
            ("audio/init-1.mp4", .initSegment(.audio)),
            ("audio/seg-1.m4s", .mediaSegment(.audio)),
        ]
        for (path, kind) in files {
            try store.put(stream: "cam", path: path, data: [0, 1, 2], kind: kind)
        }
        try store.publishManifests(
            stream: "cam", files: ["master.m3u8": Array("#EXTM3U\n".utf8), "manifest.mpd": Array("<MPD/>".utf8)])
        let content = StoreOriginContent(store: store, segmentSeconds: { _ in 2 })
        let responder = OriginResponder.fixture(content: content)
        let expected =
            files.map { ($0.0, $0.1.contentType) } + [
                ("master.m3u8", "application/vnd.apple.mpegurl"), ("manifest.mpd", "application/dash+xml"),
            ]
        try await Application(responder: responder).test(.router) { client in
            for (path, type) in expected {
                let response = try await client.execute(uri: "/live/cam/\(path)", method: .get)
                #expect(response.status == .ok, "\(path)")
                #expect(response.headers[.contentType] == type, "\(path)")
            }
        }
        #expect(files.map(\.1.contentType) == ["video/mp4", "video/mp4", "audio/mp4", "audio/mp4"])
    }

    @Test func dashMimeTypesAreTheSegmentTypes() {
        #expect(StoredFileKind.Media.video.mimeType == StoredFileKind.mediaSegment(.video).contentType)
        #expect(StoredFileKind.Media.audio.mimeType == StoredFileKind.initSegment(.audio).contentType)
    }
}
