import NIOCore
import Testing

@testable import Gateway

@Suite struct RecordingFileCacheTests {
    static func file(_ size: Int) -> OriginFile {
        OriginFile(bytes: [UInt8](repeating: 7, count: size), contentType: "video/mp4", cache: .immutable)
    }

    @Test func evictsTheLeastRecentlyUsedBeyondItsCapacity() {
        let cache = RecordingFileCache(capacityBytes: 300)
        cache.insert(Self.file(100), at: "/r/a")
        cache.insert(Self.file(100), at: "/r/b")
        cache.insert(Self.file(100), at: "/r/c")
        #expect(cache.file(at: "/r/a") != nil)  // a is now more recent than b
        cache.insert(Self.file(100), at: "/r/d")
        #expect(cache.file(at: "/r/b") == nil)
        #expect(cache.file(at: "/r/a") != nil && cache.file(at: "/r/c") != nil && cache.file(at: "/r/d") != nil)
        #expect(cache.byteCount == 300)
    }

    @Test func refusesFilesLargerThanItsLimitsAndForgetsADeletedFolder() {
        let cache = RecordingFileCache(capacityBytes: 1000)
        cache.insert(Self.file(1001), at: "/r/big")
        #expect(cache.file(at: "/r/big") == nil && cache.byteCount == 0)
        cache.insert(Self.file(10), at: "/rec/cam/A/720p/seg-1.m4s")
        cache.insert(Self.file(10), at: "/rec/cam/AB/720p/seg-1.m4s")
        cache.remove(prefix: "/rec/cam/A/")
        #expect(cache.file(at: "/rec/cam/A/720p/seg-1.m4s") == nil)
        #expect(cache.file(at: "/rec/cam/AB/720p/seg-1.m4s") != nil)
        #expect(cache.byteCount == 10)
    }
}
