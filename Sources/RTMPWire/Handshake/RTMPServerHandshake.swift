import LadderMedia
import NIOCore

package enum RTMPHandshakeError: Error, Hashable, Sendable {
    /// C0 carried a version other than 3 (RTMP spec 5.2.2); 6 would be RTMPE, which is not supported.
    case unsupportedVersion(UInt8)
    /// `feed` was called after the handshake completed.
    case alreadyComplete
    /// The client did not finish the handshake in time (raised by `RTMPHandshakeHandler`).
    case timedOut(TimeAmount)
}

/// Server side of the RTMP handshake (RTMP spec 5.2) as a pure state machine.
///
/// Feed it the bytes read from the socket; it answers with what to do next. C0+C1 produce
/// `.send(S0+S1+S2)`, C2 produces `.complete(leftover:)` with any bytes that followed C2 (the
/// start of the chunk stream). A client whose C1 carries a valid FP9 digest gets a signed S1/S2,
/// every other client the simple echo handshake.
package struct RTMPServerHandshake: Sendable {
    package enum Action: Sendable, Hashable {
        case needMoreData
        case send(ByteBuffer)
        case complete(leftover: ByteBuffer)
    }

    package enum Variant: Sendable, Hashable {
        /// Random echo handshake (RTMP spec 5.2.3, 5.2.4).
        case simple
        /// FP9 digest handshake with the client digest found at `scheme`.
        case digest(RTMPHandshakeDigest.Scheme)
    }

    package static let version: UInt8 = 3
    package static let packetSize = RTMPHandshakeDigest.packetSize
    /// Written into S1 bytes 4...7 in the digest handshake; clients only check that byte 4 is >= 3.
    package static let serverVersion: [UInt8] = [0x04, 0x05, 0x00, 0x01]

    private enum State: Sendable {
        case awaitingC0C1
        case awaitingC2
        case complete
    }

    private var state = State.awaitingC0C1
    private var received = ByteBuffer()
    private let serverTime: UInt32
    private let randomS1: [UInt8]
    private let randomS2: [UInt8]
    /// Which handshake was negotiated, known once C1 has been read.
    package private(set) var variant: Variant?

    /// - Parameter serverTime: the S1 time field (RTMP spec 5.2.3), an epoch the server picks.
    package init(serverTime: UInt32 = 0) {
        // RTMP spec 5.2.3: the random field needs no cryptographically secure randomness. One system
        // draw seeds a cheap generator: a getrandom call per byte made accepting connections slow
        // enough for a connection flood to stall the listener (Tests/E2E/test_hostile_rtmp.py).
        var system = SystemRandomNumberGenerator()
        var generator = SplitMix64(seed: system.next())
        self.init(serverTime: serverTime, generator: &generator)
    }

    package init(serverTime: UInt32 = 0, generator: inout some RandomNumberGenerator) {
        self.serverTime = serverTime
        randomS1 = Self.randomBytes(count: Self.packetSize, using: &generator)
        randomS2 = Self.randomBytes(count: Self.packetSize, using: &generator)
    }

    /// `count` bytes, eight per generator draw.
    private static func randomBytes(count: Int, using generator: inout some RandomNumberGenerator) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 7)
        while bytes.count < count {
            withUnsafeBytes(of: generator.next()) { bytes.append(contentsOf: $0) }
        }
        bytes.removeLast(bytes.count - count)
        return bytes
    }

    package var isComplete: Bool {
        if case .complete = state { return true }
        return false
    }

    /// Appends `bytes` and advances as far as the buffered data allows. After `.send`, call
    /// `feed` again (with an empty buffer if nothing new arrived) in case C2 was already buffered.
    package mutating func feed(_ bytes: ByteBuffer) throws(RTMPHandshakeError) -> Action {
        var bytes = bytes
        switch state {
        case .complete:
            throw .alreadyComplete
        case .awaitingC0C1:
            received.writeBuffer(&bytes)
            if let version = received.getInteger(at: received.readerIndex, as: UInt8.self),
                version != Self.version
            {
                throw .unsupportedVersion(version)
            }
            guard received.readableBytes >= 1 + Self.packetSize else { return .needMoreData }
            received.moveReaderIndex(forwardBy: 1)
            guard let c1 = received.readBytes(length: Self.packetSize) else { return .needMoreData }
            state = .awaitingC2
            return .send(respond(to: c1))
        case .awaitingC2:
            received.writeBuffer(&bytes)
            guard received.readableBytes >= Self.packetSize else { return .needMoreData }
            // C2 echoes S1 (or signs it); nothing in it changes what the server does, so it is not checked.
            received.moveReaderIndex(forwardBy: Self.packetSize)
            state = .complete
            let leftover = received.slice()
            received = ByteBuffer()
            return .complete(leftover: leftover)
        }
    }

    /// Builds S0+S1+S2 for C1 (RTMP spec 5.2.2-5.2.4).
    private mutating func respond(to c1: [UInt8]) -> ByteBuffer {
        var s1: [UInt8]
        let s2: [UInt8]
        let timeBytes = withUnsafeBytes(of: serverTime.bigEndian) { Array($0) }
        let clientUsesDigest = c1[4..<8].contains { $0 != 0 }
        if clientUsesDigest, let found = RTMPHandshakeDigest.validateClientDigest(c1) {
            variant = .digest(found.scheme)
            s1 = timeBytes + Self.serverVersion + randomS1[8...]
            RTMPHandshakeDigest.signServerPacket(&s1, scheme: found.scheme)
            var signed = randomS2
            RTMPHandshakeDigest.signResponsePacket(&signed, clientDigest: found.digest)
            s2 = signed
        } else {
            variant = .simple
            s1 = timeBytes + [0, 0, 0, 0] + randomS1[8...]
            s2 = c1
        }
        var out = ByteBuffer()
        out.reserveCapacity(1 + 2 * Self.packetSize)
        out.writeInteger(Self.version)
        out.writeBytes(s1)
        out.writeBytes(s2)
        return out
    }
}
