import Foundation
import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

/// CMAF fragments from our fragmenter, planned into one progressive MP4 and read back.
@Suite struct ProgressiveMP4Tests {
    typealias Input = (inits: [Int: [UInt8]], fragments: [(initVersion: Int, bytes: [UInt8])])

    /// Decode order of a closed 6-frame GOP as display indices: I0 P3 B1 B2 P5 B4.
    static let gop = [0, 3, 1, 2, 5, 4]

    static func video(start: Int64, count: Int, tag: UInt8) -> [CMAFSample] {
        (0..<count).map { index in
            let display = index / 6 * 6 + gop[index % 6]
            return CMAFSample(
                decodeTime: start + Int64(index) * 3000, duration: 3000,
                compositionOffset: Int32(6000 + (display - index) * 3000), isSync: index % 6 == 0,
                data: [tag, UInt8(index)] + Array(repeating: tag &+ UInt8(index), count: 20 + index % 7))
        }
    }

    static func audio(start: Int64, count: Int, tag: UInt8) -> [CMAFSample] {
        (0..<count).map { index in
            CMAFSample(
                decodeTime: start + Int64(index) * 1024, duration: 1024, compositionOffset: 0, isSync: true,
                data: [tag, UInt8(index), 0xAA, UInt8(index % 3)])
        }
    }

    static func initSegment(_ track: Int) throws -> [UInt8] {
        try CMAFInitSegment.make(for: SyntheticLadder.tracks()[track])
    }

    /// Video: 12 frames at 1 s; a 3000-tick gap, a two-chunk LL segment; then 6 frames on init
    /// version 2. Audio starts at 1.5 s; its second segment overlaps the first by 512 ticks.
    static func recording() throws -> (input: [Input], video: [CMAFSample], audio: [CMAFSample]) {
        var videoFragmenter = CMAFFragmenter(timescale: 90000, isVideo: true)
        let first = video(start: 90000, count: 12, tag: 1)
        let second = video(start: 90000 + 13 * 3000, count: 12, tag: 2)
        let third = video(start: 90000 + 25 * 3000, count: 6, tag: 3)
        let videoInput: Input = (
            [1: try initSegment(0), 2: try initSegment(1)],
            [
                (1, videoFragmenter.segment(chunks: [first])),
                (1, videoFragmenter.segment(chunks: [Array(second[..<6]), Array(second[6...])], segmentIndex: true)),
                (2, videoFragmenter.segment(chunks: [third])),
            ]
        )
        var audioFragmenter = CMAFFragmenter(timescale: 48000, isVideo: false)
        let sound = audio(start: 72000, count: 40, tag: 7)
        let more = audio(start: 72000 + 40 * 1024 - 512, count: 40, tag: 8)
        let audioInput: Input = (
            [1: try initSegment(2)],
            [(1, audioFragmenter.segment(chunks: [sound])), (1, audioFragmenter.segment(chunks: [more]))]
        )
        return ([videoInput, audioInput], first + second + third, sound + more)
    }

    static func assemble(_ plan: ProgressiveMP4.Plan, _ input: [Input]) -> [UInt8] {
        plan.header + plan.payloads.flatMap { input[$0.track].fragments[$0.fragment].bytes[$0.range] }
    }

