import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import Gateway

/// The hot path between NIO's decoder and Hummingbird: the outlet and the handler on an
/// EmbeddedChannel, raw response bytes out.
@Suite struct OriginFastPathTests {
    private func channel(
        viewers: ViewerTracker = ViewerTracker(), content: any OriginContent = FakeOriginContent.sample(),
        idleTimeout: TimeAmount? = nil, zeroCopy: Bool = false
    ) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers(
            OriginResponseOutlet(),
            OriginFastPathHandler(
                responder: .fixture(content: content, viewers: viewers), serverName: "swift-live-ladder",
                idleTimeout: idleTimeout, zeroCopy: zeroCopy))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    private func request(
        _ uri: String, method: HTTPMethod = .GET, version: HTTPVersion = .http1_1, headers: [(String, String)] = []
    ) -> HTTPServerRequestPart {
        .head(HTTPRequestHead(version: version, method: method, uri: uri, headers: HTTPHeaders(headers)))
    }

    private func send(_ channel: EmbeddedChannel, _ head: HTTPServerRequestPart) throws {
        try channel.writeInbound(head)
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
    }

    /// The raw response written by the hot path: status line, fields, and the body bytes.
    private struct RawResponse {
        var statusLine: String
        var fields: [String: String]
        var body: [UInt8]
    }

