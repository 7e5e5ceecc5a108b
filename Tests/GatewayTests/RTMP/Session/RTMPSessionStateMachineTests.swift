import Ladder
import NIOCore
import RTMPTestSupport
import RTMPWire
import Testing

@testable import Gateway

@Suite struct RTMPSessionStateMachineTests {
    private func connect(app: String = "live", fourCC: Bool = false) -> RTMPCommand {
        var properties = [AMF0Property("app", .string(app)), AMF0Property("tcUrl", .string("rtmp://h/\(app)"))]
        if fourCC { properties.append(AMF0Property("fourCcList", .strictArray([.string("hvc1")]))) }
        return .connect(
            transactionID: 1, parameters: RTMPConnectParameters(commandObject: .object(properties), arguments: []))
    }

    /// Decodes the AMF0 values of every command message among the sent messages.
    private func sentCommands(_ actions: [RTMPSessionStateMachine.Action]) -> [[AMF0Value]] {
        actions.flatMap { action -> [[AMF0Value]] in
            guard case .send(let messages) = action else { return [] }
            return messages.filter { $0.type == .commandAMF0 }.compactMap { try? AMF0Decoder().decodeAll($0.payload) }
        }
    }

    /// The `code` of every onStatus among the sent messages.
    private func statusCodes(_ actions: [RTMPSessionStateMachine.Action]) -> [String] {
        sentCommands(actions).filter { $0.first?.stringValue == "onStatus" }.compactMap { $0[3]["code"]?.stringValue }
    }

    @Test func obsPublishFlow() throws {
        var machine = RTMPSessionStateMachine(application: "live")
        let connected = machine.receive(connect())
        let connectReply = try #require(sentCommands(connected).first)
        #expect(connectReply.first?.stringValue == "_result")
        #expect(connectReply[3]["code"]?.stringValue == "NetConnection.Connect.Success")

        #expect(
            sentCommands(machine.receive(.releaseStream(transactionID: 2, name: "cam"))).first?.first?.stringValue
                == "_result")
        let fcPublish = sentCommands(machine.receive(.fcPublish(transactionID: 3, name: "cam")))
        #expect(fcPublish.map { $0.first?.stringValue } == ["_result", "onFCPublish"])
        let created = sentCommands(machine.receive(.createStream(transactionID: 4)))
        #expect(created.first?[3].numberValue == 1)

        let publish = machine.receive(.publish(transactionID: 5, streamID: 1, name: "cam?key=abc&x=1", type: "live"))
        #expect(publish == [.admitPublish(name: "cam", key: "abc", streamID: 1)])
        #expect(machine.role == .admitting(name: "cam", streamID: 1))
        guard case .proceed(let started) = machine.publishAdmitted(name: "cam", streamID: 1) else {
            Issue.record("admission abandoned")
            return
        }
        #expect(machine.role == .publishing(name: "cam", streamID: 1))
        #expect(statusCodes(started) == ["NetStream.Publish.Start"])

