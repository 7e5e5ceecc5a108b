import Foundation
import LadderFFmpeg
import LadderMedia
import LadderProfile

/// What `StreamTranscoder.submit` did with a sample.
public enum SubmitOutcome: Sendable, Hashable {
    case accepted
    /// The ingest queue was full (or video is being dropped up to the next keyframe).
    case dropped
    /// The transcoder is finishing or cancelled.
    case closed
}

/// How the ingest queue behaves when it is full.
public enum IngestOverflow: Sendable, Hashable {
    /// Live: drop video up to the next keyframe, drop audio while full; `submit` never blocks.
    /// Queued video older than the latency bound is also dropped, from the head to the next
    /// fresh keyframe, so a stream the CPU cannot keep up with stays close to real time.
    case dropToNextKeyframe
    /// Offline: `submit` waits for room.
    case block
}

/// The bounded queue in front of the decoder: the pipeline's one drop point.
final class IngestQueue: @unchecked Sendable {
    struct Counters: Sendable, Hashable {
        /// Every video access unit dropped, for either reason below.
        var droppedVideo = 0
        /// The part of `droppedVideo` dropped from the head because it waited too long.
        var droppedStaleVideo = 0
        var droppedAudio = 0
        var droppedBytes = 0
        var bytes = 0
        var peakBytes = 0
        var items = 0
    }

    private struct Entry {
        var sample: IngestSample
        /// `clock()` when the sample was offered.
        var arrivalNanoseconds: UInt64

        var isVideoPayload: Bool {
            if case .video = sample { return true }
            return false
        }

        var isKeyframe: Bool {
            if case .video(let unit) = sample { return unit.isKeyframe }
            return false
        }
    }

    /// Monotonic nanoseconds (injected so tests can drive the latency bound).
    typealias Clock = @Sendable () -> UInt64

    // All mutable state is guarded by `condition`. Waiters are counted so that a hand-off only
    // signals when someone sleeps, and the signal is sent after unlocking: a woken consumer
    // then does not block again on the mutex the producer still holds (one futex per hand-off).
    private let condition = NSCondition()
    private var sleepingConsumers = 0
    private var sleepingProducers = 0
    private var items: [Entry] = []
    private var head = 0
    private var closed = false
    private var droppingVideo = false
    private var counters = Counters()
    let maxItems: Int
    let maxBytes: Int
    let overflow: IngestOverflow
    /// Live only: queued video that waited longer than this is dropped to the next fresh keyframe.
    let maxDelayNanoseconds: UInt64?
    private let clock: Clock

    /// Configuration samples may exceed the limits by this much (they are tiny and never dropped).
    private static let configAllowance = 16

    static let monotonicClock: Clock = { DispatchTime.now().uptimeNanoseconds }

    init(
        maxItems: Int, maxBytes: Int, overflow: IngestOverflow, maxDelay: Duration? = nil,
        clock: @escaping Clock = IngestQueue.monotonicClock
    ) {
        self.maxItems = max(2, maxItems)
        self.maxBytes = max(1024, maxBytes)
        self.overflow = overflow
        self.clock = clock
        if overflow == .dropToNextKeyframe, let maxDelay, maxDelay > .zero {
            let (seconds, attoseconds) = maxDelay.components
            maxDelayNanoseconds = UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
        } else {
            maxDelayNanoseconds = nil
        }
    }

    /// Bytes a sample holds while queued (payload plus a fixed bookkeeping cost).
    static func cost(_ sample: IngestSample) -> Int {
        switch sample {
        case .videoConfig(let config): return config.record.count + 64
        case .audioConfig(let config): return config.audioSpecificConfig.count + 64
        case .video(let unit): return unit.data.count + 64
        case .audio(let unit): return unit.data.count + 64
        }
    }

    private var queuedCount: Int { items.count - head }

    private func hasRoom(for cost: Int) -> Bool {
        queuedCount < maxItems && counters.bytes + cost <= maxBytes
    }

    func offer(_ sample: IngestSample) -> SubmitOutcome {
        let cost = Self.cost(sample)
        condition.lock()
        let outcome = enqueue(sample, cost: cost)
        let wake = outcome == .accepted && sleepingConsumers > 0
        condition.unlock()
        if wake { condition.signal() }
        return outcome
    }

    /// `offer` for each sample in order under one lock, waking a sleeping consumer once at the end:
    /// a socket read's messages cost one hand-off instead of one per message.
    @discardableResult
    func offer(contentsOf samples: [IngestSample]) -> [SubmitOutcome] {
        guard !samples.isEmpty else { return [] }
        let costs = samples.map(Self.cost)
        condition.lock()
        let outcomes = zip(samples, costs).map { enqueue($0, cost: $1) }
        let wake = outcomes.contains(.accepted) && sleepingConsumers > 0
        condition.unlock()
        if wake { condition.signal() }
        return outcomes
    }

