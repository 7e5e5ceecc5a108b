import Foundation
import Hummingbird
import HummingbirdTesting
import Ladder
import NIOCore
import Testing

@testable import Gateway

/// Blocking playlist reloads, hinted parts and delta updates (RFC 8216bis 6.2.5) through the
/// responder, over the gateway's own store and its change notifications.
@Suite struct BlockingReloadTests {
    struct Origin {
        let waiters = StoreChangeWaiters()
        let store: SegmentStore
        let responder: OriginResponder

        init() {
            store = GatewayApplication.makeStore(dataDirectory: nil, waiters: waiters)
            let content = StoreOriginContent(
                store: store, segmentSeconds: { _ in 1 }, hasParts: { _ in true }, waiters: waiters)
            responder = .fixture(content: content)
        }

        /// Publishes playlist version `text` of cam/v with its progress (segment 4 complete).
        func publish(_ text: String, pending: Int, delta: String? = nil) throws {
            let progress = PlaylistProgress(lastCompleteSequence: 4, lastCompleteParts: 4, pendingParts: pending)
            var files = ["v/index.m3u8": Array(text.utf8)]
            if let delta { files["v/index.delta.m3u8"] = Array(delta.utf8) }
            try store.publishManifests(
                stream: "cam", files: files, progress: ["v/index.m3u8": progress, "v/index.delta.m3u8": progress])
        }

        func test<Value: Sendable>(
            _ body: @Sendable (any TestClientProtocol) async throws -> Value
        ) async throws
            -> Value
        {
            try await Application(responder: responder).test(.router, body)
        }
    }

    @Test func aReloadIsHeldUntilItsPartIsListedThenCacheableBriefly() async throws {
        let origin = Origin()
        try origin.publish("#EXTM3U\n#v1\n", pending: 1)
        try await origin.test { client in
            let publisher = Task {
                try await Task.sleep(for: .milliseconds(300))
                try origin.publish("#EXTM3U\n#v2\n", pending: 2)
            }
            let start = ContinuousClock.now
            let response = try await client.execute(uri: "/live/cam/v/index.m3u8?_HLS_msn=5&_HLS_part=1", method: .get)
            let waited = ContinuousClock.now - start
            try await publisher.value
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == "#EXTM3U\n#v2\n")
            #expect(response.headers[.cacheControl] == "public, max-age=1")
            // Held until v2 (its body proves the change released it, not the 3 s timeout).
            #expect(waited >= .milliseconds(250), "answered after \(waited)")
            let ready = try await client.execute(uri: "/live/cam/v/index.m3u8?_HLS_msn=5&_HLS_part=0", method: .get)
            #expect(ready.status == .ok, "a part already listed is answered at once")
            let plain = try await client.execute(uri: "/live/cam/v/index.m3u8", method: .get)
            #expect(plain.headers[.cacheControl] == "no-cache", "the LL playlist itself is revalidated")
        }
        #expect(origin.waiters.count == 0)
    }

    @Test func malformedOrFarRequestsAreRefusedAtOnceAndAStuckOneTimesOut() async throws {
        let origin = Origin()
        try origin.publish("#EXTM3U\n", pending: 1)
        try await origin.test { client in
            for uri in ["?_HLS_msn=8", "?_HLS_part=1", "?_HLS_msn=x", "?_HLS_msn=5&_HLS_part=9"] {
                let response = try await client.execute(uri: "/live/cam/v/index.m3u8" + uri, method: .get)
                #expect(response.status == .badRequest, "\(uri)")
            }
            let start = ContinuousClock.now
            let stuck = try await client.execute(uri: "/live/cam/v/index.m3u8?_HLS_msn=6", method: .get)
            #expect(stuck.status == .serviceUnavailable)
            #expect(ContinuousClock.now - start >= .seconds(3), "three target durations")
        }
    }

    @Test func aHintedPartIsServedOnceWrittenAndADeltaUpdateOnRequest() async throws {
        let origin = Origin()
        try origin.publish("#EXTM3U\n#full\n", pending: 1, delta: "#EXTM3U\n#delta\n")
        try await origin.test { client in
            let writer = Task {
                try await Task.sleep(for: .milliseconds(200))
                try origin.store.put(
                    stream: "cam", path: "v/part-5.1.m4s", data: [1, 2, 3], kind: .mediaSegment(.video))
            }
            let part = try await client.execute(uri: "/live/cam/v/part-5.1.m4s", method: .get)
            try await writer.value
            #expect(part.status == .ok)
            #expect(Array(part.body.readableBytesView) == [1, 2, 3])
            let delta = try await client.execute(uri: "/live/cam/v/index.m3u8?_HLS_skip=YES", method: .get)
            #expect(String(buffer: delta.body) == "#EXTM3U\n#delta\n")
            let full = try await client.execute(uri: "/live/cam/v/index.m3u8?_HLS_skip=NO", method: .get)
            #expect(String(buffer: full.body) == "#EXTM3U\n#full\n")
        }
    }
}

@Suite struct StoreChangeWaitersTests {
    @Test func aChangeWakesEveryWaiterOfItsStreamOnly() async throws {
        let waiters = StoreChangeWaiters()
        let far = ContinuousClock.now + .seconds(30)
        async let a: Void = waiters.changed(stream: "a", before: far)
        async let b: Void = waiters.changed(stream: "a", before: far)
        let other = Task { await waiters.changed(stream: "b", before: ContinuousClock.now + .milliseconds(300)) }
        let deadline = ContinuousClock.now + .seconds(5)
        while waiters.count < 3, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(waiters.count == 3)
        waiters.notify(stream: "a")
        _ = await (a, b)
        #expect(waiters.count <= 1, "b's waiter is still there until its deadline")
        await other.value
        #expect(waiters.count == 0, "and gone after it")
    }
}
