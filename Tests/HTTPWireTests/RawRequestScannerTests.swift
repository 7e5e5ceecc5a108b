import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import RTMPWire
import Testing

@testable import HTTPWire

/// The scanner that frames hot-path requests from raw bytes: what it accepts, what it hands to
/// NIO, and that it never frames a request differently from NIO's decoder.
@Suite struct RawRequestScannerTests {
    private func scan(_ text: String) -> RawRequestScanner.Result {
        Array(text.utf8).withUnsafeBytes { RawRequestScanner.scan($0) }
    }

    @Test func aPlainGetIsFramedWithTheFieldsTheHotPathUses() {
        let text =
            "GET /live/cam1/720p/index.m3u8?x=1 HTTP/1.1\r\nHost: a\r\nuser-AGENT:  hls.js \r\n"
            + "X-Forwarded-For: 10.0.0.1, 10.0.0.2\r\nConnection: Keep-Alive\r\nAccept: */*\r\n\r\nGET /next"
        guard case .complete(let head) = scan(text) else {
            Issue.record("not framed: \(scan(text))")
            return
        }
        #expect(!head.isHead && head.target == "/live/cam1/720p/index.m3u8?x=1")
        #expect(head.length == text.utf8.count - "GET /next".utf8.count, "the next request's bytes are not its own")
        #expect(head.userAgent == "hls.js" && head.forwardedFor == "10.0.0.1, 10.0.0.2" && !head.hasRange)
        guard case .complete(let headRequest) = scan("HEAD / HTTP/1.1\r\nRange: bytes=0-1\r\n\r\n") else {
            Issue.record("HEAD not framed")
            return
        }
        #expect(headRequest.isHead && headRequest.hasRange && headRequest.target == "/")
    }

    @Test func everyPrefixOfAnAcceptedRequestNeedsMoreData() {
        let text = "GET /live/cam1/master.m3u8 HTTP/1.1\r\nHost: example\r\nUser-Agent: a b\r\n\r\n"
        let bytes = Array(text.utf8)
        for end in 0..<bytes.count {
            let result = bytes[..<end].withUnsafeBytes { RawRequestScanner.scan($0) }
            #expect(result == .needMoreData, "prefix of \(end) bytes: \(result)")
        }
    }

    @Test func otherShapesGoToNIO() {
        for text in [
            "POST /live/a HTTP/1.1\r\n\r\n", "get /live/a HTTP/1.1\r\n\r\n", "GET /live/a HTTP/1.0\r\n\r\n",
            "GET http://h/live/a HTTP/1.1\r\n\r\n", "GET * HTTP/1.1\r\n\r\n", "GET  /a HTTP/1.1\r\n\r\n",
            "GET /a HTTP/1.1\n\n", "GET /a HTTP/1.1\r\nHost: a\n\r\n", "GET /a HTTP/1.1\r\nHost : a\r\n\r\n",
            "GET /a HTTP/1.1\r\n folded: x\r\n\r\n", "GET /a HTTP/1.1\r\nA: 1\r\n  2\r\n\r\n",
            "GET /a HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "GET /a HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n",
            "GET /a HTTP/1.1\r\nConnection: close\r\n\r\n",
            "GET /a HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\n\r\n",
            "GET /a HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", "GET /a HTTP/1.1\r\nExpect: 100-continue\r\n\r\n",
            "GET /a\u{7F} HTTP/1.1\r\n\r\n", "GET /caf\u{E9} HTTP/1.1\r\n\r\n", "GET /a HTTP/1.1\r\nA: b\u{0}c\r\n\r\n",
            "GET /a HTTP/1.1\r\nA: b\rc\r\n\r\n", "GET /a HTTP/1.1\r\n: b\r\n\r\n", "GET /a HTTP/1.1\r\n\rx",
            "PUT", "\r\nGET /a HTTP/1.1\r\n\r\n",
        ] {
            #expect(scan(text) == .unsupported, "\(text.debugDescription)")
        }
    }

    @Test func aHeadLongerThanTheLimitGoesToNIO() {
        let long = "GET /a HTTP/1.1\r\nX: " + String(repeating: "v", count: RawRequestScanner.maxHeadBytes)
        #expect(scan(long) == .unsupported)
        let justShort = Array(long.utf8.prefix(RawRequestScanner.maxHeadBytes - 1))
        #expect(justShort.withUnsafeBytes { RawRequestScanner.scan($0) } == .needMoreData)
    }

