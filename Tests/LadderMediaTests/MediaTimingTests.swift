import Testing

@testable import LadderMedia

@Suite("MediaTiming")
struct MediaTimingTests {
    @Test func millisecondsTo90kHz() {
        #expect(MediaTiming.ticks90k(fromMilliseconds: 0) == 0)
        #expect(MediaTiming.ticks90k(fromMilliseconds: 33) == 2970)
        #expect(MediaTiming.ticks90k(fromMilliseconds: -40) == -3600)
    }

    @Test func millisecondsToSampleRateRounds() {
        #expect(MediaTiming.ticks(fromMilliseconds: 21, rate: 48000) == 1008)
        #expect(MediaTiming.ticks(fromMilliseconds: 23, rate: 44100) == 1014)  // 1014.3
        #expect(MediaTiming.ticks(fromMilliseconds: -23, rate: 44100) == -1014)
    }

    @Test func audioClockKeepsAContinuousSampleCount() {
        var clock = AudioSampleClock(sampleRate: 44100)
        // 1024 samples at 44.1 kHz = 23.22 ms; RTMP rounds each time to whole milliseconds.
        let milliseconds: [Int64] = [1000, 1023, 1046, 1070, 1093]
        let stamps = milliseconds.map { clock.timestamp(milliseconds: $0) }
        #expect(stamps == [44100, 45124, 46148, 47172, 48196])
    }

    @Test func audioClockResynchronisesAfterAGap() {
        var clock = AudioSampleClock(sampleRate: 48000)
        #expect(clock.timestamp(milliseconds: 0) == 0)
        #expect(clock.timestamp(milliseconds: 21) == 1024)
        #expect(clock.timestamp(milliseconds: 500) == 24000)  // publisher gap: follow the clock
        #expect(clock.timestamp(milliseconds: 521) == 25024)
    }

    @Test func backwardJumpContinuesOneStepAfterTheLastSample() {
        var video = BackwardJumpCorrector(nominalStep: 33)
        // An encoder restarting its clock at 0 after 2 s: times go on from 2033 ms.
        let input: [Int64] = [1900, 1933, 1967, 2000, 0, 33, 67, 100]
        let output = input.map { video.correct($0) }
        #expect(output == [1900, 1933, 1967, 2000, 2033, 2066, 2100, 2133])
        #expect(video.jumps == 1)
        #expect(video.offset == 2033)
    }

    @Test func smallBackwardStepsAndForwardJumpsAreLeftAlone() {
        var audio = BackwardJumpCorrector(nominalStep: 21, tolerance: 100)
        // Interleaving jitter of a few ms back, then a 20 s forward gap.
        let input: [Int64] = [1000, 1021, 1015, 1043, 21_043, 21_064]
        #expect(input.map { audio.correct($0) } == input)
        #expect(audio.jumps == 0)
        #expect(audio.offset == 0)
    }

    @Test func repeatedRestartsAccumulate() {
        var video = BackwardJumpCorrector(nominalStep: 40)
        let output = [1000, 1040, 1080, 0, 40, 80, 120, 160, 0].map { video.correct(Int64($0)) }
        #expect(output == [1000, 1040, 1080, 1120, 1160, 1200, 1240, 1280, 1320])
        #expect(video.jumps == 2)
    }

    @Test func segmentStartsAreTheFirstPictureOfEachGridInterval() {
        var tracker = SegmentBoundaryTracker(grid: SegmentGrid(originMilliseconds: 1000, segmentSeconds: 2))
        let times: [Int64] = [1000, 1033, 2967, 3000, 3033, 4990, 5010, 9000, 9033, 11000]
        let marks = times.compactMap { time in tracker.startsSegment(pts: time).map { (time, $0) } }
        // 3000 is exactly on 1000 + 2 s; 5010 is the first at/after 5000; 9000 after a gap; 11000.
        #expect(marks.map(\.0) == [1000, 3000, 5010, 9000, 11000])
        #expect(marks.map(\.1) == [0, 1, 2, 4, 5])
        #expect(tracker.grid.index(containing: 999) == -1)
    }

    @Test func fractionalSegmentDurations() {
        var tracker = SegmentBoundaryTracker(segmentSeconds: 1.001)
        #expect(tracker.grid.start(of: 3) == 3003)
        #expect(tracker.grid.index(containing: 3002) == 2)
        #expect(tracker.grid.index(containing: 3003) == 3)
        #expect(tracker.grid.index(containing: -1) == -1)
        let marks = stride(from: Int64(0), through: 4000, by: 10).filter { tracker.startsSegment(pts: $0) != nil }
        #expect(marks == [0, 1010, 2010, 3010])
    }

    @Test func frameRateCapKeepsCadenceAndSegmentStarts() {
        var limiter = FrameRateLimiter(maxFrameRate: 30, sourceFrameRate: 60)
        let times: [Int64] = (0..<12).map { Int64((Double($0) * 1000 / 60).rounded()) }
        let starts: Set<Int64> = [0, 83]  // 83 ms (an odd picture) is forced as a segment start
        let kept = times.filter { limiter.admits(pts: $0, startsSegment: starts.contains($0)) }
        #expect(kept == [0, 33, 67, 83, 117, 150, 183])
        var uncapped = FrameRateLimiter(maxFrameRate: 60, sourceFrameRate: 30)
        #expect(times.allSatisfy { uncapped.admits(pts: $0, startsSegment: false) })
    }

    @Test func frameRateEstimateFromMillisecondTimes() {
        #expect(MediaTiming.estimateFrameRate(presentationTimes: [0, 33, 67, 100, 133, 167, 200]) == 30)
        #expect(MediaTiming.estimateFrameRate(presentationTimes: [0, 40, 80, 120]) == 25)
        let ntsc = MediaTiming.estimateFrameRate(presentationTimes: [0, 33, 67, 100, 133, 167, 200, 234, 267, 300, 334])
        #expect(ntsc.map { abs($0 - 30000.0 / 1001) < 0.01 || $0 == 30 } == true)
        #expect(MediaTiming.estimateFrameRate(presentationTimes: [5]) == nil)
        #expect(MediaTiming.estimateFrameRate(presentationTimes: [0, 40, 40, 80]) == 25)
    }
}
