import Crypto
import LadderMedia

/// The FP9 "digest" handshake used by Flash Player, librtmp and ffmpeg. It is not in the published
/// RTMP spec (5.2 only describes the random-echo handshake); this follows the de-facto layout:
/// a 32-byte HMAC-SHA256 digest sits inside one of two 764-byte blocks of C1/S1 and is computed
/// over the other 1504 bytes.
package enum RTMPHandshakeDigest {
    package static let packetSize = 1536
    package static let digestSize = 32

    /// Where the digest block starts; the 4 bytes there pick the digest position.
    package enum Scheme: Sendable, Hashable, CaseIterable {
        /// Offset bytes at 8...11, digest at (sum % 728) + 12.
        case scheme0
        /// Offset bytes at 772...775, digest at (sum % 728) + 776.
        case scheme1

        package var offsetBase: Int {
            switch self {
            case .scheme0: return 8
            case .scheme1: return 772
            }
        }

        /// Position of the 32-byte digest inside a 1536-byte packet.
        package func digestOffset(in packet: [UInt8]) -> Int {
            let sum = packet[offsetBase..<offsetBase + 4].reduce(0) { $0 + Int($1) }
            return sum % 728 + offsetBase + 4
        }
    }

    private static let keySuffix: [UInt8] = [
        0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E, 0x57,
        0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE,
    ]
    /// "Genuine Adobe Flash Player 001" (30 bytes) plus the shared 32-byte suffix.
    package static let playerKey: [UInt8] = Array("Genuine Adobe Flash Player 001".utf8) + keySuffix
    /// "Genuine Adobe Flash Media Server 001" (36 bytes) plus the shared 32-byte suffix.
    package static let serverKey: [UInt8] = Array("Genuine Adobe Flash Media Server 001".utf8) + keySuffix
    /// Client digests are keyed with the text part of the player key only.
    package static var playerKeyTextPart: [UInt8] { Array(playerKey.prefix(30)) }
    /// Server digests are keyed with the text part of the server key only.
    package static var serverKeyTextPart: [UInt8] { Array(serverKey.prefix(36)) }

    package static func hmac(_ data: some Sequence<UInt8>, key: [UInt8]) -> [UInt8] {
        var code = HMAC<SHA256>(key: SymmetricKey(data: key))
        code.update(data: Array(data))
        return Array(code.finalize())
    }

    /// HMAC-SHA256 of a 1536-byte packet without the 32 digest bytes at `offset`.
    package static func digest(of packet: [UInt8], excludingDigestAt offset: Int, key: [UInt8]) -> [UInt8] {
        var code = HMAC<SHA256>(key: SymmetricKey(data: key))
        code.update(data: packet[0..<offset])
        code.update(data: packet[(offset + digestSize)...])
        return Array(code.finalize())
    }

    /// Finds the scheme whose embedded client digest validates, trying scheme 1 first as Flash
    /// Player and ffmpeg write it. Returns the scheme and the digest bytes.
    package static func validateClientDigest(_ c1: [UInt8]) -> (scheme: Scheme, digest: [UInt8])? {
        guard c1.count == packetSize else { return nil }
        for scheme in [Scheme.scheme1, .scheme0] {
            let offset = scheme.digestOffset(in: c1)
            let expected = digest(of: c1, excludingDigestAt: offset, key: playerKeyTextPart)
            let embedded = Array(c1[offset..<offset + digestSize])
            if constantTimeEqual(expected, embedded) {
                return (scheme, embedded)
            }
        }
        return nil
    }

    /// Writes the server digest into `s1` at the position `scheme` selects.
    package static func signServerPacket(_ s1: inout [UInt8], scheme: Scheme) {
        let offset = scheme.digestOffset(in: s1)
        let signature = digest(of: s1, excludingDigestAt: offset, key: serverKeyTextPart)
        s1.replaceSubrange(offset..<offset + digestSize, with: signature)
    }

    /// Signs S2: its last 32 bytes are an HMAC of the first 1504, keyed by
    /// HMAC(full server key, client digest).
    package static func signResponsePacket(_ s2: inout [UInt8], clientDigest: [UInt8]) {
        let key = hmac(clientDigest, key: serverKey)
        let signature = hmac(s2[0..<(packetSize - digestSize)], key: key)
        s2.replaceSubrange((packetSize - digestSize)..<packetSize, with: signature)
    }

    private static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (left, right) in zip(lhs, rhs) {
            difference |= left ^ right
        }
        return difference == 0
    }
}
