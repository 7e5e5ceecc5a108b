import Foundation
import GatewayAccess
import Logging
import NIOConcurrencyHelpers

/// Signed viewer access, checked on every request of a protected stream (playlists, MPD,
/// init segments, segments, parts, blocking reloads, the player page), on both origin paths.
///
/// The token travels in the path, `/live/NAME/t/TOKEN/...`, so relative URIs in playlists and
/// MPDs carry it without the player's help (`PlaybackTokenPath`), and every object is the same
/// bytes for every viewer: an edge can cache one copy under a key without the token.
struct PlaybackAccess: Sendable {
    let keys: PlaybackKeys
    let requiresToken: @Sendable (String) -> Bool
    /// The viewer's address from X-Forwarded-For (behind trusted edges), else the peer's.
    let trustForwardedFor: Bool
    let logger: Logger
    private let logLimits = NIOLockedValueBox<[TokenRefusal: LogRateLimiter]>([:])
    /// Tokens already authenticated (signature checked), so a player's every request pays a
    /// dictionary lookup and the cheap claim checks, not base64, JSON and HMAC again. Only
    /// genuine tokens enter, and at most `cacheLimit` (then it starts afresh).
    private let authenticated = NIOLockedValueBox<[Substring: PlaybackClaims]>([:])
    static let cacheLimit = 8192

    init(
        keys: PlaybackKeys, requiresToken: @escaping @Sendable (String) -> Bool, trustForwardedFor: Bool,
        logger: Logger
    ) {
        self.keys = keys
        self.requiresToken = requiresToken
        self.trustForwardedFor = trustForwardedFor
        self.logger = logger
    }

    /// nil when the request may be answered. Quiet: the caller decides whether to count it.
    func refusal(
        stream: String, token: Substring?, peer: String?, forwardedFor: String?, now: Date = Date()
    )
        -> TokenRefusal?
    {
        guard requiresToken(stream) else { return nil }
        guard let token else { return .missing }
        let claims: PlaybackClaims
        if let known = authenticated.withLockedValue({ $0[token] }) {
            claims = known
        } else {
            switch PlaybackToken.authenticate(token, keys: keys) {
            case .failure(let refusal): return refusal
            case .success(let genuine): claims = genuine
            }
            authenticated.withLockedValue { cache in
                if cache.count >= Self.cacheLimit { cache.removeAll(keepingCapacity: true) }
                cache[Substring(String(token))] = claims  // its own storage, not the request's
            }
        }
        return PlaybackToken.authorize(
            claims, stream: stream, client: client(peer: peer, forwardedFor: forwardedFor),
            now: Int64(now.timeIntervalSince1970))
    }

    /// The address a token's IP claim is checked against.
    func client(peer: String?, forwardedFor: String?) -> String? {
        trustForwardedFor ? Self.firstAddress(forwardedFor) ?? peer : peer
    }

    /// Counts and logs (at most one line per reason per 10 s, with the count left out) a refusal.
    func refused(_ refusal: TokenRefusal, stream: String, peer: String?) {
        GatewayMetrics.playbackRefused(reason: refusal.rawValue)
        let (log, suppressed) = logLimits.withLockedValue { $0[refusal, default: LogRateLimiter()].record(at: .now) }
        guard log else { return }
        logger.warning(
            "playback refused",
            metadata: [
                "stream": "\(stream)", "reason": "\(refusal.rawValue)", "client": "\(peer ?? "unknown")",
                "similar_refusals_not_logged": "\(suppressed)",
            ])
    }

    static func firstAddress(_ forwardedFor: String?) -> String? {
        guard let first = forwardedFor?.split(separator: ",", maxSplits: 1).first else { return nil }
        let trimmed = first.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty || trimmed.utf8.count > 64 ? nil : trimmed
    }
}

/// `/live/NAME/t/TOKEN/REST` is `/live/NAME/REST` with a token. A pure function over the raw
/// path: the route is then parsed as without a token, so both forms serve the same files.
enum PlaybackTokenPath {
    static let marker = "t"

    /// The path without the token segment, and the token (nil when there is none).
    static func split(_ rawPath: String) -> (path: String, token: Substring?) {
        guard rawPath.hasPrefix("/live/") else { return (rawPath, nil) }
        let rest = rawPath.utf8.dropFirst(6)
        guard let nameEnd = rest.firstIndex(of: UInt8(ascii: "/")) else { return (rawPath, nil) }
        let afterName = rawPath[rawPath.index(after: nameEnd)...]
        guard afterName.hasPrefix("\(marker)/") else { return (rawPath, nil) }
        let tokenAndRest = afterName.dropFirst(marker.count + 1)
        let tokenEnd = tokenAndRest.firstIndex(of: "/") ?? tokenAndRest.endIndex
        let token = tokenAndRest[..<tokenEnd]
        guard !token.isEmpty else { return (rawPath, nil) }
        // "/live/NAME/t/TOKEN" without a slash: the player page's redirect, as "/live/NAME".
        let remainder = tokenEnd == tokenAndRest.endIndex ? "" : String(tokenAndRest[tokenEnd...])
        let base = String(rawPath[..<nameEnd])
        return (base + remainder, token)
    }
}
