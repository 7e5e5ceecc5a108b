import LadderMedia

/// One sample on the publisher's (input) timeline and on the continuous output timeline.
struct TimedSample: Sendable {
    var inputDts: Int64
    var inputPts: Int64
    var dts: Int64
    var pts: Int64
    /// Output duration: the next sample's decode time minus this one's (contiguous runs).
    var duration: Int64
    /// The duration the pipeline gave (0 = unknown); used only when there is no next sample.
    var givenDuration: Int64
    var isSync: Bool
    /// A sync sample right after a timestamp jump starts a new segment.
    var cutsAtJump: Bool
    /// The producer's segment-start mark (`EncodedSample.segmentStart`): grid index k.
    var segmentStart: Int64?
    var data: [UInt8]

    var end: Int64 { dts &+ duration }
}

/// A segment of one track, identified by its segment index (shared by all tracks of the stream).
struct TrackSegment: Sendable {
    var index: Int
    var samples: [TimedSample]
    var isDiscontinuity: Bool
    var byteCount: Int
    /// Positions in `samples` where LL parts start (`[0]`: the segment's first part).
    var partStarts: [Int] = [0]
    /// The parts written so far, in order (LL only): the segment's bytes are their concatenation.
    var writtenParts: [WrittenPart] = []

    struct WrittenPart: Sendable {
        /// Relative to the rendition's playlist.
        var uri: String
        var bytes: [UInt8]
        var durationTicks: Int64
        var isIndependent: Bool
    }

    /// Hands each complete part not written yet to `write`, in order, and keeps what it returns.
    mutating func writeParts(
        closed: Bool, _ write: (_ segmentIndex: Int, _ samples: ArraySlice<TimedSample>, _ part: Int) -> WrittenPart
    ) {
        let ranges = completeParts(closed: closed)
        guard writtenParts.count < ranges.count else { return }
        for part in writtenParts.count..<ranges.count {
            writtenParts.append(write(index, samples[ranges[part]], part))
        }
    }

    init(index: Int, first: TimedSample, isDiscontinuity: Bool) {
        self.index = index
        samples = [first]
        self.isDiscontinuity = isDiscontinuity
        byteCount = first.data.count
    }

    /// `partLimitTicks`: PART-TARGET; a part never grows beyond it (RFC 8216bis 4.4.4.9).
    mutating func append(_ sample: TimedSample, partTicks: Int64 = 0, partLimitTicks: Int64 = .max) {
        if partTicks > 0, let first = samples.first {
            // A part starts at the frame boundary nearest each grid instant of the segment
            // (first sample + j * part), the same instants on every track.
            while sample.dts &+ sample.duration / 2 >= first.dts &+ Int64(partStarts.count) &* partTicks {
                if partStarts.last != samples.count { partStarts.append(samples.count) } else { break }
            }
            // A long frame (a timestamp gap) would stretch the part past PART-TARGET: the next
            // part starts with it instead.
            if let start = partStarts.last, start < samples.count,
                sample.dts &+ sample.duration &- samples[start].dts > partLimitTicks
            {
                partStarts.append(samples.count)
            }
        }
        samples.append(sample)
        byteCount += sample.data.count
    }

    /// Parts whose samples are all known: every part but the open last one, or all when closed.
    func completeParts(closed: Bool) -> [Range<Int>] {
        let ends = Array(partStarts.dropFirst()) + (closed ? [samples.count] : [])
        return zip(partStarts, ends).map { $0..<$1 }.filter { !$0.isEmpty }
    }

    /// Appends a later segment of the same track (used when another track skipped an index).
    mutating func absorb(_ other: TrackSegment) {
        partStarts += other.partStarts.map { $0 + samples.count }
        writtenParts += other.writtenParts
        samples.append(contentsOf: other.samples)
        byteCount += other.byteCount
        isDiscontinuity = isDiscontinuity || other.isDiscontinuity
    }

    mutating func prepend(_ other: TrackSegment) {
        partStarts = other.partStarts + partStarts.map { $0 + other.samples.count }
        writtenParts = other.writtenParts + writtenParts
        samples.insert(contentsOf: other.samples, at: 0)
        byteCount += other.byteCount
        isDiscontinuity = isDiscontinuity || other.isDiscontinuity
    }
}

/// Where the reference video track cut, by segment index, in output seconds. Audio cuts at
/// the frame boundary nearest these instants.
struct CutTable: Sendable {
    private(set) var entries: [(index: Int, seconds: Double)] = []

    mutating func record(index: Int, seconds: Double) {
        if let last = entries.last, last.index >= index { return }
        entries.append((index, seconds))
    }

    func firstCut(after index: Int) -> (index: Int, seconds: Double)? {
        entries.first { $0.index > index }
    }

