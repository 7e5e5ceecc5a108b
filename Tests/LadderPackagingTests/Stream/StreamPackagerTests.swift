import Foundation
import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

@Suite struct StreamPackagerTests {
    struct Setup {
        let store = SegmentStore()
        let clock = ManualClock()
        let packager: StreamPackager
        var stream: StoredStream { StoredStream(store: store, name: "cam") }

        init(config: PackagerConfig = .live(segmentSeconds: 2, windowSegments: 10)) {
            let clock = self.clock
            packager = StreamPackager(streamName: "cam", config: config, store: store, clock: { clock.now })
        }
    }

    static let renditions = ["720p", "360p", "audio"]

    @Test func everyRungStartsSegmentNAtTheSameTimeAndAudioWithinOneFrame() throws {
        let setup = Setup()
        setup.packager.begin(tracks: SyntheticLadder.tracks())
        SyntheticLadder.feed(setup.packager, seconds: 10, clock: setup.clock, clockBaseMs: setup.clock.base)
        setup.packager.end()
        let stream = setup.stream
        let uris = stream.segmentURIs("720p")
        #expect(uris == (1...5).map { "seg-\($0).m4s" })
        #expect(stream.segmentURIs("360p") == uris)
        #expect(stream.segmentURIs("audio") == uris)
        #expect(stream.durations("720p") == [2, 2, 2, 2, 2])
        var audioEnd: UInt64?
        for (position, uri) in uris.enumerated() {
            let high = try stream.fragment("720p", uri, video: true)
            let low = try stream.fragment("360p", uri, video: true)
            let audio = try stream.fragment("audio", uri, video: false)
            #expect(high.decodeTime == UInt64(position) * 180000)
            #expect(low.decodeTime == high.decodeTime)
            #expect(high.isSync(0) && low.isSync(0))
            #expect(!high.isSync(1))
            #expect(high.durations == low.durations)
            let offset = audioOffset(audio, videoTicks: high.decodeTime)
            #expect(offset <= halfAudioFrame, "audio of \(uri) starts \(offset) s from video")
            if let audioEnd { #expect(audio.decodeTime == audioEnd) }
            audioEnd = audio.decodeTime + audio.totalDuration
        }
        // The last sample of the stream keeps the previous duration.
        let last = try stream.fragment("720p", "seg-5.m4s", video: true)
        #expect(last.durations.allSatisfy { $0 == 3000 })
        #expect(last.run.samples.count == 60)
    }

    @Test func nothingIsListedBeforeEveryTrackCompletedIt() throws {
        let setup = Setup()
        setup.packager.begin(tracks: SyntheticLadder.tracks())
        SyntheticLadder.feed(setup.packager, seconds: 6, audio: false)
        #expect(setup.stream.text("master.m3u8") == nil)
        #expect(setup.stream.segmentURIs("720p").isEmpty)
        for frame in 0..<200 {
            setup.packager.append(SyntheticLadder.audio(frame), track: 2)
        }
        let stream = setup.stream
        #expect(stream.segmentURIs("720p") == ["seg-1.m4s", "seg-2.m4s"])
        #expect(stream.segmentURIs("audio") == ["seg-1.m4s", "seg-2.m4s"])
        for path in stream.advertisedPaths() {
            #expect(setup.store.get(stream: "cam", path: path) != nil, "advertised \(path) is missing")
        }
        #expect(stream.advertisedPaths().count == 3 * (1 + 1 + 2))
    }

    @Test func windowSlidesAndOldSegmentsAreDeletedAfterTheGrace() throws {
        let setup = Setup(config: PackagerConfig(segmentSeconds: 2, windowSegments: 3, deletionGraceSegments: 2))
        setup.packager.begin(tracks: SyntheticLadder.tracks())
        SyntheticLadder.feed(setup.packager, seconds: 20, clock: setup.clock, clockBaseMs: setup.clock.base)
        let stream = setup.stream
        #expect(stream.segmentURIs("360p") == ["seg-7.m4s", "seg-8.m4s", "seg-9.m4s"])
        #expect(stream.tagValue("360p", "#EXT-X-MEDIA-SEQUENCE") == "7")
        for rendition in Self.renditions {
            #expect(setup.store.get(stream: "cam", path: "\(rendition)/seg-4.m4s") == nil)
            #expect(setup.store.get(stream: "cam", path: "\(rendition)/seg-5.m4s") != nil)
            #expect(setup.store.get(stream: "cam", path: "\(rendition)/init-1.mp4") != nil)
        }
        let mpd = try #require(stream.text("manifest.mpd"))
        #expect(mpd.contains("timeShiftBufferDepth=\"PT6S\""))
        // Numbered addressing: the period's slot grid starts at its first segment.
        #expect(mpd.contains("duration=\"180000\" initialization=\"$RepresentationID$/init-1.mp4\""))
        #expect(mpd.contains("startNumber=\"1\"/>"))
        #expect(!mpd.contains("SegmentTimeline"))
    }

    @Test func timelineAddressingListsTheWindow() throws {
        let setup = Setup(
            config: PackagerConfig(
                segmentSeconds: 2, windowSegments: 3, deletionGraceSegments: 2, dashAddressing: .timeline))
        setup.packager.begin(tracks: SyntheticLadder.tracks())
        SyntheticLadder.feed(setup.packager, seconds: 20, clock: setup.clock, clockBaseMs: setup.clock.base)
        let mpd = try #require(setup.stream.text("manifest.mpd"))
        #expect(mpd.contains("startNumber=\"7\""))
        #expect(!mpd.contains("startNumber=\"6\""))
        let timelines = expandedTimelines(mpd)
        #expect(timelines.count == 3)
        #expect(timelines.first?.map(\.t) == [1_080_000, 1_260_000, 1_440_000])
        #expect(timelines.last?.count == 3)
    }

    @Test func reconnectWithTheSameConfigIsADiscontinuityOnTheSameInit() throws {
        let setup = Setup()
        let tracks = SyntheticLadder.tracks()
        setup.packager.begin(tracks: tracks)
        SyntheticLadder.feed(setup.packager, seconds: 6, clock: setup.clock, clockBaseMs: setup.clock.base)
        setup.clock.set(setup.clock.base + 6_200)
        setup.packager.interrupt()
        #expect(setup.stream.segmentURIs("720p").count == 3)
        #expect(setup.stream.text("720p/index.m3u8")?.contains("ENDLIST") == false)
        setup.packager.append(SyntheticLadder.audio(300), track: 2)
        let reconnectMs = setup.clock.base + 36_000
        setup.clock.set(reconnectMs)
        setup.packager.begin(tracks: tracks)
        // The publisher's timestamps restart at zero.
        SyntheticLadder.feed(setup.packager, seconds: 6, clock: setup.clock, clockBaseMs: reconnectMs)
        let stream = setup.stream
        let playlist = try #require(stream.text("720p/index.m3u8"))
        #expect(playlist.components(separatedBy: "#EXT-X-DISCONTINUITY\n").count == 2)
        #expect(playlist.contains("#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"init-1.mp4\"\n"))
        #expect(!playlist.contains("init-2.mp4"))
        #expect(setup.store.get(stream: "cam", path: "720p/init-2.mp4") == nil)
        #expect(stream.segmentURIs("720p") == (1...5).map { "seg-\($0).m4s" })
        // The output timeline continues right after the previous publish.
        let before = try stream.fragment("720p", "seg-3.m4s", video: true)
        let after = try stream.fragment("720p", "seg-4.m4s", video: true)
        #expect(after.decodeTime == before.decodeTime + before.totalDuration)
        let audioBefore = try stream.fragment("audio", "seg-3.m4s", video: false)
        let audioAfter = try stream.fragment("audio", "seg-4.m4s", video: false)
        #expect(audioAfter.decodeTime >= audioBefore.decodeTime + audioBefore.totalDuration)
        // Program date-time jumps by the real gap.
        let dates = playlist.split(separator: "\n").filter { $0.hasPrefix("#EXT-X-PROGRAM-DATE-TIME:") }
        #expect(dates.first == "#EXT-X-PROGRAM-DATE-TIME:2026-11-21T10:00:00.133Z")
        #expect(dates[3].hasPrefix("#EXT-X-PROGRAM-DATE-TIME:2026-11-21T10:00:36"))
        // DASH: a new period that starts after the wall-clock gap.
        let mpd = try #require(stream.text("manifest.mpd"))
        #expect(mpd.contains("<Period id=\"p0\" start=\"PT0S\">"))
        let secondPeriod = try #require(mpd.components(separatedBy: "<Period id=\"p1\" start=\"PT").dropFirst().first)
        let start = try #require(Double(secondPeriod.prefix { $0 != "S" }))
        #expect(start >= 36 && start < 37)
        #expect(mpd.contains("presentationTimeOffset=\"540000\""))

        setup.packager.end()
        let ended = try #require(stream.text("720p/index.m3u8"))
        #expect(ended.hasSuffix("#EXT-X-ENDLIST\n"))
        #expect(stream.tagValue("720p", "#EXT-X-DISCONTINUITY-SEQUENCE") == "0")
        let staticMPD = try #require(stream.text("manifest.mpd"))
        #expect(staticMPD.contains("type=\"static\""))
        #expect(staticMPD.contains("mediaPresentationDuration=\"PT12S\""))
        #expect(staticMPD.contains("<Period id=\"p1\" start=\"PT6S\">"))
        #expect(setup.store.streamState("cam") == .ended)
    }

    @Test func reconnectWithANewConfigGetsANewInitOnlyWhereItChanged() throws {
        let setup = Setup()
        setup.packager.begin(tracks: SyntheticLadder.tracks())
        SyntheticLadder.feed(setup.packager, seconds: 4)
        setup.packager.begin(tracks: SyntheticLadder.tracks(level720: 0x28))
        SyntheticLadder.feed(setup.packager, seconds: 4)
        setup.packager.end()
        let stream = setup.stream
        let high = try #require(stream.text("720p/index.m3u8"))
        #expect(high.contains("#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"init-2.mp4\"\n"))
        #expect(setup.store.get(stream: "cam", path: "720p/init-2.mp4") != nil)
        #expect(setup.store.get(stream: "cam", path: "720p/init-1.mp4") != nil)
        let low = try #require(stream.text("360p/index.m3u8"))
        #expect(low.contains("#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"init-1.mp4\"\n"))
        #expect(setup.store.get(stream: "cam", path: "360p/init-2.mp4") == nil)
        #expect(setup.store.get(stream: "cam", path: "audio/init-2.mp4") == nil)
        let mpd = try #require(stream.text("manifest.mpd"))
        #expect(mpd.contains("initialization=\"$RepresentationID$/init-2.mp4\""))
        #expect(setup.packager.statistics().renditions.first?.initVersion == 2)
    }

    @Test func timestampJumpIsRebasedAndMarked() throws {
        let setup = Setup()
        setup.packager.begin(tracks: SyntheticLadder.tracks())
        SyntheticLadder.feed(setup.packager, seconds: 4)
        let jump: Int64 = 60
        SyntheticLadder.feed(
            setup.packager, seconds: 4, videoStart: jump * 90000, audioStart: jump * 48000, firstFrame: 120,
            firstAudioFrame: 187)
        setup.packager.end()
        let stream = setup.stream
        #expect(stream.segmentURIs("720p").count == 4)
        #expect(stream.segmentURIs("audio").count == 4)
        let playlist = try #require(stream.text("360p/index.m3u8"))
        #expect(playlist.contains("#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"init-1.mp4\"\n#EXT-X-PROGRAM-DATE-TIME"))
        #expect(stream.durations("720p") == [2, 2, 2, 2])
        var expected: UInt64 = 0
        for uri in stream.segmentURIs("720p") {
            let fragment = try stream.fragment("720p", uri, video: true)
            #expect(fragment.decodeTime == expected)
            expected += fragment.totalDuration
        }
        var audioExpected: UInt64 = 0
        for uri in stream.segmentURIs("audio") {
            let fragment = try stream.fragment("audio", uri, video: false)
            #expect(fragment.decodeTime == audioExpected)
            audioExpected += fragment.totalDuration
        }
        #expect(setup.packager.statistics().timestampJumps == 3)
    }

    @Test func endListsEverythingAndMakesTheMPDStatic() throws {
        let setup = Setup()
        setup.packager.begin(tracks: SyntheticLadder.tracks())
        SyntheticLadder.feed(setup.packager, seconds: 5, clock: setup.clock, clockBaseMs: setup.clock.base)
        let live = try #require(setup.stream.text("manifest.mpd"))
        #expect(live.contains("type=\"dynamic\""))
        #expect(live.contains("<UTCTiming schemeIdUri=\"urn:mpeg:dash:utc:http-iso:2014\" value=\"/time\"/>"))
        #expect(setup.store.get(stream: "cam", path: "master.m3u8")?.isLiveManifest == true)
        setup.packager.end()
        let stream = setup.stream
        #expect(stream.segmentURIs("720p").count == 3)
        #expect(stream.durations("720p") == [2, 2, 1])
        for rendition in Self.renditions {
            #expect(stream.text("\(rendition)/index.m3u8")?.hasSuffix("#EXT-X-ENDLIST\n") == true)
        }
        let mpd = try #require(stream.text("manifest.mpd"))
        #expect(mpd.contains("type=\"static\""))
        #expect(mpd.contains("mediaPresentationDuration=\"PT5S\""))
        #expect(!mpd.contains("availabilityStartTime"))
        #expect(setup.store.get(stream: "cam", path: "master.m3u8")?.isLiveManifest == false)
        #expect(setup.packager.statistics().state == .ended)
    }

    @Test func bandwidthIsThePeakAndMeanOfMeasuredSegments() throws {
        let setup = Setup()
        setup.packager.begin(tracks: SyntheticLadder.tracks())
        SyntheticLadder.feed(setup.packager, seconds: 9)
        setup.packager.end()
        let stream = setup.stream
        var peak = 0.0
        var bits = 0.0
        var seconds = 0.0
        for (uri, duration) in zip(stream.segmentURIs("720p"), stream.durations("720p")) {
            let video = try #require(setup.store.get(stream: "cam", path: "720p/\(uri)")).bytes.count
            let audio = try #require(setup.store.get(stream: "cam", path: "audio/\(uri)")).bytes.count
            let segmentBits = Double(video + audio) * 8
            if duration >= 1 { peak = max(peak, segmentBits / duration) }
            bits += segmentBits
            seconds += duration
        }
        let master = try #require(stream.text("master.m3u8"))
        let lines = master.split(separator: "\n")
        let high = try #require(lines.first { $0.hasPrefix("#EXT-X-STREAM-INF:") })
        #expect(attribute("BANDWIDTH", in: " " + high[...].dropFirst(18)) == nil)  // first attribute has no space
        #expect(high.hasPrefix("#EXT-X-STREAM-INF:BANDWIDTH=\(Int(peak.rounded(.up))),"))
        #expect(high.contains("AVERAGE-BANDWIDTH=\(Int((bits / seconds).rounded())),"))
        #expect(high.contains("CODECS=\"avc1.64001f,mp4a.40.2\",RESOLUTION=1280x720,FRAME-RATE=30.000,AUDIO=\"audio\""))
        // Highest first.
        #expect(lines.firstIndex { $0.hasPrefix("720p/") }! < lines.firstIndex { $0.hasPrefix("360p/") }!)
        #expect(
            master.contains(
                "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"audio\",DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"2\",URI=\"audio/index.m3u8\""
            ))
        let statistics = setup.packager.statistics()
        #expect(statistics.segmentsPublished == 5)
        #expect(statistics.renditions.map(\.name) == Self.renditions)
        #expect((statistics.renditions.first?.peakBitrate ?? 0) > 0)
    }

