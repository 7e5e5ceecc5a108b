import Testing

@testable import Ladder

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
}
