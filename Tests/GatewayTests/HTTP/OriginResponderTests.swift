import Foundation
import Hummingbird
import HummingbirdTesting
import Ladder
import NIOCore
import RTMPTestSupport
import RTMPWire
import Testing

@testable import Gateway

@Suite struct OriginResponderTests {
    /// Runs `body` against an in-process origin (HummingbirdTesting's router framework).
    func withOrigin<Value: Sendable>(
        _ responder: OriginResponder = .fixture(),
        _ body: @Sendable (any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        try await Application(responder: responder).test(.router, body)
    }

    // MARK: Content types and cache policy

    @Test(arguments: [
        ("/live/cam1/master.m3u8", "application/vnd.apple.mpegurl", "public, max-age=1"),
        ("/live/cam1/manifest.mpd", "application/dash+xml", "no-cache"),
        ("/live/cam1/720p/index.m3u8", "application/vnd.apple.mpegurl", "public, max-age=300"),
        ("/live/cam1/720p/init.mp4", "video/mp4", "public, max-age=31536000, immutable"),
        ("/live/cam1/720p/seg-1.m4s", "video/mp4", "public, max-age=31536000, immutable"),
        ("/live/cam1/audio/init-1.mp4", "audio/mp4", "public, max-age=31536000, immutable"),
        ("/live/cam1/audio/seg-1.m4s", "audio/mp4", "public, max-age=31536000, immutable"),
        ("/live/cam1/untyped.m4s", "application/octet-stream", "public, max-age=31536000, immutable"),
        ("/live/cam1/thumb.bin", "application/x-custom", "public, max-age=31536000, immutable"),
        ("/live/cam1/", "text/html; charset=utf-8", "no-cache"),
        ("/", "text/html; charset=utf-8", "no-cache"),
        ("/api/streams", "application/json; charset=utf-8", "no-store"),
        ("/metrics", "text/plain; version=0.0.4; charset=utf-8", "no-store"),
        ("/time", "text/plain; charset=utf-8", "no-store"),
        ("/healthz", "text/plain; charset=utf-8", "no-store"),
    ])
    func contentTypeAndCacheControl(path: String, contentType: String, cacheControl: String) async throws {
        try await withOrigin { client in
            let response = try await client.execute(uri: path, method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == contentType)
            #expect(response.headers[.cacheControl] == cacheControl)
            #expect(response.headers[.accessControlAllowOrigin] == "*")
            #expect(response.headers[.accessControlExposeHeaders] == "Content-Length, Content-Range, Date")
        }
    }

    @Test func servesFileBytes() async throws {
        try await withOrigin { client in
            let response = try await client.execute(uri: "/live/cam1/720p/seg-1.m4s", method: .get)
            #expect(Array(buffer: response.body) == Array(0..<100))
            #expect(response.headers[.contentLength] == "100")
            #expect(response.headers[.acceptRanges] == "bytes")
        }
    }

    // MARK: CORS

    @Test func preflightEchoesRequestedHeaders() async throws {
        try await withOrigin { client in
            let response = try await client.execute(
                uri: "/live/cam1/720p/seg-1.m4s", method: .options,
                headers: [
                    .origin: "http://player.example", .accessControlRequestMethod: "GET",
                    .accessControlRequestHeaders: "range, x-custom",
                ])
            #expect(response.status == .noContent)
            #expect(response.headers[.accessControlAllowOrigin] == "*")
            #expect(response.headers[.accessControlAllowMethods] == "GET, HEAD, OPTIONS, DELETE, POST")
            #expect(response.headers[.accessControlAllowHeaders] == "range, x-custom")
            #expect(response.headers[.accessControlMaxAge] == "86400")
            #expect(response.headers[.contentLength] == nil)
            #expect(response.body.readableBytes == 0)
        }
    }

    @Test func preflightWithoutRequestedHeadersAllowsRange() async throws {
        try await withOrigin { client in
            let response = try await client.execute(
                uri: "/live/cam1/master.m3u8", method: .options,
                headers: [.accessControlRequestHeaders: "x-a;x-b=\"c\""])
            #expect(response.status == .noContent)
            let allowed = try #require(response.headers[.accessControlAllowHeaders])
            #expect(allowed.hasPrefix("Range, Origin, Accept"))
        }
    }

    @Test func errorsCarryCORSHeaders() async throws {
        try await withOrigin { client in
            let response = try await client.execute(uri: "/live/nope/master.m3u8", method: .get)
            #expect(response.status == .notFound)
            #expect(response.headers[.accessControlAllowOrigin] == "*")
        }
    }

    // MARK: Ranges and HEAD

    @Test func rangeRequestGets206() async throws {
        try await withOrigin { client in
            let response = try await client.execute(
                uri: "/live/cam1/720p/seg-1.m4s", method: .get, headers: [.range: "bytes=10-19"])
            #expect(response.status == .partialContent)
            #expect(response.headers[.contentRange] == "bytes 10-19/100")
            #expect(response.headers[.contentLength] == "10")
            #expect(Array(buffer: response.body) == Array(10..<20))

            let suffix = try await client.execute(
                uri: "/live/cam1/720p/seg-1.m4s", method: .get, headers: [.range: "bytes=-5"])
            #expect(suffix.status == .partialContent)
            #expect(suffix.headers[.contentRange] == "bytes 95-99/100")
            #expect(Array(buffer: suffix.body) == Array(95..<100))

            let open = try await client.execute(
                uri: "/live/cam1/720p/seg-1.m4s", method: .get, headers: [.range: "bytes=98-"])
            #expect(open.headers[.contentRange] == "bytes 98-99/100")
            #expect(Array(buffer: open.body) == [98, 99])
        }
    }

    @Test func unsatisfiableRangeGets416() async throws {
        try await withOrigin { client in
            let response = try await client.execute(
                uri: "/live/cam1/720p/seg-1.m4s", method: .get, headers: [.range: "bytes=100-"])
            #expect(response.status == .rangeNotSatisfiable)
            #expect(response.headers[.contentRange] == "bytes */100")
            #expect(response.body.readableBytes == 0)
        }
    }

    @Test func ifRangeAndMultipleRangesSendEverything() async throws {
        try await withOrigin { client in
            let ifRange = try await client.execute(
                uri: "/live/cam1/720p/seg-1.m4s", method: .get, headers: [.range: "bytes=0-1", .ifRange: "\"x\""])
            #expect(ifRange.status == .ok)
            #expect(ifRange.body.readableBytes == 100)
            let multiple = try await client.execute(
                uri: "/live/cam1/720p/seg-1.m4s", method: .get, headers: [.range: "bytes=0-1,4-5"])
            #expect(multiple.status == .ok)
        }
    }

    @Test func headHasLengthButNoBody() async throws {
        try await withOrigin { client in
            let response = try await client.execute(
                uri: "/live/cam1/720p/seg-1.m4s", method: .head, headers: [.range: "bytes=0-9"])
            #expect(response.status == .ok)
            #expect(response.headers[.contentLength] == "100")
            #expect(response.headers[.contentType] == "video/mp4")
            #expect(response.body.readableBytes == 0)
            let missing = try await client.execute(uri: "/live/cam1/none.m4s", method: .head)
            #expect(missing.status == .notFound)
        }
    }

    // MARK: Errors

    @Test(arguments: [
        "/live/nope/master.m3u8", "/live/cam1/missing.m4s", "/live/nope/", "/live/nope", "/nothing", "/live/cam1/720p/",
    ])
    func unknownContentIs404(path: String) async throws {
        try await withOrigin { client in
            let response = try await client.execute(uri: path, method: .get)
            #expect(response.status == .notFound)
            #expect(response.headers[.contentType] == "text/plain; charset=utf-8")
        }
    }

    @Test(arguments: [
        "/live/a/../../etc/passwd", "/live/a/%2e%2e/x", "/live/a/..%2fx", "/live/%2e%2e/x",
        "/live/cam1/%2e%2e/cam1/master.m3u8",
        "/live/cam1/x%00", "/live/cam1/%zz", "/live/bad%20name/master.m3u8",
    ])
    func traversalIs400(path: String) async throws {
        try await withOrigin { client in
            let response = try await client.execute(uri: path, method: .get)
            #expect(response.status == .badRequest)
        }
    }

    @Test func overlongURLIs414() async throws {
        try await withOrigin { client in
            let long = "/live/cam1/" + String(repeating: "a", count: 2100)
            let response = try await client.execute(uri: long, method: .get)
            #expect(response.status == .uriTooLong)
            let longQuery = try await client.execute(
                uri: "/live/cam1/master.m3u8?" + String(repeating: "q", count: 2100), method: .get)
            #expect(longQuery.status == .uriTooLong)
        }
    }

    @Test func otherMethodsAre405() async throws {
        try await withOrigin { client in
            let response = try await client.execute(uri: "/live/cam1/master.m3u8", method: .post, body: ByteBuffer())
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers[.allow] == "GET, HEAD, OPTIONS")
        }
    }