        let unpublish = machine.receive(.fcUnpublish(transactionID: 6, name: "cam"))
        #expect(unpublish.contains(.stopRole(reason: "FCUnpublish")))
        #expect(machine.role == .idle)
    }

    @Test func connectAnswersFourCcListOnlyWhenAsked() throws {
        var plain = RTMPSessionStateMachine(application: "live")
        let plainReply = try #require(sentCommands(plain.receive(connect())).first)
        #expect(plainReply[2]["fourCcList"] == nil)

        var enhanced = RTMPSessionStateMachine(application: "live")
        let enhancedReply = try #require(sentCommands(enhanced.receive(connect(fourCC: true))).first)
        #expect(enhancedReply[2]["fourCcList"]?.arrayValues?.compactMap(\.stringValue).contains("hvc1") == true)
    }

    @Test func connectSendsWindowBandwidthAndChunkSizeFirst() throws {
        var machine = RTMPSessionStateMachine(application: "live")
        guard case .send(let messages) = try #require(machine.receive(connect()).first) else {
            Issue.record("expected messages")
            return
        }
        #expect(messages.map(\.type) == [.windowAcknowledgementSize, .setPeerBandwidth, .setChunkSize, .commandAMF0])
    }

    @Test func unknownApplicationIsRejected() {
        var machine = RTMPSessionStateMachine(application: "live")
        let actions = machine.receive(connect(app: "other"))
        #expect(sentCommands(actions).first?.first?.stringValue == "_error")
        #expect(actions.contains { if case .close = $0 { return true } else { return false } })
    }

    @Test func appWithQueryOrSlashIsAccepted() {
        for app in ["live/", "live?token=1"] {
            var machine = RTMPSessionStateMachine(application: "live")
            _ = machine.receive(connect(app: app))
            #expect(machine.connectedApp == "live", "\(app)")
        }
    }

    @Test func commandsBeforeConnectClose() {
        var machine = RTMPSessionStateMachine(application: "live")
        let actions = machine.receive(.createStream(transactionID: 2))
        #expect(actions == [.close(reason: "command createStream before connect")])
    }

    @Test func publishTwiceCloses() {
        var machine = RTMPSessionStateMachine(application: "live")
        _ = machine.receive(connect())
        _ = machine.receive(.publish(transactionID: 2, streamID: 1, name: "a", type: "live"))
        let second = machine.receive(.publish(transactionID: 3, streamID: 1, name: "b", type: "live"))
        #expect(second.count == 1)
        #expect({ if case .close = second[0] { return true } else { return false } }())
    }

    @Test func streamLimitPerConnection() {
        var machine = RTMPSessionStateMachine(application: "live", maxStreams: 2)
        _ = machine.receive(connect())
        _ = machine.receive(.createStream(transactionID: 2))
        _ = machine.receive(.createStream(transactionID: 3))
        let third = machine.receive(.createStream(transactionID: 4))
        #expect(third == [.close(reason: "more than 2 streams on one connection")])
    }

    @Test func deleteStreamEndsPlay() {
        var machine = RTMPSessionStateMachine(application: "live")
        _ = machine.receive(connect())
        _ = machine.receive(.createStream(transactionID: 2))
        #expect(
            machine.receive(.play(transactionID: 3, streamID: 1, name: "cam", start: -2)) == [
                .startPlay(name: "cam", streamID: 1)
            ])
        #expect(machine.receive(.deleteStream(transactionID: 4, streamID: 1)) == [.stopRole(reason: "deleteStream")])
        #expect(machine.role == .idle)
    }

    @Test func refusedPublishAnswersAndCloses() {
        var machine = RTMPSessionStateMachine(application: "live")
        _ = machine.receive(connect())
        _ = machine.receive(.publish(transactionID: 2, streamID: 1, name: "a", type: "live"))
        guard case .proceed(let actions) = machine.publishRefused(.wrongKey, name: "a", streamID: 1) else {
            Issue.record("refusal abandoned")
            return
        }
        #expect(statusCodes(actions) == ["NetStream.Publish.Unauthorized"])
        #expect(actions.last == .close(reason: "publish refused (wrong_key)"))
        #expect(machine.role == .idle)
        #expect(machine.isClosing)
    }

    @Test func deleteStreamWithIDZeroMeansTheCurrentStream() {
        var machine = RTMPSessionStateMachine(application: "live")
        _ = machine.receive(connect())
        _ = machine.receive(.createStream(transactionID: 2))
        _ = machine.receive(.publish(transactionID: 3, streamID: 1, name: "cam", type: "live"))
        _ = machine.publishAdmitted(name: "cam", streamID: 1)
        #expect(machine.receive(.deleteStream(transactionID: 4, streamID: 0)) == [.stopRole(reason: "deleteStream")])
        #expect(machine.role == .idle)
    }
}
