import Foundation
import LadderFFmpeg
import LadderMedia
import LadderProfile
import LadderTranscode
import Logging
import Testing

/// Test media made on the fly with the ffmpeg CLI (never stored in the repository).
package enum MediaFixtures {
    /// Path of the ffmpeg CLI, if installed.
    package static let ffmpegPath: String? = {
        let candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/usr/local/bin")
            .split(separator: ":").map { "\($0)/ffmpeg" }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    package static var available: Bool { ffmpegPath != nil }
    package static let skipReason: Comment = "the ffmpeg CLI is not installed: media fixtures cannot be generated"

    private static let directory: URL = {
        // Shared by test runs: files are generated once, under names that encode their parameters.
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ladder-test-fixtures")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()
    private static let lock = NSLock()
    nonisolated(unsafe) private static var made: [String: String] = [:]

    /// Runs `ffmpeg -y <arguments> <dir>/<name>` unless the file exists; returns its path.
    package static func make(_ name: String, _ arguments: [String]) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let path = made[name] { return path }
        guard let ffmpeg = ffmpegPath else { throw FixtureError.ffmpegMissing }
        let output = directory.appendingPathComponent(name).path
        if !FileManager.default.fileExists(atPath: output) {
            // Written under a private name, then renamed: concurrent runs never see a partial file.
            let partial = directory.appendingPathComponent("partial-\(getpid())-\(name)").path
            let process = Process()
            process.executableURL = URL(fileURLWithPath: ffmpeg)
            process.arguments = ["-hide_banner", "-loglevel", "error", "-y"] + arguments + [partial]
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw FixtureError.ffmpegFailed(name) }
            guard rename(partial, output) == 0 else { throw FixtureError.ffmpegFailed(name) }
        }
        made[name] = output
        return output
    }

    /// testsrc2 with temporal noise (so x264 has real work) plus a sine tone.
    package static func noisyClip(
        width: Int, height: Int, rate: Int = 30, seconds: Double, gop: Int = 30, audioRate: Int = 44100,
        container: String = "mp4"
    ) throws -> String {
        try make(
            "noisy-\(width)x\(height)-\(rate)-\(seconds)-\(gop)-\(audioRate).\(container)",
            [
                "-f", "lavfi", "-i", "testsrc2=size=\(width)x\(height):rate=\(rate)", "-f", "lavfi", "-i",
                "sine=frequency=440:sample_rate=\(audioRate)", "-t", "\(seconds)", "-vf", "noise=alls=20:allf=t",
                "-c:v", "libx264", "-preset", "ultrafast", "-g", "\(gop)", "-pix_fmt", "yuv420p", "-c:a", "aac",
                "-ac", "2",
            ])
    }

    /// All ingest samples of a file, as the demuxer + converters produce them.
    package static func ingestSamples(_ path: String) throws -> [IngestSample] {
        let demuxer = try Demuxer(url: path)
        var video: VideoIngestConverter?
        var audio: AudioIngestConverter?
        var videoIndex: Int?
        var audioIndex: Int?
        for stream in demuxer.streams {
            switch stream.kind {
            case .video(let codec) where video == nil:
                video = VideoIngestConverter(
                    codec: codec, extradata: stream.extradata, timeBase: (stream.timeBaseNum, stream.timeBaseDen),
                    frameRate: stream.frameRate)
                videoIndex = stream.index
            case .audio where audio == nil:
                audio = AudioIngestConverter(
                    extradata: stream.extradata, timeBase: (stream.timeBaseNum, stream.timeBaseDen))
                audioIndex = stream.index
            default: break
            }
        }
        var samples: [IngestSample] = []
        while let packet = try demuxer.readPacket() {
            if packet.streamIndex == videoIndex, var converter = video {
                samples += converter.convert(packet)
                video = converter
            } else if packet.streamIndex == audioIndex, var converter = audio {
                samples += converter.convert(packet)
                audio = converter
            }
        }
        return samples
    }

    package enum FixtureError: Error {
        case ffmpegMissing
        case ffmpegFailed(String)
    }
}

/// An `EncodedMediaSink` that keeps everything it receives.
package final class CollectingSink: EncodedMediaSink, @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var _declarations: [[TrackDescription]] = []
    private var _samples: [[(epoch: Int, sample: EncodedSample)]] = []
    private var _endCount = 0

    package init() {}

    package func begin(tracks: [TrackDescription]) {
        lock.withLock {
            _declarations.append(tracks)
            _samples = Array(repeating: [], count: tracks.count)
        }
    }

    package func append(_ sample: EncodedSample, track: Int) {
        lock.withLock {
            let epoch = _declarations.count - 1
            _samples[track].append((epoch, sample))
        }
    }

    package func end() { lock.withLock { _endCount += 1 } }

    package var declarations: [[TrackDescription]] { lock.withLock { _declarations } }
    package var endCount: Int { lock.withLock { _endCount } }
    /// Samples of the latest declaration's tracks.
    package func samples(track: Int) -> [EncodedSample] { lock.withLock { _samples[track].map(\.sample) } }
    package func track(named name: String) -> Int? { declarations.last?.firstIndex { $0.name == name } }
}

/// Profiles for tests (segment 2 s unless set).
package func testProfile(
    renditions: [RenditionSpec],
    audio: AudioSpec? = AudioSpec(codec: .aac, bitrate: 128_000, channels: 2, sampleRate: 48000),
    segmentSeconds: Double = 2, preset: String = "veryfast"
) -> Profile {
    Profile(
        name: "test", segmentSeconds: segmentSeconds, windowSegments: 6,
        video: VideoLadderSpec(encoder: "libx264", preset: preset, renditions: renditions), audio: audio)
}

package let testLogger: Logger = {
    var logger = Logger(label: "ladder.tests")
    logger.logLevel = .warning
    return logger
}()

/// Width and height coded in a track's avcC (its first SPS).
package func codedSize(_ track: TrackDescription) throws -> (width: Int, height: Int) {
    let record = try AVCDecoderConfigurationRecord(bytes: track.decoderConfig)
    let sps = try #require(record.sequenceParameterSets.first)
    let parsed = try H264SequenceParameterSet(nalUnit: sps)
    return (parsed.width, parsed.height)
}

/// True when the AVCC sample holds an IDR slice.
package func containsIDR(_ sample: EncodedSample) -> Bool {
    guard let units = try? NALUnits.splitLengthPrefixed(sample.data) else { return false }
    return units.contains { NALUnits.h264Type($0) == H264NALType.idrSlice }
}
