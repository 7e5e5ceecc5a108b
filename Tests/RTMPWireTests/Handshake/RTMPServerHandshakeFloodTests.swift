import LadderMedia
import NIOCore
import RTMPTestSupport
import Testing

@testable import RTMPWire

/// Counts draws, to bound what accepting one connection costs.
private struct CountingGenerator: RandomNumberGenerator {
    var draws = 0
    var state: UInt64 = 0x1234_5678

    mutating func next() -> UInt64 {
        draws += 1
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state
    }
}

/// Found by Tests/E2E/test_hostile_rtmp.py (slowloris): every accepted connection builds a
/// handshake, and drawing S1/S2 one byte at a time from the system generator (one getrandom call
/// each, 3072 per connection) made 1,000 connections take 13 s to accept, so their 2 s handshake
/// timeouts fired up to 11 s late.
@Suite struct RTMPServerHandshakeFloodTests {
    @Test func buildingAHandshakeDrawsEightBytesPerGeneratorCall() {
        var generator = CountingGenerator()
        _ = RTMPServerHandshake(generator: &generator)
        #expect(generator.draws == 2 * RTMPServerHandshake.packetSize / 8)
    }

    @Test func defaultHandshakesStillSendDifferentRandomS1() throws {
        // RTMP spec 5.2.3: S1's random field should differ between connections.
        let c0c1: [UInt8] = [3] + [UInt8](repeating: 0, count: RTMPServerHandshake.packetSize)
        var first = RTMPServerHandshake()
        var second = RTMPServerHandshake()
        guard case .send(let one) = try first.feed(ByteBuffer(bytes: c0c1)),
            case .send(let two) = try second.feed(ByteBuffer(bytes: c0c1))
        else {
            Issue.record("expected S0S1S2")
            return
        }
        let s1Random = 1 + 8..<1 + RTMPServerHandshake.packetSize
        #expect(Array(one.readableBytesView)[s1Random] != Array(two.readableBytesView)[s1Random])
    }
}
