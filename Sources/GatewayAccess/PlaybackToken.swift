import Crypto
import Foundation

/// What a playback token grants: one stream, until `expires`, optionally from `notBefore`, to
/// a client address prefix, for a viewer/session ID the operator's backend chose.
public struct PlaybackClaims: Codable, Sendable, Equatable {
    public var version = 1
    /// The signing key's ID: several keys may be valid together (rotation).
    public var keyID: String
    public var stream: String
    /// Seconds since 1970.
    public var expires: Int64
    public var notBefore: Int64?
    /// "203.0.113.0/24", "2001:db8::/48" or one address.
    public var clientPrefix: String?
    public var viewer: String?

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case keyID = "kid"
        case stream = "str"
        case expires = "exp"
        case notBefore = "nbf"
        case clientPrefix = "ip"
        case viewer = "sub"
    }

    public init(
        keyID: String, stream: String, expires: Int64, notBefore: Int64? = nil, clientPrefix: String? = nil,
        viewer: String? = nil
    ) {
        self.keyID = keyID
        self.stream = stream
        self.expires = expires
        self.notBefore = notBefore
        self.clientPrefix = clientPrefix
        self.viewer = viewer
    }
}

/// Why a request for a token-protected stream is refused: the short reason code of the 403,
/// and the `reason` label of `gateway_playback_refusals_total`.
public enum TokenRefusal: String, Error, Sendable, CaseIterable {
    case missing
    /// Not two base64url parts, too long, or claims that do not decode.
    case malformed
    case unknownKey = "unknown_key"
    case badSignature = "bad_signature"
    case expired
    case notYetValid = "not_yet_valid"
    case wrongStream = "wrong_stream"
    case ip
}

/// Signing secrets by key ID (from the `playback.secret_file`); the first one signs.
public struct PlaybackKeys: Sendable {
    public struct Key: Sendable {
        public var id: String
        let key: SymmetricKey
    }

    public private(set) var keys: [Key]

    public init(_ secrets: [(id: String, secret: String)]) {
        keys = secrets.map { Key(id: $0.id, key: SymmetricKey(data: Array($0.secret.utf8))) }
    }

    public var signingKeyID: String? { keys.first?.id }

    func key(id: String) -> SymmetricKey? {
        keys.first { $0.id == id }?.key
    }
}

/// The token: `base64url(claims JSON) "." base64url(HMAC-SHA256(secret, claims JSON))`. Only
/// path-safe characters, so it can be a path segment (`/live/NAME/t/TOKEN/...`) that relative
/// URIs in playlists and MPDs carry by themselves. A pure value over bytes: no clock, no I/O.
public enum PlaybackToken {
    /// Longer tokens are refused before any decoding.
    public static let maxLength = 1024

    public static func sign(_ claims: PlaybackClaims, keys: PlaybackKeys) -> String? {
        guard let key = keys.key(id: claims.keyID) else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let payload = try? encoder.encode(claims) else { return nil }
        let mac = HMAC<SHA256>.authenticationCode(for: payload, using: key)
        return Base64URL.encode(Array(payload)) + "." + Base64URL.encode(Array(mac))
    }

    /// The claims when `token` is genuine and grants `stream` to `client` at `now`.
    public static func verify(
        _ token: Substring, keys: PlaybackKeys, stream: String, client: String?, now: Int64
    ) -> Result<PlaybackClaims, TokenRefusal> {
        authenticate(token, keys: keys).flatMap { claims in
            authorize(claims, stream: stream, client: client, now: now).map { .failure($0) } ?? .success(claims)
        }
    }

    /// The claims when `token` is well-formed and signed by one of `keys` (the costly part:
    /// base64, JSON, HMAC), whatever it grants.
    public static func authenticate(_ token: Substring, keys: PlaybackKeys) -> Result<PlaybackClaims, TokenRefusal> {
        guard !token.isEmpty else { return .failure(.missing) }
        guard token.utf8.count <= maxLength else { return .failure(.malformed) }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let payload = Base64URL.decode(parts[0]), let mac = Base64URL.decode(parts[1]),
            let claims = try? JSONDecoder().decode(PlaybackClaims.self, from: Data(payload)), claims.version == 1
        else { return .failure(.malformed) }
        guard let key = keys.key(id: claims.keyID) else { return .failure(.unknownKey) }
        // Constant time (swift-crypto compares the whole code).
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: payload, using: key) else {
            return .failure(.badSignature)
        }
        return .success(claims)
    }

    /// Why authenticated `claims` do not grant `stream` to `client` at `now` (nil: they do).
    public static func authorize(
        _ claims: PlaybackClaims, stream: String, client: String?, now: Int64
    )
        -> TokenRefusal?
    {
        guard claims.stream == stream else { return .wrongStream }
        guard now < claims.expires else { return .expired }
        if let notBefore = claims.notBefore, now < notBefore { return .notYetValid }
        if let prefix = claims.clientPrefix {
            guard let range = IPPrefix(prefix), let client, range.contains(client) else { return .ip }
        }
        return nil
    }
}

extension PlaybackToken {
    /// The claims of a token already verified (`verify`), without checking it again: the
    /// viewer ID for usage reports.
    public static func claimsOfVerified(_ token: Substring) -> PlaybackClaims? {
        guard token.utf8.count <= maxLength, let dot = token.firstIndex(of: "."),
            let payload = Base64URL.decode(token[..<dot])
        else { return nil }
        return try? JSONDecoder().decode(PlaybackClaims.self, from: Data(payload))
    }
}

/// RFC 4648 section 5, without padding.
enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: Substring) -> [UInt8]? {
        guard
            text.utf8.allSatisfy({ byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            })
        else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map(Array.init)
    }
}
