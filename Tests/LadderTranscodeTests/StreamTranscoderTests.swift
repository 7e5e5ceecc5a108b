import Foundation
import LadderMedia
import LadderPackaging
import LadderProfile
import LadderTestSupport
import Testing

@testable import LadderFFmpeg
@testable import LadderTranscode

@Suite("StreamTranscoder", .enabled(if: MediaFixtures.available, MediaFixtures.skipReason))
struct StreamTranscoderTests {
    /// 640x360 source -> 360p (source size, no scaling), 240p and a 15 fps capped 180p, audio
    /// resampled from 44.1 to 48 kHz.
    @Test func ladderHasPlannedSizesAlignedIDRsAndTargetBitrates() throws {
        let seconds = 6.0
        let path = try MediaFixtures.noisyClip(width: 640, height: 360, seconds: seconds, gop: 250)
        let profile = testProfile(renditions: [
            RenditionSpec(name: "360p", height: 360, bitrate: 900_000, maxrate: 1_000_000, profile: "high"),
            RenditionSpec(name: "240p", height: 240, bitrate: 450_000, profile: "main"),
            RenditionSpec(name: "180p", height: 180, bitrate: 200_000, profile: "baseline", fps: 15),
        ])
        let sink = CollectingSink()
        let stats = try OfflineTranscoder(logger: testLogger).run(input: path, profile: profile, sink: sink)

        #expect(sink.declarations.count == 1)
        #expect(sink.endCount == 1)
        let tracks = try #require(sink.declarations.last)
        #expect(tracks.map(\.name) == ["360p", "240p", "180p", "audio"])
        let expectedSizes = [(640, 360), (426, 240), (320, 180)]
        let frameCounts = [180, 180, 90]
        let targets = [900_000, 450_000, 200_000]
        var syncTimesPerRung: [[Int64]] = []
        var marksPerRung: [[Int64?]] = []
        for (index, expected) in expectedSizes.enumerated() {
            let track = tracks[index]
            let size = try codedSize(track)
            #expect(size.width == expected.0 && size.height == expected.1, "\(track.name) coded \(size)")
            guard case .video(let width, let height, _, _, _) = track.media else {
                Issue.record("\(track.name) is not video")
                continue
            }
            #expect(width == expected.0 && height == expected.1)
            let sps = try AVCDecoderConfigurationRecord(bytes: track.decoderConfig).sequenceParameterSets[0]
            #expect(track.codecString == (try H264SequenceParameterSet(nalUnit: sps)).codecString)
            #expect(track.timescale == 90000)

            let samples = sink.samples(track: index)
            #expect(abs(samples.count - frameCounts[index]) <= 1, "\(track.name): \(samples.count) frames")
            let syncs = samples.filter(\.isSync)
            #expect(syncs.allSatisfy(containsIDR), "\(track.name): sync samples must be IDRs")
            #expect(samples.filter(containsIDR).count == syncs.count, "\(track.name): IDR without sync flag")
            syncTimesPerRung.append(syncs.map(\.presentationTime))
            // Every IDR carries its grid index (decided once, by the decode stage); nothing else does.
            marksPerRung.append(syncs.map(\.segmentStart))
            #expect(samples.filter { !$0.isSync }.allSatisfy { $0.segmentStart == nil })

            let first = try #require(samples.map(\.presentationTime).min())
            let end = try #require(samples.map { $0.presentationTime + $0.duration }.max())
            let bitrate = Double(samples.reduce(0) { $0 + $1.data.count }) * 8 / (Double(end - first) / 90000)
            let target = Double(targets[index])
            #expect(abs(bitrate - target) / target <= 0.2, "\(track.name): \(Int(bitrate)) b/s for \(Int(target))")
            #expect(samples.allSatisfy { $0.data.count > 4 })
        }
        // Identical IDR times on every rung, exactly on the 2 s boundaries of the source.
        let reference = try #require(syncTimesPerRung.first)
        for times in syncTimesPerRung { #expect(times == reference) }
        let origin = try #require(reference.first)
        #expect(reference == [origin, origin + 180_000, origin + 360_000])
        let grid = SegmentGrid(segmentSeconds: 2)
        let firstIndex = grid.index(containing: origin / 90)
        for marks in marksPerRung { #expect(marks == [firstIndex, firstIndex + 1, firstIndex + 2]) }
        // The rung's maxrate travels with its track (btrt maxBitrate, BANDWIDTH before measurement).
        #expect(tracks.map(\.peakBitrate) == [1_000_000, 450_000, 200_000, nil])

        // Audio: AAC-LC at 48 kHz, as long as the video within one frame.
        let audioTrack = tracks[3]
        #expect(audioTrack.codecString == "mp4a.40.2")
        #expect(audioTrack.timescale == 48000)
        // Both timelines come from the same source milliseconds: compare where they start and end
        // (audio starts up to two frames early: the source's and the encoder's AAC priming).
        let audio = sink.samples(track: 3)
        let video = sink.samples(track: 0)
        let audioStart = Double(try #require(audio.first).presentationTime) / 48000
        let audioEnd = Double(try #require(audio.last).presentationTime + audio.last!.duration) / 48000
        let videoStart = Double(try #require(video.map(\.presentationTime).min())) / 90000
        let videoEnd = Double(try #require(video.map { $0.presentationTime + $0.duration }.max())) / 90000
        let audioFrame = 1024.0 / 48000
        #expect(abs(audioEnd - videoEnd) <= audioFrame, "audio ends \(audioEnd) s, video \(videoEnd) s")
        #expect(audioStart <= videoStart && videoStart - audioStart <= 2 * audioFrame + 0.002)
        #expect(abs((audioEnd - videoStart) - (videoEnd - videoStart)) <= audioFrame)

        #expect(stats.decodeErrors == 0)
        #expect(stats.framesDecoded == 180)
        #expect(stats.renditions.map(\.framesOut) == [180, 180, 90])
        #expect(stats.renditions[2].decimatedFrames == 90)
    }

    /// Submits every sample (blocking queue: nothing is dropped) and finishes.
    private func transcode(
        _ samples: [IngestSample], profile: Profile, sink: CollectingSink,
        options: StreamTranscoder.Options = .init(overflow: .block)
    ) -> TranscoderStats {
        let transcoder = StreamTranscoder(profile: profile, sink: sink, logger: testLogger, options: options)
        for sample in samples { transcoder.submit(sample) }
        transcoder.finish()
        return transcoder.stats
    }

    @Test func corruptNALUnitsAreCountedAndTheStreamContinues() throws {
        let path = try MediaFixtures.noisyClip(width: 320, height: 240, seconds: 4, gop: 30)
        var samples = try MediaFixtures.ingestSamples(path)
        var videoIndex = 0
        var corruptedFrom: Int64?
        for index in samples.indices {
            guard case .video(var unit) = samples[index] else { continue }
            defer { videoIndex += 1 }
            guard (40...46).contains(videoIndex) || (75...78).contains(videoIndex) else { continue }
            #expect(!unit.isKeyframe)
            corruptedFrom = corruptedFrom ?? unit.pts
            // Flip bits all through each NAL unit's payload (after its 4-byte length and header).
            var offset = 0
            while offset + 4 < unit.data.count {
                let length = unit.data[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
                let payload = offset + 6..<min(offset + 4 + length, unit.data.count)
                for byte in stride(from: payload.lowerBound, to: payload.upperBound, by: 3) { unit.data[byte] ^= 0xA5 }
                offset += 4 + length
            }
            samples[index] = .video(unit)
        }
        let sink = CollectingSink()
        let profile = testProfile(renditions: [RenditionSpec(name: "240p", height: 240, bitrate: 300_000)])
        let stats = transcode(samples, profile: profile, sink: sink)

        #expect(stats.decodeErrors >= 1)
        #expect(stats.skippedAccessUnits >= 1, "input skipped to the next keyframe")
        let output = sink.samples(track: 0)
        #expect(output.count < 120)
        let corruptedAt = try #require(corruptedFrom)
        let after = output.filter { $0.presentationTime > MediaTiming.ticks90k(fromMilliseconds: corruptedAt + 1000) }
        #expect(after.count >= 30, "frames keep coming after the corruption")
        #expect(sink.endCount == 1)
    }

    @Test func newSequenceHeaderRecreatesTheDecoderAndDeclaresTracksAgain() throws {
        let first = try MediaFixtures.ingestSamples(try MediaFixtures.noisyClip(width: 320, height: 240, seconds: 2))
        let second = try MediaFixtures.ingestSamples(try MediaFixtures.noisyClip(width: 640, height: 360, seconds: 2))
        let shifted = second.map { sample -> IngestSample in
            switch sample {
            case .video(var unit):
                unit.dts += 2000
                return .video(unit)
            case .audio(var unit):
                unit.pts += 2000
                return .audio(unit)
            default: return sample
            }
        }
        let sink = CollectingSink()
        let profile = testProfile(renditions: [RenditionSpec(name: "main", height: 240, bitrate: 300_000)])
        let stats = transcode(first + shifted, profile: profile, sink: sink)

        #expect(sink.declarations.count == 2)
        #expect(stats.trackDeclarations == 2)
        let sizes = try sink.declarations.map { try codedSize($0[0]) }
        #expect(sizes.map(\.width) == [320, 426])
        #expect(sizes.map(\.height) == [240, 240])
        #expect(sink.declarations.allSatisfy { $0.map(\.name) == ["main", "audio"] })
        let output = sink.samples(track: 0)  // samples of the second declaration
        #expect(abs(output.count - 60) <= 1)
        #expect(output.first?.isSync == true)
        #expect((output.map(\.presentationTime).min() ?? 0) >= 180_000)
        #expect(stats.decodeErrors == 0)
        #expect(sink.endCount == 1)
    }

    @Test func overloadDropsVideoToTheNextKeyframeWithinBoundedMemory() throws {
        let samples = try MediaFixtures.ingestSamples(
            try MediaFixtures.noisyClip(width: 320, height: 240, seconds: 4, gop: 15))
        let sink = CollectingSink()
        let profile = testProfile(renditions: [RenditionSpec(name: "240p", height: 240, bitrate: 300_000)])
        let options = StreamTranscoder.Options(
            overflow: .dropToNextKeyframe, ingestMaxItems: 6, ingestMaxBytes: 64 * 1024, stageQueueCapacity: 2)
        let transcoder = StreamTranscoder(profile: profile, sink: sink, logger: testLogger, options: options)
        var droppedVideo = 0
        var droppedAudio = 0
        var dropping = false
        var resumedOnNonKeyframe = 0
        for sample in samples {
            let outcome = transcoder.submit(sample)  // as fast as possible: far faster than real time
            switch (sample, outcome) {
            case (.video, .dropped):
                droppedVideo += 1
                dropping = true
            case (.video(let unit), .accepted):
                if dropping && !unit.isKeyframe { resumedOnNonKeyframe += 1 }
                dropping = false
            case (.audio, .dropped):
                droppedAudio += 1
            default: break
            }
        }
        transcoder.finish()
        let stats = transcoder.stats
        #expect(droppedVideo > 0)
        #expect(resumedOnNonKeyframe == 0, "after a drop, video resumes only at a keyframe")
        #expect(stats.ingestDroppedVideo == droppedVideo)
        #expect(stats.ingestDroppedAudio == droppedAudio)
        #expect(stats.ingestQueuePeakBytes <= 64 * 1024)
        #expect(stats.decodeErrors == 0, "drops never feed the decoder a broken reference chain")
        #expect(sink.endCount == 1)
        #expect(transcoder.submit(samples[0]) == .closed)
    }

    @Test func copyRungAndMatchingAudioPassThrough() throws {
        let path = try MediaFixtures.noisyClip(width: 320, height: 240, seconds: 2, audioRate: 48000)
        let samples = try MediaFixtures.ingestSamples(path)
        let sink = CollectingSink()
        let profile = testProfile(renditions: [
            RenditionSpec(name: "source", copy: true),
            RenditionSpec(name: "180p", height: 180, bitrate: 200_000),
        ])
        _ = transcode(samples, profile: profile, sink: sink)

        let tracks = try #require(sink.declarations.last)
        #expect(tracks.map(\.name) == ["source", "180p", "audio"])
        var sourceRecord: [UInt8] = []
        var sourceASC: [UInt8] = []
        var sourceVideo: [VideoAccessUnit] = []
        var sourceAudio: [AudioAccessUnit] = []
        for sample in samples {
            switch sample {
            case .videoConfig(let config): sourceRecord = config.record
            case .audioConfig(let config): sourceASC = config.audioSpecificConfig
            case .video(let unit): sourceVideo.append(unit)
            case .audio(let unit): sourceAudio.append(unit)
            }
        }
        #expect(tracks[0].decoderConfig == sourceRecord)
        #expect(tracks[0].codecString == (try AVCDecoderConfigurationRecord(bytes: sourceRecord)).codecString)
        #expect(tracks[0].targetBitrate == nil)
        let copied = sink.samples(track: 0)
        #expect(copied.map(\.data) == sourceVideo.map(\.data))
        #expect(copied.map(\.decodeTime) == sourceVideo.map { $0.dts * 90 })
        #expect(copied.map(\.presentationTime) == sourceVideo.map { $0.pts * 90 })

        #expect(tracks[2].decoderConfig == sourceASC)
        #expect(tracks[2].timescale == 48000)
        let audio = sink.samples(track: 2)
        #expect(audio.map(\.data) == sourceAudio.map(\.data))
        let steps = zip(audio.dropFirst(), audio).map { $0.presentationTime - $1.presentationTime }
        #expect(steps.allSatisfy { $0 == 1024 }, "continuous sample count")
    }

    @Test func cancelStopsWithoutFlushingAndEndsTheSinkOnce() throws {
        let samples = try MediaFixtures.ingestSamples(try MediaFixtures.noisyClip(width: 320, height: 240, seconds: 2))
        let sink = CollectingSink()
        let profile = testProfile(renditions: [RenditionSpec(name: "240p", height: 240, bitrate: 300_000)])
        let transcoder = StreamTranscoder(
            profile: profile, sink: sink, logger: testLogger, options: .init(overflow: .block))
        for sample in samples.prefix(40) { transcoder.submit(sample) }
        transcoder.cancel()
        transcoder.finish()
        transcoder.finish()
        #expect(transcoder.isFinished)
        #expect(sink.endCount == 1)
        #expect(transcoder.submit(samples[0]) == .closed)
    }

    @Test func asyncFinishFlushesEverything() async throws {
        let samples = try MediaFixtures.ingestSamples(try MediaFixtures.noisyClip(width: 320, height: 240, seconds: 2))
        let sink = CollectingSink()
        let profile = testProfile(renditions: [RenditionSpec(name: "240p", height: 240, bitrate: 300_000)])
        let transcoder = StreamTranscoder(
            profile: profile, sink: sink, logger: testLogger, options: .init(overflow: .block))
        for sample in samples { transcoder.submit(sample) }
        await transcoder.finish()
        #expect(transcoder.isFinished)
        #expect(sink.endCount == 1)
        #expect(sink.samples(track: 0).count == 60)
        #expect(transcoder.stats.renditions.first?.framesOut == 60)
    }

    @Test func lateAudioConfigurationDeclaresTheTracksAgainWithAudio() throws {
        let samples = try MediaFixtures.ingestSamples(try MediaFixtures.noisyClip(width: 320, height: 240, seconds: 2))
        // Video only for the first half second, then the audio configuration and audio.
        let video = samples.filter {
            if case .video = $0 { true } else if case .videoConfig = $0 { true } else { false }
        }
        let audio = samples.filter {
            if case .audio = $0 { true } else if case .audioConfig = $0 { true } else { false }
        }
        let sink = CollectingSink()
        let profile = testProfile(renditions: [RenditionSpec(name: "240p", height: 240, bitrate: 300_000)])
        _ = transcode(Array(video.prefix(16)) + audio + Array(video.dropFirst(16)), profile: profile, sink: sink)
        #expect(sink.declarations.map { $0.map(\.name) } == [["240p"], ["240p", "audio"]])
        #expect(sink.endCount == 1)
    }
}