    @Test func playerPathWithoutSlashRedirects() async throws {
        try await withOrigin { client in
            let response = try await client.execute(uri: "/live/cam1?player=hlsjs", method: .get)
            #expect(response.status == .movedPermanently)
            #expect(response.headers[.location] == "cam1/?player=hlsjs")
        }
    }

    @Test func aTokenPathRedirectsOnlyToItsOwnFolder() async throws {
        try await withOrigin { client in
            let signed = try await client.execute(uri: "/live/cam1/t/eyJhIjoxfQ.c2ln", method: .get)
            #expect(signed.headers[.location] == "./eyJhIjoxfQ.c2ln/")
            // Not a token's characters: never echoed (an open redirect to another host).
            let hostile = try await client.execute(uri: "/live/cam1/t/https:evil.example", method: .get)
            #expect(hostile.status == .movedPermanently && hostile.headers[.location] == "cam1/")
        }
    }

    // MARK: Endpoints

    @Test func timeIsISO8601UTCWithMilliseconds() async throws {
        try await withOrigin { client in
            let before = Date()
            let response = try await client.execute(uri: "/time", method: .get)
            let text = String(buffer: response.body)
            #expect(text.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil)
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let served = try #require(formatter.date(from: text))
            let after = Date()
            // Served between the request and the answer (a loaded machine may take seconds).
            #expect(served.timeIntervalSince(before) > -0.01)
            #expect(after.timeIntervalSince(served) > -0.01)
        }
    }