    @Test func targetBitrateIsUsedUntilAFullSegmentWasMeasured() throws {
        let setup = Setup()
        setup.packager.begin(tracks: SyntheticLadder.tracks())
        // Starts at 1.5 s: the first segment is only half a second long.
        SyntheticLadder.feed(setup.packager, seconds: 0.7, videoStart: 135000, audioStart: 72000)
        let master = try #require(setup.stream.text("master.m3u8"))
        #expect(master.contains("#EXT-X-STREAM-INF:BANDWIDTH=2928000,"))
        #expect(master.contains("#EXT-X-STREAM-INF:BANDWIDTH=928000,"))
        #expect(setup.stream.durations("720p") == [0.5])
    }

    @Test func aRungWithoutAnIDRAtABoundaryStaysAligned() throws {
        let setup = Setup()
        setup.packager.begin(tracks: SyntheticLadder.tracks())
        // 360p has no IDR at 4 s: every track publishes 2..6 s as one segment.
        SyntheticLadder.feed(
            setup.packager, seconds: 10, sync: { rung, frame in rung == 1 && frame == 120 ? false : nil })
        setup.packager.end()
        let stream = setup.stream
        for rendition in Self.renditions {
            #expect(stream.segmentURIs(rendition) == (1...4).map { "seg-\($0).m4s" })
        }
        #expect(stream.durations("720p") == [2, 4, 2, 2])
        #expect(stream.durations("360p") == [2, 4, 2, 2])
        let high = try stream.fragment("720p", "seg-2.m4s", video: true)
        #expect(high.isSync(60))  // the folded segment keeps its second IDR
        #expect(try stream.fragment("360p", "seg-3.m4s", video: true).decodeTime == 540000)
    }