    /// Differential: random requests and byte mutations of them. Whatever the scanner frames,
    /// NIO's decoder must read as the same method and target, ending (with no body) exactly at
    /// the scanner's length; then the bytes after it must start a new request for both.
    @Test func whatTheScannerFramesNIOFramesTheSameWay() throws {
        var generator = SplitMix64(seed: 0x5EED)
        let seeds = [
            "GET /live/cam1/720p/index.m3u8 HTTP/1.1\r\nHost: h\r\nUser-Agent: u\r\n\r\n",
            "HEAD /live/a/b%20c?_HLS_msn=3 HTTP/1.1\r\nConnection: keep-alive\r\nRange: bytes=1-2\r\n\r\n",
            "GET /x HTTP/1.1\r\nX-Forwarded-For: 1.2.3.4\r\nA:\r\nB:\t v \t\r\n\r\n",
        ]
        let alphabet = Array("GETHAD /:\r\n\t %?-_.0aZ\u{0}\u{7F}".utf8) + [0xC3, 0xFF]
        var framed = 0
        for round in 0..<6000 {
            var bytes = Array(seeds[round % seeds.count].utf8)
            for _ in 0..<Int.random(in: 0...3, using: &generator) {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[position] = alphabet.randomElement(using: &generator)!
                case 1: bytes.insert(alphabet.randomElement(using: &generator)!, at: position)
                default: bytes.remove(at: position)
                }
            }
            guard case .complete(let head) = bytes.withUnsafeBytes({ RawRequestScanner.scan($0) }) else { continue }
            framed += 1
            let follower = Array("GET /next HTTP/1.1\r\n\r\n".utf8)
            let parts = try decode(Array(bytes.prefix(head.length)) + follower)
            let text = String(decoding: bytes, as: UTF8.self).debugDescription
            guard parts.count == 4, case .head(let first) = parts[0], case .end = parts[1],
                case .head(let second) = parts[2], case .end = parts[3]
            else {
                Issue.record("NIO read \(parts) from \(text)")
                continue
            }
            #expect(first.method == (head.isHead ? .HEAD : .GET) && first.uri == head.target, "\(text)")
            #expect(first.version == .http1_1 && first.isKeepAlive, "\(text)")
            #expect(second.uri == "/next", "\(text)")
        }
        #expect(framed > 1000, "the mutations must leave many requests to compare (\(framed))")
    }

    private func decode(_ bytes: [UInt8]) throws -> [HTTPServerRequestPart] {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(HTTPRequestDecoder()))
        defer { _ = try? channel.finish() }
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        do {
            try channel.writeInbound(buffer)
        } catch {
            return []
        }
        var parts: [HTTPServerRequestPart] = []
        while let part = try channel.readInbound(as: HTTPServerRequestPart.self) { parts.append(part) }
        return parts
    }
}

/// Replays the libFuzzer seeds (Tests/Fuzz/corpus/http-request) and any crash found so far
/// (Tests/Fuzz/regressions/http-request) through the properties `gateway-fuzz` checks.
@Suite struct RawRequestFuzzReplayTests {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz")

    static func inputs(_ folder: String) -> [URL] {
        let directory = fuzzDirectory.appendingPathComponent(folder).appendingPathComponent("http-request")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { directory.appendingPathComponent($0) }
    }

    @Test(arguments: ["corpus", "regressions"])
    func inputsKeepEveryProperty(folder: String) throws {
        let files = Self.inputs(folder)
        if folder == "corpus" { #expect(files.count >= 4, "seeds in Tests/Fuzz/corpus/http-request") }
        for file in files {
            let input = Array(try Data(contentsOf: file))
            do {
                try RawRequestFuzzing.check(input)
            } catch {
                Issue.record("\(file.lastPathComponent): \(error)")
            }
        }
    }

    /// The properties hold on the differential test's mutations too (and can fail: a truncated
    /// request must not pass for complete).
    @Test func thePropertiesHoldOnMutatedRequests() throws {
        var generator = SplitMix64(seed: 0xF022)
        let seed = Array("GET /live/a/b.m3u8 HTTP/1.1\r\nHost: h\r\nUser-Agent: x y\r\n\r\n".utf8)
        for _ in 0..<3000 {
            var bytes = seed
            let position = Int.random(in: 0..<bytes.count, using: &generator)
            bytes[position] = UInt8.random(in: 0...255, using: &generator)
            try RawRequestFuzzing.check(bytes)
            try RawRequestFuzzing.check(Array(bytes.prefix(position)))
        }
    }
}
