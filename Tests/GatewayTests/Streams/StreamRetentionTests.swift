import Ladder
import Logging
import Testing

@testable import Gateway

private final class FakePublisher: Publisher {
    let remoteAddress = "127.0.0.1:5000"
    var ingestErrors: Int { 3 }
    func disconnect(reason: String) {}
}

@Suite struct StreamRetentionTests {
    private func makeRetention(_ registry: StreamRegistry, seconds: Int64) -> StreamRetention {
        StreamRetention(
            retention: .seconds(seconds), registry: registry,
            pipelines: LadderPipelineFactory(
                defaultProfilePath: "/nonexistent.yaml", profileOverrides: { _ in nil }, store: SegmentStore(),
                logger: Logger(label: "test")),
            logger: Logger(label: "test"))
    }

    @Test func anEndedStreamIsFreedOnlyAfterTheRetention() {
        let registry = StreamRegistry()
        let retention = makeRetention(registry, seconds: 10)
        let publisher = FakePublisher()
        _ = registry.beginPublish(name: "cam", publisher: publisher, pipeline: nil)
        #expect(retention.sweep(now: .now + .seconds(60)).isEmpty, "a live stream is never freed")
        #expect(registry.endPublish(name: "cam", publisher: publisher) != nil)
        let endedAt = try! #require(registry.stream(named: "cam")?.endedAt)
        #expect(registry.stream(named: "cam")?.ingestErrors == 3, "the ended publish's count stays visible")
        #expect(retention.sweep(now: endedAt + .seconds(9)).isEmpty)
        #expect(registry.stream(named: "cam") != nil)
        #expect(retention.sweep(now: endedAt + .seconds(10)) == ["cam"])
        #expect(registry.stream(named: "cam") == nil)
        #expect(registry.allStreams.isEmpty)
    }

    @Test func aRepublishCancelsTheRemoval() {
        let registry = StreamRegistry()
        let retention = makeRetention(registry, seconds: 1)
        let first = FakePublisher()
        _ = registry.beginPublish(name: "cam", publisher: first, pipeline: nil)
        _ = registry.endPublish(name: "cam", publisher: first)
        let endedAt = try! #require(registry.stream(named: "cam")?.endedAt)
        _ = registry.beginPublish(name: "cam", publisher: FakePublisher(), pipeline: nil)
        #expect(registry.stream(named: "cam")?.endedAt == nil)
        #expect(retention.sweep(now: endedAt + .seconds(5)).isEmpty)
        #expect(registry.stream(named: "cam")?.isLive == true)
        // The old publisher leaving late does not end the new publish.
        #expect(registry.endPublish(name: "cam", publisher: first) == nil)
        #expect(!registry.removeEnded(name: "cam", endedBefore: endedAt + .seconds(5)))
    }
}