    @Test func aTrackThatNeverDeliversLeavesTheLivePublish() throws {
        let setup = Setup()
        setup.packager.begin(tracks: SyntheticLadder.tracks())
        SyntheticLadder.feed(setup.packager, seconds: 10, audio: false)
        let stream = setup.stream
        #expect(stream.segmentURIs("720p").count == 4)
        let master = try #require(stream.text("master.m3u8"))
        #expect(!master.contains("AUDIO"))
        #expect(master.contains("CODECS=\"avc1.64001f\""))
        #expect(setup.packager.statistics().droppedTracks == 1)
        // Late audio is dropped until the next publish.
        setup.packager.append(SyntheticLadder.audio(500), track: 2)
        #expect(setup.store.get(stream: "cam", path: "audio/seg-1.m4s") == nil)
    }

    @Test func bFramesKeepAudioAlignedWithPresentationTimes() throws {
        let setup = Setup()
        setup.packager.begin(tracks: SyntheticLadder.tracks())
        SyntheticLadder.feed(setup.packager, seconds: 6, compositionDelay: 2)
        setup.packager.end()
        let stream = setup.stream
        for uri in stream.segmentURIs("720p") {
            let video = try stream.fragment("720p", uri, video: true)
            #expect(video.run.version == 0)
            let offset = try #require(video.run.samples.first?.compositionOffset)
            #expect(offset == 6000)
            let audio = try stream.fragment("audio", uri, video: false)
            let gap = audioOffset(audio, videoTicks: video.decodeTime + UInt64(offset))
            #expect(gap <= halfAudioFrame)
        }
        let mpd = try #require(stream.text("manifest.mpd"))
        let timelines = expandedTimelines(mpd)
        #expect(timelines.first?.first?.t == 6000)
    }