    /// `memoryFile` is what a file region's descriptor was: the write is done by now, and
    /// its handle has given the descriptor back.
    private func readResponse(_ channel: EmbeddedChannel, memoryFile: MemoryFile? = nil) throws -> RawResponse? {
        var bytes: [UInt8] = []
        while let part = try channel.readOutbound(as: IOData.self) {
            switch part {
            case .byteBuffer(let buffer):
                bytes += buffer.readableBytesView
            case .fileRegion(let region):
                var copy = [UInt8](repeating: 0, count: region.readableBytes)
                let count = pread(memoryFile?.descriptor ?? -1, &copy, copy.count, off_t(region.readerIndex))
                bytes += copy.prefix(max(0, count))
            }
        }
        guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else { return nil }
        let lines = String(decoding: bytes[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        var fields: [String: String] = [:]
        for line in lines.dropFirst() {
            let (name, value) = line.split(separator: ":", maxSplits: 1).map(String.init).pair
            fields[name] = value.trimmingCharacters(in: .whitespaces)
        }
        return RawResponse(statusLine: lines[0], fields: fields, body: Array(bytes[end.upperBound...]))
    }

    @Test func aStoredSegmentIsAnsweredWithTheResponderHeaders() throws {
        let viewers = ViewerTracker()
        let channel = try channel(viewers: viewers)
        try send(channel, request("/live/cam1/720p/seg-1.m4s", headers: [("User-Agent", "test")]))
        let response = try #require(try readResponse(channel))
        #expect(response.statusLine == "HTTP/1.1 200 OK")
        #expect(response.fields["Content-Type"] == "video/mp4")
        #expect(response.fields["Cache-Control"] == "public, max-age=31536000, immutable")
        #expect(response.fields["Content-Length"] == "100")
        #expect(response.fields["Access-Control-Allow-Origin"] == "*")
        #expect(response.fields["Access-Control-Expose-Headers"] == OriginResponder.exposedHeaders)
        #expect(response.fields["Accept-Ranges"] == "bytes")
        #expect(response.fields["Server"] == "swift-live-ladder")
        #expect(response.fields["Date"]?.hasSuffix(" GMT") == true)
        #expect(response.body == Array(0..<100))
        #expect(try channel.readInbound(as: HTTPServerRequestPart.self) == nil, "nothing reaches the responder")
        #expect(viewers.audience(of: "cam1", at: .now).bytesServed == 100)
    }

    @Test func headHasTheLengthButNoBody() throws {
        let channel = try channel()
        try send(channel, request("/live/cam1/master.m3u8", method: .HEAD))
        let response = try #require(try readResponse(channel))
        #expect(response.fields["Content-Type"] == "application/vnd.apple.mpegurl")
        #expect(response.fields["Cache-Control"] == "public, max-age=1")
        #expect(response.fields["Content-Length"] == "36")
        #expect(response.body.isEmpty, "a HEAD response has no body")
    }

    @Test func aLargeFileGoesOutWithSendfileFromItsMemoryFile() throws {
        let bytes = (0..<(MemoryFile.minimumSize + 10)).map { UInt8(truncatingIfNeeded: $0 * 7) }
        var file = OriginFile(bytes: bytes, contentType: "video/mp4", cache: .immutable)
        let memoryFile = try #require(MemoryFile.make(bytes))
        file.memoryFile = memoryFile
        let channel = try channel(content: FakeOriginContent(["cam1": ["720p/seg-2.m4s": file]]), zeroCopy: true)
        try send(channel, request("/live/cam1/720p/seg-2.m4s"))
        _ = try #require(try channel.readOutbound(as: IOData.self), "the head")
        guard case .fileRegion(let region) = try #require(try channel.readOutbound(as: IOData.self)) else {
            Issue.record("the body was not a file region")
            return
        }
        #expect(region.readerIndex == 0 && region.readableBytes == bytes.count)
        #expect(!region.fileHandle.isOpen, "the write is done: its handle gave the descriptor back")
        var copy = [UInt8](repeating: 0, count: bytes.count)
        #expect(pread(memoryFile.descriptor, &copy, copy.count, 0) == bytes.count, "and the descriptor is still open")
        #expect(copy == bytes)
    }

    @Test func everythingElseGoesOnToTheResponder() throws {
        let channel = try channel()
        for part in [
            request("/live/cam1/720p/seg-1.m4s", headers: [("Range", "bytes=0-9")]),
            request("/live/cam1/720p/seg-9.m4s"), request("/api/streams"), request("/live/cam1/"),
            request("/live/cam1/720p/seg-1.m4s", method: .POST), request("/live/%2e%2e/x"),
            request("/live/cam1/720p/seg-1.m4s", version: .http1_0),
            request("/live/cam1/720p/seg-1.m4s", headers: [("Connection", "close")]),
            request("/live/cam1/720p/seg-1.m4s", headers: [("Content-Length", "3")]),
            request("/live/cam1/720p/seg-1.m4s", headers: [("Transfer-Encoding", "chunked")]),
        ] {
            try send(channel, part)
            #expect(try channel.readOutbound(as: IOData.self) == nil)
            guard case .head = try channel.readInbound(as: HTTPServerRequestPart.self) else {
                Issue.record("the request head was not passed on")
                continue
            }
            #expect(try channel.readInbound(as: HTTPServerRequestPart.self) != nil, "its end follows")
            // The responder's answer ends before the next request (no pipelining here).
            try channel.writeOutbound(HTTPServerResponsePart.end(nil))
            _ = try channel.readOutbound(as: HTTPServerResponsePart.self)
        }
    }

    @Test func aPipelinedRequestWaitsBehindOneTheResponderStillAnswers() throws {
        let channel = try channel()
        try send(channel, request("/api/streams"))
        try send(channel, request("/live/cam1/720p/seg-1.m4s"))
        // Both went on: answering the second here would overtake the first's response.
        var heads = 0
        while let part = try channel.readInbound(as: HTTPServerRequestPart.self) {
            if case .head = part { heads += 1 }
        }
        #expect(heads == 2)
        #expect(try channel.readOutbound(as: IOData.self) == nil)
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        _ = try channel.readOutbound(as: HTTPServerResponsePart.self)
        _ = try channel.readOutbound(as: HTTPServerResponsePart.self)
        // Once both responses ended, the hot path answers again.
        try send(channel, request("/live/cam1/720p/seg-1.m4s"))
        #expect(try readResponse(channel)?.statusLine == "HTTP/1.1 200 OK")
    }

    @Test func anIdleConnectionIsClosedButABusyOneIsNot() throws {
        let channel = try channel(idleTimeout: .seconds(60))
        let loop = try #require(channel.eventLoop as? EmbeddedEventLoop)
        for _ in 0..<5 {
            loop.advanceTime(by: .seconds(30))
            try send(channel, request("/live/cam1/master.m3u8"))
            _ = try readResponse(channel)
        }
        #expect(channel.isActive, "150 s of requests every 30 s")
        // A request with the responder does not count as idle, however long it takes.
        try send(channel, request("/api/streams"))
        loop.advanceTime(by: .seconds(120))
        #expect(channel.isActive)
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        loop.advanceTime(by: .seconds(59))
        #expect(channel.isActive)
        loop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive, "closed 60 s after the last response")
    }

    @Test func quiescingWaitsForTheWrittenResponsesThenSendsEverythingToTheResponder() throws {
        let channel = try channel()
        let events = EventRecorder()
        try channel.pipeline.syncOperations.addHandler(events)
        try send(channel, request("/live/cam1/720p/seg-1.m4s"))
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(events.quiesced, "passed on once the response before it was written")
        #expect(try readResponse(channel)?.statusLine == "HTTP/1.1 200 OK")
        try send(channel, request("/live/cam1/720p/seg-1.m4s"))
        #expect(try channel.readOutbound(as: IOData.self) == nil, "the responder answers (and closes)")
        guard case .head = try channel.readInbound(as: HTTPServerRequestPart.self) else {
            Issue.record("the request head was not passed on")
            return
        }
    }
}

private final class EventRecorder: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    var quiesced = false

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent { quiesced = true }
        context.fireUserInboundEventTriggered(event)
    }
}

extension Array where Element == String {
    fileprivate var pair: (String, String) { (self.first ?? "", count > 1 ? self[1] : "") }
}
