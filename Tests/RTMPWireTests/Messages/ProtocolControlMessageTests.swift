import LadderMedia
import NIOCore
import RTMPTestSupport
import Testing

@testable import RTMPWire

@Suite struct ProtocolControlMessageTests {
    static let vectors: [(ProtocolControlMessage, RTMPMessageType, String)] = [
        (.setChunkSize(4096), .setChunkSize, "00001000"),
        (.abort(chunkStreamID: 4), .abort, "00000004"),
        (.acknowledgement(sequenceNumber: 0x0102_0304), .acknowledgement, "01020304"),
        (.windowAcknowledgementSize(2_500_000), .windowAcknowledgementSize, "002625a0"),
        (.setPeerBandwidth(windowSize: 2_500_000, limitType: .dynamic), .setPeerBandwidth, "002625a0 02"),
        (.userControl(.streamBegin(streamID: 1)), .userControl, "0000 00000001"),
        (.userControl(.streamEOF(streamID: 1)), .userControl, "0001 00000001"),
        (.userControl(.streamDry(streamID: 1)), .userControl, "0002 00000001"),
        (.userControl(.setBufferLength(streamID: 1, milliseconds: 3000)), .userControl, "0003 00000001 00000bb8"),
        (.userControl(.streamIsRecorded(streamID: 1)), .userControl, "0004 00000001"),
        (.userControl(.pingRequest(timestamp: 77)), .userControl, "0006 0000004d"),
        (.userControl(.pingResponse(timestamp: 77)), .userControl, "0007 0000004d"),
        (.userControl(.unknown(eventType: 26, data: [0x01])), .userControl, "001a 01"),
    ]

    @Test(arguments: vectors.indices)
    func encodesAndDecodes(index: Int) throws {
        let (control, type, hex) = Self.vectors[index]
        let message = control.message(timestamp: 12)
        #expect(message.type == type)
        #expect(message.chunkStreamID == 2)
        #expect(message.streamID == 0)
        #expect(message.timestamp == 12)
        #expect(Array(message.payload.readableBytesView) == hexBytes(hex))
        #expect(try ProtocolControlMessage(decoding: message) == control)
    }

    @Test func truncatedPayloadsAreRejected() {
        let short = RTMPMessage(type: .windowAcknowledgementSize, chunkStreamID: 2, payload: ByteBuffer(bytes: [0, 1]))
        #expect(throws: ProtocolControlError.truncated(.windowAcknowledgementSize)) {
            try ProtocolControlMessage(decoding: short)
        }
        let bufferLength = RTMPMessage(
            type: .userControl, chunkStreamID: 2, payload: ByteBuffer(bytes: hexBytes("0003 00000001")))
        #expect(throws: ProtocolControlError.truncated(.userControl)) {
            try ProtocolControlMessage(decoding: bufferLength)
        }
        let video = RTMPMessage(type: .video, chunkStreamID: 7, payload: ByteBuffer())
        #expect(throws: ProtocolControlError.notAControlMessage(.video)) {
            try ProtocolControlMessage(decoding: video)
        }
    }

    @Test func unknownPeerBandwidthLimitTypeReadsAsDynamic() throws {
        let message = RTMPMessage(
            type: .setPeerBandwidth, chunkStreamID: 2, payload: ByteBuffer(bytes: hexBytes("00001000 07")))
        #expect(
            try ProtocolControlMessage(decoding: message) == .setPeerBandwidth(windowSize: 4096, limitType: .dynamic))
    }
}

@Suite struct AcknowledgementTrackerTests {
    @Test func noAcknowledgementWithoutAWindow() {
        var tracker = AcknowledgementTracker()
        #expect(tracker.bytesReceived(10_000_000) == nil)
        #expect(tracker.totalBytesReceived == 10_000_000)
    }

    @Test func acknowledgesEachFullWindowWithTheTotal() {
        var tracker = AcknowledgementTracker()
        tracker.setWindowSize(100)
        #expect(tracker.bytesReceived(60) == nil)
        #expect(tracker.bytesReceived(50) == 110)
        #expect(tracker.bytesReceived(99) == nil)
        #expect(tracker.bytesReceived(1) == 210)
    }

    @Test func sequenceNumberWrapsModulo2To32() {
        var tracker = AcknowledgementTracker(windowSize: 0x8000_0000)
        #expect(tracker.bytesReceived(0x7FFF_FFFF) == nil)
        #expect(tracker.bytesReceived(1) == 0x8000_0000)
        #expect(tracker.bytesReceived(0x8000_0010) == 0x10)
    }

    @Test func zeroWindowDisablesAcknowledgements() {
        var tracker = AcknowledgementTracker(windowSize: 0)
        #expect(tracker.bytesReceived(1000) == nil)
    }
}
