import Ladder
import RTMPTestSupport
import RTMPWire
import Testing

@testable import Gateway

@Suite struct OriginRouteTests {
    @Test(arguments: [
        ("/", OriginRoute.index),
        ("/healthz", .healthz),
        ("/time", .time),
        ("/metrics", .metrics),
        ("/api/streams", .streamList),
        ("/api/cluster", .clusterStatus),
        ("/api/cluster/", .clusterStatus),
        ("/api/cluster/x", .notFound),
        ("/api/streams/", .streamList),
        ("/api/streams/cam_1.hd-2", .streamStatus("cam_1.hd-2")),
        ("/live/cam1", .playerRedirect(stream: "cam1")),
        ("/live/cam1/", .playerPage(stream: "cam1")),
        ("/live/cam1/master.m3u8", .streamFile(stream: "cam1", path: "master.m3u8")),
        ("/live/cam1/720p/seg-1.m4s", .streamFile(stream: "cam1", path: "720p/seg-1.m4s")),
        ("/live/cam1/720p/", .notFound),
        ("/live/", .notFound),
        ("/favicon.ico", .notFound),
        ("/api/other", .notFound),
        ("/healthz/x", .notFound),
        ("/api/recordings", .recordingList),
        ("/api/recordings/", .recordingList),
        ("/api/recordings/20261206T081530Z-2", .recording(id: "20261206T081530Z-2")),
        ("/api/recordings/a/b", .notFound),
        (
            "/vod/cam1/20261206T081530Z/master.m3u8",
            .recordingFile(stream: "cam1", id: "20261206T081530Z", path: "master.m3u8")
        ),
        ("/vod/cam1/X/720p/seg-3.m4s", .recordingFile(stream: "cam1", id: "X", path: "720p/seg-3.m4s")),
        ("/vod/cam1/X/", .notFound),
        ("/vod/cam1/X", .notFound),
        ("/vod/cam1", .notFound),
    ])
    func routes(path: String, expected: OriginRoute) {
        #expect(OriginRoute.parse(rawPath: path) == .success(expected))
    }

    @Test func timeIsTheMPDsUTCTimingURL() {
        #expect(OriginRoute.parse(rawPath: PackagerConfig.defaultUTCTimingURL) == .success(.time))
        #expect(PackagerConfig().utcTimingURL == PackagerConfig.defaultUTCTimingURL)
    }

    @Test func percentEncodedFileNamesAreDecoded() {
        #expect(
            OriginRoute.parse(rawPath: "/live/cam1/a%20b/seg%2D1.m4s")
                == .success(.streamFile(stream: "cam1", path: "a b/seg-1.m4s")))
    }

    @Test(arguments: [
        "/live/a/../../etc/passwd",
        "/live/a/%2e%2e/x",
        "/live/a/%2E%2E/x",
        "/live/a/.%2e/x",
        "/live/a/..%2fx",
        "/live/a/..%2Fx",
        "/live/a/..%5cx",
        "/live/%2e%2e/x",
        "/live/a/./master.m3u8",
        "/live/a/x%00.m4s",
        "/live/a//x",
        "/../etc/passwd",
        "/api/streams/..",
        "//live/a/x",
        "relative",
        "/live/a/x\\y",
    ])
    func traversalIsRefused(path: String) {
        #expect(OriginRoute.parse(rawPath: path) == .failure(.forbiddenSegment))
    }

    @Test(arguments: ["/live/a/%zz", "/live/a/%4", "/live/a/%", "/live/a/%ff%fe"])
    func malformedEncodingIsRefused(path: String) {
        #expect(OriginRoute.parse(rawPath: path) == .failure(.malformedEncoding))
    }

    @Test(arguments: [
        "/live/a%20b/master.m3u8", "/live/caf%C3%A9/", "/live/a$b", "/api/streams/a:b",
        "/live/" + String(repeating: "n", count: 129) + "/",
        // A leading "." (the one `StreamName` rule): hidden folders, and "..x" look-alikes.
        "/live/.hidden/master.m3u8", "/live/%2Ecam/", "/live/...", "/api/streams/.cam",
    ])
    func invalidStreamNamesAreRefused(path: String) {
        #expect(OriginRoute.parse(rawPath: path) == .failure(.invalidStreamName))
    }

    @Test func streamNameLengthLimitIsInclusive() {
        let name = String(repeating: "n", count: 128)
        #expect(OriginRoute.parse(rawPath: "/live/\(name)/") == .success(.playerPage(stream: name)))
    }

    @Test func deepPathsAreNotFound() {
        let deep = (0..<9).map { "d\($0)" }.joined(separator: "/")
        #expect(OriginRoute.parse(rawPath: "/live/a/\(deep)") == .success(.notFound))
    }

    /// The plain fast branch of `parse` routes every path exactly as the general parse.
    @Test func thePlainBranchRoutesAsTheGeneralParse() {
        var generator = SplitMix64(seed: 0x0_7E57)
        let pieces = [
            "/", "live", "cam1", ".", "..", "...", "a.b", "%2e", "%", "\\", "seg-1.m4s", " ", "720p",
            "x"
                + String(
                    repeating: "y", count: 130), "-_", "~",
        ]
        var checked = 0
        for round in 0..<20000 {
            var path = ["/", "/live/", "/live/", "/vod/"].randomElement(using: &generator)!
            for _ in 0..<Int.random(in: 0...8, using: &generator) {
                path += pieces.randomElement(using: &generator)!
                // Half the rounds look like real requests: pieces mostly between slashes.
                if round.isMultiple(of: 2), Bool.random(using: &generator) { path += "/" }
            }
            if case .success(.streamFile) = OriginRoute.parseSegments(rawPath: path) { checked += 1 }
            #expect(OriginRoute.parse(rawPath: path) == OriginRoute.parseSegments(rawPath: path), "\(path)")
        }
        // And request-shaped paths: /live/NAME/SEGMENT[/SEGMENT...], /vod/NAME/ID/SEGMENT[...].
        let names = ["cam1", "a.b", "-_", ".x", "", "x y", "%41", String(repeating: "n", count: 129)]
        let files = ["720p", "seg-1.m4s", "...", ".", "..", "", "%2F", "a\\b", "index.m3u8"]
        for round in 0..<12000 {
            var path = (round.isMultiple(of: 3) ? "/vod/" : "/live/") + names.randomElement(using: &generator)!
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                path += "/" + files.randomElement(using: &generator)!
            }
            switch OriginRoute.parseSegments(rawPath: path) {
            case .success(.streamFile), .success(.recordingFile): checked += 1
            default: break
            }
            #expect(OriginRoute.parse(rawPath: path) == OriginRoute.parseSegments(rawPath: path), "\(path)")
        }
        #expect(checked > 1000, "enough stream files to compare (\(checked))")
    }
}