    mutating func prune(below index: Int) {
        entries.removeAll { $0.index < index }
    }
}

/// How one publish (epoch) maps input time to output time and boundaries to segment indexes.
struct EpochTiming: Sendable {
    /// Segment index of the epoch's first boundary interval.
    var startIndex: Int
    /// output time = input time + offsetSeconds (the same instant for every track).
    var offsetSeconds: Double
    /// Boundary number k (input time / segmentSeconds) of the epoch's first sample.
    var firstBoundary: Int64
}

/// Per-track segmentation: rebases times onto the output timeline, holds one sample back to
/// learn its duration, and cuts segments (video: first sync sample at or after each boundary;
/// audio: frame boundary nearest the reference video's cut).
struct TrackSegmenter: Sendable {
    struct Context {
        var timing: EpochTiming
        var isReference: Bool
        /// A reference video track exists whose cuts audio should follow.
        var referenceActive: Bool
    }

    /// An open segment that grows past this without a sync sample drops samples until one arrives.
    static let maxOpenSegmentBytes = 128 << 20

    let timescale: Int64
    let isVideo: Bool
    let segmentTicks: Int64
    /// A sync sample this close before a boundary counts as on it (rounding of forced IDR times).
    let toleranceTicks: Int64
    /// Decode-time steps beyond this (or backward) are timestamp jumps.
    let jumpTicks: Int64
    /// Audio waits at most this long (in media time) for the reference video's cut.
    let audioWaitTicks: Int64
    /// LL part length in ticks (0: no parts), and PART-TARGET in ticks (no part is longer).
    let partTicks: Int64
    let partLimitTicks: Int64

    /// Output decode times never go below this (the rendition's previous end).
    private(set) var floorTicks: Int64
    private(set) var offset: Int64?
    private(set) var held: TimedSample?
    private(set) var lastDuration: Int64
    private(set) var open: TrackSegment?
    private(set) var openBoundary: Int64 = 0
    var completed: [TrackSegment] = []
    private(set) var audioQueue: [TimedSample] = []
    private(set) var pendingDiscontinuity = false
    private(set) var isClosed = false
    private(set) var hasStarted = false
    private(set) var droppedSamples = 0
    private(set) var jumps = 0
    /// The producer marks segment starts (`EncodedSample.segmentStart`): its grid, not the
    /// timestamps, then numbers this track's segments.
    private(set) var isMarked = false
    private(set) var endTicks: Int64
    private var dropsUntilSync = false

    init(
        description: TrackDescription, segmentSeconds: Double, floorTicks: Int64, partSeconds: Double = 0,
        partTargetSeconds: Double = 0
    ) {
        timescale = Int64(max(1, description.timescale))
        isVideo = description.isVideo
        segmentTicks = max(1, Int64((segmentSeconds * Double(timescale)).rounded()))
        toleranceTicks = max(1, timescale / 100)
        jumpTicks = 2 * segmentTicks
        audioWaitTicks = 2 * segmentTicks + 2 * timescale
        partTicks = partSeconds > 0 ? max(1, Int64((partSeconds * Double(timescale)).rounded())) : 0
        partLimitTicks =
            partTargetSeconds > 0 ? max(1, Int64((partTargetSeconds * Double(timescale)).rounded(.down))) : .max
        self.floorTicks = max(0, floorTicks)
        endTicks = self.floorTicks
        switch description.media {
        case .video(_, _, let frameRate, _, _):
            let rate = frameRate.flatMap { $0.isFinite && $0 >= 1 ? $0 : nil } ?? 30
            lastDuration = max(1, Int64((Double(timescale) / rate).rounded()))
        case .audio(let sampleRate, _):
            // An AAC frame is 1024 samples (ISO/IEC 14496-3 4.5.1.1).
            lastDuration = max(1, Int64((1024 * Double(timescale) / Double(max(1, sampleRate))).rounded()))
        }
    }

    var isEmpty: Bool { held == nil && open == nil && completed.isEmpty && audioQueue.isEmpty }

    func seconds(_ ticks: Int64) -> Double {
        Double(ticks) / Double(timescale)
    }

    /// Boundary number k of an input time: the interval [k, k+1) * segmentSeconds it falls in.
    func boundary(_ inputTime: Int64) -> Int64 {
        let shifted = inputTime &+ toleranceTicks
        let quotient = shifted / segmentTicks
        return (shifted % segmentTicks != 0 && shifted < 0) ? quotient - 1 : quotient
    }

