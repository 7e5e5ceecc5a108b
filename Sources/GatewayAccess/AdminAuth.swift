import Crypto
import Foundation
import HummingbirdBcrypt

/// Who may use the admin routes (`admin:` of the gateway config): a bearer token for scripts,
/// named users with bcrypt hashes for the dashboard's login form, or, when neither is set,
/// loopback clients only. Pure: the caller passes the request's parts and the time.
public struct AdminAuth: Sendable {
    /// `Authorization: Bearer TOKEN` secret (`admin.token`).
    public var token: String?
    /// User name to bcrypt hash (`admin.users`).
    public var users: [String: String]
    /// Signs session cookies; random per process unless given (a restart signs everyone out).
    let sessionKey: SymmetricKey
    public var sessionSeconds: Int64

    public static let cookieName = "ladder_admin"
    /// A cookie-authenticated write must carry this header: a cross-site form cannot set it, and
    /// a cross-site script cannot send it without a CORS preflight the admin routes never pass.
    public static let csrfHeader = "X-Ladder-Admin"
    public static let maxUserLength = 64

    public init(token: String? = nil, users: [String: String] = [:], sessionSeconds: Int64 = 12 * 3600) {
        self.token = token
        self.users = users
        self.sessionKey = SymmetricKey(size: .bits256)
        self.sessionSeconds = sessionSeconds
    }

    /// Any credential configured: without one, only loopback clients are admins.
    public var isConfigured: Bool { token != nil || !users.isEmpty }

    /// The request's parts that decide.
    public struct Credentials: Sendable {
        public var authorization: String?
        /// The value of the `Cookie` header.
        public var cookie: String?
        /// True for a write (POST, DELETE): a session cookie then needs `csrfHeader`.
        public var isWrite: Bool
        public var hasCSRFHeader: Bool
        public var peer: String?
        /// Came through a proxy (an edge on this host is loopback too).
        public var relayed: Bool

        public init(
            authorization: String?, cookie: String?, isWrite: Bool, hasCSRFHeader: Bool, peer: String?,
            relayed: Bool
        ) {
            self.authorization = authorization
            self.cookie = cookie
            self.isWrite = isWrite
            self.hasCSRFHeader = hasCSRFHeader
            self.peer = peer
            self.relayed = relayed
        }
    }

    /// Why the request is not an admin's (a short reason), or nil when it is.
    public func refusal(_ credentials: Credentials, now: Date = Date()) -> String? {
        guard isConfigured else {
            let loopback =
                !credentials.relayed
                && (credentials.peer.map { $0 == "127.0.0.1" || $0 == "::1" || $0 == "::ffff:127.0.0.1" } ?? false)
            return loopback ? nil : "forbidden: no admin credential is configured, so only loopback clients may do this"
        }
        if let authorization = credentials.authorization, authorization.hasPrefix("Bearer ") {
            guard let token else { return "forbidden: no admin token is configured" }
            return Self.constantTimeEqual(Array(authorization.utf8.dropFirst(7)), Array(token.utf8))
                ? nil : "forbidden: wrong admin token"
        }
        if sessionUser(cookieHeader: credentials.cookie, now: now) != nil {
            return credentials.isWrite && !credentials.hasCSRFHeader
                ? "forbidden: a signed-in write needs the \(Self.csrfHeader) header" : nil
        }
        return token != nil && users.isEmpty ? "forbidden: missing admin token" : "forbidden: not signed in"
    }

    /// Checks a login (bcrypt: about 0.1-0.3 s of CPU, keep it off event loops). An unknown user
    /// costs a hash of the same cost too, so timing does not tell which names exist.
    public func verify(user: String, password: String) -> Bool {
        guard user.utf8.count <= Self.maxUserLength, password.utf8.count <= 256 else { return false }
        guard let hash = users[user] else {
            if let decoy = users.values.first { _ = Bcrypt.verify(password + "\u{0}", hash: decoy) }
            return false
        }
        return Bcrypt.verify(password, hash: hash)
    }

    /// A bcrypt hash for `admin.users` (`gateway hash-password`).
    public static func hash(password: String, cost: UInt8 = 12) -> String {
        Bcrypt.hash(password, cost: cost)
    }

    /// Whether `hash` looks like a bcrypt hash ($2a$/$2b$/$2y$, cost, 53 characters).
    public static func isBcryptHash(_ hash: String) -> Bool {
        let bytes = Array(hash.utf8)
        guard bytes.count == 60, hash.hasPrefix("$2a$") || hash.hasPrefix("$2b$") || hash.hasPrefix("$2y$"),
            let cost = Int(String(decoding: bytes[4..<6], as: UTF8.self)), (4...31).contains(cost),
            bytes[6] == UInt8(ascii: "$")
        else { return false }
        return true
    }

    // MARK: Session cookies: base64url("user|expires") "." base64url(HMAC-SHA256)

    public func sessionCookie(user: String, now: Date = Date()) -> String {
        let expires = Int64(now.timeIntervalSince1970) + sessionSeconds
        let payload = Array("\(user)|\(expires)".utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: payload, using: sessionKey)
        return Base64URL.encode(payload) + "." + Base64URL.encode(Array(mac))
    }

    /// The signed-in user of a `Cookie` header, or nil (absent, forged, expired).
    public func sessionUser(cookieHeader: String?, now: Date = Date()) -> String? {
        guard let cookieHeader, cookieHeader.utf8.count <= 8192 else { return nil }
        for pair in cookieHeader.split(separator: ";") {
            let trimmed = pair.drop { $0 == " " }
            guard trimmed.hasPrefix(Self.cookieName + "=") else { continue }
            let value = trimmed.dropFirst(Self.cookieName.count + 1)
            if let user = verifySession(value, now: now) { return user }
        }
        return nil
    }

    func verifySession(_ value: Substring, now: Date) -> String? {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard value.utf8.count <= 512, parts.count == 2, let payload = Base64URL.decode(parts[0]),
            let mac = Base64URL.decode(parts[1]),
            HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: payload, using: sessionKey)
        else { return nil }
        let fields = String(decoding: payload, as: UTF8.self).split(separator: "|")
        guard fields.count == 2, let expires = Int64(fields[1]), Int64(now.timeIntervalSince1970) < expires,
            users[String(fields[0])] != nil
        else { return nil }
        return String(fields[0])
    }

    static func constantTimeEqual(_ offered: [UInt8], _ expected: [UInt8]) -> Bool {
        var difference = UInt8(offered.count == expected.count ? 0 : 1)
        for index in expected.indices {
            difference |= expected[index] ^ (index < offered.count ? offered[index] : 0)
        }
        return difference == 0
    }
}
