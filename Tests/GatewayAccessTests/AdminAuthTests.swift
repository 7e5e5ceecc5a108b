import Foundation
import Testing

@testable import GatewayAccess

@Suite struct AdminAuthTests {
    // Cost 4 keeps the tests quick; the hash format is the same as cost 12's.
    static let aliceHash = AdminAuth.hash(password: "correct horse", cost: 4)
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func credentials(
        authorization: String? = nil, cookie: String? = nil, write: Bool = false, csrf: Bool = false,
        peer: String? = "198.51.100.7", relayed: Bool = false
    ) -> AdminAuth.Credentials {
        AdminAuth.Credentials(
            authorization: authorization, cookie: cookie, isWrite: write, hasCSRFHeader: csrf, peer: peer,
            relayed: relayed)
    }

    @Test func withoutCredentialsOnlyLoopbackIsAdmin() {
        let auth = AdminAuth()
        #expect(auth.refusal(credentials(peer: "127.0.0.1")) == nil)
        #expect(auth.refusal(credentials(peer: "::1")) == nil)
        #expect(auth.refusal(credentials(peer: "10.0.0.2")) != nil)
        #expect(auth.refusal(credentials(peer: nil)) != nil)
        // An edge on this host is loopback too: a relayed request is never local.
        #expect(auth.refusal(credentials(peer: "127.0.0.1", relayed: true)) != nil)
    }

    @Test func bearerTokenIsComparedWhole() {
        let auth = AdminAuth(token: "0123456789abcdef")
        #expect(auth.refusal(credentials(authorization: "Bearer 0123456789abcdef")) == nil)
        #expect(auth.refusal(credentials(authorization: "Bearer 0123456789abcde")) == "forbidden: wrong admin token")
        #expect(auth.refusal(credentials(authorization: "Bearer 0123456789abcdefX")) != nil)
        #expect(auth.refusal(credentials()) == "forbidden: missing admin token")
        // Loopback is no longer enough once a credential is configured.
        #expect(auth.refusal(credentials(peer: "127.0.0.1")) != nil)
    }

    @Test func passwordsAreCheckedWithBcrypt() {
        let auth = AdminAuth(users: ["alice": Self.aliceHash])
        #expect(AdminAuth.isBcryptHash(Self.aliceHash))
        #expect(auth.verify(user: "alice", password: "correct horse"))
        #expect(!auth.verify(user: "alice", password: "correct horsE"))
        #expect(!auth.verify(user: "bob", password: "correct horse"))
        #expect(!auth.verify(user: "alice", password: String(repeating: "x", count: 10_000)))
    }

    @Test func sessionCookieSignsInUntilItExpires() {
        let auth = AdminAuth(users: ["alice": Self.aliceHash], sessionSeconds: 60)
        let cookie = "theme=dark; \(AdminAuth.cookieName)=\(auth.sessionCookie(user: "alice", now: now))"
        #expect(auth.sessionUser(cookieHeader: cookie, now: now) == "alice")
        #expect(auth.refusal(credentials(cookie: cookie), now: now) == nil)
        #expect(auth.sessionUser(cookieHeader: cookie, now: now.addingTimeInterval(61)) == nil)
        #expect(
            auth.refusal(credentials(cookie: cookie), now: now.addingTimeInterval(61)) == "forbidden: not signed in")
    }

    @Test func cookieWritesNeedTheCSRFHeader() {
        let auth = AdminAuth(users: ["alice": Self.aliceHash])
        let cookie = "\(AdminAuth.cookieName)=\(auth.sessionCookie(user: "alice", now: now))"
        #expect(auth.refusal(credentials(cookie: cookie, write: true), now: now) != nil)
        #expect(auth.refusal(credentials(cookie: cookie, write: true, csrf: true), now: now) == nil)
    }

    @Test func forgedOrForeignCookiesAreRefused() {
        let auth = AdminAuth(users: ["alice": Self.aliceHash, "bob": Self.aliceHash])
        let genuine = auth.sessionCookie(user: "alice", now: now)
        let parts = genuine.split(separator: ".")
        // Another user's name with alice's signature.
        let forgedPayload = Base64URL.encode(Array("bob|\(Int64(now.timeIntervalSince1970) + 3600)".utf8))
        let forged = "\(AdminAuth.cookieName)=\(forgedPayload).\(parts[1])"
        #expect(auth.sessionUser(cookieHeader: forged, now: now) == nil)
        // Another process's key (a restart) signs everyone out.
        let other = AdminAuth(users: ["alice": Self.aliceHash])
        #expect(other.sessionUser(cookieHeader: "\(AdminAuth.cookieName)=\(genuine)", now: now) == nil)
        for junk in [
            "", "\(AdminAuth.cookieName)=", "\(AdminAuth.cookieName)=...", String(repeating: "a", count: 100_000),
        ] {
            #expect(auth.sessionUser(cookieHeader: junk, now: now) == nil)
        }
    }

    @Test func bcryptHashShapeIsChecked() {
        #expect(!AdminAuth.isBcryptHash("plain-password"))
        #expect(!AdminAuth.isBcryptHash("$2b$99$" + String(repeating: "a", count: 53)))
        #expect(AdminAuth.isBcryptHash("$2b$12$" + String(repeating: "a", count: 53)))
    }
}
