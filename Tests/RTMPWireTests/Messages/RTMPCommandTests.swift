import LadderMedia
import NIOCore
import RTMPTestSupport
import Testing

@testable import RTMPWire

@Suite struct RTMPCommandTests {
    func command(_ values: [AMF0Value], streamID: UInt32 = 0) throws -> RTMPCommand {
        try RTMPCommand(
            decoding: RTMPMessage(
                type: .commandAMF0, streamID: streamID, chunkStreamID: 3, payload: AMF0Encoder.encode(values)))
    }

    @Test func ffmpegConnect() throws {
        let message = RTMPMessage(
            type: .commandAMF0, chunkStreamID: 3, payload: ByteBuffer(bytes: ffmpegConnectPayload))
        guard case .connect(let transactionID, let parameters) = try RTMPCommand(decoding: message) else {
            Issue.record("not a connect")
            return
        }
        #expect(transactionID == 1)
        #expect(parameters.app == "live")
        #expect(parameters.tcUrl == "rtmp://127.0.0.1:19999/live")
        #expect(parameters.flashVer == "FMLE/3.0 (compatible; Lavf59.27.100)")
        #expect(parameters.fourCcList == nil)
        #expect(parameters.objectEncoding == nil)
    }

    @Test(arguments: [
        (librtmpConnectChunks, "rtmp://127.0.0.1:19998/live", nil),
        (gstreamerRTMP2ConnectChunks, "rtmp://127.0.0.1:19997/live", "LNX 10,0,32,18"),
    ])
    func capturedClientConnects(chunks: [UInt8], tcUrl: String, flashVer: String?) throws {
        var decoder = ChunkDecoder()
        let message = try #require(try decoder.decodeAll(chunks).first)
        guard case .connect(let transactionID, let parameters) = try RTMPCommand(decoding: message) else {
            Issue.record("not a connect")
            return
        }
        #expect(transactionID == 1)
        #expect(parameters.app == "live")
        #expect(parameters.tcUrl == tcUrl)
        #expect(parameters.flashVer == flashVer)
        #expect(parameters.commandObject["type"] == .string("nonprivate"))
    }

    @Test func obsConnectWithFourCcList() throws {
        let message = RTMPMessage(
            type: .commandAMF0, chunkStreamID: 3, payload: ByteBuffer(bytes: AMF0Bytes.obsConnect))
        guard case .connect(_, let parameters) = try RTMPCommand(decoding: message) else {
            Issue.record("not a connect")
            return
        }
        #expect(parameters.app == "live")
        #expect(parameters.fourCcList == ["av01", "vp09", "hvc1"])
    }

    @Test func amf3CommandMessageSkipsTheFormatByte() throws {
        var payload = ByteBuffer(bytes: [0x00])
        payload.writeBytes(AMF0Bytes.string("createStream") + AMF0Bytes.number(4) + AMF0Bytes.null)
        let message = RTMPMessage(type: .commandAMF3, chunkStreamID: 3, payload: payload)
        #expect(try RTMPCommand(decoding: message) == .createStream(transactionID: 4))
    }

    @Test func publishFlowCommands() throws {
        #expect(
            try command([.string("releaseStream"), .number(2), .null, .string("key1")])
                == .releaseStream(transactionID: 2, name: "key1"))
        #expect(
            try command([.string("FCPublish"), .number(3), .null, .string("key1")])
                == .fcPublish(transactionID: 3, name: "key1"))
        #expect(try command([.string("createStream"), .number(4), .null]) == .createStream(transactionID: 4))
        #expect(
            try command([.string("publish"), .number(5), .null, .string("key1"), .string("live")], streamID: 1)
                == .publish(transactionID: 5, streamID: 1, name: "key1", type: "live"))
        #expect(
            try command([.string("publish"), .number(0), .null, .string("key1")], streamID: 1)
                == .publish(transactionID: 0, streamID: 1, name: "key1", type: "live"))
        #expect(
            try command([.string("FCUnpublish"), .number(6), .null, .string("key1")])
                == .fcUnpublish(transactionID: 6, name: "key1"))
        #expect(
            try command([.string("deleteStream"), .number(7), .null, .number(1)])
                == .deleteStream(transactionID: 7, streamID: 1))
        #expect(
            try command([.string("closeStream"), .number(0), .null], streamID: 1)
                == .closeStream(transactionID: 0, streamID: 1))
        #expect(try command([.string("_checkbw"), .number(8), .null]) == .checkBandwidth(transactionID: 8))
        // GStreamer rtmp2sink names the stream instead of numbering it.
        #expect(
            try command([.string("deleteStream"), .number(0), .null, .string("gst2")])
                == .deleteStream(transactionID: 0, streamID: 0))
        #expect(
            try command([.string("deleteStream"), .number(0), .null, .number(-1)], streamID: 1)
                == .deleteStream(transactionID: 0, streamID: 1))
    }

    @Test func playCommands() throws {
        #expect(
            try command([.string("play"), .number(4), .null, .string("cam"), .number(-1000)], streamID: 1)
                == .play(transactionID: 4, streamID: 1, name: "cam", start: -1000))
        #expect(
            try command([.string("play"), .number(4), .null, .string("cam")], streamID: 2)
                == .play(transactionID: 4, streamID: 2, name: "cam", start: -2))
        #expect(
            try command([.string("getStreamLength"), .number(3), .null, .string("cam")])
                == .getStreamLength(transactionID: 3, name: "cam"))
        #expect(
            try command([.string("receiveAudio"), .number(0), .null, .boolean(true)])
                == .unknown(name: "receiveAudio", transactionID: 0, arguments: [.null, .boolean(true)]))
    }

    @Test func malformedCommands() {
        #expect(throws: RTMPCommandError.missingArgument(command: "publish", argument: "name")) {
            try command([.string("publish"), .number(5), .null])
        }
        #expect(throws: RTMPCommandError.missingCommandName) { try command([.number(1)]) }
        #expect(throws: RTMPCommandError.missingCommandName) { try command([]) }
        #expect(throws: RTMPCommandError.malformedAMF(.truncated)) {
            try RTMPCommand(
                decoding: RTMPMessage(
                    type: .commandAMF0, chunkStreamID: 3, payload: ByteBuffer(bytes: [0x02, 0x00, 0x09])))
        }
        #expect(throws: RTMPCommandError.unexpectedMessageType(.video)) {
            try RTMPCommand(decoding: RTMPMessage(type: .video, chunkStreamID: 3, payload: ByteBuffer()))
        }
    }
}