    @Test func sampleTablesEditsAndOffsetsMatchTheFragments() throws {
        let (input, videoSamples, audioSamples) = try Self.recording()
        let plan = try ProgressiveMP4.plan(tracks: input)
        let file = Self.assemble(plan, input)
        #expect(UInt64(file.count) == plan.fileSize)
        let top = try parseTestBoxes(file)
        #expect(top.types == ["ftyp", "moov", "mdat"])
        #expect(String(decoding: top[0].payload, as: UTF8.self).hasPrefix("isom"))
        var mvhd = try top.first("moov").find("mvhd").cursor(skip: 4 + 8)
        #expect((mvhd.u32(), mvhd.u32()) == (1000, 2140))
        let traks = try top.first("moov").children().filter { $0.type == "trak" }
        try #require(traks.count == 2)

        let video = try ReadTrack(traks[0])
        #expect(video.trackID == 1 && video.duration == 1033)
        #expect(video.width == 1280 << 16 && video.height == 720 << 16)
        #expect(video.entries == ["avc1", "avc1"])
        #expect(video.durations == Array(repeating: 3000, count: 11) + [6000] + Array(repeating: 3000, count: 18))
        #expect(video.sizes == videoSamples.map { UInt32($0.data.count) })
        #expect(video.sync == [1, 7, 13, 19, 25])
        #expect(video.compositionOffsets == videoSamples.map(\.compositionOffset))
        #expect(video.stsc == [[1, 12, 1], [2, 6, 1], [4, 6, 2]])
        #expect(video.edits == [[1033, 6000]])  // from the first presented frame to the last's end
        #expect(video.payloads(file) == videoSamples.map(\.data))

        let audio = try ReadTrack(traks[1])
        #expect(audio.trackID == 2 && audio.duration == 2140)
        #expect(audio.entries == ["mp4a"] && audio.sync == nil && audio.compositionOffsets == nil)
        #expect(audio.durations == Array(repeating: 1024, count: 80))
        #expect(audio.edits == [[433, -1], [1707, 0]])
        #expect(audio.payloads(file) == audioSamples.map(\.data))

        // Chunks are interleaved by decode time: video from 1 s, audio from 1.5 s.
        let chunks =
            zip(video.chunkOffsets, [1.0, 1.4333, 1.6333, 1.8333]).map { ($0, $1) }
            + zip(audio.chunkOffsets, [1.5, 1.5 + 40 * 1024 / 48000.0]).map { ($0, $1) }
        let times = chunks.sorted { $0.0 < $1.0 }.map(\.1)
        #expect(times == times.sorted())
    }

    @Test func tfhdDefaultsThenTrexDefaultsFillAbsentTrunFields() throws {
        // tfhd: no base flags (base = moof), default duration 1000, size 5, flags non-sync;
        // trun: data_offset and first_sample_flags only.
        var writer = BoxWriter()
        writer.writeBox("moof") { moof in
            FragmentBoxes.writeMovieFragmentHeader(&moof, sequenceNumber: 1)
            moof.writeBox("traf") { traf in
                traf.writeFullBox("tfhd", version: 0, flags: 0x38) { box in
                    [1, 1000, 5, SampleFlags.nonSync.rawValue].forEach { box.writeUInt32($0) }
                }
                FragmentBoxes.writeTrackFragmentDecodeTime(&traf, baseMediaDecodeTime: 0)
                traf.writeFullBox("trun", version: 0, flags: 0x5) { box in
                    [4, 0, SampleFlags.sync.rawValue].forEach { box.writeUInt32($0) }
                }
            }
        }
        writer.patchUInt32(at: writer.count - 8, UInt32(writer.count + 8))
        FragmentBoxes.writeMediaData(&writer, payloads: [Array(repeating: 9, count: 20)])
        let video = try ReadTrack(plannedTrack([1: try Self.initSegment(0)], writer.bytes))
        #expect(video.durations == [1000, 1000, 1000, 1000] && video.sizes == [5, 5, 5, 5] && video.sync == [1])

        // Audio trex (patched): duration 1024, size 3; the trun carries only data_offset.
        var initBytes = try Self.initSegment(2)
        let trex = try #require(initBytes.indices.first { initBytes[$0..<($0 + 4)].elementsEqual("trex".utf8) })
        initBytes.replaceSubrange((trex + 16)..<(trex + 24), with: [0, 0, 4, 0, 0, 0, 0, 3])
        var audio = BoxWriter()
        let position = FragmentBoxes.writeMovieFragment(
            &audio, sequenceNumber: 1, trackID: 1, baseMediaDecodeTime: 0, samples: [], defaultFlags: .sync)
        audio.patchUInt32(at: position - 8, 0x1)  // trun flags: data_offset only
        audio.patchUInt32(at: position - 4, 2)  // sample_count
        audio.patchUInt32(at: position, UInt32(audio.count + 8))
        FragmentBoxes.writeMediaData(&audio, payloads: [[1, 2, 3, 4, 5, 6]])
        let sound = try ReadTrack(plannedTrack([1: initBytes], audio.bytes))
        #expect(sound.durations == [1024, 1024] && sound.sizes == [3, 3] && sound.sync == nil)
    }