    @Test func healthz() async throws {
        try await withOrigin { client in
            let response = try await client.execute(uri: "/healthz", method: .get)
            #expect(String(buffer: response.body) == "ok\n")
        }
    }

    @Test func indexListsLiveStreams() async throws {
        let content = FakeOriginContent([
            "cam1": ["master.m3u8": OriginFile(bytes: [], contentType: "", cache: .immutable)],
            "studio": ["master.m3u8": OriginFile(bytes: [], contentType: "", cache: .immutable)],
        ])
        try await withOrigin(.fixture(content: content)) { client in
            let page = String(buffer: try await client.execute(uri: "/", method: .get).body)
            #expect(page.contains("href=\"live/cam1/\""))
            #expect(page.contains("href=\"live/studio/master.m3u8\""))
        }
    }

    @Test func playerPageUsesConfiguredPlayers() async throws {
        let settings = OriginSettings(
            player: PlayerConfiguration(
                hlsJsURL: "/assets/hls.mjs", videoJsURL: "/assets/video.js", dashJsURL: "/assets/dash.all.min.js"))
        try await withOrigin(.fixture(settings: settings)) { client in
            let page = String(buffer: try await client.execute(uri: "/live/cam1/", method: .get).body)
            #expect(page.contains("\"/assets/hls.mjs\""))
            #expect(page.contains("\"hlsJsModule\": true"))
            #expect(page.contains("\"/assets/video.js\""))
            #expect(page.contains("\"/assets/dash.all.min.js\""))
            #expect(page.contains("/live/cam1/master.m3u8"))
        }
    }

    // MARK: Status API