@Suite struct RTMPDataMessageTests {
    func data(_ values: [AMF0Value], type: RTMPMessageType = .dataAMF0) throws -> RTMPDataMessage {
        try RTMPDataMessage(
            decoding: RTMPMessage(type: type, streamID: 1, chunkStreamID: 4, payload: AMF0Encoder.encode(values)))
    }

    @Test func setDataFrameIsStrippedAndEitherContainerIsAccepted() throws {
        let properties = [AMF0Property("width", .number(1280)), AMF0Property("videocodecid", .number(7))]
        #expect(
            try data([.string("@setDataFrame"), .string("onMetaData"), .ecmaArray(properties)]) == .metadata(properties)
        )
        #expect(
            try data([.string("@setDataFrame"), .string("onMetaData"), .object(properties)]) == .metadata(properties))
        #expect(try data([.string("onMetaData"), .object(properties)]) == .metadata(properties))
        #expect(try data([.string("onMetaData")]) == .metadata([]))
        #expect(try data([.string("onMetaData"), .null]) == .metadata([]))
        #expect(try data([.string("@clearDataFrame")]) == .clearMetadata)
        #expect(try data([.string("onCuePoint"), .number(1)]) == .other(name: "onCuePoint", arguments: [.number(1)]))
    }

    @Test func amf3DataMessageWithFormatByte() throws {
        var payload = ByteBuffer(bytes: [0x00])
        payload.writeBytes(AMF0Bytes.string("onMetaData") + AMF0Bytes.ecmaArray([("duration", AMF0Bytes.number(0))]))
        let message = RTMPMessage(type: .dataAMF3, streamID: 1, chunkStreamID: 4, payload: payload)
        #expect(try RTMPDataMessage(decoding: message) == .metadata([AMF0Property("duration", .number(0))]))
    }

    @Test func metadataMessageForPlayers() throws {
        let message = RTMPDataMessage.metadataMessage([AMF0Property("width", .number(640))], streamID: 1, timestamp: 0)
        #expect(message.type == .dataAMF0)
        #expect(message.streamID == 1)
        #expect(
            try AMF0Decoder().decodeAll(message.payload)
                == [.string("onMetaData"), .ecmaArray([AMF0Property("width", .number(640))])])
    }
}

@Suite struct RTMPStreamNameTests {
    @Test func nameWithQuery() {
        let parsed = RTMPStreamName(parsing: "cam1?key=SECRET&x=y&flag")
        #expect(parsed.name == "cam1")
        #expect(parsed.queryValue("key") == "SECRET")
        #expect(parsed.queryValue("x") == "y")
        #expect(parsed.queryItems.last == RTMPStreamName.QueryItem(name: "flag", value: nil))
        #expect(parsed.queryValue("missing") == nil)
    }

    @Test func plainNameAndEdgeCases() {
        #expect(RTMPStreamName(parsing: "cam1") == RTMPStreamName(name: "cam1"))
        #expect(RTMPStreamName(parsing: "") == RTMPStreamName(name: ""))
        #expect(RTMPStreamName(parsing: "cam?") == RTMPStreamName(name: "cam"))
        #expect(RTMPStreamName(parsing: "cam?key=a=b").queryValue("key") == "a=b")
        #expect(RTMPStreamName(parsing: "cam?key=a%2Bb%20c+d").queryValue("key") == "a+b c+d")
        #expect(RTMPStreamName(parsing: "cam?key=%zz%4").queryValue("key") == "%zz%4")
        #expect(RTMPStreamName(parsing: "cam?a=1&&b=2").queryItems.count == 2)
    }
}
