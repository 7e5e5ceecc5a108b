import Foundation
import Testing

@testable import GatewayAccess

@Suite struct PlaybackTokenTests {
    let keys = PlaybackKeys([(id: "k2", secret: "new-secret-0123456789"), (id: "k1", secret: "old-secret-0123456789")])
    let now: Int64 = 1_800_000_000

    func token(_ claims: PlaybackClaims) -> Substring {
        Substring(PlaybackToken.sign(claims, keys: keys)!)
    }

    func verify(
        _ token: Substring, stream: String = "cam1", client: String? = "198.51.100.7", at time: Int64? = nil
    )
        -> Result<PlaybackClaims, TokenRefusal>
    {
        PlaybackToken.verify(token, keys: keys, stream: stream, client: client, now: time ?? now)
    }

    @Test func aSignedTokenGrantsItsStreamUntilItExpires() throws {
        let claims = PlaybackClaims(keyID: "k2", stream: "cam1", expires: now + 60, viewer: "v-42")
        let signed = token(claims)
        #expect(signed.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) }, "path-safe")
        #expect(try verify(signed).get() == claims)
        #expect(verify(signed, at: now + 59).map(\.viewer) == .success("v-42"))
        #expect(verify(signed, at: now + 60) == .failure(.expired))
        #expect(verify(signed, stream: "cam2") == .failure(.wrongStream))
    }

    @Test func notBeforeAndClientPrefixes() {
        let later = token(PlaybackClaims(keyID: "k2", stream: "cam1", expires: now + 60, notBefore: now + 10))
        #expect(verify(later) == .failure(.notYetValid))
        #expect((try? verify(later, at: now + 10).get()) != nil)
        let v4 = token(PlaybackClaims(keyID: "k2", stream: "cam1", expires: now + 60, clientPrefix: "198.51.100.0/24"))
        #expect((try? verify(v4).get()) != nil)
        #expect((try? verify(v4, client: "::ffff:198.51.100.200").get()) != nil, "IPv4-mapped")
        #expect(verify(v4, client: "198.51.101.7") == .failure(.ip))
        #expect(verify(v4, client: nil) == .failure(.ip))
        #expect(verify(v4, client: "not an address") == .failure(.ip))
        let v6 = token(PlaybackClaims(keyID: "k2", stream: "cam1", expires: now + 60, clientPrefix: "2001:db8:ab::/48"))
        #expect((try? verify(v6, client: "2001:db8:ab:1::9").get()) != nil)
        #expect(verify(v6, client: "2001:db8:ac::1") == .failure(.ip))
        let one = token(PlaybackClaims(keyID: "k2", stream: "cam1", expires: now + 60, clientPrefix: "198.51.100.7"))
        #expect((try? verify(one).get()) != nil)
        #expect(verify(one, client: "198.51.100.8") == .failure(.ip))
    }

    @Test func rotationKeepsOldKeysValidAndForgetsRemovedOnes() {
        let old = token(PlaybackClaims(keyID: "k1", stream: "cam1", expires: now + 60))
        #expect((try? verify(old).get()) != nil)
        let rotated = PlaybackKeys([(id: "k3", secret: "newest-secret-0123456789")])
        #expect(
            PlaybackToken.verify(old, keys: rotated, stream: "cam1", client: nil, now: now) == .failure(.unknownKey))
        #expect(keys.signingKeyID == "k2")
        #expect(PlaybackToken.sign(PlaybackClaims(keyID: "nope", stream: "a", expires: 1), keys: keys) == nil)
    }

    @Test func tamperingIsRefused() throws {
        let signed = String(token(PlaybackClaims(keyID: "k2", stream: "cam1", expires: now + 60)))
        let parts = signed.split(separator: ".")
        // Claims for another stream with the original signature.
        let forged = PlaybackClaims(keyID: "k2", stream: "cam1", expires: now + 86400)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let payload = Base64URL.encode(Array(try encoder.encode(forged)))
        #expect(verify(Substring(payload + "." + parts[1])) == .failure(.badSignature))
        // One flipped character in the signature.
        var mac = Array(parts[1])
        mac[3] = mac[3] == "A" ? "B" : "A"
        #expect(verify(Substring(parts[0] + "." + String(mac))) == .failure(.badSignature))
        // Signed with a secret the gateway does not have, under a known key ID.
        let foreign = PlaybackKeys([(id: "k2", secret: "attacker-secret-0123456")])
        let attack = PlaybackToken.sign(PlaybackClaims(keyID: "k2", stream: "cam1", expires: now + 60), keys: foreign)!
        #expect(verify(Substring(attack)) == .failure(.badSignature))
    }

    @Test func malformedTokensAreRefusedBeforeAnyWork() {
        #expect(verify("") == .failure(.missing))
        for bad in ["abc", "a.b.c", "!!!.???", "e30.", ".AAAA", "e30.AAAA", String(repeating: "A", count: 5000) + ".A"]
        {
            #expect(verify(Substring(bad)) == .failure(.malformed), "\(bad.prefix(20))")
        }
    }

    @Test func prefixesParseStrictly() {
        #expect(IPPrefix("10.0.0.0/8") != nil && IPPrefix("::/0") != nil)
        for bad in ["10.0.0.0/33", "10.0.0/8", "10.0.0.0/-1", "", "fe80::/129", "1.2.3.4/x"] {
            #expect(IPPrefix(bad) == nil, "\(bad)")
        }
        #expect(IPPrefix("0.0.0.0/0")?.contains("203.0.113.9") == true)
        #expect(IPPrefix("203.0.113.0/25")?.contains("203.0.113.128") == false)
    }
}
