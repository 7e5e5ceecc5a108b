import Foundation
import Ladder
import NIOCore
import Testing

@testable import Gateway

@Suite struct StoreOriginContentTests {
    private func address(_ buffer: ByteBuffer) -> UnsafeRawPointer? {
        buffer.withUnsafeReadableBytes { UnsafeRawPointer($0.baseAddress) }
    }

    @Test func everyResponseSharesTheOneStoredBuffer() throws {
        let store = GatewayApplication.makeStore(dataDirectory: nil)
        let content = StoreOriginContent(store: store, segmentSeconds: { _ in 2 })
        let segment = (0..<100_000).map { UInt8(truncatingIfNeeded: $0) }
        try store.put(stream: "cam", path: "720p/seg-1.m4s", data: segment, kind: .mediaSegment(.video))
        let first = try #require(content.file(stream: "cam", path: "720p/seg-1.m4s"))
        let second = try #require(content.file(stream: "cam", path: "720p/seg-1.m4s"))
        #expect(first.body == ByteBuffer(bytes: segment))
        #expect(address(first.body) != nil)
        #expect(address(first.body) == address(second.body), "two responses, one allocation")
        #expect(first.cache == .immutable)
        // The same bytes in one memfd for sendfile(2), shared by both responses too.
        let memoryFile = try #require(first.memoryFile)
        #expect(memoryFile === second.memoryFile)
        var copy = [UInt8](repeating: 0, count: segment.count + 1)
        #expect(pread(memoryFile.descriptor, &copy, copy.count, 0) == segment.count)
        #expect(Array(copy.prefix(segment.count)) == segment)
    }

    @Test func aNewManifestVersionIsANewBuffer() throws {
        let store = GatewayApplication.makeStore(dataDirectory: nil)
        let content = StoreOriginContent(store: store, segmentSeconds: { _ in 4 })
        try store.publishManifests(stream: "cam", files: ["master.m3u8": Array("#EXTM3U\n".utf8)])
        let old = try #require(content.file(stream: "cam", path: "master.m3u8"))
        try store.publishManifests(stream: "cam", files: ["master.m3u8": Array("#EXTM3U\n#v2\n".utf8)])
        let new = try #require(content.file(stream: "cam", path: "master.m3u8"))
        #expect(String(buffer: old.body) == "#EXTM3U\n", "a reader keeps the version it got")
        #expect(String(buffer: new.body) == "#EXTM3U\n#v2\n")
        #expect(new.cache == .liveManifest(maxAgeSeconds: 2))
        #expect(new.memoryFile == nil, "small files are sent from memory")
    }
}
