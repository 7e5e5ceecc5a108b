import Ladder
import NIOCore
import RTMPTestSupport
import RTMPWire
import Testing

@testable import Gateway

/// Session events (close, disconnect, play lookups) and admission results, including those that
/// arrive after the publish is gone.
@Suite struct RTMPSessionStateMachineEventTests {
    private func connected() -> RTMPSessionStateMachine {
        var machine = RTMPSessionStateMachine(application: "live")
        let properties = [AMF0Property("app", .string("live"))]
        _ = machine.receive(
            .connect(
                transactionID: 1, parameters: RTMPConnectParameters(commandObject: .object(properties), arguments: [])))
        _ = machine.receive(.createStream(transactionID: 2))
        return machine
    }

    private func publish(_ name: String, on machine: inout RTMPSessionStateMachine) {
        _ = machine.receive(.publish(transactionID: 3, streamID: 1, name: name, type: "live"))
    }

    @Test(arguments: PublishRefusal.allCases)
    func everyRefusalHasOneNetStreamCode(refusal: PublishRefusal) {
        let expected: NetStreamStatus =
            switch refusal {
            case .badName, .profileError: .publishBadName
            case .missingKey, .wrongKey, .webhookDenied, .webhookUnavailable: .publishUnauthorized
            }
        #expect(RTMPSessionStateMachine.status(for: refusal) == expected)
        #expect(RTMPSessionStateMachine.status(for: refusal).level == "error")
    }

    @Test func admissionAfterDeleteStreamIsAbandoned() {
        var machine = connected()
        publish("cam", on: &machine)
        #expect(machine.receive(.deleteStream(transactionID: 4, streamID: 1)) == [.stopRole(reason: "deleteStream")])
        #expect(!machine.isAdmitting(name: "cam", streamID: 1))
        #expect(machine.publishAdmitted(name: "cam", streamID: 1) == .abandon)
        #expect(machine.publishRefused(.profileError, name: "cam", streamID: 1) == .abandon)
        #expect(machine.role == .idle)
        #expect(!machine.isClosing)
    }

    @Test func anOldAdmissionDoesNotStartANewerPublish() {
        var machine = connected()
        publish("a", on: &machine)
        _ = machine.receive(.deleteStream(transactionID: 4, streamID: 1))
        publish("b", on: &machine)
        #expect(machine.publishAdmitted(name: "a", streamID: 1) == .abandon)
        #expect(machine.role == .admitting(name: "b", streamID: 1))
    }

    @Test func closeHappensOnceAndDropsEverythingAfter() {
        var machine = connected()
        publish("cam", on: &machine)
        #expect(machine.close(reason: "I/O error") == [.close(reason: "I/O error")])
        #expect(machine.close(reason: "again").isEmpty)
        #expect(machine.publishAdmitted(name: "cam", streamID: 1) == .abandon)
        #expect(machine.receive(.createStream(transactionID: 5)).isEmpty)
        #expect(machine.channelInactive() == .stopRole(reason: "connection closed"))
    }

    @Test func aPeerLeavingEndsTheRole() {
        var machine = connected()
        publish("cam", on: &machine)
        _ = machine.publishAdmitted(name: "cam", streamID: 1)
        #expect(machine.channelInactive() == .stopRole(reason: "publisher disconnected"))
        #expect(machine.role == .idle)
        #expect(machine.isClosing)
    }

    @Test func protocolErrorsCloseThroughTheMachine() {
        var machine = connected()
        publish("a", on: &machine)
        let second = machine.receive(.publish(transactionID: 4, streamID: 1, name: "b", type: "live"))
        #expect(second == [.close(reason: "publish while already admitting(name: \"a\", streamID: 1)")])
        #expect(machine.isClosing)
        #expect(machine.role == .idle)
    }

    @Test func playersAreExemptFromTheIdleTimeout() {
        var machine = connected()
        #expect(machine.idleTimeoutApplies)
        _ = machine.receive(.play(transactionID: 3, streamID: 1, name: "cam", start: -2))
        #expect(!machine.idleTimeoutApplies)
        let refused = machine.playRefused(streamID: 1)
        #expect(machine.role == .idle)
        #expect(machine.idleTimeoutApplies)
        guard case .send(let messages) = refused.first, let reply = messages.first else {
            Issue.record("expected a reply")
            return
        }
        let values = try? AMF0Decoder().decodeAll(reply.payload)
        #expect(values?[3]["code"]?.stringValue == "NetStream.Play.StreamNotFound")
    }

    @Test func playStartSendsWhatFMSSends() {
        let machine = connected()
        guard case .send(let messages) = machine.playStarted(name: "cam", streamID: 1).first else {
            Issue.record("expected replies")
            return
        }
        #expect(messages.map(\.type) == [.userControl, .userControl, .commandAMF0, .commandAMF0, .dataAMF0, .dataAMF0])
        #expect(messages.allSatisfy { $0.type == .userControl || $0.streamID == 1 })
    }
}
