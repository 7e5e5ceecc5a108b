import Crypto
import Foundation
import LadderMedia
import NIOCore
import RTMPTestSupport
import Testing

@testable import RTMPWire

/// A deterministic generator so S1/S2 random bytes are reproducible.
typealias SeededGenerator = SplitMix64

/// What a client does, written independently of the server code under test.
enum ClientSide {
    static let keySuffix: [UInt8] = [
        0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E, 0x57,
        0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE,
    ]
    static let playerKey = Array("Genuine Adobe Flash Player 001".utf8)
    static let serverKeyText = Array("Genuine Adobe Flash Media Server 001".utf8)

    static func hmac(_ data: [UInt8], key: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: data, using: SymmetricKey(data: key)))
    }

    static func digestOffset(_ packet: [UInt8], base: Int) -> Int {
        (Int(packet[base]) + Int(packet[base + 1]) + Int(packet[base + 2]) + Int(packet[base + 3])) % 728 + base + 4
    }

    /// A C1 signed the way Flash Player signs it, digest position from `base` (772 or 8).
    static func signedC1(base: Int, seed: UInt64) -> (c1: [UInt8], digest: [UInt8]) {
        var generator = SeededGenerator(seed: seed)
        var c1 = (0..<1536).map { _ in UInt8.random(in: 0...255, using: &generator) }
        c1.replaceSubrange(0..<8, with: [0, 0, 0, 0, 0x80, 0x00, 0x07, 0x02])
        let offset = digestOffset(c1, base: base)
        let digest = hmac(Array(c1[0..<offset] + c1[(offset + 32)...]), key: playerKey)
        c1.replaceSubrange(offset..<offset + 32, with: digest)
        return (c1, digest)
    }
}

/// C0+C1 sent by ffmpeg 5.1 (`ffmpeg ... -f flv rtmp://127.0.0.1:19999/live/x`), captured on a socket.
/// Its digest sits at the offset-8 position.
let ffmpegC0C1Base64 = [
    "AwAAAAAJAHwC93hVHs6rjh42LwfFhopwsmbUAiDlCGEYoi42l9X8K2Mpwi7nx8mwtbNF36g5j+o7yHkgihBoQlqhF0y1cljP6+JN",
    "pC7E/52hnHtAbxjJW/3QTuSLb4MyFKR7i/aOsFJU4lrpqai0lsVJb26c18aMtrzIQWnmfz43L/4YbahROGLFr961oSGKhguszdhp",
    "slPbq4oO+1mkjEQgmYdeVbdP0Hobaa8wPgmYc8t34tnixHQesfUGp/Cylir5H1BRyJCjIJlPTIs2oB+pwPFfS3z3tsOBfaYJGGEd",
    "OwL/fMlAOJN1N9M4LkFr1XV3g035yvdINSFQzpLQ27QOhx/DZOGLfjVp45h2wa4Mt5/216sy+fARhpyNpBke9G08G8a3LYOBLyJD",
    "0XUqQSYy1mogdfXTAvRc3yuYuAK3mAXcSDfYTt7RzELLp+7DE3v4bdCy1/Yk1SGj/2Vbzw30EBNB0jDpRlFijkWnq/gYMQHOmB5e",
    "hqb67Fx5qn7HGB6kWe2WbgyTKm+eS/VUq3sckFzeBU7UDS+4m7/GV1LljP3k8qBNw60eXvT8ZNV7BxwUFGpFH2oEMVbSiA9ZV9eN",
    "/T/yuID2JKxw8nCU83c06vGST2asPWSK4jKTBUSkQgtl7tRpb39Q/gX8lIUWZQv7m2X5U9hI40VpZdDXa2J6hONendq9i0Pw+tru",
    "RYzfWevXc5IuCuUH1eZAkukOxn7YQ56PIhx1Op+SFvHLhbUQe8fMfE+yw+7Rr8cJsZL1DeacH/ylZQ77Ujtfq1mXysS371ryv1lz",
    "5ik7rh/B2kmb5VFQd95N2z9/vNdBcRxit9gDuNBUz1eBgnFNHERb1pK6G4OaCecmb8hdqo+tQz2rvSBs3h6lcXcMa/p5VsJm7oQ1",
    "6wHKpvWDwNg8M+788/l9uRe9spn4qJ+4hgqxzWRMHoLM4TI6nredJfXcVwtwtAuyAGF0M1PQU27Nq9gvInd1YijLVP5pMsTJvRMN",
    "K/xwC/XYXaaUbpb4Lgr9jpwgz+q/mmoYm7F7vvU50dnnPulm/LXWvb+YRE3oZb4WBeNAh7NM3wTjr/Vb1BN8Ui0uPHvyY02zJrIq",
    "R023+KCVKrNRDeVVOWwYo3ioOQtzv/d3L7J2D6V4ajsEWcRaHRsN/0y7tl2g7TTzIRbDwswrlYJREbz7skbBUFqgDJcNBtdsyVDO",
    "NosiDbIEh8ugK7H8VLNlZ7QpE9a4hQYs13lWAdMaSo5tVkZ/pcUhYmdv1SYSJRPD5H8ubZ1qGcT4eVQxqUztA5Ih0nrGinp3DpMF",
    "JSJxRZtx0FUFxJd7cOloUSCLrNzffmgrOEiECIDx/sKjL7FAaGK8g8rYmt9ynzum/9P+gI6EA+fGoPbc2jIRiY9vFlBbB4zHi4Db",
    "YA3tLyAPJf9dyzHTLL4gVri9wxCRYxq70qwo1h/jJIDsUDW7818XM5Pw1Zoh0jALLbS1nqpj/+D5PWXcAoUWkF8iqcff84fE63jG",
    "MA5+u7KmZjz75amXfK9XZLo/CrpX205gUeCuxuBbG9qmSal4de28QLzEIUu3/vcnMNQ2isvT4Qq0x2QqHFP5PKJtucdmVVvib9/w",
    "4qchQluVdisLd2/T4+sXMT1TEpyfNAA8maUZaoxqrLbWS1HdmLJ8W1mnC9lBoboDAPt0TPxJnZl+bZM5LSinZ9EW37wsuetAVA0R",
    "6zBK2TIjhv3Fl9VdPRxnvFTfNUea+xnqLNIE3TMe+0nB4XL2u4n79YIH3K5sEvinWYvvHocsDDXyK0wp3xD5uxrdOuuIerX7OMA2",
    "uING92HELyld/gtDfftPMKcSdqt9QJzkJJY/nrtPH0flKxh4byebWocib2aYHdbQrRH0mvMQVf9pcQ/aNFfEt4UtsuOTbQd4v4ef",
    "FzStOiT/sa6VhHYLnLBFKlO6CWL/4vYFr1KDC9IRpUiIlMwLBSJVBIcRzRmFEKnpQ7+Lg5GYRV+9QQcwBdMDmQuI2bY2VtQ8/sjt",
    "g3SPSw8PxRICFnlLIqBU5bxYq9jEEJYHCIQ5NFPOUJaUr76r4A==",
].joined()

