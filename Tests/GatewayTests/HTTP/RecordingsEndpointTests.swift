import Foundation
import GatewayAccess
import Hummingbird
import HummingbirdTesting
import Ladder
import LadderTestSupport
import NIOCore
import NIOHTTP1
import Testing

@testable import Gateway

/// `/vod/NAME/ID/...` and `/api/recordings` over a real library in a temp directory.
@Suite struct RecordingsEndpointTests {
    static let video = RecordedTrack(TrackFixtures.video720)
    static let audio = RecordedTrack(TrackFixtures.stereoAAC)

    /// Records `segments` two-second segments of "cam" (fake bytes); ends the stream if `end`.
    static func record(_ library: RecordingLibrary, segments: Int, end: Bool) {
        for number in 1...segments {
            let start = Int64(number - 1) * 180_000
            library.record(
                stream: "cam",
                segment: RecordedSegment(
                    number: number, isDiscontinuity: false, programDateTimeMs: 1_795_255_200_000 + start / 90,
                    renditions: [
                        .init(
                            track: video, initVersion: 1, initBytes: [1, 2, 3],
                            bytes: Array(repeating: UInt8(number), count: 1000),
                            startTicks: start, durationTicks: 180_000),
                        .init(
                            track: audio, initVersion: 1, initBytes: [4, 5], bytes: Array(repeating: 9, count: 100),
                            startTicks: start * 48 / 90, durationTicks: 96_000),
                    ]))
        }
        if end { library.streamEnded(stream: "cam", atMs: 1_795_255_300_000) }
        library.flushWrites()
    }

    func withOrigin(
        library: RecordingLibrary?, adminToken: String? = nil,
        _ body: @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        var settings = OriginSettings()
        settings.admin = AdminAuth(token: adminToken)
        var responder = OriginResponder.fixture(settings: settings)
        responder.recordings = library.map { RecordingsEndpoint(library: $0) }
        try await Application(responder: responder).test(.router, body)
    }

