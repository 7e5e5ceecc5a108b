import LadderMedia

/// One publish (from `begin(tracks:)` to the next `begin` or `end`): its tracks, how their input
/// times map to the output timeline, and which segments are complete on every track.
struct Epoch: Sendable {
    struct Track: Sendable {
        enum Status: Sendable {
            case active
            /// Left the epoch (never delivered, or fell too far behind); its samples are dropped.
            case absent
        }

        var name: String
        var isVideo: Bool
        var status: Status
        var segmenter: TrackSegmenter
        var pendingAnchor: [EncodedSample] = []
    }

    /// Samples a track may buffer while the epoch waits for every track's first sample.
    static let maxAnchorSamples = 600

    var tracks: [Track]
    var startIndex: Int
    var segmentSeconds: Double
    var timing: EpochTiming?
    var cuts = CutTable()
    var referenceTrack: Int?
    /// Segments from this grid index on are a slate (the publisher vanished): not recorded.
    var slateFromGrid: Int64?
    var hasPublished = false
    var droppedSamples = 0

    init(tracks: [Track], startIndex: Int, segmentSeconds: Double) {
        self.tracks = tracks
        self.startIndex = startIndex
        self.segmentSeconds = segmentSeconds
        referenceTrack = tracks.indices.first { tracks[$0].isVideo }
    }

    var activeIndices: [Int] { tracks.indices.filter { tracks[$0].status == .active } }

    /// A digest of everything `nextPublishable()` and `dropLaggingTracks` read: per track its
    /// status, completed segments (count and head), open segment and closed/started flags. While it
    /// is unchanged, both would answer as they did last time, so a sample that changes none of it
    /// (most samples: they extend an open segment) skips the publication check.
    var publicationState: Int {
        var hasher = Hasher()
        for index in tracks.indices {
            hasher.combine(tracks[index].status == .active)
            let segmenter = tracks[index].segmenter
            hasher.combine(segmenter.completed.count)
            hasher.combine(segmenter.completed.first?.index)
            hasher.combine(segmenter.open?.index)
            hasher.combine(segmenter.isClosed)
            hasher.combine(segmenter.hasStarted)
        }
        return hasher.finalize()
    }

    /// Highest segment index any track has opened or completed.
    var highestIndex: Int? {
        tracks.compactMap { track in track.segmenter.open?.index ?? track.segmenter.completed.last?.index }.max()
    }

    func context(for index: Int) -> TrackSegmenter.Context {
        let reference = referenceTrack.map { tracks[$0] }
        return TrackSegmenter.Context(
            timing: timing ?? EpochTiming(startIndex: startIndex, offsetSeconds: 0, firstBoundary: 0),
            isReference: index == referenceTrack,
            referenceActive: reference.map { $0.status == .active } ?? false)
    }

    /// Routes a sample: buffered until the epoch is anchored, then segmented.
    /// `previousEndSeconds` is only evaluated when this sample anchors the epoch's timing.
    mutating func append(
        _ sample: EncodedSample, track index: Int, previousEndSeconds: @autoclosure () -> Double
    ) {
        guard tracks.indices.contains(index), tracks[index].status == .active else {
            droppedSamples += 1
            return
        }
        guard timing != nil else {
            tracks[index].pendingAnchor.append(sample)
            if shouldAnchor(afterAppendingTo: index) {
                anchor(previousEndSeconds: previousEndSeconds())
            }
            return
        }
        ingest(sample, track: index)
    }

    /// Flushes every track: held samples placed, open segments completed, no more input.
    mutating func close(previousEndSeconds: Double) {
        if timing == nil, tracks.contains(where: { !$0.pendingAnchor.isEmpty }) {
            anchor(previousEndSeconds: previousEndSeconds)
        }
        // Video first, so the last reference cuts are known when audio flushes.
        for index in activeIndices.sorted(by: { tracks[$0].isVideo && !tracks[$1].isVideo }) {
            let context = context(for: index)
            tracks[index].segmenter.flush(context: context, cuts: &cuts)
        }
    }

    private mutating func ingest(_ sample: EncodedSample, track index: Int) {
        let context = context(for: index)
        if tracks[index].segmenter.ingest(sample, context: context, cuts: &cuts) {
            wakeAudio()
        }
    }

    private mutating func wakeAudio() {
        for index in activeIndices where !tracks[index].isVideo {
            let context = context(for: index)
            tracks[index].segmenter.referenceDidCut(context: context, cuts: &cuts)
        }
    }

    /// Anchor once every track has shown its first sample, or one track has waited long enough.
    private func shouldAnchor(afterAppendingTo index: Int) -> Bool {
        if activeIndices.allSatisfy({ !tracks[$0].pendingAnchor.isEmpty }) { return true }
        let pending = tracks[index].pendingAnchor
        guard pending.count < Self.maxAnchorSamples, let first = pending.first, let last = pending.last else {
            return true
        }
        let timescale = Double(max(1, tracks[index].segmenter.timescale))
        let waited = (Double(last.decodeTime) - Double(first.decodeTime)) / timescale
        return waited >= max(segmentSeconds, 2)
    }