    @Test func vodModeWritesEventThenVodAndAStaticMPD() throws {
        let setup = Setup(config: .vod(segmentSeconds: 2))
        setup.packager.begin(tracks: SyntheticLadder.tracks())
        SyntheticLadder.feed(setup.packager, seconds: 30)
        let stream = setup.stream
        #expect(stream.tagValue("720p", "#EXT-X-PLAYLIST-TYPE") == "EVENT")
        #expect(stream.text("manifest.mpd") == nil)
        setup.packager.end()
        #expect(stream.tagValue("720p", "#EXT-X-PLAYLIST-TYPE") == "VOD")
        #expect(stream.segmentURIs("720p").count == 15)
        #expect(stream.tagValue("720p", "#EXT-X-MEDIA-SEQUENCE") == "1")
        #expect(!(stream.text("720p/index.m3u8") ?? "").contains("PROGRAM-DATE-TIME"))
        #expect(stream.text("manifest.mpd")?.contains("mediaPresentationDuration=\"PT30S\"") == true)
        let directory = try TestDirectory()
        defer { directory.remove() }
        try setup.store.writeAll(stream: "cam", to: directory.path)
        let files = directory.files()
        #expect(files.contains("master.m3u8"))
        #expect(files.contains("manifest.mpd"))
        #expect(files.contains("audio/init-1.mp4"))
        #expect(files.filter { $0.hasSuffix(".m4s") }.count == 45)
    }

