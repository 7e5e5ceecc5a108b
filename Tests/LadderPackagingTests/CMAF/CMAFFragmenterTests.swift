import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

@Suite struct CMAFFragmenterTests {
    static func videoSamples(start: Int64, count: Int) -> [CMAFSample] {
        (0..<count).map { index in
            CMAFSample(
                decodeTime: start + Int64(index) * 3000, duration: 3000, compositionOffset: index == 0 ? 6000 : 3000,
                isSync: index == 0, data: Array(repeating: UInt8(index + 1), count: 10 + index))
        }
    }

    @Test func segmentIsStypMoofMdatWithDataOffsetIntoMdat() throws {
        var fragmenter = CMAFFragmenter(timescale: 90000, isVideo: true)
        let samples = Self.videoSamples(start: 180000, count: 4)
        let bytes = fragmenter.segment(chunks: [samples])
        #expect(try parseTestBoxes(bytes).types == ["styp", "moof", "mdat"])
        let fragments = try parseTestSegment(bytes, trexDefaultFlags: SampleFlags.nonSync.rawValue)
        #expect(fragments.count == 1)
        let fragment = try #require(fragments.first)
        #expect(fragment.sequenceNumber == 1)
        #expect(fragment.decodeTime == 180000)
        #expect(fragment.tfdtVersion == 0)
        #expect(fragment.run.version == 0)
        #expect(fragment.payloads == samples.map(\.data))
        #expect(fragment.durations == [3000, 3000, 3000, 3000])
        #expect(fragment.run.samples.map(\.compositionOffset) == [6000, 3000, 3000, 3000])
        #expect((0..<4).map(fragment.isSync) == [true, false, false, false])
    }

    @Test func sequenceNumbersIncreasePerChunk() throws {
        var fragmenter = CMAFFragmenter(timescale: 90000, isVideo: true, firstSequenceNumber: 41)
        let bytes = fragmenter.segment(chunks: [
            Self.videoSamples(start: 0, count: 2), Self.videoSamples(start: 6000, count: 2),
        ])
        let fragments = try parseTestSegment(bytes, trexDefaultFlags: SampleFlags.nonSync.rawValue)
        #expect(fragments.map(\.sequenceNumber) == [41, 42])
        #expect(fragments.map(\.decodeTime) == [0, 6000])
        #expect(fragmenter.nextSequenceNumber == 43)
    }

    @Test func audioSamplesAreAllSync() throws {
        var fragmenter = CMAFFragmenter(timescale: 48000, isVideo: false)
        let samples = (0..<3).map {
            CMAFSample(decodeTime: Int64($0) * 1024, duration: 1024, compositionOffset: 0, isSync: false, data: [1, 2])
        }
        let fragment = try #require(
            parseTestSegment(fragmenter.segment(chunks: [samples]), trexDefaultFlags: SampleFlags.sync.rawValue).first)
        #expect(fragment.run.flags & 0x404 == 0)
        #expect((0..<3).allSatisfy(fragment.isSync))
    }

    @Test func negativeOffsetsAndLargeDecodeTimesPickVersion1() throws {
        var fragmenter = CMAFFragmenter(timescale: 90000, isVideo: true)
        let start = Int64(UInt32.max) + 10
        let samples = [
            CMAFSample(decodeTime: start, duration: 3000, compositionOffset: 0, isSync: true, data: [1]),
            CMAFSample(decodeTime: start + 3000, duration: 3000, compositionOffset: -3000, isSync: false, data: [2]),
        ]
        let fragment = try #require(
            parseTestSegment(fragmenter.segment(chunks: [samples]), trexDefaultFlags: SampleFlags.nonSync.rawValue)
                .first)
        #expect(fragment.tfdtVersion == 1)
        #expect(fragment.decodeTime == UInt64(start))
        #expect(fragment.run.version == 1)
        #expect(fragment.run.samples.map(\.compositionOffset) == [0, -3000])
    }

    @Test func optionalSegmentIndexCoversTheChunks() throws {
        var fragmenter = CMAFFragmenter(timescale: 90000, isVideo: true)
        let bytes = fragmenter.segment(chunks: [Self.videoSamples(start: 90000, count: 3)], segmentIndex: true)
        let boxes = try parseTestBoxes(bytes)
        #expect(boxes.types == ["styp", "sidx", "moof", "mdat"])
        #expect(String(decoding: boxes[0].payload.dropFirst(8), as: UTF8.self) == "cmfsmsdhmsix")
        var sidx = boxes[1].cursor(skip: 4 + 8)
        #expect(sidx.u32() == 96000)  // earliest presentation time
        sidx.skip(4 + 4)
        #expect(sidx.u32() == UInt32(boxes[2].size + boxes[3].size))
        #expect(sidx.u32() == 9000)
        _ = try parseTestSegment(bytes, trexDefaultFlags: SampleFlags.nonSync.rawValue)
    }
}