    @Test func servesACompleteRecordingsFilesWithTheirTypesAndRanges() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let library = RecordingLibrary(policy: RecordingPolicy(directory: directory.path))
        Self.record(library, segments: 3, end: true)
        let id = try #require(library.list().first?.id)
        try await withOrigin(library: library) { client in
            let list = try await client.execute(uri: "/api/recordings?stream=cam", method: .get)
            #expect(list.status == .ok)
            let text = String(buffer: list.body)
            #expect(text.contains("\"hls\" : \"/vod/cam/\(id)/master.m3u8\""))
            #expect(text.contains("\"state\" : \"complete\"") && text.contains("\"duration_seconds\" : 6"))
            let other = try await client.execute(uri: "/api/recordings?stream=other", method: .get)
            #expect(String(buffer: other.body).contains("\"recordings\" : [\n\n  ]"))

            let segment = try await client.execute(uri: "/vod/cam/\(id)/720p/seg-2.m4s", method: .get)
            #expect(segment.status == .ok)
            #expect(Array(buffer: segment.body) == Array(repeating: 2, count: 1000))
            let again = try await client.execute(uri: "/vod/cam/\(id)/720p/seg-2.m4s", method: .get)
            #expect(Array(buffer: again.body) == Array(repeating: 2, count: 1000), "the same bytes from memory")
            #expect(segment.headers[.contentType] == "video/mp4")
            #expect(segment.headers[.cacheControl] == "public, max-age=31536000, immutable")
            let audio = try await client.execute(uri: "/vod/cam/\(id)/audio/init-1.mp4", method: .get)
            #expect(audio.headers[.contentType] == "audio/mp4" && Array(buffer: audio.body) == [4, 5])
            let range = try await client.execute(
                uri: "/vod/cam/\(id)/720p/seg-3.m4s", method: .get, headers: [.range: "bytes=10-19"])
            #expect(range.status == .partialContent && range.headers[.contentRange] == "bytes 10-19/1000")
            #expect(range.body.readableBytes == 10)
            let playlist = try await client.execute(uri: "/vod/cam/\(id)/720p/index.m3u8", method: .get)
            #expect(String(buffer: playlist.body).contains("#EXT-X-PLAYLIST-TYPE:VOD"))
            #expect(playlist.headers[.contentType] == "application/vnd.apple.mpegurl")
            let mpd = try await client.execute(uri: "/vod/cam/\(id)/manifest.mpd", method: .get)
            #expect(mpd.headers[.contentType] == "application/dash+xml")
        }
    }

    @Test func aClosedRecordingsFileOnceReadIsServedByTheHotPath() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let library = RecordingLibrary(policy: RecordingPolicy(directory: directory.path))
        Self.record(library, segments: 2, end: true)
        let id = try #require(library.list().first?.id)
        var responder = OriginResponder.fixture()
        responder.recordings = RecordingsEndpoint(library: library)
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/vod/cam/\(id)/720p/seg-1.m4s")
        #expect(responder.fastFile(for: head, peer: nil) == nil, "not read yet: the responder reads it")
        try await Application(responder: responder).test(.router) { client in
            let response = try await client.execute(uri: "/vod/cam/\(id)/720p/seg-1.m4s", method: .get)
            #expect(response.status == .ok)
        }
        let fast = try #require(responder.fastFile(for: head, peer: nil))
        #expect(fast.stream.isEmpty, "VOD bytes, not a live stream's viewer")
        #expect(Array(buffer: fast.file.body) == Array(repeating: 1, count: 1000))
        #expect(fast.file.cache == .immutable && fast.file.contentType == "video/mp4")
        let other = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/vod/other/\(id)/720p/seg-1.m4s")
        #expect(responder.fastFile(for: other, peer: nil) == nil)
    }

    @Test func refusesTraversalTheJournalAndUnknownRecordings() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let library = RecordingLibrary(policy: RecordingPolicy(directory: directory.path))
        Self.record(library, segments: 1, end: true)
        let id = try #require(library.list().first?.id)
        try await withOrigin(library: library) { client in
            for path in [
                "/vod/cam/\(id)/../../../etc/passwd", "/vod/cam/\(id)/%2e%2e/x", "/vod/cam/..%2f..%2fetc/x/y",
                "/vod/cam/\(id)/720p%2fseg-1.m4s",
            ] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .badRequest, "\(path)")
            }
            for path in [
                "/vod/cam/\(id)/index.jsonl", "/vod/cam/nope/master.m3u8", "/vod/other/\(id)/master.m3u8",
                "/vod/cam/\(id)/720p/.seg-1.m4s.1.1.tmp",
                "/vod/cam/\(id)/", "/vod/cam/\(id)/720p/seg-9.m4s",
            ] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .notFound, "\(path)")
            }
        }
    }

    @Test func aRecordingInProgressIsAnEventPlaylistWithoutMPDOrDownloadYet() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let library = RecordingLibrary(policy: RecordingPolicy(directory: directory.path))
        Self.record(library, segments: 2, end: false)
        let id = try #require(library.list().first?.id)
        try await withOrigin(library: library, adminToken: "0123456789abcdef") { client in
            let playlist = try await client.execute(uri: "/vod/cam/\(id)/720p/index.m3u8", method: .get)
            let text = String(buffer: playlist.body)
            #expect(text.contains("#EXT-X-PLAYLIST-TYPE:EVENT") && !text.contains("ENDLIST"))
            #expect(playlist.headers[.cacheControl] == "public, max-age=1")
            let master = try await client.execute(uri: "/vod/cam/\(id)/master.m3u8", method: .get)
            #expect(String(buffer: master.body).contains("720p/index.m3u8"))
            let mpd = try await client.execute(uri: "/vod/cam/\(id)/manifest.mpd", method: .get)
            #expect(mpd.status == .notFound && String(buffer: mpd.body).contains("recording in progress"))
            let delete = try await client.execute(
                uri: "/api/recordings/\(id)", method: .delete, headers: [.authorization: "Bearer 0123456789abcdef"])
            #expect(delete.status == .conflict)
        }
    }

    @Test func deletingNeedsTheAdminToken() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let library = RecordingLibrary(policy: RecordingPolicy(directory: directory.path))
        Self.record(library, segments: 1, end: true)
        let id = try #require(library.list().first?.id)
        try await withOrigin(library: library, adminToken: "0123456789abcdef") { client in
            for authorization in [nil, "Bearer wrong", "Bearer 0123456789abcdeF", "Basic 0123456789abcdef"] {
                let refused = try await client.execute(
                    uri: "/api/recordings/\(id)", method: .delete,
                    headers: authorization.map { [.authorization: $0] } ?? [:])
                #expect(refused.status == .forbidden)
                #expect(!String(buffer: refused.body).contains("0123456789abcdef"), "never the secret")
            }
            #expect(library.summary(id: id) != nil)
            let deleted = try await client.execute(
                uri: "/api/recordings/\(id)", method: .delete, headers: [.authorization: "Bearer 0123456789abcdef"])
            #expect(deleted.status == .ok)
            #expect(!directory.exists("cam/\(id)"))
            let again = try await client.execute(
                uri: "/api/recordings/\(id)", method: .delete, headers: [.authorization: "Bearer 0123456789abcdef"])
            #expect(again.status == .notFound)
        }
    }

    @Test func withoutRecordingTheRoutesSaySo() async throws {
        try await withOrigin(library: nil) { client in
            let list = try await client.execute(uri: "/api/recordings", method: .get)
            #expect(list.status == .notFound && String(buffer: list.body).contains("recording is not configured"))
            let file = try await client.execute(uri: "/vod/cam/x/master.m3u8", method: .get)
            #expect(file.status == .notFound)
        }
    }
}
