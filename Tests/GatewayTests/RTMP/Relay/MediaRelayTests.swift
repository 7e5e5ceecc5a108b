import Ladder
import NIOConcurrencyHelpers
import NIOCore
import RTMPTestSupport
import RTMPWire
import Testing

@testable import Gateway

@Suite struct MediaRelayTests {
    final class Recorder: RelaySubscriber {
        let messages = NIOLockedValueBox<[RTMPMessage]>([])
        let events = NIOLockedValueBox<[String]>([])
        func relay(_ message: RTMPMessage) { messages.withLockedValue { $0.append(message) } }
        func relayPublisherEnded() { events.withLockedValue { $0.append("ended") } }
        func relayPublisherStarted() { events.withLockedValue { $0.append("started") } }
    }

    private func video(_ bytes: [UInt8], timestamp: UInt32) -> RTMPMessage {
        RTMPMessage(
            type: .video, streamID: 1, timestamp: timestamp, chunkStreamID: 6, payload: ByteBuffer(bytes: bytes))
    }

    private func audio(_ bytes: [UInt8], timestamp: UInt32) -> RTMPMessage {
        RTMPMessage(
            type: .audio, streamID: 1, timestamp: timestamp, chunkStreamID: 4, payload: ByteBuffer(bytes: bytes))
    }

    @Test func classifiesLegacyAndEnhancedTags() {
        #expect(RelayTagKind(video([0x17, 0x00, 0, 0, 0], timestamp: 0)) == .videoSequenceHeader)
        #expect(RelayTagKind(video([0x17, 0x01, 0, 0, 0], timestamp: 0)) == .videoKeyframe)
        #expect(RelayTagKind(video([0x27, 0x01, 0, 0, 0], timestamp: 0)) == .videoInterframe)
        // E-RTMP: 0x80 | frameType<<4 | packetType, then FourCC.
        #expect(RelayTagKind(video([0x90] + Array("hvc1".utf8), timestamp: 0)) == .videoSequenceHeader)
        #expect(RelayTagKind(video([0x91] + Array("hvc1".utf8), timestamp: 0)) == .videoKeyframe)
        #expect(RelayTagKind(video([0xA3] + Array("hvc1".utf8), timestamp: 0)) == .videoInterframe)
        #expect(RelayTagKind(audio([0xAF, 0x00, 0x11, 0x90], timestamp: 0)) == .audioSequenceHeader)
        #expect(RelayTagKind(audio([0xAF, 0x01, 0x21], timestamp: 0)) == .audioFrame)
        #expect(RelayTagKind(video([], timestamp: 0)) == .other)
    }

    @Test func lateSubscriberStartsWithHeadersThenLastGOP() {
        let relay = MediaRelay()
        relay.publish(audio([0xAF, 0x00, 0x11, 0x90], timestamp: 0))
        relay.publish(video([0x17, 0x00, 1], timestamp: 0))
        relay.publish(video([0x17, 0x01, 2], timestamp: 0))  // keyframe 1
        relay.publish(video([0x27, 0x01, 3], timestamp: 33))
        relay.publish(video([0x17, 0x01, 4], timestamp: 66))  // keyframe 2: cache restarts here
        relay.publish(audio([0xAF, 0x01, 5], timestamp: 70))
        relay.publish(video([0x27, 0x01, 6], timestamp: 99))

        let recorder = Recorder()
        relay.subscribe(recorder)
        let received = recorder.messages.withLockedValue { $0 }.map { Array($0.payload.readableBytesView).last }
        #expect(received == [1, 0x90, 4, 5, 6])

        relay.publish(video([0x27, 0x01, 7], timestamp: 132))
        #expect(recorder.messages.withLockedValue { $0.count } == 6)
        relay.unsubscribe(recorder)
        relay.publish(video([0x27, 0x01, 8], timestamp: 165))
        #expect(recorder.messages.withLockedValue { $0.count } == 6)
    }

    @Test func subscribersHearPublisherLifecycle() {
        let relay = MediaRelay()
        let recorder = Recorder()
        relay.subscribe(recorder)
        relay.publisherStarted()
        relay.publisherEnded()
        #expect(recorder.events.withLockedValue { $0 } == ["started", "ended"])
        #expect(relay.subscriberCount == 1)
    }
}
