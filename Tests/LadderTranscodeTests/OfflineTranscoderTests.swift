import Foundation
import LadderMedia
import LadderPackaging
import LadderProfile
import LadderTestSupport
import Testing

@testable import LadderFFmpeg
@testable import LadderTranscode

@Suite("OfflineTranscoder", .enabled(if: MediaFixtures.available, MediaFixtures.skipReason))
struct OfflineTranscoderTests {
    /// MPEG-TS carries Annex B video and ADTS audio: both are converted to what RTMP delivers.
    @Test func transportStreamWithAnnexBAndADTS() throws {
        let path = try MediaFixtures.make(
            "annexb.ts",
            [
                "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=sample_rate=48000",
                "-t", "2", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-c:a", "aac", "-ac", "2",
            ])
        let sink = CollectingSink()
        var reports: [TranscodeProgress] = []
        let profile = testProfile(renditions: [RenditionSpec(name: "180p", height: 180, bitrate: 200_000)])
        let stats = try OfflineTranscoder(logger: testLogger, progressInterval: 0).run(
            input: path, profile: profile, sink: sink
        ) { reports.append($0) }

        #expect(stats.decodeErrors == 0)
        #expect(stats.framesDecoded == 50)
        #expect(stats.input.frameRate == 25)
        #expect(sink.samples(track: 0).count == 50)
        let audio = try #require(sink.declarations.last?.last)
        #expect(audio.name == "audio")
        #expect(audio.decoderConfig == [0x11, 0x90], "ASC built from the ADTS header, passed through")
        #expect(sink.samples(track: 1).count >= 90)
        let last = try #require(reports.last)
        #expect(last.frames == 50)
        #expect(last.mediaSeconds > 1.8)
        #expect(last.speed > 0)
    }

    @Test func hevcInputIsDecodedAndCopiedWithAnHvc1CodecString() throws {
        let path = try MediaFixtures.make(
            "hevc.mp4",
            [
                "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-t", "1", "-c:v", "libx265", "-preset",
                "ultrafast", "-x265-params", "log-level=error", "-tag:v", "hvc1",
            ])
        let sink = CollectingSink()
        let profile = testProfile(renditions: [
            RenditionSpec(name: "source", copy: true), RenditionSpec(name: "180p", height: 180, bitrate: 200_000),
        ])
        let stats = try OfflineTranscoder(logger: testLogger).run(input: path, profile: profile, sink: sink)

        let tracks = try #require(sink.declarations.last)
        #expect(tracks.map(\.name) == ["source", "180p"])  // no audio in the input
        #expect(tracks[0].codec == .hevc)
        #expect(tracks[0].codecString.hasPrefix("hvc1.1.6.L"))
        #expect(tracks[1].codec == .h264)
        #expect(sink.samples(track: 0).count == 30)
        #expect(sink.samples(track: 1).count == 30)
        #expect(stats.input.videoCodec == .hevc)
    }

    /// HEVC in MPEG-TS: the hvcC record is built from the in-band VPS/SPS/PPS.
    @Test func hevcAnnexBBuildsTheRecordFromParameterSets() throws {
        let path = try MediaFixtures.make(
            "hevc.ts",
            [
                "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-t", "1", "-c:v", "libx265", "-preset",
                "ultrafast", "-x265-params", "log-level=error",
            ])
        let sink = CollectingSink()
        let profile = testProfile(renditions: [
            RenditionSpec(name: "source", copy: true), RenditionSpec(name: "180p", height: 180, bitrate: 200_000),
        ])
        let stats = try OfflineTranscoder(logger: testLogger).run(input: path, profile: profile, sink: sink)
        let tracks = try #require(sink.declarations.last)
        let record = try HEVCDecoderConfigurationRecord(bytes: tracks[0].decoderConfig)
        #expect(record.arrays.map(\.type) == [HEVCNALType.vps, HEVCNALType.sps, HEVCNALType.pps])
        #expect(record.chromaFormat == 1)
        #expect(record.bitDepthLuma == 8)
        #expect(tracks[0].codecString.hasPrefix("hvc1.1.6.L"))
        #expect(stats.decodeErrors == 0)
        #expect(sink.samples(track: 1).count == 30)
        let copied = sink.samples(track: 0)
        #expect(copied.count == 30)
        // Parameter sets live in the record, not in the samples.
        let types = try copied.flatMap { try NALUnits.splitLengthPrefixed($0.data).compactMap(NALUnits.hevcType) }
        #expect(!types.contains(HEVCNALType.sps) && !types.contains(HEVCNALType.vps))
    }

    @Test func missingInputThrowsTheFFmpegError() {
        let profile = testProfile(renditions: [RenditionSpec(name: "180p", height: 180, bitrate: 200_000)])
        #expect(throws: TranscodeError.self) {
            try OfflineTranscoder(logger: testLogger).run(
                input: "/nonexistent/input.mp4", profile: profile, sink: CollectingSink())
        }
    }
}
