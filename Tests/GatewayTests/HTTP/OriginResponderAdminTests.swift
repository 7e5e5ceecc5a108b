import Foundation
import GatewayAccess
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Gateway

/// The dashboard's routes: its page behind a login, the login form with bcrypt and throttling,
/// the session cookie's CSRF rule, and the static files.
@Suite struct OriginResponderAdminTests {
    static let hash = AdminAuth.hash(password: "pw-alice", cost: 4)

    func responder(
        users: [String: String] = ["alice": Self.hash], token: String? = nil, protectStatus: Bool = false
    ) -> OriginResponder {
        var settings = OriginSettings()
        settings.admin = AdminAuth(token: token, users: users)
        settings.protectStatus = protectStatus
        settings.adminFiles = .success(
            AdminFiles(files: [
                "dashboard.html": .init(contentType: OriginContentType.html, body: ByteBuffer(string: "<h1>dash</h1>")),
                "login.html": .init(contentType: OriginContentType.html, body: ByteBuffer(string: "<form>")),
                "dashboard.js": .init(contentType: OriginContentType.javascript, body: ByteBuffer(string: "1")),
            ]))
        var responder = OriginResponder.fixture(settings: settings)
        responder.logins = AdminLogins(maxFailures: 3)
        return responder
    }

    func withOrigin(
        _ responder: OriginResponder, _ body: @Sendable (any TestClientProtocol) async throws -> Void
    )
        async throws
    {
        try await Application(responder: responder).test(.router, body)
    }

    static let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    func logIn(_ client: any TestClientProtocol, password: String) async throws -> TestResponse {
        try await client.execute(
            uri: "/admin/login", method: .post, headers: Self.form,
            body: ByteBuffer(string: "user=alice&password=\(password)"))
    }

    @Test func thePageSendsStrangersToTheLoginForm() async throws {
        try await withOrigin(responder()) { client in
            let page = try await client.execute(uri: "/admin", method: .get)
            #expect(page.status == .seeOther && page.headers[.location] == "/admin/login")
            let login = try await client.execute(uri: "/admin/login", method: .get)
            #expect(login.status == .ok && String(buffer: login.body) == "<form>")
            // The static files are open (no secrets in them); the pages are not files.
            let script = try await client.execute(uri: "/admin/dashboard.js", method: .get)
            #expect(script.status == .ok && script.headers[.contentType] == OriginContentType.javascript)
            #expect(try await client.execute(uri: "/admin/dashboard.html", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/admin/nope.js", method: .get).status == .notFound)
        }
    }

    @Test func aLoginGivesACookieThatOpensThePageAndTheAdminAPI() async throws {
        try await withOrigin(responder()) { client in
            let wrong = try await logIn(client, password: "nope")
            #expect(wrong.status == .seeOther && wrong.headers[.location] == "/admin/login?failed=1")
            #expect(wrong.headers[.setCookie] == nil)
            let right = try await logIn(client, password: "pw-alice")
            #expect(right.status == .seeOther && right.headers[.location] == "/admin")
            let setCookie = try #require(right.headers[.setCookie])
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"))
            let cookie = String(setCookie.split(separator: ";")[0])
            let page = try await client.execute(uri: "/admin", method: .get, headers: [.cookie: cookie])
            #expect(page.status == .ok && String(buffer: page.body) == "<h1>dash</h1>")
            #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
            #expect(page.headers[.accessControlAllowOrigin] == nil)
            // A write with the cookie needs the CSRF header.
            let bare = try await client.execute(
                uri: "/api/streams/cam1/end", method: .post, headers: [.cookie: cookie])
            #expect(bare.status == .forbidden)
            let marked = try await client.execute(
                uri: "/api/streams/cam1/end", method: .post,
                headers: [.cookie: cookie, OriginResponder.csrfHeader: "1"])
            #expect(marked.status != .forbidden)
            // Logging out clears the cookie.
            let out = try await client.execute(uri: "/admin/logout", method: .post, headers: [.cookie: cookie])
            #expect(out.status == .seeOther && out.headers[.setCookie]?.contains("Max-Age=0") == true)
        }
    }

    @Test func aForgedCookieIsSentBackToTheFormAsExpired() async throws {
        try await withOrigin(responder()) { client in
            let page = try await client.execute(
                uri: "/admin", method: .get, headers: [.cookie: "\(AdminAuth.cookieName)=YWxpY2V8OTk5OTk5OTk5OQ.AAAA"])
            #expect(page.status == .seeOther && page.headers[.location] == "/admin/login?expired=1")
        }
    }

    @Test func repeatedFailuresAreThrottledPerAddress() async throws {
        try await withOrigin(responder()) { client in
            for _ in 0..<3 { #expect(try await logIn(client, password: "nope").status == .seeOther) }
            // Even the right password waits now.
            let throttled = try await logIn(client, password: "pw-alice")
            #expect(throttled.status == .tooManyRequests && throttled.headers[.retryAfter] == "300")
        }
    }

    @Test func withoutUsersThePageSaysWhatIsMissing() async throws {
        try await withOrigin(responder(users: [:], token: "0123456789abcdef")) { client in
            let page = try await client.execute(uri: "/admin", method: .get)
            #expect(page.status == .forbidden)
            let bearer = try await client.execute(
                uri: "/admin", method: .get, headers: [.authorization: "Bearer 0123456789abcdef"])
            #expect(bearer.status == .ok)
            #expect(try await logIn(client, password: "x").status == .notFound)
        }
    }

    /// Every admin route, refused without a credential and not refused with one.
    static let adminRoutes: [(HTTPRequest.Method, String)] = [
        (.post, "/api/tokens"), (.get, "/api/usage"), (.post, "/api/streams/cam1/disconnect"),
        (.post, "/api/streams/cam1/end"), (.delete, "/api/recordings/x"), (.get, "/admin"),
        // With admin.protect_status, the status too.
        (.get, "/api/streams"), (.get, "/api/streams/cam1"), (.get, "/api/history"), (.get, "/metrics"),
        (.get, "/api/cluster"),
    ]

    @Test func everyAdminRouteNeedsTheCredential() async throws {
        try await withOrigin(responder(token: "0123456789abcdef", protectStatus: true)) { client in
            for (method, uri) in Self.adminRoutes {
                let bare = try await client.execute(uri: uri, method: method)
                #expect(bare.status == .forbidden || bare.status == .seeOther, "\(method) \(uri): \(bare.status)")
                let admin = try await client.execute(
                    uri: uri, method: method, headers: [.authorization: "Bearer 0123456789abcdef"])
                #expect(![.forbidden, .seeOther].contains(admin.status), "\(method) \(uri): \(admin.status)")
            }
        }
    }

    @Test func formFieldsDecodeLikeBrowsersEncode() {
        let fields = OriginResponder.formFields("user=al%40ice&password=a+b%26c&user=second&empty=")
        #expect(fields == ["user": "al@ice", "password": "a b&c", "empty": ""])
    }
}
