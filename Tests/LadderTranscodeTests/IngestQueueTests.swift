import Foundation
import LadderMedia
import LadderPackaging
import LadderProfile
import LadderTestSupport
import Testing

@testable import LadderFFmpeg
@testable import LadderTranscode

/// A clock the test advances by hand.
private final class IngestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var nanoseconds: UInt64 = 1_000_000_000

    func advance(milliseconds: UInt64) { lock.withLock { nanoseconds += milliseconds * 1_000_000 } }
    var now: IngestQueue.Clock { { self.lock.withLock { self.nanoseconds } } }
}

@Suite("IngestQueue")
struct IngestQueueTests {
    private func video(_ dts: Int64, key: Bool, bytes: Int = 100) -> IngestSample {
        .video(
            VideoAccessUnit(dts: dts, compositionOffset: 0, isKeyframe: key, data: [UInt8](repeating: 0, count: bytes)))
    }

    private func audio(_ pts: Int64) -> IngestSample { .audio(AudioAccessUnit(pts: pts, data: [1, 2, 3])) }

    @Test func whenFullVideoIsDroppedUpToTheNextKeyframe() {
        let queue = IngestQueue(maxItems: 3, maxBytes: 1 << 20, overflow: .dropToNextKeyframe)
        #expect(queue.offer(video(0, key: true)) == .accepted)
        #expect(queue.offer(video(33, key: false)) == .accepted)
        #expect(queue.offer(video(67, key: false)) == .accepted)
        #expect(queue.offer(video(100, key: false)) == .dropped)  // full
        #expect(queue.offer(audio(100)) == .dropped)  // audio dropped while full
        _ = queue.take()
        _ = queue.take()
        // Room again, but video stays dropped until a keyframe; audio flows as soon as there is room.
        #expect(queue.offer(video(133, key: false)) == .dropped)
        #expect(queue.offer(audio(120)) == .accepted)
        #expect(queue.offer(video(167, key: true)) == .accepted)
        _ = queue.take()
        #expect(queue.offer(video(200, key: false)) == .accepted)
        let counters = queue.snapshot
        #expect(counters.droppedVideo == 2)
        #expect(counters.droppedAudio == 1)
        #expect(counters.items == 3)
    }

    @Test func boundedByBytes() {
        let queue = IngestQueue(maxItems: 100, maxBytes: 2000, overflow: .dropToNextKeyframe)
        var accepted = 0
        for index in 0..<50 where queue.offer(video(Int64(index), key: true, bytes: 300)) == .accepted { accepted += 1 }
        #expect(accepted == 5)  // 5 x (300 + 64) <= 2000 < 6 x 364
        #expect(queue.snapshot.peakBytes <= 2000)
    }

