/// Pure timestamp arithmetic of the pipeline. Every time starts on the publisher's millisecond
/// timeline, so audio and video stay in sync without ever being reset independently.
public enum MediaTiming {
    /// Video timescale of every output track (ISO/IEC 14496-12 mdhd timescale).
    public static let videoTimescale: Int64 = 90000

    /// Milliseconds to 90 kHz ticks (exact).
    public static func ticks90k(fromMilliseconds milliseconds: Int64) -> Int64 { milliseconds * 90 }

    /// Milliseconds to ticks of `rate` Hz, rounded to nearest (ties away from zero).
    public static func ticks(fromMilliseconds milliseconds: Int64, rate: Int) -> Int64 {
        let product = milliseconds * Int64(rate)
        return product >= 0 ? (product + 500) / 1000 : -((-product + 500) / 1000)
    }

    /// Common frame rates a measured rate is snapped to (within 1.5 %).
    package static let nominalFrameRates: [Double] = [
        24000.0 / 1001, 24, 25, 30000.0 / 1001, 30, 48, 50, 60000.0 / 1001, 60, 120,
    ]

    /// Frame rate from presentation times (ms) of consecutive pictures: the median positive
    /// step, snapped to a nominal rate when close. nil with fewer than two distinct times.
    public static func estimateFrameRate(presentationTimes: [Int64]) -> Double? {
        let sorted = presentationTimes.sorted()
        var steps: [Int64] = []
        for index in sorted.indices.dropFirst() where sorted[index] > sorted[index - 1] {
            steps.append(sorted[index] - sorted[index - 1])
        }
        guard !steps.isEmpty else { return nil }
        steps.sort()
        // Millisecond rounding makes 30 fps steps 33/34 ms: average the middle half.
        let middle = steps[steps.count / 4...(steps.count - 1) * 3 / 4]
        let step = Double(middle.reduce(0, +)) / Double(middle.count)
        let measured = 1000 / step
        guard measured.isFinite, measured >= 1, measured <= 240 else { return nil }
        if let nominal = nominalFrameRates.min(by: { abs($0 - measured) < abs($1 - measured) }),
            abs(nominal - measured) / nominal < 0.015
        {
            return nominal
        }
        return (measured * 100).rounded() / 100
    }
}

/// A publish's segment grid on the publisher's millisecond timeline: segment k covers
/// [start(k), start(k + 1)) with start(k) = origin + round(k * S * 1000). The origin is the
/// publish's first video keyframe, so its first segment is a whole one. Every rendition of the
/// publish uses this one grid, so segments line up across the ladder (RFC 8216bis 6.2.4).
public struct SegmentGrid: Sendable, Hashable {
    public let originMilliseconds: Int64
    public let segmentSeconds: Double

    public init(originMilliseconds: Int64 = 0, segmentSeconds: Double) {
        self.originMilliseconds = originMilliseconds
        self.segmentSeconds = segmentSeconds > 0 && segmentSeconds.isFinite ? segmentSeconds : 2
    }

    /// Start time of segment `index` in milliseconds.
    public func start(of index: Int64) -> Int64 {
        originMilliseconds &+ Int64((Double(index) * segmentSeconds * 1000).rounded())
    }

    /// The segment whose interval holds `milliseconds`: the largest k with start(k) <= it.
    public func index(containing milliseconds: Int64) -> Int64 {
        let offset = Double(milliseconds) - Double(originMilliseconds)
        let estimate = (offset / (segmentSeconds * 1000)).rounded(.down)
        var index = Int64(max(min(estimate, 1e15), -1e15))
        while start(of: index) > milliseconds { index -= 1 }
        while start(of: index + 1) <= milliseconds { index += 1 }
        return index
    }
}

/// Decides, once for the whole ladder, which pictures start a segment: the first picture (of
/// those offered, in presentation order) in each interval of the grid. Every transcoded rung
/// forces an IDR on exactly those pictures and marks the sample (`EncodedSample.segmentStart`);
/// a copy rung offers only source keyframes. The packager cuts where the marks are.
public struct SegmentBoundaryTracker: Sendable, Hashable {
    public let grid: SegmentGrid
    private var lastIndex: Int64?

