import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import Gateway

@Suite struct OriginFastPathTests {
    private func channel(viewers: ViewerTracker = ViewerTracker()) -> EmbeddedChannel {
        EmbeddedChannel(
            handler: OriginFastPathHandler(responder: .fixture(viewers: viewers), serverName: "swift-live-ladder"))
    }

    private func request(_ path: String, method: HTTPRequest.Method = .get, range: String? = nil) -> HTTPRequestPart {
        var head = HTTPRequest(method: method, scheme: "http", authority: "origin", path: path)
        if let range { head.headerFields[.range] = range }
        return .head(head)
    }

    private func send(_ channel: EmbeddedChannel, _ head: HTTPRequestPart) throws {
        try channel.writeInbound(head)
        try channel.writeInbound(HTTPRequestPart.end(nil))
    }

    private func responseHead(_ channel: EmbeddedChannel) throws -> HTTPResponse? {
        guard case .head(let head) = try channel.readOutbound(as: HTTPResponsePart.self) else { return nil }
        return head
    }

    @Test func aStoredSegmentIsAnsweredOnTheEventLoopWithTheResponderHeaders() throws {
        let viewers = ViewerTracker()
        let channel = channel(viewers: viewers)
        try send(channel, request("/live/cam1/720p/seg-1.m4s"))
        let head = try #require(try responseHead(channel))
        #expect(head.status == .ok)
        #expect(head.headerFields[.contentType] == "video/mp4")
        #expect(head.headerFields[.cacheControl] == "public, max-age=31536000, immutable")
        #expect(head.headerFields[.contentLength] == "100")
        #expect(head.headerFields[.accessControlAllowOrigin] == "*")
        #expect(head.headerFields[.acceptRanges] == "bytes")
        #expect(head.headerFields[.server] == "swift-live-ladder")
        #expect(head.headerFields[.date]?.hasSuffix(" GMT") == true)
        guard case .body(let body) = try channel.readOutbound(as: HTTPResponsePart.self) else {
            Issue.record("no body")
            return
        }
        #expect(Array(body.readableBytesView) == Array(0..<100))
        guard case .end = try channel.readOutbound(as: HTTPResponsePart.self) else {
            Issue.record("no end")
            return
        }
        #expect(try channel.readInbound(as: HTTPRequestPart.self) == nil, "nothing reaches the responder")
        #expect(viewers.audience(of: "cam1", at: .now).bytesServed == 100)
    }

    @Test func headHasTheLengthButNoBody() throws {
        let channel = channel()
        try send(channel, request("/live/cam1/master.m3u8", method: .head))
        let head = try #require(try responseHead(channel))
        #expect(head.headerFields[.contentType] == "application/vnd.apple.mpegurl")
        #expect(head.headerFields[.contentLength] == "36")
        guard case .end = try channel.readOutbound(as: HTTPResponsePart.self) else {
            Issue.record("a HEAD response must end without a body")
            return
        }
    }

    @Test func rangesMissesAndOtherRoutesGoOnToTheResponder() throws {
        let channel = channel()
        for part in [
            request("/live/cam1/720p/seg-1.m4s", range: "bytes=0-9"), request("/live/cam1/720p/seg-9.m4s"),
            request("/api/streams"), request("/live/cam1/"), request("/live/cam1/x", method: .post),
            request("/live/%2e%2e/x"),
        ] {
            try send(channel, part)
            #expect(try channel.readOutbound(as: HTTPResponsePart.self) == nil)
            guard case .head = try channel.readInbound(as: HTTPRequestPart.self) else {
                Issue.record("the request head was not passed on")
                continue
            }
            #expect(try channel.readInbound(as: HTTPRequestPart.self) != nil, "its end follows")
            // The responder's answer ends before the next request (no pipelining here).
            try channel.writeOutbound(HTTPResponsePart.end(nil))
            _ = try channel.readOutbound(as: HTTPResponsePart.self)
        }
    }

    @Test func aPipelinedRequestWaitsBehindOneTheResponderStillAnswers() throws {
        let channel = channel()
        try send(channel, request("/api/streams"))
        try send(channel, request("/live/cam1/720p/seg-1.m4s"))
        // Both went on: answering the second here would overtake the first's response.
        var heads = 0
        while let part = try channel.readInbound(as: HTTPRequestPart.self) {
            if case .head = part { heads += 1 }
        }
        #expect(heads == 2)
        #expect(try channel.readOutbound(as: HTTPResponsePart.self) == nil)
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        _ = try channel.readOutbound(as: HTTPResponsePart.self)
        _ = try channel.readOutbound(as: HTTPResponsePart.self)
        // Once both responses ended, the hot path answers again.
        try send(channel, request("/live/cam1/720p/seg-1.m4s"))
        #expect(try responseHead(channel)?.status == .ok)
    }
}
