import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

@Suite struct EpochTests {
    static func track(_ name: String, video: Bool) -> Epoch.Track {
        let description = SyntheticLadder.tracks()[video ? 0 : 2]
        return Epoch.Track(
            name: name, isVideo: video, status: .active,
            segmenter: TrackSegmenter(description: description, segmentSeconds: 2, floorTicks: 0))
    }

    static func segment(_ index: Int, _ dts: Int64) -> TrackSegment {
        TrackSegment(
            index: index,
            first: TimedSample(
                inputDts: dts, inputPts: dts, dts: dts, pts: dts, duration: 1, givenDuration: 0, isSync: true,
                cutsAtJump: false, data: [UInt8(truncatingIfNeeded: index)]),
            isDiscontinuity: false)
    }

    @Test func aSkippedIndexIsFoldedIntoThePreviousSegmentOfTheOtherTracks() throws {
        var epoch = Epoch(
            tracks: [Self.track("a", video: true), Self.track("b", video: true)], startIndex: 0, segmentSeconds: 2)
        epoch.tracks[0].segmenter.completed = [Self.segment(0, 0), Self.segment(1, 10), Self.segment(2, 20)]
        epoch.tracks[1].segmenter.completed = [Self.segment(0, 0), Self.segment(2, 20)]
        epoch.tracks[0].segmenter.flush(context: epoch.context(for: 0), cuts: &epoch.cuts)
        epoch.tracks[1].segmenter.flush(context: epoch.context(for: 1), cuts: &epoch.cuts)
        let firstGroup = epoch.nextPublishable()
        let first = try #require(firstGroup)
        #expect(first.map(\.segment.index) == [0, 0])
        #expect(first.map { $0.segment.samples.count } == [2, 1])
        let secondGroup = epoch.nextPublishable()
        let second = try #require(secondGroup)
        #expect(second.map(\.segment.index) == [2, 2])
        let rest = epoch.nextPublishable()
        #expect(rest == nil)
    }

    @Test func aMissingFirstIndexIsFoldedForward() throws {
        var epoch = Epoch(
            tracks: [Self.track("v", video: true), Self.track("a", video: false)], startIndex: 4, segmentSeconds: 2)
        epoch.tracks[0].segmenter.completed = [Self.segment(5, 10), Self.segment(6, 20)]
        epoch.tracks[1].segmenter.completed = [Self.segment(4, 0), Self.segment(5, 10), Self.segment(6, 20)]
        epoch.tracks[0].segmenter.flush(context: epoch.context(for: 0), cuts: &epoch.cuts)
        epoch.tracks[1].segmenter.flush(context: epoch.context(for: 1), cuts: &epoch.cuts)
        let group = epoch.nextPublishable()
        let first = try #require(group)
        #expect(first.map(\.segment.index) == [5, 5])
        #expect(first[1].segment.samples.map(\.dts) == [0, 10])
    }

    @Test func waitsWhileATrackIsBehindAndDropsItWhenTooFarBehind() {
        var epoch = Epoch(
            tracks: [Self.track("v", video: true), Self.track("a", video: false)], startIndex: 0, segmentSeconds: 2)
        epoch.tracks[0].segmenter.completed = (0..<4).map { Self.segment($0, Int64($0) * 10) }
        let waiting = epoch.nextPublishable()
        #expect(waiting == nil)
        let keep = epoch.dropLaggingTracks(lagLimit: 5, startLimit: 4)
        #expect(keep.isEmpty)
        epoch.tracks[0].segmenter.completed.append(Self.segment(4, 40))
        let dropped = epoch.dropLaggingTracks(lagLimit: 5, startLimit: 4)
        #expect(dropped == ["a"])
        #expect(epoch.tracks[1].status == .absent)
        let published = epoch.nextPublishable()
        #expect(published?.count == 1)
    }
}
