import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

@Suite struct DiskMirrorTests {
    @Test func putsDeletesAndRemovalsAreMirrored() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let mirror = DiskMirror(root: directory.path + "/")
        let store = SegmentStore(mirror: mirror)
        try store.put(stream: "cam", path: "720p/init-1.mp4", data: [1, 2], kind: .initSegment(.video))
        try store.put(stream: "cam", path: "720p/seg-1.m4s", data: [3], kind: .mediaSegment(.video))
        try store.publishManifests(stream: "cam", files: ["master.m3u8": Array("#EXTM3U\n".utf8)])
        #expect(directory.files() == ["cam/720p/init-1.mp4", "cam/720p/seg-1.m4s", "cam/master.m3u8"])
        #expect(directory.read("cam/720p/init-1.mp4") == [1, 2])

        try store.publishManifests(stream: "cam", files: ["master.m3u8": Array("#EXTM3U\n#v2\n".utf8)])
        #expect(directory.read("cam/master.m3u8") == Array("#EXTM3U\n#v2\n".utf8))
        // Atomic replacement leaves no temporary files behind.
        #expect(directory.files().count == 3)

        store.delete(stream: "cam", path: "720p/seg-1.m4s")
        #expect(!directory.exists("cam/720p/seg-1.m4s"))
        store.removeStream("cam")
        #expect(!directory.exists("cam"))
        #expect(mirror.failureCount == 0)
    }

    @Test func unwritableRootIsCountedButMemoryStillServes() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        // A regular file where the stream directory should be.
        try AtomicFile.write([0], to: directory.path + "/cam")
        let mirror = DiskMirror(root: directory.path)
        let store = SegmentStore(mirror: mirror)
        #expect(throws: SegmentStoreError.self) {
            try store.put(stream: "cam", path: "a/seg-1.m4s", data: [1], kind: .mediaSegment(.video))
        }
        #expect(mirror.failureCount == 1)
        #expect(store.get(stream: "cam", path: "a/seg-1.m4s")?.bytes == [1])
    }

    @Test func segmentsOnDiskOnlyKeepOnlyManifestsInMemory() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let mirror = DiskMirror(root: directory.path, streamFolders: false)
        let store = SegmentStore(mirror: mirror, segmentsOnDiskOnly: true)
        try store.put(stream: "vod", path: "720p/init-1.mp4", data: [1, 2], kind: .initSegment(.video))
        try store.put(stream: "vod", path: "720p/seg-1.m4s", data: [3], kind: .mediaSegment(.video))
        try store.publishManifests(stream: "vod", files: ["master.m3u8": Array("#EXTM3U\n".utf8)])
        #expect(directory.files() == ["720p/init-1.mp4", "720p/seg-1.m4s", "master.m3u8"])
        #expect(directory.read("720p/seg-1.m4s") == [3])
        #expect(store.get(stream: "vod", path: "720p/seg-1.m4s") == nil)
        #expect(store.get(stream: "vod", path: "master.m3u8") != nil)
        // Removing the stream never deletes the caller's output directory.
        store.removeStream("vod")
        #expect(directory.exists("master.m3u8"))
    }

    @Test func aQueuedMirrorWritesInSubmissionOrderOffTheCallersThread() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let mirror = DiskMirror(root: directory.path, writes: .serialQueue(maxBacklogBytes: 1 << 20))
        let store = SegmentStore(mirror: mirror)
        for number in 1...20 {
            try store.put(
                stream: "cam", path: "720p/seg-\(number).m4s", data: [UInt8(number)], kind: .mediaSegment(.video))
            try store.publishManifests(stream: "cam", files: ["master.m3u8": Array("#v\(number)\n".utf8)])
        }
        store.delete(stream: "cam", path: "720p/seg-1.m4s")
        mirror.flush()
        // The last manifest wins and the delete ran after the write it follows.
        #expect(directory.read("cam/master.m3u8") == Array("#v20\n".utf8))
        #expect(!directory.exists("cam/720p/seg-1.m4s"))
        #expect(directory.read("cam/720p/seg-20.m4s") == [20])
        #expect(mirror.backlogBytes == 0)
        #expect(mirror.failureCount == 0)
        store.removeStream("cam")
        mirror.flush()
        #expect(!directory.exists("cam"))
    }

    @Test func aFullBacklogRefusesTheWriteInsteadOfBufferingIt() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let mirror = DiskMirror(root: directory.path, writes: .serialQueue(maxBacklogBytes: 10))
        let store = SegmentStore(mirror: mirror)
        // Larger than the whole backlog: refused at once, counted, still served from memory.
        #expect(throws: SegmentStoreError.mirrorBacklogFull(path: "a/seg-1.m4s")) {
            try store.put(
                stream: "cam", path: "a/seg-1.m4s", data: Array(repeating: 1, count: 11), kind: .mediaSegment(.video))
        }
        #expect(mirror.failureCount == 1)
        #expect(store.get(stream: "cam", path: "a/seg-1.m4s")?.bytes.count == 11)
        try store.put(stream: "cam", path: "a/seg-2.m4s", data: [2], kind: .mediaSegment(.video))
        mirror.flush()
        #expect(directory.read("cam/a/seg-2.m4s") == [2])
        #expect(!directory.exists("cam/a/seg-1.m4s"))
    }
}
