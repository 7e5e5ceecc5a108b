import Foundation
import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

/// Real parsers: a clip encoded by the ffmpeg CLI goes through the packager; ffprobe/ffmpeg must
/// read the resulting HLS and DASH ladders without a warning and decode every frame.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/ffmpeg")))
struct StreamPackagerFFmpegTests {
    struct ProcessResult {
        var status: Int32
        var output: String
        var errors: String
    }

    static func run(_ arguments: [String], in directory: String) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ProcessResult(
            status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
            errors: String(decoding: errorData, as: UTF8.self))
    }

    struct Packet: Decodable {
        var stream_index: Int
        var pts: Int64?
        var dts: Int64?
        var size: String
        var pos: String?
        var flags: String
    }

    struct Probe: Decodable {
        var packets: [Packet]
    }

    /// Payloads of every box of `type` in file order (enough to find the avcC records).
    static func boxPayloads(_ type: String, in bytes: [UInt8]) -> [[UInt8]] {
        let pattern = Array(type.utf8)
        var result: [[UInt8]] = []
        var index = 4
        while index + 4 <= bytes.count {
            if Array(bytes[index..<(index + 4)]) == pattern {
                let size =
                    Int(bytes[index - 4]) << 24 | Int(bytes[index - 3]) << 16 | Int(bytes[index - 2]) << 8
                    | Int(bytes[index - 1])
                if size >= 8, index - 4 + size <= bytes.count {
                    result.append(Array(bytes[(index + 4)..<(index - 4 + size)]))
                }
            }
            index += 1
        }
        return result
    }

    @Test func ffprobeAndFFmpegReadThePackagedLadder() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let encode = try Self.run(
            [
                "ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30", "-f", "lavfi", "-i",
                "sine=frequency=440:sample_rate=48000", "-t", "6", "-filter_complex",
                "[0:v]split=2[a][b];[b]scale=160:90[c]", "-map", "[a]", "-map", "[c]", "-map", "1:a",
                "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "60", "-keyint_min", "60",
                "-sc_threshold", "0", "-bf", "2", "-c:a", "aac", "-b:a", "96k", "-ac", "2",
                "-video_track_timescale", "90000", "source.mp4",
            ], in: directory.path)
        try #require(encode.status == 0, "\(encode.errors)")
        let source = try #require(directory.read("source.mp4"))
        let probe = try Self.run(
            [
                "ffprobe", "-v", "error", "-show_entries", "packet=stream_index,pts,dts,size,pos,flags", "-of", "json",
                "source.mp4",
            ], in: directory.path)
        let packets = try JSONDecoder().decode(Probe.self, from: Data(probe.output.utf8)).packets
        let configs = Self.boxPayloads("avcC", in: source)
        try #require(configs.count == 2)

        let sizes = [(320, 180, "180p"), (160, 90, "90p")]
        var tracks = zip(sizes, configs).map { size, config in
            TrackDescription(
                name: size.2,
                media: .video(width: size.0, height: size.1, frameRate: 30, sampleAspectNum: 1, sampleAspectDen: 1),
                codec: .h264,
                codecString: "avc1." + config[1...3].map { String(format: "%02x", $0) }.joined(), timescale: 90000,
                decoderConfig: config, targetBitrate: nil)
        }
        tracks.append(
            TrackDescription(
                name: "audio", media: .audio(sampleRate: 48000, channels: 2), codec: .aac, codecString: "mp4a.40.2",
                timescale: 48000, decoderConfig: [0x11, 0x90], targetBitrate: 96000))

        let store = SegmentStore()
        let packager = StreamPackager(streamName: "clip", config: .vod(segmentSeconds: 2), store: store)
        packager.begin(tracks: tracks)
        var videoFrames = 0
        // The producers' side of the contract: each video track marks the first keyframe of each
        // grid interval (streams 0 and 1 are video at 90 kHz, 2 is audio).
        var boundaries = [SegmentBoundaryTracker](repeating: SegmentBoundaryTracker(segmentSeconds: 2), count: 2)
        for packet in packets {
            guard let position = packet.pos.flatMap(Int.init), let size = Int(packet.size),
                let dts = packet.dts ?? packet.pts, let pts = packet.pts ?? packet.dts,
                position + size <= source.count
            else { continue }
            if packet.stream_index == 0 { videoFrames += 1 }
            let isKeyframe = packet.flags.hasPrefix("K")
            let video = packet.stream_index < 2
            let mark = video && isKeyframe ? boundaries[packet.stream_index].startsSegment(pts: pts / 90) : nil
            packager.append(
                EncodedSample(
                    decodeTime: dts, presentationTime: pts, duration: 0, isSync: isKeyframe,
                    data: Array(source[position..<(position + size)]), segmentStart: mark),
                track: packet.stream_index)
        }
        packager.end()
        #expect(videoFrames == 180)
        #expect(packager.statistics().segmentsPublished == 3)
        #expect(packager.statistics().droppedSamples == 0)
        let output = directory.path + "/out"
        try store.writeAll(stream: "clip", to: output)

        for manifest in ["master.m3u8", "manifest.mpd"] {
            let check = try Self.run(["ffprobe", "-v", "warning", manifest], in: output)
            #expect(check.status == 0)
            #expect(check.errors.isEmpty, "ffprobe \(manifest): \(check.errors)")
        }
        let decode = try Self.run(
            ["ffmpeg", "-v", "warning", "-i", "master.m3u8", "-map", "0", "-f", "null", "-"], in: output)
        #expect(decode.status == 0)
        #expect(decode.errors.isEmpty, "ffmpeg decode: \(decode.errors)")
        for rendition in ["180p", "90p"] {
            let count = try Self.run(
                [
                    "ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                    "stream=nb_read_frames,width,height", "-of", "csv=p=0", "\(rendition)/index.m3u8",
                ], in: output)
            let expected = rendition == "180p" ? "320,180,180" : "160,90,180"
            // The HLS demuxer lists the stream under its program too: every line must match.
            let lines = count.output.split(separator: "\n").filter { !$0.isEmpty }
            #expect(!lines.isEmpty && lines.allSatisfy { $0 == expected }, "\(count.output) \(count.errors)")
        }
        let dash = try Self.run(
            [
                "ffprobe", "-v", "error", "-count_frames", "-show_entries", "stream=codec_name,nb_read_frames", "-of",
                "csv=p=0", "manifest.mpd",
            ], in: output)
        #expect(dash.output.contains("h264,180"), "\(dash.output) \(dash.errors)")
        #expect(dash.output.contains("aac,"))
    }
}
