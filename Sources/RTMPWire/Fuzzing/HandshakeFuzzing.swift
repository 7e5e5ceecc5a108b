import LadderMedia
import NIOCore

/// Feeds client bytes to `RTMPServerHandshake` in input-derived pieces and checks the answer
/// against RTMP spec 5.2.2-5.2.4 (and the FP9 digest layout when the client's C1 carries one).
package enum HandshakeFuzzing {
    package static let serverTime: UInt32 = 0x0102_0304

    package static func run(_ input: [UInt8], checker: inout FuzzChecker) throws(FuzzPropertyViolation) {
        var random = FuzzRandom(seed: input)
        var handshake = RTMPServerHandshake(serverTime: serverTime, generator: &random)
        let packetSize = RTMPServerHandshake.packetSize
        let c0c1Length = 1 + packetSize
        let completeLength = c0c1Length + packetSize

        var fed = 0
        var response: [UInt8]?
        var leftover: [UInt8]?
        feeding: while fed < input.count {
            let length = min(random.pieceLength(), input.count - fed)
            var pending = ByteBuffer(bytes: input[fed..<fed + length])
            fed += length
            while true {
                let action: RTMPServerHandshake.Action
                do throws(RTMPHandshakeError) {
                    action = try handshake.feed(pending)
                } catch {
                    // RTMP spec 5.2.2: only a C0 other than 3 is refused, as soon as it arrives.
                    try checker.check(
                        error == .unsupportedVersion(input[0]) && input[0] != RTMPServerHandshake.version
                            && response == nil,
                        "unexpected \(error) after \(fed) bytes")
                    return
                }
                pending = ByteBuffer()
                switch action {
                case .needMoreData:
                    continue feeding
                case .send(let bytes):
                    // Loops to feed an empty buffer in case C2 is already buffered, as the handler does.
                    try checker.check(response == nil, "a second .send")
                    response = Array(bytes.readableBytesView)
                case .complete(let rest):
                    leftover = Array(rest.readableBytesView)
                    break feeding
                }
            }
        }

        try checker.check(input.isEmpty || input[0] == RTMPServerHandshake.version, "bad C0 accepted")
        try checker.check((response != nil) == (fed >= c0c1Length), "S0S1S2 sent after \(fed) bytes")
        try checker.check((leftover != nil) == (fed >= completeLength), "completion after \(fed) bytes")
        try checker.check(handshake.isComplete == (leftover != nil), "isComplete disagrees with .complete")
        if let leftover {
            try checker.check(leftover == Array(input[completeLength..<fed]), "leftover is not the bytes after C2")
            var errorAfterCompletion: RTMPHandshakeError?
            do throws(RTMPHandshakeError) {
                _ = try handshake.feed(ByteBuffer())
            } catch {
                errorAfterCompletion = error
            }
            try checker.check(
                errorAfterCompletion == .alreadyComplete,
                "feed after completion gave \(String(describing: errorAfterCompletion))")
        }
        if let response {
            let c1 = Array(input[1..<c0c1Length])
            try checkResponse(response, c1: c1, variant: handshake.variant, checker: checker)
        }
    }

    private static func checkResponse(
        _ response: [UInt8], c1: [UInt8], variant: RTMPServerHandshake.Variant?, checker: FuzzChecker
    ) throws(FuzzPropertyViolation) {
        let packetSize = RTMPServerHandshake.packetSize
        try checker.check(response.count == 1 + 2 * packetSize, "S0S1S2 is \(response.count) bytes")
        try checker.check(response[0] == RTMPServerHandshake.version, "S0 is \(response[0])")
        let s1 = Array(response[1..<1 + packetSize])
        let s2 = Array(response[(1 + packetSize)...])
        // RTMP spec 5.2.3: S1 starts with the server's time.
        try checker.check(s1[0..<4].elementsEqual(withUnsafeBytes(of: serverTime.bigEndian, Array.init)), "S1 time")
        switch variant {
        case .simple:
            // RTMP spec 5.2.3/5.2.4: zero field in S1, S2 echoes C1.
            try checker.check(s1[4..<8].allSatisfy { $0 == 0 }, "simple S1 has a non-zero version field")
            try checker.check(s2 == c1, "simple S2 does not echo C1")
        case .digest(let scheme):
            guard let found = RTMPHandshakeDigest.validateClientDigest(c1), found.scheme == scheme else {
                throw checker.fail("digest variant without a valid C1 digest at \(scheme)")
            }
            let s1Offset = scheme.digestOffset(in: s1)
            let s1Digest = RTMPHandshakeDigest.digest(
                of: s1, excludingDigestAt: s1Offset, key: RTMPHandshakeDigest.serverKeyTextPart)
            try checker.check(
                s1[s1Offset..<s1Offset + RTMPHandshakeDigest.digestSize].elementsEqual(s1Digest), "S1 digest")
            let s2Key = RTMPHandshakeDigest.hmac(found.digest, key: RTMPHandshakeDigest.serverKey)
            let signedLength = packetSize - RTMPHandshakeDigest.digestSize
            let s2Signature = RTMPHandshakeDigest.hmac(s2[0..<signedLength], key: s2Key)
            try checker.check(s2[signedLength...].elementsEqual(s2Signature), "S2 signature")
        case nil:
            throw checker.fail("S0S1S2 sent without a variant")
        }
    }
}
