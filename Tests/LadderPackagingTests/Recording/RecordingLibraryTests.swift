import Foundation
import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

/// Recordings made by a real packager into a temp directory: the journal, the files, the VOD
/// manifests, reconnects, restarts, retention, deletion and write failures.
@Suite struct RecordingLibraryTests {
    static func packager(_ library: RecordingLibrary, name: String = "cam") -> StreamPackager {
        StreamPackager(
            streamName: name, config: .live(segmentSeconds: 2, windowSegments: 4), store: SegmentStore(),
            recorder: library)
    }

    @Test func aPublishBecomesACompleteVODWithEveryRenditionOnDisk() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let library = RecordingLibrary(policy: RecordingPolicy(directory: directory.path))
        let packager = Self.packager(library)
        packager.begin(tracks: SyntheticLadder.tracks())
        SyntheticLadder.feed(packager, seconds: 10)
        library.flush()
        let open = try #require(library.list().first)
        #expect(open.state == .recording)
        let index = try #require(library.openIndex(stream: "cam", id: open.id))
        let event = try #require(RecordingManifests.mediaPlaylist(index, rendition: "720p")).render()
        #expect(event.contains("#EXT-X-PLAYLIST-TYPE:EVENT") && !event.contains("#EXT-X-ENDLIST"))
        #expect(event.contains("seg-1.m4s"), "an EVENT playlist keeps its first segment (the live window does not)")