@Suite struct RTMPServerHandshakeTests {
    func run(_ handshake: inout RTMPServerHandshake, _ bytes: [UInt8]) throws -> RTMPServerHandshake.Action {
        try handshake.feed(ByteBuffer(bytes: bytes))
    }

    @Test func simpleHandshakeEchoesC1AndCompletesWithLeftover() throws {
        var generator = SeededGenerator(seed: 1)
        var handshake = RTMPServerHandshake(serverTime: 0x0102_0304, generator: &generator)
        let c1: [UInt8] = [0, 0, 0, 9, 0, 0, 0, 0] + (0..<1528).map { UInt8(truncatingIfNeeded: $0) }

        let action = try run(&handshake, [3] + c1)
        guard case .send(var response) = action else {
            Issue.record("expected .send, got \(action)")
            return
        }
        #expect(handshake.variant == .simple)
        #expect(response.readableBytes == 1 + 1536 * 2)
        #expect(response.readInteger(as: UInt8.self) == 3)
        let s1Bytes = response.readBytes(length: 1536)
        let s1 = try #require(s1Bytes)
        #expect(Array(s1[0..<8]) == [1, 2, 3, 4, 0, 0, 0, 0])
        #expect(response.readBytes(length: 1536) == c1)

        #expect(try handshake.feed(ByteBuffer()) == .needMoreData)
        let completion = try run(&handshake, s1 + [0xC3, 0x02])
        #expect(completion == .complete(leftover: ByteBuffer(bytes: [0xC3, 0x02])))
        #expect(handshake.isComplete)
    }

    @Test func digestHandshakeScheme1ProducesSignaturesAClientAccepts() throws {
        let (c1, clientDigest) = ClientSide.signedC1(base: 772, seed: 42)
        try verifyDigestHandshake(c0c1: [3] + c1, clientDigest: clientDigest, expectedScheme: .scheme1)
    }

    @Test func digestHandshakeScheme0ProducesSignaturesAClientAccepts() throws {
        let (c1, clientDigest) = ClientSide.signedC1(base: 8, seed: 7)
        try verifyDigestHandshake(c0c1: [3] + c1, clientDigest: clientDigest, expectedScheme: .scheme0)
    }

    @Test func realFFmpegC1IsRecognisedAsDigestHandshake() throws {
        let c0c1 = try #require(Data(base64Encoded: ffmpegC0C1Base64)).map { $0 }
        #expect(c0c1.count == 1537)
        let c1 = Array(c0c1[1...])
        let offset = ClientSide.digestOffset(c1, base: 8)
        try verifyDigestHandshake(
            c0c1: c0c1, clientDigest: Array(c1[offset..<offset + 32]), expectedScheme: .scheme0)
    }