    public init(grid: SegmentGrid) {
        self.grid = grid
    }

    public init(segmentSeconds: Double) {
        self.init(grid: SegmentGrid(segmentSeconds: segmentSeconds))
    }

    /// Call once per picture in presentation order; the grid index of the segment it starts, or
    /// nil when it does not start one.
    public mutating func startsSegment(pts: Int64) -> Int64? {
        let index = grid.index(containing: pts)
        if let lastIndex, index <= lastIndex { return nil }
        lastIndex = index
        return index
    }
}

/// Frame-rate cap of one rung: drops pictures by pts, never a segment-start picture.
public struct FrameRateLimiter: Sendable, Hashable {
    /// Minimum spacing in milliseconds (nil: no cap).
    private let interval: Double?
    private var nextDue: Double?

    public init(maxFrameRate: Double?, sourceFrameRate: Double?) {
        if let cap = maxFrameRate, cap > 0, sourceFrameRate.map({ $0 > cap * 1.01 }) ?? true {
            interval = 1000 / cap
        } else {
            interval = nil
        }
    }

    /// true: encode this picture.
    public mutating func admits(pts: Int64, startsSegment: Bool) -> Bool {
        guard let interval else { return true }
        let time = Double(pts)
        if startsSegment {
            nextDue = time + interval
            return true
        }
        // Half a millisecond of slack absorbs the publisher's millisecond rounding.
        if let due = nextDue, time + 0.5 < due { return false }
        if let due = nextDue, time - due < interval {
            nextDue = due + interval  // keep the cadence
        } else {
            nextDue = time + interval  // resynchronise after a gap
        }
        return true
    }
}

/// Timestamps for passed-through AAC frames: a continuous sample count (`frameLength` per frame),
/// resynchronised to the millisecond time only when they disagree by more than half a frame.
public struct AudioSampleClock: Sendable, Hashable {
    public let sampleRate: Int
    public let frameLength: Int64
    private var next: Int64?

    public init(sampleRate: Int, frameLength: Int64 = 1024) {
        self.sampleRate = sampleRate
        self.frameLength = frameLength
    }

    /// Timestamp (in 1/sampleRate) of the frame presented at `milliseconds`.
    public mutating func timestamp(milliseconds: Int64) -> Int64 {
        let measured = MediaTiming.ticks(fromMilliseconds: milliseconds, rate: sampleRate)
        let value: Int64
        if let expected = next, abs(measured - expected) <= frameLength / 2 {
            value = expected
        } else {
            value = measured
        }
        next = value + frameLength
        return value
    }
}

/// Keeps one track's publisher timestamps from going backward. An encoder that restarts its
/// clock without reconnecting sends times that jump back; pictures at or before the last one
/// cannot go to x264, so without this the whole stretch until the old time is passed would be
/// lost. A step back of more than `tolerance` re-bases the track to continue one step after its
/// last sample; each track is re-based at its own jump, so audio and video stay within a frame
/// of each other. Forward jumps are left alone: the packager closes the gap (TrackSegmenter).
public struct BackwardJumpCorrector: Sendable, Hashable {
    /// Milliseconds added to every input time since the last jump.
    public private(set) var offset: Int64 = 0
    public private(set) var jumps = 0
    private var last: Int64?
    private var step: Int64
    private let tolerance: Int64

    /// - Parameters:
    ///   - nominalStep: the track's sample spacing in ms, used until two samples have been seen.
    ///   - tolerance: backward steps up to this many ms are jitter, not a jump.
    public init(nominalStep: Int64, tolerance: Int64 = 100) {
        step = max(1, nominalStep)
        self.tolerance = max(0, tolerance)
    }

    /// The corrected time of the next sample, whose input (decode) time is `time` ms.
    public mutating func correct(_ time: Int64) -> Int64 {
        var corrected = time &+ offset
        if let last {
            if corrected < last &- tolerance {
                offset = offset &+ (last &+ step &- corrected)
                corrected = last &+ step
                jumps += 1
            } else if corrected > last {
                step = min(max(1, corrected - last), 1000)
            }
        }
        last = max(last ?? corrected, corrected)
        return corrected
    }
}
