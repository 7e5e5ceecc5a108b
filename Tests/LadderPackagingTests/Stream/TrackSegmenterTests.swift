import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

@Suite struct TrackSegmenterTests {
    static let timing = EpochTiming(startIndex: 0, offsetSeconds: 0, firstBoundary: 0)

    static func video() -> TrackSegmenter {
        TrackSegmenter(description: SyntheticLadder.tracks()[0], segmentSeconds: 2, floorTicks: 0)
    }

    static func audio() -> TrackSegmenter {
        TrackSegmenter(description: SyntheticLadder.tracks()[2], segmentSeconds: 2, floorTicks: 0)
    }

    static func sample(_ dts: Int64, sync: Bool = false, duration: Int64 = 0, mark: Int64? = nil) -> EncodedSample {
        EncodedSample(
            decodeTime: dts, presentationTime: dts, duration: duration, isSync: sync, data: [1], segmentStart: mark)
    }

    @Test func durationsComeFromTheNextDecodeTimeAndTheLastKeepsThePrevious() {
        var segmenter = Self.video()
        var cuts = CutTable()
        let context = TrackSegmenter.Context(timing: Self.timing, isReference: true, referenceActive: true)
        for (dts, sync) in [(0, true), (3000, false), (6003, false), (9000, false)] as [(Int64, Bool)] {
            _ = segmenter.ingest(Self.sample(dts, sync: sync), context: context, cuts: &cuts)
        }
        segmenter.flush(context: context, cuts: &cuts)
        #expect(segmenter.completed.count == 1)
        #expect(segmenter.completed.first?.samples.map(\.duration) == [3000, 3003, 2997, 2997])
        #expect(segmenter.endTicks == 11997)
    }

    @Test func videoCutsOnlyWhereTheProducerMarkedASegmentStart() {
        var segmenter = Self.video()
        var cuts = CutTable()
        let context = TrackSegmenter.Context(timing: Self.timing, isReference: true, referenceActive: true)
        // Sync samples at 1 s (unmarked), at 2 s minus 5 ms (marked: segment 1), at 3 s and at
        // 4.1 s (unmarked: a copy rung's extra keyframes), then segment 3 marked after a gap.
        let samples: [(Int64, Bool, Int64?)] = [
            (0, true, 0), (90000, true, nil), (179_550, true, 1), (270_000, true, nil), (369_000, true, nil),
            (540_000, true, 3), (543_000, false, nil),
        ]
        for (dts, sync, mark) in samples {
            _ = segmenter.ingest(Self.sample(dts, sync: sync, mark: mark), context: context, cuts: &cuts)
        }
        #expect(segmenter.completed.map(\.index) == [0, 1])
        #expect(segmenter.completed.map(\.samples.count) == [2, 3])
        #expect(segmenter.open?.index == 3, "the index follows the mark across the gap")
        #expect(cuts.entries.map(\.index) == [0, 1, 3])
        #expect(cuts.entries[1].seconds == 179_550.0 / 90000)
    }

    @Test func aRepeatedOrStaleMarkDoesNotCut() {
        var segmenter = Self.video()
        var cuts = CutTable()
        let context = TrackSegmenter.Context(timing: Self.timing, isReference: true, referenceActive: true)
        for (dts, mark) in [(0, 0), (180_000, 1), (183_000, 1), (186_000, 0)] as [(Int64, Int64)] {
            _ = segmenter.ingest(Self.sample(dts, sync: true, mark: mark), context: context, cuts: &cuts)
        }
        segmenter.flush(context: context, cuts: &cuts)
        #expect(segmenter.completed.map(\.index) == [0, 1])
        #expect(segmenter.completed.map(\.samples.count) == [1, 3])
    }

    @Test func audioCutsAtTheFrameNearestTheReferenceCut() {
        var segmenter = Self.audio()
        var cuts = CutTable()
        cuts.record(index: 0, seconds: 0)
        let context = TrackSegmenter.Context(timing: Self.timing, isReference: false, referenceActive: true)
        for frame in 0..<100 {
            _ = segmenter.ingest(SyntheticLadder.audio(frame), context: context, cuts: &cuts)
        }
        // Without the video's cut, frames near the boundary wait.
        #expect(segmenter.completed.isEmpty)
        #expect(!segmenter.audioQueue.isEmpty)
        cuts.record(index: 1, seconds: 2.0)
        segmenter.referenceDidCut(context: context, cuts: &cuts)
        #expect(segmenter.completed.map(\.index) == [0])
        // Frame 94 starts at 2.00533 s (0.0053 s from the cut), frame 93 at 1.984 s (0.016 s).
        #expect(segmenter.completed.first?.samples.count == 94)
        let nextStart: Int64? = segmenter.open?.samples.first?.dts
        #expect(nextStart == Int64(94 * 1024))
    }

    @Test func timestampJumpsAreRebasedAndFlagTheNextSegment() {
        var segmenter = Self.video()
        var cuts = CutTable()
        let context = TrackSegmenter.Context(timing: Self.timing, isReference: true, referenceActive: true)
        _ = segmenter.ingest(Self.sample(0, sync: true), context: context, cuts: &cuts)
        _ = segmenter.ingest(Self.sample(3000), context: context, cuts: &cuts)
        // Backward jump to a sync sample: continues at 6000 and starts a flagged segment.
        _ = segmenter.ingest(Self.sample(-500_000, sync: true), context: context, cuts: &cuts)
        _ = segmenter.ingest(Self.sample(-497_000), context: context, cuts: &cuts)
        segmenter.flush(context: context, cuts: &cuts)
        #expect(segmenter.jumps == 1)
        #expect(segmenter.completed.map(\.index) == [0, 1])
        #expect(segmenter.completed.map(\.isDiscontinuity) == [false, true])
        #expect(segmenter.completed[1].samples.map(\.dts) == [6000, 9000])
    }

    @Test func firstSamplesNeverStartBeforeThePreviousEnd() {
        var segmenter = TrackSegmenter(description: SyntheticLadder.tracks()[0], segmentSeconds: 2, floorTicks: 90000)
        var cuts = CutTable()
        let context = TrackSegmenter.Context(timing: Self.timing, isReference: false, referenceActive: true)
        _ = segmenter.ingest(Self.sample(0, sync: true), context: context, cuts: &cuts)
        #expect(segmenter.droppedSamples == 1)
        _ = segmenter.ingest(Self.sample(89_500, sync: true), context: context, cuts: &cuts)  // 5.6 ms early: shifted
        _ = segmenter.ingest(Self.sample(92_500), context: context, cuts: &cuts)
        segmenter.flush(context: context, cuts: &cuts)
        #expect(segmenter.completed.first?.samples.first?.dts == 90000)
    }

    @Test func videoMustStartWithASyncSample() {
        var segmenter = Self.video()
        var cuts = CutTable()
        let context = TrackSegmenter.Context(timing: Self.timing, isReference: false, referenceActive: true)
        for (dts, sync) in [(0, false), (3000, false), (6000, true), (9000, false)] as [(Int64, Bool)] {
            _ = segmenter.ingest(Self.sample(dts, sync: sync), context: context, cuts: &cuts)
        }
        segmenter.flush(context: context, cuts: &cuts)
        #expect(segmenter.droppedSamples == 2)
        #expect(segmenter.completed.first?.samples.map(\.dts) == [6000, 9000])
    }
}