        packager.end()
        library.flush()
        let done = try #require(library.summary(id: open.id))
        #expect(done.state == .complete)
        #expect(done.segments == 5)
        #expect(abs(done.durationSeconds - 10) < 0.05)
        #expect(done.renditions == ["720p", "360p", "audio"])
        let folder = "cam/\(open.id)"
        for rendition in ["720p", "360p", "audio"] {
            #expect(directory.exists("\(folder)/\(rendition)/init-1.mp4"))
            for number in 1...5 { #expect(directory.exists("\(folder)/\(rendition)/seg-\(number).m4s")) }
        }
        let vod = String(decoding: try #require(directory.read("\(folder)/720p/index.m3u8")), as: UTF8.self)
        #expect(vod.contains("#EXT-X-PLAYLIST-TYPE:VOD") && vod.hasSuffix("#EXT-X-ENDLIST\n"))
        let master = String(decoding: try #require(directory.read("\(folder)/master.m3u8")), as: UTF8.self)
        #expect(master.contains("720p/index.m3u8") && master.contains("TYPE=AUDIO"))
        let mpd = String(decoding: try #require(directory.read("\(folder)/manifest.mpd")), as: UTF8.self)
        #expect(mpd.contains("type=\"static\"") && mpd.contains("mediaPresentationDuration=\"PT10S\""))
        #expect(library.filePath(stream: "cam", id: open.id, path: "720p/seg-1.m4s") != nil)
        #expect(library.filePath(stream: "cam", id: open.id, path: RecordingJournal.fileName) == nil)
        #expect(library.filePath(stream: "other", id: open.id, path: "master.m3u8") == nil)
        #expect(library.filePath(stream: "cam", id: open.id, path: "../x") == nil)
    }

    @Test func aReconnectWithinTheGraceContinuesTheRecordingAfterADiscontinuity() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let library = RecordingLibrary(policy: RecordingPolicy(directory: directory.path))
        let packager = Self.packager(library)
        let first = packager.attachPublish()
        first.begin(tracks: SyntheticLadder.tracks())
        SyntheticLadder.feed(first, seconds: 6)
        first.markVanished()
        first.end()
        #expect(packager.isAwaitingReconnect)
        #expect(packager.statistics().state == .live)
        let second = packager.attachPublish()
        second.begin(tracks: SyntheticLadder.tracks())
        SyntheticLadder.feed(second, seconds: 6, firstFrame: 0)
        packager.expire(publish: first.id)
        #expect(packager.statistics().state == .live, "an old publish's grace ends nothing once another came")
        second.end()
        library.flush()
        let recordings = library.list()
        #expect(recordings.count == 1)
        let summary = try #require(recordings.first)
        #expect(summary.state == .complete && summary.segments == 6)
        let vod = String(
            decoding: try #require(directory.read("cam/\(summary.id)/720p/index.m3u8")), as: UTF8.self)
        #expect(vod.components(separatedBy: "#EXT-X-DISCONTINUITY\n").count == 2)
        let mpd = String(decoding: try #require(directory.read("cam/\(summary.id)/manifest.mpd")), as: UTF8.self)
        #expect(mpd.contains("<Period id=\"p0\"") && mpd.contains("<Period id=\"p1\""))
    }

    @Test func theSlateIsLiveButNotRecorded() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let library = RecordingLibrary(policy: RecordingPolicy(directory: directory.path))
        let packager = Self.packager(library)
        let first = packager.attachPublish()
        first.begin(tracks: SyntheticLadder.tracks())
        SyntheticLadder.feed(first, seconds: 6)  // grid segments 0 and 1 published, 2 open
        first.slateBegins(atSegment: 3)  // the publisher vanished at 6 s: from grid 3 on, slate
        SyntheticLadder.feed(first, seconds: 4, firstFrame: 180, firstAudioFrame: 282)
        first.markVanished()
        first.end()
        let second = packager.attachPublish()
        second.begin(tracks: SyntheticLadder.tracks())
        SyntheticLadder.feed(second, seconds: 4)
        second.end()
        library.flush()
        #expect(packager.statistics().segmentsPublished == 7, "live: 3 real + 2 slate + 2 after the return")
        let summary = try #require(library.list().first)
        #expect(summary.segments == 5, "recorded: 3 real + 2 after the return")
        let vod = String(decoding: try #require(directory.read("cam/\(summary.id)/720p/index.m3u8")), as: UTF8.self)
        #expect(vod.contains("seg-3.m4s") && !vod.contains("seg-4.m4s") && !vod.contains("seg-5.m4s"))
        #expect(vod.components(separatedBy: "#EXT-X-DISCONTINUITY\n").count == 2, "the gap: \(vod)")
    }

    @Test func theGraceEndsTheStreamAndItsRecordingWhenNobodyCameBack() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let library = RecordingLibrary(policy: RecordingPolicy(directory: directory.path))
        let packager = Self.packager(library)
        let publish = packager.attachPublish()
        publish.begin(tracks: SyntheticLadder.tracks())
        SyntheticLadder.feed(publish, seconds: 4)
        publish.markVanished()
        publish.end()
        library.flush()
        #expect(library.list().first?.state == .recording)
        #expect(
            packager.store.get(stream: "cam", path: "720p/index.m3u8")?.bytes.contains(Array("ENDLIST".utf8)) == false)
        packager.expire(publish: publish.id)
        library.flush()
        #expect(packager.statistics().state == .ended)
        #expect(library.list().first?.state == .complete)
    }

    @Test func aRestartClosesTheOpenRecordingAsInterruptedAtItsLastCompleteSegment() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let writer = RecordingLibrary(policy: RecordingPolicy(directory: directory.path))
        let packager = Self.packager(writer)
        packager.begin(tracks: SyntheticLadder.tracks())
        SyntheticLadder.feed(packager, seconds: 10)
        writer.flush()
        let id = try #require(writer.list().first?.id)
        #expect(writer.list().first?.segments == 4, "segment 5 waits for the next keyframe")
        // A crash: segment 4 of one rendition never reached the disk, and a torn journal line.
        try FileManager.default.removeItem(atPath: "\(directory.path)/cam/\(id)/360p/seg-4.m4s")
        let journal = try #require(FileHandle(forWritingAtPath: "\(directory.path)/cam/\(id)/index.jsonl"))
        journal.seekToEndOfFile()
        journal.write(Data("{\"type\":\"segm".utf8))
        try journal.close()

        let restarted = RecordingLibrary(policy: RecordingPolicy(directory: directory.path))
        #expect(restarted.recover(nowMs: 0) == [id])
        restarted.flush()
        let summary = try #require(restarted.summary(id: id))
        #expect(summary.state == .interrupted)
        #expect(summary.segments == 3, "nothing after a missing file is listed")
        let vod = String(decoding: try #require(directory.read("cam/\(id)/720p/index.m3u8")), as: UTF8.self)
        #expect(vod.contains("seg-3.m4s") && !vod.contains("seg-4.m4s") && vod.hasSuffix("#EXT-X-ENDLIST\n"))
        // Recovering again finds it closed.
        let again = RecordingLibrary(policy: RecordingPolicy(directory: directory.path))
        #expect(again.recover(nowMs: 0).isEmpty)
        #expect(again.summary(id: id)?.state == .interrupted)
    }

    @Test func aFailedWriteLeavesTheSegmentOutAndTheNextOneFollowsADiscontinuity() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let library = RecordingLibrary(policy: RecordingPolicy(directory: directory.path))
        let packager = Self.packager(library)
        let store = packager.store
        packager.begin(tracks: SyntheticLadder.tracks())
        SyntheticLadder.feed(packager, seconds: 4)
        library.flush()
        let id = try #require(library.list().first?.id)
        // The next 360p segment's path is taken by a directory: its write fails (as on a full disk).
        try FileManager.default.createDirectory(
            atPath: "\(directory.path)/cam/\(id)/360p/seg-3.m4s", withIntermediateDirectories: true)
        SyntheticLadder.feed(packager, seconds: 8, firstFrame: 120, firstAudioFrame: 188)
        packager.end()
        library.flush()
        #expect(library.counters.writeFailures >= 1)
        #expect(library.counters.segmentsDropped >= 1)
        #expect(store.get(stream: "cam", path: "720p/seg-3.m4s") != nil, "the live stream lost nothing")
        let summary = try #require(library.summary(id: id))
        let vod = String(decoding: try #require(directory.read("cam/\(id)/720p/index.m3u8")), as: UTF8.self)
        #expect(!vod.contains("seg-3.m4s") && vod.contains("seg-4.m4s"))
        #expect(vod.contains("#EXT-X-DISCONTINUITY\n"))
        #expect(summary.state == .complete)
    }

    @Test func retentionDeletesByAgeThenBySizeOldestFirstButNeverTheOneBeingWritten() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let clock = ManualClock()
        var ids: [String] = []
        let library = RecordingLibrary(
            policy: RecordingPolicy(directory: directory.path, keepSeconds: 3600, maxBytes: 1))
        for name in ["a", "b", "c"] {
            let packager = StreamPackager(
                streamName: name, config: .live(segmentSeconds: 2, windowSegments: 4), store: SegmentStore(),
                clock: { clock.now }, recorder: library)
            packager.begin(tracks: SyntheticLadder.tracks())
            SyntheticLadder.feed(packager, seconds: 4, clock: clock, clockBaseMs: clock.nowMs)
            if name != "c" { packager.end() }
            library.flush()
            ids.append(try #require(library.list(stream: name).first?.id))
            clock.advance(1000)
        }
        // By age: nothing is an hour old yet; by size (1 byte allowed): every closed one goes.
        let removed = library.enforceRetention(nowMs: clock.nowMs).map(\.id)
        #expect(removed == [ids[0], ids[1]], "oldest first")
        #expect(library.list().map(\.id) == [ids[2]], "the recording being written stays")
        #expect(!directory.exists("a/\(ids[0])"))
        #expect(library.delete(id: ids[2]) == .inProgress)
        #expect(library.delete(id: "nope") == .notFound)
    }

    @Test func ageRetentionKeepsRecentRecordings() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let clock = ManualClock()
        let library = RecordingLibrary(policy: RecordingPolicy(directory: directory.path, keepSeconds: 60))
        let packager = StreamPackager(
            streamName: "cam", config: .live(segmentSeconds: 2, windowSegments: 4), store: SegmentStore(),
            clock: { clock.now }, recorder: library)
        packager.begin(tracks: SyntheticLadder.tracks())
        SyntheticLadder.feed(packager, seconds: 4, clock: clock, clockBaseMs: clock.nowMs)
        packager.end()
        library.flush()
        let id = try #require(library.list().first?.id)
        #expect(library.enforceRetention(nowMs: clock.nowMs + 30_000).isEmpty)
        #expect(library.enforceRetention(nowMs: clock.nowMs + 61_000).map(\.id) == [id])
        #expect(library.list().isEmpty)
        guard case .notFound = library.delete(id: id) else {
            Issue.record("a deleted recording is gone")
            return
        }
    }

    @Test func onlyThePolicysStreamsAreRecorded() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let library = RecordingLibrary(policy: RecordingPolicy(directory: directory.path, streams: .named(["b"])))
        for name in ["a", "b"] {
            let packager = Self.packager(library, name: name)
            packager.begin(tracks: SyntheticLadder.tracks())
            SyntheticLadder.feed(packager, seconds: 4)
            packager.end()
        }
        library.flush()
        #expect(library.list().map(\.stream) == ["b"])
    }
}
