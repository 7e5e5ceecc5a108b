import Ladder
import NIOCore
import NIOEmbedded
import RTMPWire
import Testing

@testable import Gateway

/// The session handler's publish admission, refusals and takeover races, end to end on testing
/// channels: the replies the peer gets, whether the channel closes, what the registry holds.
@Suite(.timeLimit(.minutes(1))) struct RTMPSessionHandlerTests {
    private func handle(_ stream: LiveStream?) -> RTMPPublisherHandle? {
        stream?.publish?.publisher as? RTMPPublisherHandle
    }

    @Test func anAdmittedPublishClaimsTheName() async throws {
        let harness = RTMPSessionHarness()
        let factory = FakePipelineFactory()
        let channel = try await harness.session(harness.services(factory: factory))

        try await channel.writeInbound(RTMPSessionHarness.publish("cam"))
        #expect(try await channel.nextStatusCode() == "NetStream.Publish.Start")
        let stream = harness.registry.stream(named: "cam")
        #expect(stream?.isLive == true)
        #expect(handle(stream)?.channel === channel)
        #expect(stream?.publish?.pipeline === factory.built.first)
        #expect(channel.isActive)

        // deleteStream ends the publish and finishes its pipeline; the connection stays.
        try await channel.writeInbound(RTMPSessionHarness.deleteStream)
        #expect(stream?.isLive == false)
        #expect(factory.built.first?.finishCount == 1)
        #expect(channel.isActive)
        try await harness.shutdown([channel])
    }

    @Test(arguments: [
        (StreamKeys(), ".hidden", "NetStream.Publish.BadName"),
        (StreamKeys(), "a%20b", "NetStream.Publish.BadName"),
        (StreamKeys(["cam": "s3cret"]), "cam?key=nope", "NetStream.Publish.Unauthorized"),
        (StreamKeys(["cam": "s3cret"]), "cam", "NetStream.Publish.Unauthorized"),
        (StreamKeys(["cam": "s3cret"]), "other?key=s3cret", "NetStream.Publish.BadName"),
    ])
    func aRefusedPublishAnswersAndCloses(keys: StreamKeys, name: String, code: String) async throws {
        let harness = RTMPSessionHarness()
        let factory = FakePipelineFactory()
        let channel = try await harness.session(harness.services(keys: keys, factory: factory))

        try await channel.writeInbound(RTMPSessionHarness.publish(name))
        #expect(try await channel.nextStatusCode() == code)
        try await channel.closeFuture.get()
        #expect(!channel.isActive)
        #expect(factory.calls == 0, "refused before any profile is loaded")
        #expect(harness.registry.allStreams.isEmpty)
        try await harness.shutdown([channel])
    }

    @Test func aProfileThatDoesNotLoadRefusesWithBadName() async throws {
        let harness = RTMPSessionHarness()
        let channel = try await harness.session(harness.services(factory: FakePipelineFactory(fails: true)))

        try await channel.writeInbound(RTMPSessionHarness.publish("cam"))
        #expect(try await channel.nextStatusCode() == "NetStream.Publish.BadName")
        try await channel.closeFuture.get()
        #expect(harness.registry.stream(named: "cam") == nil)
        try await harness.shutdown([channel])
    }

    @Test func aValidKeyTakesOverALiveName() async throws {
        let harness = RTMPSessionHarness()
        let keys = StreamKeys(["cam": "s3cret"])
        let firstFactory = FakePipelineFactory()
        let secondFactory = FakePipelineFactory()
        let first = try await harness.session(harness.services(keys: keys, factory: firstFactory))
        let second = try await harness.session(harness.services(keys: keys, factory: secondFactory))

        try await first.writeInbound(RTMPSessionHarness.publish("cam?key=s3cret"))
        #expect(try await first.nextStatusCode() == "NetStream.Publish.Start")
        try await second.writeInbound(RTMPSessionHarness.publish("cam?key=s3cret"))
        #expect(try await second.nextStatusCode() == "NetStream.Publish.Start")

        // The first session is told to close; its late end must not end the new publish.
        try await first.closeFuture.get()
        await first.testingEventLoop.run()
        let stream = harness.registry.stream(named: "cam")
        #expect(stream?.isLive == true)
        #expect(handle(stream)?.channel === second)
        #expect(stream?.publish?.pipeline === secondFactory.built.first)
        #expect(firstFactory.built.first?.finishCount == 1, "the replaced pipeline is finished once")
        #expect(secondFactory.built.first?.finishCount == 0)
        #expect(second.isActive)
        try await harness.shutdown([first, second])
    }

    @Test func aPublisherLeavingDuringAdmissionLeaksNothing() async throws {
        let harness = RTMPSessionHarness()
        let factory = FakePipelineFactory(gated: true)
        let channel = try await harness.session(harness.services(factory: factory))

        try await channel.writeInbound(RTMPSessionHarness.publish("cam"))
        try await pollUntil("the profile load to start") { factory.calls == 1 }
        try await channel.close()  // the peer leaves while the pipeline is being built
        factory.release()
        try await pollUntil("the late pipeline to be finished") { factory.built.first?.finishCount == 1 }
        #expect(harness.registry.stream(named: "cam") == nil, "no dead publish is left behind")
        #expect(try await channel.readOutbound(as: RTMPMessage.self) == nil)
        try await harness.shutdown([channel])
    }

    @Test func aPendingAdmissionThatLeavesDoesNotTakeOver() async throws {
        let harness = RTMPSessionHarness()
        let liveFactory = FakePipelineFactory()
        let pendingFactory = FakePipelineFactory(gated: true)
        let live = try await harness.session(harness.services(factory: liveFactory))
        let pending = try await harness.session(harness.services(factory: pendingFactory))

        try await live.writeInbound(RTMPSessionHarness.publish("cam"))
        #expect(try await live.nextStatusCode() == "NetStream.Publish.Start")
        try await pending.writeInbound(RTMPSessionHarness.publish("cam"))
        try await pollUntil("the second profile load to start") { pendingFactory.calls == 1 }
        // deleteStream abandons the admission without closing: the connection could publish again.
        try await pending.writeInbound(RTMPSessionHarness.deleteStream)
        pendingFactory.release()
        try await pollUntil("the abandoned pipeline to be finished") {
            pendingFactory.built.first?.finishCount == 1
        }

        let stream = harness.registry.stream(named: "cam")
        #expect(handle(stream)?.channel === live)
        #expect(stream?.publish?.pipeline === liveFactory.built.first)
        #expect(liveFactory.built.first?.finishCount == 0)
        #expect(live.isActive)
        #expect(pending.isActive)
        try await harness.shutdown([live, pending])
    }
}
