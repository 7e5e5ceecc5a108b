import Foundation
import LadderMedia
import LadderProfile
import LadderTestSupport
import Testing

@testable import LadderFFmpeg
@testable import LadderTranscode

/// The slate a vanished publisher leaves: the last picture and silence, encoded by every
/// transcoded rung in real time on the publish's timeline, until the deadline or `stopSlate()`.
@Suite("StreamTranscoder slate", .enabled(if: MediaFixtures.available, MediaFixtures.skipReason))
struct StreamTranscoderSlateTests {
    /// `stopWhenSlateFrames`: stop the slate once the sink got this many pictures past the input's.
    func run(
        audioRate: Int, slate: Duration, stopWhenSlateFrames: Int? = nil
    ) throws -> (sink: CollectingSink, stats: TranscoderStats, elapsed: Duration) {
        let samples = try MediaFixtures.ingestSamples(
            try MediaFixtures.noisyClip(width: 320, height: 240, seconds: 2, audioRate: audioRate))
        let sink = CollectingSink()
        let profile = testProfile(
            renditions: [RenditionSpec(name: "240p", height: 240, bitrate: 300_000)], segmentSeconds: 1)
        let transcoder = StreamTranscoder(
            profile: profile, sink: sink, logger: testLogger, options: .init(overflow: .block))
        for sample in samples { transcoder.submit(sample) }
        let done = DispatchSemaphore(value: 0)
        let started = ContinuousClock.now
        transcoder.finish(slate: slate) { done.signal() }
        if let stopWhenSlateFrames {
            let inputFrames = samples.filter { if case .video = $0 { true } else { false } }.count
            let deadline = ContinuousClock.now + .seconds(10)
            let pictures = { sink.declarations.isEmpty ? 0 : sink.samples(track: 0).count }
            while pictures() < inputFrames + stopWhenSlateFrames, ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: 0.01)
            }
            transcoder.stopSlate()
        }
        #expect(done.wait(timeout: .now() + 30) == .success)
        return (sink, transcoder.stats, started.duration(to: .now))
    }

    @Test func theLastPictureAndSilenceContinueUntilTheDeadline() throws {
        // 44.1 kHz input: the audio is transcoded (decoded, resampled, encoded).
        let (sink, stats, elapsed) = try run(audioRate: 44100, slate: .seconds(2))
        #expect(sink.endCount == 1)
        let video = sink.samples(track: 0)
        // The grace counts from the vanish: encoding the queued input first takes part of it.
        #expect((105...122).contains(video.count), "2 s of input + up to 2 s of slate at 30 fps: \(video.count)")
        let times = video.map(\.presentationTime).sorted()
        let steps = zip(times.dropFirst(), times).map { $0 - $1 }
        #expect(steps.allSatisfy { (2900...3100).contains($0) }, "one frame every 1/30 s (ms timeline): \(steps)")
        // A segment boundary every second, also during the slate: an IDR at each.
        let idrs = video.filter(\.isSync).map(\.presentationTime).sorted()
        #expect(idrs.count >= 4, "\(idrs)")
        let audio = sink.samples(track: 1)
        let audioEnd = Double((audio.map { $0.presentationTime + $0.duration }.max() ?? 0)) / 48000
        let videoEnd = Double(times.last ?? 0) / 90000
        #expect(audioEnd > videoEnd - 0.1, "silence follows the audio up to the video: \(audioEnd) s, \(videoEnd) s")
        #expect(stats.slateSeconds > 1.5 && stats.slateSeconds <= 2.05, "\(stats.slateSeconds)")
        #expect(elapsed >= .seconds(1.9), "real time, not as fast as possible")
    }

    @Test func passedThroughAudioGetsAACSilenceOfTheSameFormat() throws {
        // 48 kHz stereo AAC-LC input matches the profile: passed through, then silence frames.
        let (sink, _, _) = try run(audioRate: 48000, slate: .seconds(1))
        let audio = sink.samples(track: 1)
        let steps = zip(audio.dropFirst(), audio).map { $0.presentationTime - $1.presentationTime }
        #expect(steps.allSatisfy { $0 == 1024 }, "one continuous track of 1024-sample frames")
        let seconds = Double(audio.count * 1024) / 48000
        // 2 s of input, then silence until the 1 s grace ends; the grace counts from the vanish,
        // and encoding the queued input takes part of it (more on a loaded machine).
        #expect(seconds > 2.3, "\(seconds) s")
        // The silence decodes: the same AAC-LC configuration as the publisher's.
        let decoder = try AudioDecoder(
            config: AudioDecoderConfig(
                codec: .aac, audioSpecificConfig: try #require(sink.declarations.last?[1].decoderConfig)))
        var decoded = 0
        for sample in audio.suffix(20) {
            let packet = try Packet(
                bytes: sample.data, pts: sample.presentationTime, dts: sample.presentationTime, isKeyframe: true)
            try decoder.decode(packet) { _ in decoded += 1 }
        }
        #expect(decoded >= 15)
    }

    @Test func stopSlateEndsItAtOnce() throws {
        let (sink, stats, elapsed) = try run(audioRate: 44100, slate: .seconds(20), stopWhenSlateFrames: 20)
        #expect(sink.endCount == 1)
        #expect(elapsed < .seconds(5))
        #expect(stats.slateSeconds > 0.5 && stats.slateSeconds < 2)
    }
}