    func plannedTrack(_ inits: [Int: [UInt8]], _ fragment: [UInt8]) throws -> TestBox {
        let plan = try ProgressiveMP4.plan(tracks: [(inits, [(1, fragment)])])
        let file = Self.assemble(plan, [(inits, [(1, fragment)])])
        return try parseTestBoxes(file).first("moov").find("trak")
    }

    @Test func everyTruncationAndCorruptionIsATypedError() throws {
        var fragmenter = CMAFFragmenter(timescale: 90000, isVideo: true)
        let segment = fragmenter.segment(chunks: [Self.video(start: 0, count: 3, tag: 1)])
        let initBytes = try Self.initSegment(0)
        func plan(_ initBytes: [UInt8], _ segment: [UInt8], version: Int = 1) throws(ProgressiveMP4Error) {
            _ = try ProgressiveMP4.plan(tracks: [([1: initBytes], [(version, segment)])])
        }
        try plan(initBytes, segment)
        for length in 0..<segment.count {
            #expect(throws: ProgressiveMP4Error.self) { try plan(initBytes, Array(segment[..<length])) }
        }
        for length in 0..<initBytes.count {
            #expect(throws: ProgressiveMP4Error.self) { try plan(Array(initBytes[..<length]), segment) }
        }
        let boxes = try parseTestBoxes(segment)
        let moof = try boxes.first("moof")
        let trun = try moof.find("traf", "trun")
        func patched(_ offset: Int, _ values: [UInt8]) -> [UInt8] {
            var bytes = segment
            bytes.replaceSubrange(offset..<(offset + values.count), with: values)
            return bytes
        }
        let count = trun.offset + 12
        let reason = "4294967295 samples do not fit in the box"
        #expect(throws: ProgressiveMP4Error.malformedBox(path: "track 1 fragment 0", box: "trun", reason: reason)) {
            try plan(initBytes, patched(count, [0xFF, 0xFF, 0xFF, 0xFF]))
        }
        // data_offset past the segment, into the moof, before the segment; moof size too big,
        // below its header, a largesize read from the moof's body.
        let offsets: [[UInt8]] = [[0x7F, 0xFF, 0xFF, 0xFF], [0, 0, 0, 8], [0xFF, 0xFF, 0xFF, 0x00]]
        let sizes: [[UInt8]] = [[0xFF, 0xFF, 0xFF, 0xF0], [0, 0, 0, 7], [0, 0, 0, 1]]
        #expect(
            offsets.map { offset in Self.failure { try plan(initBytes, patched(count + 4, offset)) } }
                == .init(repeating: "unsupported", count: 3))
        #expect(
            sizes.map { size in Self.failure { try plan(initBytes, patched(moof.offset, size)) } }
                == .init(repeating: "malformedBox", count: 3))
        #expect(throws: ProgressiveMP4Error.missingInitVersion(path: "track 1 fragment 0", version: 3)) {
            try plan(initBytes, segment, version: 3)
        }
        #expect(throws: ProgressiveMP4Error.unsupported(path: "track 1", reason: "no samples")) {
            try plan(initBytes, Array(segment[..<boxes[0].size]) + [0, 0, 0, 8] + Array("free".utf8))
        }
        // Random corruption (seeded LCG): any outcome but a crash.
        var state: UInt64 = 0x5EED
        func random(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33) % bound
        }
        for _ in 0..<3000 {
            var bytes = segment
            for _ in 0...random(4) { bytes[random(bytes.count)] = UInt8(random(256)) }
            _ = try? plan(initBytes, bytes)
        }
    }

    @Test func writeStreamsTheSegmentsIntoTheDestination() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let (input, _, _) = try Self.recording()
        var tracks: [ProgressiveMP4.Track] = []
        for (track, item) in input.enumerated() {
            var segments: [ProgressiveMP4.Segment] = []
            for (index, fragment) in item.fragments.enumerated() {
                let path = "\(directory.path)/t\(track)-\(index).m4s"
                try Data(fragment.bytes).write(to: URL(fileURLWithPath: path))
                segments.append(ProgressiveMP4.Segment(path: path, initVersion: fragment.initVersion))
            }
            tracks.append(ProgressiveMP4.Track(initSegments: item.inits, segments: segments))
        }
        let destination = "\(directory.path)/vod/rec/rec-1.mp4"
        try ProgressiveMP4.write(tracks: tracks, to: destination)
        #expect(directory.read("vod/rec/rec-1.mp4") == Self.assemble(try ProgressiveMP4.plan(tracks: input), input))
        #expect(directory.files() == ["t0-0.m4s", "t0-1.m4s", "t0-2.m4s", "t1-0.m4s", "t1-1.m4s", "vod/rec/rec-1.mp4"])

        #expect(
            Self.failure { try ProgressiveMP4.write(tracks: tracks, to: "/proc/progressive/rec.mp4") } == "writeFailed")
        tracks[1].segments[0].path += ".missing"
        #expect(Self.failure { try ProgressiveMP4.write(tracks: tracks, to: destination) } == "unreadableFile")
    }

    static let ffprobeOnPath =
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        .contains { FileManager.default.isExecutableFile(atPath: "\($0)/ffprobe") } && MediaFixtures.available

    static func run(_ arguments: [String], in directory: String) throws -> (status: Int32, output: Data, errors: String)
    {
        let (process, output, errors) = (Process(), Pipe(), Pipe())
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        (process.arguments, process.currentDirectoryURL) = (arguments, URL(fileURLWithPath: directory))
        (process.standardOutput, process.standardError) = (output, errors)
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, outputData, String(decoding: errorData, as: UTF8.self))
    }

    /// ffprobe JSON: packets of the source, streams of the result.
    struct Probe: Decodable {
        struct Entry: Decodable {
            var stream_index: Int?
            var pts, dts: Int64?
            var size, pos, flags, codec_name, nb_frames, duration: String?
        }
        var packets: [Entry]?
        var streams: [Entry]?
    }

    /// x264 (B-frames) + AAC through StreamPackager into CMAF segments, then one progressive MP4
    /// that ffprobe and ffmpeg must read and decode without a complaint.
    @Test(.enabled(if: ffprobeOnPath)) func ffprobeAndFFmpegReadARealRecording() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let encode = try Self.run(
            [
                "ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30", "-f", "lavfi", "-i",
                "sine=frequency=440:sample_rate=48000", "-t", "5", "-c:v", "libx264", "-preset", "veryfast",
                "-pix_fmt", "yuv420p", "-g", "60", "-keyint_min", "60", "-sc_threshold", "0", "-bf", "2", "-c:a",
                "aac", "-b:a", "96k", "-ac", "2", "-video_track_timescale", "90000", "source.mp4",
            ], in: directory.path)
        try #require(encode.status == 0, "\(encode.errors)")
        let source = try #require(directory.read("source.mp4"))
        let probe = try Self.run(
            [
                "ffprobe", "-v", "error", "-show_entries", "packet=stream_index,pts,dts,size,pos,flags", "-of", "json",
                "source.mp4",
            ],
            in: directory.path)
        let packets = try #require(try JSONDecoder().decode(Probe.self, from: probe.output).packets)
        let avcC = try parseTestBoxes(source).first("moov").find("trak", "mdia", "minf", "stbl", "stsd", "avc1", "avcC")
        let tracks = [
            TrackDescription(
                name: "180p",
                media: .video(width: 320, height: 180, frameRate: 30, sampleAspectNum: 1, sampleAspectDen: 1),
                codec: .h264, codecString: "avc1.64000d", timescale: 90000, decoderConfig: Array(avcC.payload),
                targetBitrate: nil),
            TrackDescription(
                name: "audio", media: .audio(sampleRate: 48000, channels: 2), codec: .aac, codecString: "mp4a.40.2",
                timescale: 48000, decoderConfig: [0x11, 0x90], targetBitrate: 96000),
        ]
        let store = SegmentStore()
        let packager = StreamPackager(streamName: "rec", config: .vod(segmentSeconds: 2), store: store)
        packager.begin(tracks: tracks)
        var boundary = SegmentBoundaryTracker(segmentSeconds: 2)
        for packet in packets {
            guard let position = packet.pos.flatMap(Int.init), let size = packet.size.flatMap(Int.init),
                let track = packet.stream_index, let dts = packet.dts ?? packet.pts, let pts = packet.pts ?? packet.dts,
                position + size <= source.count
            else { continue }
            let isKeyframe = packet.flags?.hasPrefix("K") == true
            packager.append(
                EncodedSample(
                    decodeTime: dts, presentationTime: pts, duration: 0, isSync: isKeyframe,
                    data: Array(source[position..<(position + size)]),
                    segmentStart: track == 0 && isKeyframe ? boundary.startsSegment(pts: pts / 90) : nil),
                track: track)
        }
        packager.end()
        let output = directory.path + "/out"
        try store.writeAll(stream: "rec", to: output)

        var inputs: [ProgressiveMP4.Track] = []
        var fragmentTotals: [(samples: Int, seconds: Double)] = []
        for (rendition, timescale, flags) in [("180p", 90000.0, SampleFlags.nonSync), ("audio", 48000, .sync)] {
            let files = directory.files().filter { $0.hasPrefix("out/\(rendition)/") }
            func number(_ file: String, _ prefix: String) -> Int? {
                Int(file.dropFirst("out/\(rendition)/\(prefix)".count).prefix { $0.isNumber })
            }
            let inits = files.compactMap { file in number(file, "init-").map { ($0, directory.read(file) ?? []) } }
            let segments = files.compactMap { file in number(file, "seg-").map { ($0, file) } }.sorted { $0.0 < $1.0 }
            try #require(inits.count == 1 && segments.count >= 2, "\(files)")
            var total = (samples: 0, seconds: 0.0)
            for (_, file) in segments {
                for fragment in try parseTestSegment(directory.read(file) ?? [], trexDefaultFlags: flags.rawValue) {
                    total.samples += fragment.run.samples.count
                    total.seconds += Double(fragment.totalDuration) / timescale
                }
            }
            fragmentTotals.append(total)
            inputs.append(
                ProgressiveMP4.Track(
                    initSegments: Dictionary(uniqueKeysWithValues: inits),
                    segments: segments.map { .init(path: "\(directory.path)/\($0.1)", initVersion: inits[0].0) }))
        }
        try ProgressiveMP4.write(tracks: inputs, to: "\(directory.path)/vod/rec/rec-1.mp4")

        let streams = try Self.run(
            [
                "ffprobe", "-v", "error", "-show_entries", "stream=codec_name,nb_frames,duration", "-of", "json",
                "vod/rec/rec-1.mp4",
            ],
            in: directory.path)
        #expect(streams.status == 0 && streams.errors.isEmpty, "\(streams.errors)")
        let found = try #require(try JSONDecoder().decode(Probe.self, from: streams.output).streams)
        #expect(found.map(\.codec_name) == ["h264", "aac"])
        #expect(found.first?.nb_frames == "\(fragmentTotals[0].samples)" && fragmentTotals[0].samples == 150)
        for (stream, total) in zip(found, fragmentTotals) {
            let duration = try #require(stream.duration.flatMap(Double.init))
            #expect(abs(duration - total.seconds) < 0.1, "\(stream): \(duration) vs \(total.seconds)")
        }
        let decode = try Self.run(
            ["ffmpeg", "-v", "error", "-i", "vod/rec/rec-1.mp4", "-f", "null", "-"], in: directory.path)
        #expect(decode.status == 0 && decode.errors.isEmpty, "ffmpeg: \(decode.errors)")
    }
}