    /// Fixes the input-to-output mapping: the earliest first sample of any track lands right
    /// after the previous publish's end, keeping the tracks' relative timing (A/V sync).
    private mutating func anchor(previousEndSeconds: Double) {
        var inputStart = Double.infinity
        for track in tracks where track.status == .active {
            guard let first = track.pendingAnchor.first else { continue }
            let timescale = Double(max(1, track.segmenter.timescale))
            inputStart = min(inputStart, Double(min(first.decodeTime, first.presentationTime)) / timescale)
        }
        if !inputStart.isFinite { inputStart = 0 }
        let boundary = ((inputStart + 0.01) / segmentSeconds).rounded(.down)
        timing = EpochTiming(
            startIndex: startIndex, offsetSeconds: previousEndSeconds - inputStart,
            firstBoundary: boundary.isFinite ? Int64(max(min(boundary, 1e15), -1e15)) : 0)
        let order = tracks.indices.sorted { lhs, rhs in
            (lhs == referenceTrack ? 0 : tracks[lhs].isVideo ? 1 : 2, lhs)
                < (rhs == referenceTrack ? 0 : tracks[rhs].isVideo ? 1 : 2, rhs)
        }
        for index in order {
            let pending = tracks[index].pendingAnchor
            tracks[index].pendingAnchor = []
            for sample in pending {
                ingest(sample, track: index)
            }
        }
    }

    /// The next segment every active track has completed, after reconciling skipped indexes.
    ///
    /// All tracks cut at the same boundaries, so normally segment N exists on every track. When a
    /// track skipped an index (no sync sample near a boundary, or the epoch ended on one track
    /// just after a boundary), the tracks that do have it fold it into a neighbour (the next one
    /// at an epoch start, the previous one otherwise), so every track publishes the same
    /// segments. Returns nil while some track still has to catch up.
    mutating func nextPublishable() -> [(track: Int, segment: TrackSegment)]? {
        let active = activeIndices
        guard !active.isEmpty else { return nil }
        while true {
            var heads: [Int] = []
            for index in active {
                guard let head = tracks[index].segmenter.completed.first?.index else { return nil }
                heads.append(head)
            }
            let highestHead = heads.max() ?? 0
            var mergedForward = false
            for index in active where tracks[index].segmenter.completed[0].index < highestHead {
                guard tracks[index].segmenter.mergeLeadingSegments(into: highestHead) else { return nil }
                mergedForward = true
            }
            if mergedForward { continue }

            var nextIndexes: [Int] = []
            for index in active {
                guard let next = tracks[index].segmenter.indexAfterHead else { return nil }
                nextIndexes.append(next)
            }
            let target = nextIndexes.max() ?? 0
            var mergedBack = false
            for (position, index) in active.enumerated() where nextIndexes[position] < target {
                if let open = tracks[index].segmenter.open?.index, open < target { return nil }
                tracks[index].segmenter.mergeIntoHead(below: target)
                mergedBack = true
            }
            if mergedBack { continue }
            return active.map { index in (index, tracks[index].segmenter.completed.removeFirst()) }
        }
    }

    /// Drops active tracks that are more than `lagLimit` completed segments behind another track
    /// (`startLimit` for a track that never produced a segment). Returns their names.
    mutating func dropLaggingTracks(lagLimit: Int, startLimit: Int) -> [String] {
        let active = activeIndices
        let mostCompleted = active.map { tracks[$0].segmenter.completed.count }.max() ?? 0
        var dropped: [String] = []
        for index in active {
            let lag = mostCompleted - tracks[index].segmenter.completed.count
            let limit = tracks[index].segmenter.hasStarted ? lagLimit : startLimit
            guard lag > limit else { continue }
            tracks[index].segmenter.abandon()
            tracks[index].status = .absent
            dropped.append(tracks[index].name)
        }
        if let reference = referenceTrack, tracks[reference].status != .active {
            referenceTrack = activeIndices.first { tracks[$0].isVideo }
        }
        if !dropped.isEmpty {
            wakeAudio()
        }
        return dropped
    }
}

extension TrackSegmenter {
    /// Index of the segment that follows the first completed one (Int.max once closed).
    var indexAfterHead: Int? {
        if completed.count > 1 { return completed[1].index }
        if let open { return open.index }
        return isClosed ? Int.max : nil
    }

    /// Folds completed segments before `index` into the first completed segment at or after it.
    /// False when that segment is not complete yet.
    mutating func mergeLeadingSegments(into index: Int) -> Bool {
        guard let last = completed.firstIndex(where: { $0.index >= index }) else { return false }
        var merged = completed[last]
        for position in stride(from: last - 1, through: 0, by: -1) {
            merged.prepend(completed[position])
        }
        completed.removeFirst(last + 1)
        completed.insert(merged, at: 0)
        return true
    }

    /// Folds the completed segments after the head whose index is below `index` into the head.
    mutating func mergeIntoHead(below index: Int) {
        guard !completed.isEmpty else { return }
        var head = completed.removeFirst()
        while let next = completed.first, next.index < index {
            head.absorb(completed.removeFirst())
        }
        completed.insert(head, at: 0)
    }
}