    @Test func tracksFromConcurrentThreads() throws {
        let setup = Setup(config: .vod(segmentSeconds: 2))
        setup.packager.begin(tracks: SyntheticLadder.tracks())
        let packager = setup.packager
        DispatchQueue.concurrentPerform(iterations: 3) { track in
            if track < 2 {
                for frame in 0..<600 {
                    packager.append(SyntheticLadder.video(frame, rung: track), track: track)
                }
            } else {
                for frame in 0..<937 {
                    packager.append(SyntheticLadder.audio(frame), track: 2)
                }
            }
        }
        packager.end()
        let stream = setup.stream
        let uris = stream.segmentURIs("720p")
        #expect(uris.count == 10)
        #expect(stream.segmentURIs("360p") == uris)
        #expect(stream.segmentURIs("audio") == uris)
        for (position, uri) in uris.enumerated() {
            let video = try stream.fragment("360p", uri, video: true)
            #expect(video.decodeTime == UInt64(position) * 180000)
            let audio = try stream.fragment("audio", uri, video: false)
            let gap = audioOffset(audio, videoTicks: video.decodeTime)
            #expect(gap <= 2 * halfAudioFrame)
        }
    }

    @Test func overlappingPublishesEndTheStreamOnlyWithTheLast() throws {
        let setup = Setup()
        let tracks = SyntheticLadder.tracks()
        let first = setup.packager.attachPublish()
        first.begin(tracks: tracks)
        SyntheticLadder.feed(first, seconds: 6, clock: setup.clock, clockBaseMs: setup.clock.base)
        // A takeover: the new publish starts while the old pipeline is still flushing.
        let second = setup.packager.attachPublish()
        let reconnectMs = setup.clock.base + 7_000
        setup.clock.set(reconnectMs)
        second.begin(tracks: tracks)
        let segmentsBefore = setup.stream.segmentURIs("720p").count
        // The old pipeline's late output, a late declaration and its end change nothing.
        first.append(SyntheticLadder.video(180, rung: 0), track: 0)
        first.begin(tracks: tracks)
        first.end()
        #expect(setup.stream.segmentURIs("720p").count == segmentsBefore)
        #expect(setup.stream.text("720p/index.m3u8")?.contains("#EXT-X-ENDLIST") == false)
        #expect(setup.store.streamState("cam") == .live)
        SyntheticLadder.feed(second, seconds: 6, clock: setup.clock, clockBaseMs: reconnectMs)
        second.end()
        let playlist = try #require(setup.stream.text("720p/index.m3u8"))
        #expect(playlist.components(separatedBy: "#EXT-X-DISCONTINUITY\n").count == 2)
        #expect(playlist.hasSuffix("#EXT-X-ENDLIST\n"))
        #expect(setup.stream.segmentURIs("720p").count == 6)
        #expect(setup.store.streamState("cam") == .ended)
    }