    @Test func configurationsAreNeverDroppedWhenFull() {
        let queue = IngestQueue(maxItems: 2, maxBytes: 1 << 20, overflow: .dropToNextKeyframe)
        _ = queue.offer(video(0, key: true))
        _ = queue.offer(video(33, key: false))
        #expect(queue.offer(.videoConfig(VideoDecoderConfig(codec: .h264, record: [1, 2]))) == .accepted)
        #expect(
            queue.offer(.audioConfig(AudioDecoderConfig(codec: .aac, audioSpecificConfig: [0x11, 0x90]))) == .accepted)
    }

    @Test func closedQueuesRefuseAndDrain() {
        let queue = IngestQueue(maxItems: 4, maxBytes: 1 << 20, overflow: .block)
        _ = queue.offer(audio(0))
        queue.close()
        #expect(queue.offer(audio(21)) == .closed)
        #expect(queue.take() != nil)
        #expect(queue.take() == nil)
    }

    @Test func blockingOverflowWaitsForTheConsumer() async {
        let queue = IngestQueue(maxItems: 2, maxBytes: 1 << 20, overflow: .block)
        let consumer = Task.detached {
            var taken = 0
            while queue.take() != nil { taken += 1 }
            return taken
        }
        for index in 0..<50 { #expect(queue.offer(audio(Int64(index))) == .accepted) }
        queue.close()
        #expect(await consumer.value == 50)
        #expect(queue.snapshot.droppedAudio == 0)
    }

    // MARK: Hand-off between threads

    /// Takes `count` samples (or until closed) on its own thread, as the decode thread does.
    private final class Consumer: @unchecked Sendable {
        private let lock = NSLock()
        private var taken: [Int64] = []
        private var thread: WorkerThread?

        init(_ queue: IngestQueue, count: Int, dts: @escaping @Sendable (IngestSample?) -> Int64?) {
            thread = WorkerThread(name: "test-consumer") { [self] in
                while lock.withLock({ taken.count }) < count, let sample = queue.take() {
                    lock.withLock { taken.append(dts(sample) ?? 0) }
                }
            }
        }

        /// Waits for the thread to finish and returns what it took.
        func result() -> [Int64] {
            thread?.join()
            return lock.withLock { taken }
        }
    }

    /// Polls (the queue has no event for this) until the consumer sleeps on an empty queue, for at
    /// most 10 s.
    private func waitUntilSleeping(_ queue: IngestQueue, sourceLocation: SourceLocation = #_sourceLocation) {
        let deadline = ContinuousClock.now + .seconds(10)
        while !queue.isConsumerSleeping {
            guard ContinuousClock.now < deadline else {
                Issue.record("the consumer never slept on the empty queue", sourceLocation: sourceLocation)
                return
            }
            usleep(200)
        }
    }

    private static func key(_ sample: IngestSample?) -> Int64? {
        if case .video(let unit) = sample { return unit.dts }
        return nil
    }

    @Test(.timeLimit(.minutes(1))) func anOfferWakesASleepingConsumer() {
        let queue = IngestQueue(maxItems: 8, maxBytes: 1 << 20, overflow: .dropToNextKeyframe)
        let consumer = Consumer(queue, count: 3, dts: Self.key)
        for index in 0..<3 {
            waitUntilSleeping(queue)
            _ = queue.offer(video(Int64(index), key: index == 0))
        }
        #expect(consumer.result() == [0, 1, 2])
    }

    @Test(.timeLimit(.minutes(1))) func aBatchWakesASleepingConsumerAndKeepsItsOrder() {
        let queue = IngestQueue(maxItems: 8, maxBytes: 1 << 20, overflow: .dropToNextKeyframe)
        let consumer = Consumer(queue, count: 3, dts: Self.key)
        waitUntilSleeping(queue)
        let outcomes = queue.offer(contentsOf: [video(0, key: true), video(33, key: false), video(67, key: false)])
        #expect(outcomes == [.accepted, .accepted, .accepted])
        #expect(consumer.result() == [0, 33, 67])
    }

    @Test(.timeLimit(.minutes(1))) func aBlockingBatchLargerThanTheQueueWakesTheConsumerForRoom() {
        let queue = IngestQueue(maxItems: 2, maxBytes: 1 << 20, overflow: .block)
        let consumer = Consumer(queue, count: 4, dts: Self.key)
        waitUntilSleeping(queue)
        let outcomes = queue.offer(contentsOf: (0..<4).map { video(Int64($0), key: $0 == 0) })
        #expect(outcomes == [.accepted, .accepted, .accepted, .accepted])
        #expect(consumer.result() == [0, 1, 2, 3])
    }

    @Test func aBatchFollowsTheDropRulesSampleBySample() {
        let queue = IngestQueue(maxItems: 2, maxBytes: 1 << 20, overflow: .dropToNextKeyframe)
        let outcomes = queue.offer(contentsOf: [
            video(0, key: true), video(33, key: false), video(67, key: false), audio(70),
        ])
        // Full after two: the third video starts a drop to the next keyframe, and audio finds no room.
        #expect(outcomes == [.accepted, .accepted, .dropped, .dropped])
        #expect(queue.snapshot.droppedVideo == 1)
        #expect(queue.offer(contentsOf: []).isEmpty)
    }

    @Test(.timeLimit(.minutes(1))) func closingWakesASleepingConsumer() {
        let queue = IngestQueue(maxItems: 8, maxBytes: 1 << 20, overflow: .dropToNextKeyframe)
        let consumer = Consumer(queue, count: 2, dts: Self.key)
        _ = queue.offer(video(0, key: true))
        waitUntilSleeping(queue)
        queue.close()
        #expect(consumer.result() == [0])
    }

    private func dts(_ sample: IngestSample?) -> Int64? {
        switch sample {
        case .video(let unit): return unit.dts
        case .audio(let unit): return -unit.pts  // negative: tells audio apart in expectations
        default: return nil
        }
    }

    /// A live queue with room to spare and a 3 s latency bound on `clock`.
    private func latencyBoundQueue(_ clock: IngestClock) -> IngestQueue {
        IngestQueue(
            maxItems: 100, maxBytes: 1 << 20, overflow: .dropToNextKeyframe, maxDelay: .seconds(3), clock: clock.now)
    }

    @Test func lateVideoIsDroppedFromTheHeadToTheNextFreshKeyframe() {
        let clock = IngestClock()
        let queue = latencyBoundQueue(clock)
        // A GOP queued at t=0 s, then a keyframe at t=2 s and one at t=3.5 s.
        _ = queue.offer(video(0, key: true))
        _ = queue.offer(audio(10))
        _ = queue.offer(video(33, key: false))
        clock.advance(milliseconds: 2000)
        _ = queue.offer(video(2000, key: true))
        _ = queue.offer(video(2033, key: false))
        clock.advance(milliseconds: 1500)
        _ = queue.offer(audio(3500))
        _ = queue.offer(video(3500, key: true))
        // t=3.5 s: the first GOP waited 3.5 s > 3 s, the one from t=2 s only 1.5 s; audio stays.
        #expect(dts(queue.take()) == -10)
        #expect(dts(queue.take()) == 2000)
        #expect(dts(queue.take()) == 2033)
        #expect(dts(queue.take()) == -3500)
        #expect(dts(queue.take()) == 3500)
        let counters = queue.snapshot
        #expect(counters.droppedVideo == 2)
        #expect(counters.droppedStaleVideo == 2)
        #expect(counters.droppedAudio == 0)
        #expect(counters.items == 0)
        #expect(counters.bytes == 0)
    }

    @Test func withNoFreshKeyframeQueuedIncomingVideoIsDroppedUntilTheNextOne() {
        let clock = IngestClock()
        let queue = latencyBoundQueue(clock)
        _ = queue.offer(video(0, key: true))
        _ = queue.offer(video(33, key: false))
        _ = queue.offer(audio(40))
        clock.advance(milliseconds: 4000)
        #expect(dts(queue.take()) == -40)  // every queued picture was late
        #expect(queue.offer(video(4000, key: false)) == .dropped)  // still inside the dropped GOP
        #expect(queue.offer(video(4033, key: true)) == .accepted)
        #expect(dts(queue.take()) == 4033)
        #expect(queue.snapshot.droppedVideo == 3)
        #expect(queue.snapshot.droppedStaleVideo == 2)
    }

    @Test func aClosedQueueDrainsLateVideoInsteadOfDroppingIt() {
        let clock = IngestClock()
        let queue = latencyBoundQueue(clock)
        _ = queue.offer(video(0, key: true))
        _ = queue.offer(video(33, key: false))
        clock.advance(milliseconds: 10_000)
        queue.close()
        #expect(dts(queue.take()) == 0)
        #expect(dts(queue.take()) == 33)
        #expect(queue.take() == nil)
        #expect(queue.snapshot.droppedVideo == 0)
    }

    @Test func videoWithinTheBoundIsKept() {
        let clock = IngestClock()
        let queue = latencyBoundQueue(clock)
        _ = queue.offer(video(0, key: true))
        clock.advance(milliseconds: 3000)
        #expect(dts(queue.take()) == 0)  // exactly at the bound: kept
        #expect(queue.snapshot.droppedVideo == 0)
    }
}
