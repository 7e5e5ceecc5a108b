import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

@Suite struct FragmentBoxesTests {
    @Test func sampleFlagsEncodeDependencyAndSync() {
        #expect(SampleFlags.sync.rawValue == 0x0200_0000)
        #expect(SampleFlags.nonSync.rawValue == 0x0101_0000)
        #expect(SampleFlags.nonSync.isNonSync)
        #expect(SampleFlags.nonSync.dependsOn == 1)
        #expect(!SampleFlags.sync.isNonSync)
    }

    @Test func decodeTimeVersionIsChosenFromTheValue() throws {
        var writer = BoxWriter()
        FragmentBoxes.writeTrackFragmentDecodeTime(&writer, baseMediaDecodeTime: UInt64(UInt32.max))
        FragmentBoxes.writeTrackFragmentDecodeTime(&writer, baseMediaDecodeTime: UInt64(UInt32.max) + 1)
        let boxes = try parseTestBoxes(writer.bytes)
        #expect(boxes[0].version == 0)
        #expect(testDecodeTime(boxes[0]) == UInt64(UInt32.max))
        #expect(boxes[1].version == 1)
        #expect(testDecodeTime(boxes[1]) == UInt64(UInt32.max) + 1)
    }

    @Test func runWithOnlyALeadingSyncSampleUsesFirstSampleFlags() throws {
        let samples = [
            FragmentSample(size: 10, duration: 3000, flags: .sync, compositionOffset: 6000),
            FragmentSample(size: 4, duration: 3000, flags: .nonSync, compositionOffset: 0),
        ]
        var writer = BoxWriter()
        FragmentBoxes.writeTrackRun(&writer, samples: samples, defaultFlags: .nonSync)
        let run = TestTrackRun(try parseTestBoxes(writer.bytes).first("trun"))
        #expect(run.version == 0)
        #expect(run.flags == 0x000001 | 0x000004 | 0x000100 | 0x000200 | 0x000800)
        #expect(run.firstSampleFlags == SampleFlags.sync.rawValue)
        #expect(run.samples.map(\.size) == [10, 4])
        #expect(run.samples.map(\.duration) == [3000, 3000])
        #expect(run.samples.map(\.compositionOffset) == [6000, 0])
        #expect(run.sampleFlags(1, default: SampleFlags.nonSync.rawValue) == SampleFlags.nonSync.rawValue)
    }

    @Test func negativeCompositionOffsetSelectsVersion1AndMixedFlagsArePerSample() throws {
        let samples = [
            FragmentSample(size: 1, duration: 1, flags: .sync, compositionOffset: 0),
            FragmentSample(size: 2, duration: 1, flags: .nonSync, compositionOffset: -1),
            FragmentSample(size: 3, duration: 1, flags: .sync, compositionOffset: 2),
        ]
        var writer = BoxWriter()
        FragmentBoxes.writeTrackRun(&writer, samples: samples, defaultFlags: .nonSync)
        let run = TestTrackRun(try parseTestBoxes(writer.bytes).first("trun"))
        #expect(run.version == 1)
        #expect(run.flags & 0x400 != 0)
        #expect(run.flags & 0x004 == 0)
        #expect(run.samples.map(\.flags) == [0x0200_0000, 0x0101_0000, 0x0200_0000])
        #expect(run.samples.map(\.compositionOffset) == [0, -1, 2])
    }

    @Test func audioRunOmitsFlagsAndOffsets() throws {
        let samples = (0..<3).map { _ in FragmentSample(size: 300, duration: 1024, flags: .sync, compositionOffset: 0) }
        let layout = TrackRunLayout(samples: samples, defaultFlags: .sync)
        #expect(layout.version == 0)
        #expect(layout.flags == 0x000301)
    }

    @Test func movieFragmentStructure() throws {
        var writer = BoxWriter()
        let position = FragmentBoxes.writeMovieFragment(
            &writer, sequenceNumber: 7, trackID: 1, baseMediaDecodeTime: 180000,
            samples: [FragmentSample(size: 5, duration: 3000, flags: .sync, compositionOffset: 0)],
            defaultFlags: .nonSync)
        let moof = try parseTestBoxes(writer.bytes).first("moof")
        #expect(try moof.children().types == ["mfhd", "traf"])
        #expect(try moof.find("traf").children().types == ["tfhd", "tfdt", "trun"])
        let tfhd = try moof.find("traf", "tfhd")
        #expect(tfhd.flags == 0x020000)
        var mfhd = try moof.find("mfhd").cursor(skip: 4)
        #expect(mfhd.u32() == 7)
        #expect(try testDecodeTime(moof.find("traf", "tfdt")) == 180000)
        let trun = try moof.find("traf", "trun")
        #expect(position == trun.offset + trun.headerSize + 8)
    }

    @Test func mediaDataHeaderGrowsForHugePayloads() {
        #expect(FragmentBoxes.mediaDataHeaderSize(payloadSize: 100) == 8)
        #expect(FragmentBoxes.mediaDataHeaderSize(payloadSize: Int(UInt32.max)) == 16)
    }
}
