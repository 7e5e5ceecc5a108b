import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import Gateway

/// The sniffer in front of NIO's decoder, on an EmbeddedChannel with the real decoder and hot
/// path behind it: raw request bytes in, raw responses out, the rest passed on in order.
@Suite struct OriginRequestSnifferTests {
    private func channel(viewers: ViewerTracker = ViewerTracker()) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        let fastPath = OriginFastPathHandler(
            responder: .fixture(content: FakeOriginContent.sample(), viewers: viewers), serverName: nil)
        try channel.pipeline.syncOperations.addHandlers(
            OriginResponseOutlet(), OriginRequestSniffer(fastPath: fastPath),
            ByteToMessageHandler(HTTPRequestDecoder()), fastPath)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    private func write(_ channel: EmbeddedChannel, _ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    /// Everything the hot path wrote, as text.
    private func output(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let part = try channel.readOutbound(as: IOData.self) {
            if case .byteBuffer(let buffer) = part { text += String(buffer: buffer) }
        }
        return text
    }

    /// The URIs of the request heads passed on to the responder.
    private func passedOn(_ channel: EmbeddedChannel) throws -> [String] {
        var uris: [String] = []
        while let part = try channel.readInbound(as: HTTPServerRequestPart.self) {
            if case .head(let head) = part { uris.append(head.uri) }
        }
        return uris
    }

    private func finishResponses(_ channel: EmbeddedChannel, _ count: Int) throws {
        for _ in 0..<count {
            try channel.writeOutbound(HTTPServerResponsePart.end(nil))
            _ = try channel.readOutbound(as: HTTPServerResponsePart.self)
        }
    }

    @Test func pipelinedRequestsSplitAnywhereAreAnsweredInOrder() throws {
        let viewers = ViewerTracker()
        let request = "GET /live/cam1/master.m3u8 HTTP/1.1\r\nHost: h\r\nUser-Agent: player\r\n\r\n"
        let text = request + "HEAD /live/cam1/720p/seg-1.m4s HTTP/1.1\r\n\r\n" + request
        for split in stride(from: 1, to: text.utf8.count, by: 7) {
            let channel = try channel(viewers: viewers)
            let bytes = Array(text.utf8)
            try channel.writeInbound(ByteBuffer(bytes: bytes[..<split]))
            try channel.writeInbound(ByteBuffer(bytes: bytes[split...]))
            let written = try output(channel)
            #expect(written.components(separatedBy: "HTTP/1.1 200 OK\r\n").count == 4, "split at \(split)")
            #expect(written.contains("Content-Length: 100\r\n"), "the HEAD's length")
            #expect(written.hasSuffix("#EXTM3U\n#EXT-X-INDEPENDENT-SEGMENTS\n"))
            #expect(try passedOn(channel).isEmpty)
        }
        #expect(viewers.audience(of: "cam1", at: .now).viewers == 1, "counted as one viewer (same agent)")
    }

    @Test func aRequestTheHotPathDoesNotAnswerGoesToTheDecoderAsItsOwnBytes() throws {
        let channel = try channel()
        try write(
            channel,
            "GET /api/streams HTTP/1.1\r\n\r\nGET /live/cam1/master.m3u8 HTTP/1.1\r\n\r\n"
                + "GET /live/cam1/master.m3u8?_HLS_msn=1 HTTP/1.1\r\n\r\n")
        // The API request went on; the playlist behind it waits its turn, as does the reload.
        #expect(
            try passedOn(channel) == ["/api/streams", "/live/cam1/master.m3u8", "/live/cam1/master.m3u8?_HLS_msn=1"])
        #expect(try output(channel).isEmpty)
        try finishResponses(channel, 3)
        try write(channel, "GET /live/cam1/master.m3u8 HTTP/1.1\r\n\r\n")
        #expect(try output(channel).hasPrefix("HTTP/1.1 200 OK\r\n"), "answered again once those ended")
    }

    @Test func anotherShapeHandsTheConnectionToTheDecoder() throws {
        let channel = try channel()
        try write(channel, "POST /live/cam1/master.m3u8 HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
        #expect(try passedOn(channel) == ["/live/cam1/master.m3u8"])
        try finishResponses(channel, 1)
        // From now on the decoder frames every byte; its own hot path still answers.
        try write(channel, "GET /live/cam1/master.m3u8 HTTP/1.1\r\n\r\n")
        #expect(try output(channel).hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(try passedOn(channel).isEmpty)
    }

    @Test func aBodyIsNeverTakenForARequest() throws {
        let channel = try channel()
        let smuggled = "GET /live/cam1/master.m3u8 HTTP/1.1\r\n\r\n"
        try write(
            channel,
            "GET /live/cam1/720p/seg-1.m4s HTTP/1.1\r\nContent-Length: \(smuggled.utf8.count)\r\n\r\n" + smuggled)
        #expect(try output(channel).isEmpty, "the body is not a request")
        var parts: [HTTPServerRequestPart] = []
        while let part = try channel.readInbound(as: HTTPServerRequestPart.self) { parts.append(part) }
        #expect(parts.count == 3, "head, the body, end: \(parts)")
    }

    @Test func aMalformedRequestReachesTheDecoderWhichRefusesIt() throws {
        let channel = try channel()
        #expect(throws: (any Error).self) {
            try write(channel, "GET /live/cam1/master.m3u8 HTTP/1.1\r\nBad Header\r\n\r\n")
        }
        #expect(try output(channel).isEmpty)
    }
}