    @Test func aPublishThatNeverBeganDoesNotEndALiveOne() throws {
        let setup = Setup()
        let live = setup.packager.attachPublish()
        live.begin(tracks: SyntheticLadder.tracks())
        SyntheticLadder.feed(live, seconds: 4, clock: setup.clock, clockBaseMs: setup.clock.base)
        // A publish refused after its pipeline was built ends without declaring tracks.
        setup.packager.attachPublish().end()
        #expect(setup.stream.text("720p/index.m3u8")?.contains("#EXT-X-ENDLIST") == false)
        SyntheticLadder.feed(live, seconds: 4, firstFrame: 120, firstAudioFrame: 187)
        live.end()
        #expect(setup.stream.text("720p/index.m3u8")?.hasSuffix("#EXT-X-ENDLIST\n") == true)
        #expect(setup.stream.segmentURIs("720p").count == 4)
    }

    @Test func aPublisherBackAfterTheEndMakesTheStreamLiveAgain() throws {
        let setup = Setup()
        let tracks = SyntheticLadder.tracks()
        let first = setup.packager.attachPublish()
        first.begin(tracks: tracks)
        SyntheticLadder.feed(first, seconds: 4, clock: setup.clock, clockBaseMs: setup.clock.base)
        first.end()
        #expect(setup.store.streamState("cam") == .ended)
        let second = setup.packager.attachPublish()
        second.begin(tracks: tracks)
        SyntheticLadder.feed(second, seconds: 4, clock: setup.clock, clockBaseMs: setup.clock.base + 5_000)
        let playlist = try #require(setup.stream.text("720p/index.m3u8"))
        #expect(!playlist.contains("#EXT-X-ENDLIST"))
        #expect(playlist.contains("#EXT-X-DISCONTINUITY\n"))
        #expect(setup.store.streamState("cam") == .live)
        #expect(setup.stream.text("manifest.mpd")?.contains("type=\"dynamic\"") == true)
    }

