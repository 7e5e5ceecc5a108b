import LadderMedia
import NIOCore
import RTMPTestSupport
import Testing

@testable import RTMPWire

@Suite struct RTMPCommandRepliesTests {
    func values(_ message: RTMPMessage) throws -> [AMF0Value] {
        try AMF0Decoder().decodeAll(message.payload)
    }

    @Test func connectResultWithoutFourCcList() throws {
        let message = RTMPCommandReplies.connectResult(
            transactionID: 1, objectEncoding: nil, clientSentFourCcList: false)
        #expect(message.type == .commandAMF0)
        #expect(message.streamID == 0)
        #expect(message.chunkStreamID == 3)
        #expect(
            try values(message) == [
                .string("_result"), .number(1),
                .object([
                    AMF0Property("fmsVer", .string("FMS/3,5,7,7009")),
                    AMF0Property("capabilities", .number(31)),
                    AMF0Property("mode", .number(1)),
                ]),
                .object([
                    AMF0Property("level", .string("status")),
                    AMF0Property("code", .string("NetConnection.Connect.Success")),
                    AMF0Property("description", .string("Connection succeeded.")),
                    AMF0Property("objectEncoding", .number(0)),
                ]),
            ])
    }

    @Test func connectResultAnswersFourCcInfoMapsOnlyWhenAsked() throws {
        let plain = try values(
            RTMPCommandReplies.connectResult(transactionID: 1, objectEncoding: 0, clientSentFourCcList: false))
        #expect(plain[2]["videoFourCcInfoMap"] == nil && plain[2]["audioFourCcInfoMap"] == nil)
        let message = RTMPCommandReplies.connectResult(
            transactionID: 1, objectEncoding: 0, clientSentFourCcList: false, clientSentFourCcInfoMaps: true)
        let decoded = try values(message)
        // E-RTMP v2 FourCcInfoMask: CanDecode 1 | CanForward 4.
        #expect(decoded[2]["videoFourCcInfoMap"]?["av01"] == .number(5))
        #expect(decoded[2]["videoFourCcInfoMap"]?["avc1"] == .number(5))
        #expect(decoded[2]["audioFourCcInfoMap"]?["Opus"] == .number(5))
        #expect(decoded[2]["audioFourCcInfoMap"]?["mp4a"] == .number(5))
        #expect(decoded[2]["audioFourCcInfoMap"]?["fLaC"] == nil)
    }

    @Test func connectResultEchoesEncodingAndFourCcList() throws {
        let message = RTMPCommandReplies.connectResult(transactionID: 1, objectEncoding: 3, clientSentFourCcList: true)
        let decoded = try values(message)
        #expect(
            decoded[2]["fourCcList"]
                == .strictArray([.string("av01"), .string("vp09"), .string("hvc1"), .string("avc1")]))
        #expect(decoded[3]["objectEncoding"] == .number(3))
    }

    @Test func simpleResults() throws {
        #expect(
            try values(RTMPCommandReplies.createStreamResult(transactionID: 4, streamID: 1))
                == [.string("_result"), .number(4), .null, .number(1)])
        #expect(
            try values(RTMPCommandReplies.result(transactionID: 2)) == [
                .string("_result"), .number(2), .null, .undefined,
            ])
        #expect(
            try values(RTMPCommandReplies.streamLengthResult(transactionID: 3))
                == [.string("_result"), .number(3), .null, .number(0)])
        #expect(try values(RTMPCommandReplies.onBandwidthDone()) == [.string("onBWDone"), .number(0), .null])
        let rejected = try values(RTMPCommandReplies.connectRejected(transactionID: 1, description: "no such app"))
        #expect(rejected[0] == .string("_error"))
        #expect(rejected[3]["code"] == .string("NetConnection.Connect.Rejected"))
        #expect(rejected[3]["level"] == .string("error"))
    }

    @Test func fcPublishNotifications() throws {
        let published = try values(RTMPCommandReplies.onFCPublish(name: "key1"))
        #expect(published[0] == .string("onFCPublish"))
        #expect(published[3]["code"] == .string("NetStream.Publish.Start"))
        #expect(published[3]["details"] == .string("key1"))
        let unpublished = try values(RTMPCommandReplies.onFCUnpublish(name: "key1"))
        #expect(unpublished[0] == .string("onFCUnpublish"))
        #expect(unpublished[3]["code"] == .string("NetStream.Unpublish.Success"))
    }

    @Test(arguments: NetStreamStatus.allCases)
    func onStatus(status: NetStreamStatus) throws {
        let message = RTMPCommandReplies.onStatus(status, streamID: 1, description: "text", details: "cam")
        #expect(message.streamID == 1)
        #expect(message.chunkStreamID == 5)
        #expect(message.type == .commandAMF0)
        let decoded = try values(message)
        #expect(Array(decoded[0..<3]) == [.string("onStatus"), .number(0), .null])
        #expect(decoded[3]["code"] == .string(status.rawValue))
        #expect(decoded[3]["level"] == .string(status.level))
        #expect(decoded[3]["description"] == .string("text"))
        #expect(decoded[3]["details"] == .string("cam"))
    }

    @Test func errorLevels() {
        #expect(NetStreamStatus.publishBadName.level == "error")
        #expect(NetStreamStatus.publishUnauthorized.level == "error")
        #expect(NetStreamStatus.playStreamNotFound.level == "error")
        #expect(NetStreamStatus.publishStart.level == "status")
        #expect(NetStreamStatus.publishUnauthorized.rawValue == "NetStream.Publish.Unauthorized")
        #expect(NetStreamStatus.connectRejected.level == "error")
        #expect(NetStreamStatus.connectSuccess.level == "status")
    }

    /// Every code the server sends is in the one table, spelled as FMS spells it.
    @Test func oneStatusTable() {
        #expect(NetStreamStatus.connectSuccess.rawValue == "NetConnection.Connect.Success")
        #expect(NetStreamStatus.connectRejected.rawValue == "NetConnection.Connect.Rejected")
        #expect(NetStreamStatus.dataStart.rawValue == "NetStream.Data.Start")
    }

    @Test func playerDataMessages() throws {
        let access = RTMPCommandReplies.sampleAccess(streamID: 1)
        #expect(access.type == .dataAMF0)
        #expect(access.streamID == 1)
        #expect(try values(access) == [.string("|RtmpSampleAccess"), .boolean(true), .boolean(true)])
        let start = RTMPCommandReplies.dataStart(streamID: 1)
        #expect(start.type == .dataAMF0)
        #expect(
            try values(start) == [
                .string("onStatus"), .object([AMF0Property("code", .string("NetStream.Data.Start"))]),
            ])
    }
}