    func verifyDigestHandshake(
        c0c1: [UInt8], clientDigest: [UInt8], expectedScheme: RTMPHandshakeDigest.Scheme
    ) throws {
        var generator = SeededGenerator(seed: 99)
        var handshake = RTMPServerHandshake(generator: &generator)
        guard case .send(var response) = try run(&handshake, c0c1) else {
            Issue.record("expected .send")
            return
        }
        #expect(handshake.variant == .digest(expectedScheme))
        #expect(response.readInteger(as: UInt8.self) == 3)
        let s1Bytes = response.readBytes(length: 1536)
        let s2Bytes = response.readBytes(length: 1536)
        let s1 = try #require(s1Bytes)
        let s2 = try #require(s2Bytes)
        #expect(s1[4] >= 3)

        // The client finds the server digest with the scheme it used itself and checks it.
        let base = expectedScheme == .scheme1 ? 772 : 8
        let offset = ClientSide.digestOffset(s1, base: base)
        let expectedServerDigest = ClientSide.hmac(
            Array(s1[0..<offset] + s1[(offset + 32)...]), key: ClientSide.serverKeyText)
        #expect(Array(s1[offset..<offset + 32]) == expectedServerDigest)

        // S2's last 32 bytes: HMAC(first 1504 bytes) keyed by HMAC(client digest, full server key).
        let signingKey = ClientSide.hmac(clientDigest, key: ClientSide.serverKeyText + ClientSide.keySuffix)
        #expect(Array(s2[1504...]) == ClientSide.hmac(Array(s2[0..<1504]), key: signingKey))

        #expect(try run(&handshake, Array(repeating: 0xAB, count: 1536)) == .complete(leftover: ByteBuffer()))
    }

    @Test func invalidDigestFallsBackToSimpleHandshake() throws {
        var (c1, _) = ClientSide.signedC1(base: 772, seed: 3)
        // Corrupt every byte that could hold a digest except the version, so neither scheme validates.
        for index in 8..<1536 {
            c1[index] ^= 0x5A
        }
        var handshake = RTMPServerHandshake()
        guard case .send(var response) = try run(&handshake, [3] + c1) else {
            Issue.record("expected .send")
            return
        }
        #expect(handshake.variant == .simple)
        response.moveReaderIndex(forwardBy: 1 + 1536)
        #expect(response.readBytes(length: 1536) == c1)
    }

    @Test func versionOtherThan3IsRejectedFromTheFirstByte() {
        var handshake = RTMPServerHandshake()
        #expect(throws: RTMPHandshakeError.unsupportedVersion(4)) {
            try handshake.feed(ByteBuffer(bytes: [4]))
        }
        var encrypted = RTMPServerHandshake()
        #expect(throws: RTMPHandshakeError.unsupportedVersion(6)) {
            try encrypted.feed(ByteBuffer(bytes: [6] + Array(repeating: 0, count: 1536)))
        }
    }

    @Test func byteAtATimeFeedingGivesTheSameResult() throws {
        let (c1, _) = ClientSide.signedC1(base: 772, seed: 11)
        let c2 = Array(repeating: UInt8(0x11), count: 1536)
        let input = [3] + c1 + c2 + [0xAA, 0xBB]
        var generator = SeededGenerator(seed: 5)
        var handshake = RTMPServerHandshake(generator: &generator)
        var actions: [RTMPServerHandshake.Action] = []
        for byte in input {
            let action = try run(&handshake, [byte])
            if action != .needMoreData {
                actions.append(action)
            }
            if handshake.isComplete { break }
        }
        var reference = SeededGenerator(seed: 5)
        var oneShot = RTMPServerHandshake(generator: &reference)
        let expectedSend = try run(&oneShot, [3] + c1)
        #expect(actions.count == 2)
        #expect(actions.first == expectedSend)
        // The byte completing C2 is the last one fed; the two extra bytes were never fed.
        #expect(actions.last == .complete(leftover: ByteBuffer()))
        #expect(throws: RTMPHandshakeError.alreadyComplete) {
            try handshake.feed(ByteBuffer(bytes: [0]))
        }
    }

    @Test func c2ArrivingWithC1IsHandledOnTheNextFeed() throws {
        var handshake = RTMPServerHandshake()
        let input = [3] + Array(repeating: UInt8(0), count: 1536 * 2) + [7]
        guard case .send = try run(&handshake, input) else {
            Issue.record("expected .send")
            return
        }
        #expect(try handshake.feed(ByteBuffer()) == .complete(leftover: ByteBuffer(bytes: [7])))
    }
}