    @Test func invalidTracksAndSamplesDoNotCrash() throws {
        let setup = Setup()
        setup.packager.append(SyntheticLadder.audio(0), track: 0)
        var tracks = SyntheticLadder.tracks()
        tracks.append(tracks[0])  // duplicate name
        tracks.append(
            TrackDescription(
                name: "../x", media: .audio(sampleRate: 48000, channels: 2), codec: .aac, codecString: "mp4a.40.2",
                timescale: 48000, decoderConfig: [0x11, 0x90], targetBitrate: nil))
        setup.packager.begin(tracks: tracks)
        setup.packager.append(SyntheticLadder.audio(0), track: 99)
        setup.packager.append(SyntheticLadder.audio(0), track: -1)
        SyntheticLadder.feed(setup.packager, seconds: 5)
        setup.packager.append(SyntheticLadder.audio(0), track: 3)
        setup.packager.append(
            EncodedSample(decodeTime: .max, presentationTime: .min, duration: .max, isSync: true, data: []), track: 0)
        setup.packager.end()
        #expect(setup.stream.segmentURIs("720p").count >= 2)
        #expect(setup.store.paths(stream: "cam").allSatisfy { !$0.contains("..") })
        #expect(setup.packager.statistics().droppedSamples >= 4)
    }
}