    /// Blocks (offline) until `hasRoom(for:)` or closed. Caller holds the lock.
    private func waitForRoom(_ cost: Int) {
        while !hasRoom(for: cost) && !closed {
            // A batch signals only at its end: wake the consumer that can make room before waiting.
            if sleepingConsumers > 0 { condition.broadcast() }
            sleepingProducers += 1
            condition.wait()
            sleepingProducers -= 1
        }
    }

    /// Caller holds the lock.
    private func enqueue(_ sample: IngestSample, cost: Int) -> SubmitOutcome {
        guard !closed else { return .closed }
        switch sample {
        case .videoConfig, .audioConfig:
            // Never dropped: the decoder needs them; bounded by a small allowance.
            if overflow == .block { waitForRoom(cost) }
            guard !closed else { return .closed }
            guard queuedCount < maxItems + Self.configAllowance else { return drop(cost, isVideo: false) }
        case .video(let unit):
            if overflow == .block {
                waitForRoom(cost)
                guard !closed else { return .closed }
            } else {
                if droppingVideo && !unit.isKeyframe { return drop(cost, isVideo: true) }
                guard hasRoom(for: cost) else {
                    droppingVideo = true
                    return drop(cost, isVideo: true)
                }
            }
            droppingVideo = false
        case .audio:
            if overflow == .block {
                waitForRoom(cost)
                guard !closed else { return .closed }
            } else if !hasRoom(for: cost) {
                return drop(cost, isVideo: false)
            }
        }
        items.append(Entry(sample: sample, arrivalNanoseconds: maxDelayNanoseconds == nil ? 0 : clock()))
        counters.bytes += cost
        counters.peakBytes = max(counters.peakBytes, counters.bytes)
        counters.items = queuedCount
        return .accepted
    }

    private func drop(_ cost: Int, isVideo: Bool) -> SubmitOutcome {
        if isVideo { counters.droppedVideo += 1 } else { counters.droppedAudio += 1 }
        counters.droppedBytes += cost
        return .dropped
    }

    /// The next sample; nil once closed and drained (or cancelled). Blocks while empty.
    func take() -> IngestSample? {
        condition.lock()
        let sample = dequeue()
        let wake = sleepingProducers > 0
        condition.unlock()
        if wake { condition.broadcast() }
        return sample
    }

    /// Caller holds the lock.
    private func dequeue() -> IngestSample? {
        while true {
            while queuedCount == 0 && !closed {
                sleepingConsumers += 1
                condition.wait()
                sleepingConsumers -= 1
            }
            guard queuedCount > 0 else { return nil }
            // Once closed everything queued is drained: the publisher left, the backlog is finite.
            guard !closed, let maxDelayNanoseconds, items[head].isVideoPayload,
                clock() &- items[head].arrivalNanoseconds > maxDelayNanoseconds
            else { break }
            dropStaleVideo(olderThan: maxDelayNanoseconds)
        }
        let sample = items[head].sample
        head += 1
        // Compact once the consumed prefix dominates: amortised O(1), storage stays bounded.
        if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        counters.bytes -= Self.cost(sample)
        counters.items = queuedCount
        return sample
    }

    /// The head is video that waited too long: drop queued video up to the first keyframe that
    /// has not (or all of it, and incoming video up to the next keyframe). Audio and
    /// configurations stay, in order. Caller holds the lock.
    private func dropStaleVideo(olderThan limit: UInt64) {
        let now = clock()
        let fresh = items[head...].firstIndex { $0.isKeyframe && now &- $0.arrivalNanoseconds <= limit }
        let end = fresh ?? items.count
        var kept: [Entry] = []
        for entry in items[head..<end] {
            if entry.isVideoPayload {
                let cost = Self.cost(entry.sample)
                counters.bytes -= cost
                _ = drop(cost, isVideo: true)
                counters.droppedStaleVideo += 1
            } else {
                kept.append(entry)
            }
        }
        items.replaceSubrange(head..<end, with: kept)
        if fresh == nil { droppingVideo = true }
        counters.items = queuedCount
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    func cancel() {
        condition.lock()
        closed = true
        items = []
        head = 0
        counters.bytes = 0
        counters.items = 0
        condition.broadcast()
        condition.unlock()
    }

    /// True while a consumer waits on an empty queue (for tests).
    var isConsumerSleeping: Bool {
        condition.lock()
        defer { condition.unlock() }
        return sleepingConsumers > 0
    }

    var snapshot: Counters {
        condition.lock()
        defer { condition.unlock() }
        return counters
    }
}