    /// Takes the next sample in decode order. Returns true when the reference track recorded a cut
    /// (so waiting audio tracks can proceed).
    mutating func ingest(_ sample: EncodedSample, context: Context, cuts: inout CutTable) -> Bool {
        guard !isClosed else {
            droppedSamples += 1
            return false
        }
        let currentOffset = offset ?? Int64((context.timing.offsetSeconds * Double(timescale)).rounded())
        offset = currentOffset
        var next = TimedSample(
            inputDts: sample.decodeTime, inputPts: sample.presentationTime, dts: 0, pts: 0, duration: 0,
            givenDuration: max(0, sample.duration), isSync: isVideo ? sample.isSync : true, cutsAtJump: false,
            segmentStart: isVideo && sample.isSync ? sample.segmentStart : nil, data: sample.data)
        var recordedCut = false
        if var previous = held {
            let (delta, overflow) = next.inputDts.subtractingReportingOverflow(previous.inputDts)
            var rephase = false
            if !overflow, delta > 0, delta <= jumpTicks {
                previous.duration = delta
            } else {
                // Jump (publisher timestamps went backward or far forward): continue the output
                // right after the previous sample and flag the next segment as a discontinuity.
                previous.duration = previous.givenDuration > 0 ? min(previous.givenDuration, jumpTicks) : lastDuration
                offset = previous.dts &+ previous.duration &- next.inputDts
                pendingDiscontinuity = true
                jumps += 1
                next.cutsAtJump = isVideo && next.isSync
                rephase = true
            }
            lastDuration = max(1, previous.duration)
            held = nil
            recordedCut = place(previous, context: context, cuts: &cuts)
            if rephase && !isMarked {
                openBoundary = boundary(isVideo ? next.inputPts : next.inputDts)
            }
        }
        var resolvedOffset = offset ?? currentOffset
        next.dts = next.inputDts &+ resolvedOffset
        next.pts = next.inputPts &+ resolvedOffset
        if !hasStarted && open == nil && held == nil && next.dts < floorTicks {
            // First sample of this publish: never start before the previous end.
            let gap = floorTicks &- next.dts
            guard gap <= toleranceTicks else {
                droppedSamples += 1
                return recordedCut
            }
            resolvedOffset &+= gap
            offset = resolvedOffset
            next.dts &+= gap
            next.pts &+= gap
        }
        held = next
        return recordedCut
    }

    /// Places the held sample (using its given or the previous duration), releases waiting audio
    /// and closes the open segment. No more samples are accepted.
    mutating func flush(context: Context, cuts: inout CutTable) {
        if var last = held {
            last.duration = last.givenDuration > 0 ? min(last.givenDuration, jumpTicks) : lastDuration
            held = nil
            _ = place(last, context: context, cuts: &cuts)
        }
        if !isVideo {
            drainAudio(context: context, cuts: &cuts, final: true)
        }
        if let segment = open {
            completed.append(segment)
            open = nil
        }
        isClosed = true
    }

    /// Audio: re-evaluates queued samples once the reference video has cut.
    mutating func referenceDidCut(context: Context, cuts: inout CutTable) {
        guard !isVideo, !isClosed else { return }
        drainAudio(context: context, cuts: &cuts, final: false)
    }

    /// LL: writes (through `write`) every complete part of this track's unpublished segments.
    mutating func writeParts(
        _ write: (_ segmentIndex: Int, _ samples: ArraySlice<TimedSample>, _ part: Int) -> TrackSegment.WrittenPart
    ) {
        for position in completed.indices {
            completed[position].writeParts(closed: true, write)
        }
        open?.writeParts(closed: false, write)
    }

    /// LL: the first unpublished segment (the next to be numbered), and where its next part goes.
    var firstUnpublished: TrackSegment? { completed.first ?? open }

    /// Drops all unpublished data (the track left the epoch).
    mutating func abandon() {
        droppedSamples +=
            completed.reduce(0) { $0 + $1.samples.count } + (open?.samples.count ?? 0)
            + audioQueue.count + (held == nil ? 0 : 1)
        completed.removeAll()
        open = nil
        held = nil
        audioQueue.removeAll()
        isClosed = true
    }

    private mutating func place(_ sample: TimedSample, context: Context, cuts: inout CutTable) -> Bool {
        endTicks = max(endTicks, sample.end)
        if isVideo {
            return placeVideo(sample, context: context, cuts: &cuts)
        }
        placeAudio(sample, context: context, cuts: &cuts)
        return false
    }

