import Ladder
import RTMPTestSupport
import RTMPWire
import Testing

@testable import Gateway

@Suite struct ViewerTrackerTests {
    let start = ContinuousClock.now

    @Test func countsDistinctClientsWithinTheWindow() {
        let tracker = ViewerTracker(window: .seconds(30))
        let alice = ViewerTracker.clientKey(address: "10.0.0.1", userAgent: "Chrome")
        let bob = ViewerTracker.clientKey(address: "10.0.0.1", userAgent: "VLC")
        tracker.record(stream: "cam1", client: alice, bytes: 100, at: start)
        tracker.record(stream: "cam1", client: alice, bytes: 50, at: start + .seconds(1))
        tracker.record(stream: "cam1", client: bob, bytes: 10, at: start + .seconds(2))
        tracker.record(stream: "cam2", client: bob, bytes: 7, at: start + .seconds(2))

        let now = tracker.snapshot(at: start + .seconds(3))
        #expect(now["cam1"] == .init(viewers: 2, bytesServed: 160))
        #expect(now["cam2"] == .init(viewers: 1, bytesServed: 7))
    }

    @Test func clientsExpireButBytesRemain() {
        let tracker = ViewerTracker(window: .seconds(30))
        tracker.record(stream: "cam1", client: "a", bytes: 10, at: start)
        tracker.record(stream: "cam1", client: "b", bytes: 10, at: start + .seconds(20))
        #expect(tracker.audience(of: "cam1", at: start + .seconds(31)) == .init(viewers: 1, bytesServed: 20))
        #expect(tracker.audience(of: "cam1", at: start + .seconds(51)) == .init(viewers: 0, bytesServed: 20))
        #expect(tracker.audience(of: "unknown", at: start) == .init(viewers: 0, bytesServed: 0))
    }

    @Test func clientCountIsBounded() {
        let tracker = ViewerTracker(window: .seconds(30), maxClientsPerStream: 3)
        for client in 0..<10 {
            tracker.record(stream: "cam1", client: "c\(client)", bytes: 1, at: start)
        }
        #expect(tracker.audience(of: "cam1", at: start) == .init(viewers: 3, bytesServed: 10))
        // Once the old clients expire, new ones are counted again.
        tracker.record(stream: "cam1", client: "late", bytes: 1, at: start + .seconds(40))
        #expect(tracker.audience(of: "cam1", at: start + .seconds(40)) == .init(viewers: 1, bytesServed: 11))
    }

    @Test func forgetDropsTheStream() {
        let tracker = ViewerTracker()
        tracker.record(stream: "cam1", client: "a", bytes: 10, at: start)
        tracker.forget(stream: "cam1")
        #expect(tracker.snapshot(at: start)["cam1"] == nil)
    }

    @Test func clientKeysAreTruncated() {
        let key = ViewerTracker.clientKey(address: "10.0.0.1", userAgent: String(repeating: "x", count: 5000))
        #expect(key.utf8.count == ViewerTracker.maxClientKeyLength)
        #expect(ViewerTracker.clientKey(address: nil, userAgent: nil) == "-|-")
    }
}