    @Test func streamListMergesAudience() async throws {
        // A window no slow machine outlasts: the test counts viewers, not their expiry.
        let viewers = ViewerTracker(window: .seconds(3600))
        try await withOrigin(.fixture(viewers: viewers)) { client in
            _ = try await client.execute(
                uri: "/live/cam1/720p/seg-1.m4s", method: .get, headers: [.userAgent: "player-a"])
            _ = try await client.execute(uri: "/live/cam1/master.m3u8", method: .get, headers: [.userAgent: "player-b"])
            _ = try await client.execute(
                uri: "/live/cam1/master.m3u8", method: .head, headers: [.userAgent: "player-c"])
            _ = try await client.execute(
                uri: "/live/cam1/720p/seg-1.m4s", method: .get, headers: [.userAgent: "player-a", .range: "bytes=0-9"])

            let response = try await client.execute(uri: "/api/streams", method: .get)
            let json = try #require(
                try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
            let streams = try #require(json["streams"] as? [[String: Any]])
            #expect(streams.count == 2)
            let cam1 = try #require(streams.first { $0["name"] as? String == "cam1" })
            #expect(cam1["state"] as? String == "live")
            #expect(cam1["viewers"] as? Int == 2)
            #expect(cam1["bytes_served"] as? Int == 100 + 10 + 36)
            #expect(cam1["uptime_seconds"] as? Double == 12.5)
            #expect(cam1["publisher_address"] as? String == "10.0.0.2:50000")
            #expect(cam1["segments_produced"] as? Int == 6)
            #expect(cam1["ingest_drops"] as? Int == 3)
            #expect(cam1["decode_errors"] as? Int == 0)
            #expect(cam1["discontinuities"] as? Int == 1)
            let input = try #require(cam1["input"] as? [String: Any])
            #expect(input["video_codec"] as? String == "h264")
            #expect(input["width"] as? Int == 1920)
            #expect(input["bitrate"] as? Int == 6_000_000)
            let rendition = try #require((cam1["renditions"] as? [[String: Any]])?.first)
            #expect(rendition["name"] as? String == "720p")
            #expect(rendition["target_bitrate"] as? Int == 2_800_000)
            #expect(rendition["measured_bitrate"] as? Int == 2_750_000)
            #expect(rendition["encoder_speed"] as? Double == 1.4)
            #expect(rendition["dropped_frames"] as? Int == 2)
            #expect(rendition["late_frames"] as? Int == 1)
            let audio = try #require(cam1["audio"] as? [String: Any])
            #expect(audio["passthrough"] as? Bool == true)

            // The typed model round-trips too.
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            let list = try decoder.decode(StreamStatusList.self, from: Data(response.body.readableBytesView))
            #expect(list.streams.first?.renditions.first?.encoderSpeed == 1.4)
        }
    }

    @Test func singleStreamStatusAndErrors() async throws {
        try await withOrigin { client in
            let found = try await client.execute(uri: "/api/streams/old", method: .get)
            #expect(found.status == .ok)
            let json = try #require(
                try JSONSerialization.jsonObject(with: Data(found.body.readableBytesView)) as? [String: Any])
            #expect(json["state"] as? String == "ended")

            let missing = try await client.execute(uri: "/api/streams/ghost", method: .get)
            #expect(missing.status == .notFound)
            #expect(missing.headers[.contentType] == "application/json; charset=utf-8")
            let error = try JSONDecoder().decode(APIError.self, from: Data(missing.body.readableBytesView))
            #expect(error == APIError(error: "stream not found", stream: "ghost"))

            let invalid = try await client.execute(uri: "/api/streams/a:b", method: .get)
            #expect(invalid.status == .badRequest)
            #expect(invalid.headers[.contentType] == "application/json; charset=utf-8")
        }
    }

    // MARK: Metrics

    @Test func metricsEndpointShowsRecordedMetrics() async throws {
        GatewayMetrics.ingestBytesCounter(stream: "cam1").increment(by: 1000)
        GatewayMetrics.publishRefused(reason: .wrongKey)
        GatewayMetrics.publishStarted()
        GatewayMetrics.encoderLag(stream: "cam1", rendition: "720p", seconds: 0.25)
        GatewayMetrics.droppedFrames(stream: "cam1", stage: .ingest, count: 3)
        GatewayMetrics.segmentLatency(.milliseconds(2100))
        let viewers = ViewerTracker()
        try await withOrigin(.fixture(viewers: viewers)) { client in
            _ = try await client.execute(uri: "/live/cam1/720p/seg-1.m4s", method: .get, headers: [.userAgent: "m"])
            _ = try await client.execute(uri: "/live/cam1/none", method: .get)
            let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            for expected in [
                "gateway_ingest_bytes_total{stream=\"cam1\"}", "gateway_publish_refusals_total{reason=\"wrong_key\"}",
                "gateway_publishes_total", "gateway_encoder_lag_seconds{stream=\"cam1\",rendition=\"720p\"}",
                "gateway_dropped_frames_total{stream=\"cam1\",stage=\"ingest\"}",
                "gateway_segment_latency_seconds_bucket",
                "gateway_http_requests_total{status=\"200\"}", "gateway_http_requests_total{status=\"404\"}",
                "gateway_http_bytes_total{stream=\"cam1\"}", "gateway_viewers{stream=\"cam1\"}",
            ] {
                #expect(text.contains(expected), "missing \(expected)")
            }
        }
    }
}