    /// Video cuts only where the producer marked a segment start (decided once, upstream), or at
    /// the first sync sample after a timestamp jump. The grid index comes with the mark.
    private mutating func placeVideo(_ sample: TimedSample, context: Context, cuts: inout CutTable) -> Bool {
        guard let current = open else {
            // A segment (and the track's first sample) must start with a sync sample; an unmarked
            // one (a producer that marks nothing) is placed on the grid by its time.
            guard sample.isSync else {
                droppedSamples += 1
                return false
            }
            // The epoch's numbering comes from the time grid every track shares; from here on a
            // marked track steps by its producer's grid index.
            let timeBoundary = boundary(sample.inputPts)
            let index = context.timing.startIndex + Self.steps(timeBoundary &- context.timing.firstBoundary)
            isMarked = isMarked || sample.segmentStart != nil
            return openSegment(
                index: index, first: sample, boundary: sample.segmentStart ?? timeBoundary, context: context,
                cuts: &cuts)
        }
        let marked = sample.segmentStart.map { $0 > openBoundary } ?? false
        if sample.isSync && (marked || sample.cutsAtJump) {
            dropsUntilSync = false
            completed.append(current)
            let k = sample.segmentStart ?? (isMarked ? openBoundary &+ 1 : boundary(sample.inputPts))
            let index = current.index + max(1, Self.steps(k &- openBoundary))
            return openSegment(
                index: index, first: sample, boundary: max(k, openBoundary), context: context, cuts: &cuts)
        }
        if dropsUntilSync || current.byteCount > Self.maxOpenSegmentBytes {
            dropsUntilSync = true
            droppedSamples += 1
            return false
        }
        open?.append(sample, partTicks: partTicks, partLimitTicks: partLimitTicks)
        return false
    }

    private mutating func placeAudio(_ sample: TimedSample, context: Context, cuts: inout CutTable) {
        guard open != nil else {
            let k = boundary(sample.inputDts &+ sample.duration / 2)
            let index = context.timing.startIndex + Self.steps(k &- context.timing.firstBoundary)
            _ = openSegment(index: index, first: sample, boundary: k, context: context, cuts: &cuts)
            return
        }
        audioQueue.append(sample)
        drainAudio(context: context, cuts: &cuts, final: false)
    }

    /// Audio cut rule: before the first frame whose start is at or after (cut - half a frame),
    /// i.e. at the frame boundary nearest the reference video's cut (ties go to the later one).
    private mutating func drainAudio(context: Context, cuts: inout CutTable, final: Bool) {
        var consumed = 0
        while consumed < audioQueue.count, let current = open {
            let sample = audioQueue[consumed]
            let midpoint = sample.dts &+ sample.duration / 2
            let inputMidpoint = sample.inputDts &+ sample.duration / 2
            if let cut = cuts.firstCut(after: current.index) {
                if seconds(midpoint) >= cut.seconds {
                    cutAudio(
                        to: cut.index, first: sample, boundary: boundary(inputMidpoint), context: context, cuts: &cuts)
                } else {
                    open?.append(sample, partTicks: partTicks, partLimitTicks: partLimitTicks)
                }
            } else if !context.referenceActive {
                let k = boundary(inputMidpoint)
                if k > openBoundary {
                    cutAudio(
                        to: current.index + Self.steps(k &- openBoundary), first: sample, boundary: k, context: context,
                        cuts: &cuts)
                } else {
                    open?.append(sample, partTicks: partTicks, partLimitTicks: partLimitTicks)
                }
            } else if boundary(inputMidpoint &+ toleranceTicks) <= openBoundary || final {
                // Clearly before the next boundary (or no more cuts will come): stays here.
                open?.append(sample, partTicks: partTicks, partLimitTicks: partLimitTicks)
            } else if let last = audioQueue.last, last.end &- sample.dts >= audioWaitTicks {
                // The video is too far behind: fall back to the nominal boundary.
                let k = boundary(inputMidpoint)
                if k > openBoundary {
                    cutAudio(
                        to: current.index + Self.steps(k &- openBoundary), first: sample, boundary: k, context: context,
                        cuts: &cuts)
                } else {
                    open?.append(sample, partTicks: partTicks, partLimitTicks: partLimitTicks)
                }
            } else {
                break
            }
            consumed += 1
        }
        audioQueue.removeFirst(consumed)
    }

    private mutating func cutAudio(
        to index: Int, first: TimedSample, boundary: Int64, context: Context, cuts: inout CutTable
    ) {
        if let current = open {
            completed.append(current)
        }
        _ = openSegment(index: index, first: first, boundary: boundary, context: context, cuts: &cuts)
    }

    private mutating func openSegment(
        index: Int, first: TimedSample, boundary: Int64, context: Context, cuts: inout CutTable
    ) -> Bool {
        open = TrackSegment(index: index, first: first, isDiscontinuity: pendingDiscontinuity)
        pendingDiscontinuity = false
        openBoundary = boundary
        hasStarted = true
        guard context.isReference else { return false }
        cuts.record(index: index, seconds: seconds(first.pts))
        return true
    }

    /// A boundary-count difference as a segment-index step, bounded so indexes cannot overflow.
    static func steps(_ difference: Int64) -> Int {
        Int(min(max(difference, 0), 1 << 40))
    }
}