extension ProgressiveMP4Tests {
    /// The case name of the error `body` throws, nil when it returns.
    static func failure(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return (error as? ProgressiveMP4Error).flatMap { Mirror(reflecting: $0).children.first?.label }
                ?? "\(error)"
        }
    }

    /// The sample tables of one output `trak`, decoded.
    struct ReadTrack {
        var trackID: UInt32 = 0
        var duration: UInt32 = 0
        var width: UInt32 = 0
        var height: UInt32 = 0
        var entries: [String] = []
        var durations: [UInt32] = []
        var compositionOffsets: [Int32]?
        var sync: [UInt32]?
        var sizes: [UInt32] = []
        var stsc: [[UInt32]] = []
        var chunkOffsets: [Int] = []
        var edits: [[Int32]] = []

        init(_ trak: TestBox) throws {
            var tkhd = try trak.find("tkhd").cursor(skip: 12)
            trackID = tkhd.u32()
            tkhd.skip(4)
            duration = tkhd.u32()
            tkhd.skip(8 + 8 + 36)
            (width, height) = (tkhd.u32(), tkhd.u32())
            var elst = try trak.find("edts", "elst").cursor(skip: 4)
            edits = (0..<elst.u32()).map { _ in
                defer { elst.skip(4) }
                return [elst.i32(), elst.i32()]
            }
            let stbl = try trak.find("mdia", "minf", "stbl")
            entries = try stbl.find("stsd").containerChildren().map(\.type)
            func table<T>(_ type: String, _ entry: (inout TestCursor) -> T) throws -> [T]? {
                guard let box = try stbl.children().first(where: { $0.type == type }) else { return nil }
                var cursor = box.cursor(skip: 4)
                return (0..<cursor.u32()).map { _ in entry(&cursor) }
            }
            // stts / ctts entries: (sample_count, value), expanded.
            func expanded<T>(_ type: String, _ value: @escaping (inout TestCursor) -> T) throws -> [T]? {
                try table(type) { cursor in (count: Int(cursor.u32()), value: value(&cursor)) }?
                    .flatMap { Array(repeating: $0.value, count: $0.count) }
            }
            durations = try expanded("stts") { $0.u32() } ?? []
            compositionOffsets = try expanded("ctts") { $0.i32() }
            sync = try table("stss") { $0.u32() }
            stsc = try table("stsc") { [$0.u32(), $0.u32(), $0.u32()] } ?? []
            chunkOffsets = try table("stco") { Int($0.u32()) } ?? []
            var stsz = try stbl.find("stsz").cursor(skip: 4)
            let (constant, count) = (stsz.u32(), Int(stsz.u32()))
            sizes = constant != 0 ? Array(repeating: constant, count: count) : (0..<count).map { _ in stsz.u32() }
        }

        /// Every sample's bytes, found through stsc, stco and stsz (ISO/IEC 14496-12 8.7.4).
        func payloads(_ file: [UInt8]) -> [[UInt8]] {
            var result: [[UInt8]] = []
            for (chunk, offset) in chunkOffsets.enumerated() {
                let entry = stsc.last { Int($0[0]) <= chunk + 1 } ?? [0, 0, 0]
                var position = offset
                for _ in 0..<Int(entry[1]) where result.count < sizes.count {
                    let size = Int(sizes[result.count])
                    result.append(position + size <= file.count ? Array(file[position..<(position + size)]) : [])
                    position += size
                }
            }
            return result
        }
    }
}
