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
    /// The secrets; `reload` replaces them (SIGHUP) for every copy of this value.
    var keys: PlaybackKeys { state.withLockedValue { $0.keys } }
    let requiresToken: @Sendable (String) -> Bool
    /// The viewer's address from X-Forwarded-For (behind trusted edges), else the peer's.
    let trustForwardedFor: Bool
    let logger: Logger
    private let logLimits = NIOLockedValueBox<[TokenRefusal: LogRateLimiter]>([:])
    /// The secrets, and the tokens already authenticated with them (signature checked), so a
    /// player's every request pays a dictionary lookup and the cheap claim checks, not base64,
    /// JSON and HMAC again. Only genuine tokens enter, at most `cacheLimit` (then it starts
    /// afresh), and only while the secrets they were checked with are still the current ones.
    private struct State {
        var keys: PlaybackKeys
        var generation = 0
        var authenticated: [Substring: PlaybackClaims] = [:]
    }

    private let state: NIOLockedValueBox<State>
    static let cacheLimit = 8192

    init(
        keys: PlaybackKeys, requiresToken: @escaping @Sendable (String) -> Bool, trustForwardedFor: Bool,
        logger: Logger
    ) {
        self.state = NIOLockedValueBox(State(keys: keys))
        self.requiresToken = requiresToken
        self.trustForwardedFor = trustForwardedFor
        self.logger = logger
    }

    /// New secrets (a rotation): tokens of a removed key stop working at once, as the cache of
    /// authenticated tokens starts afresh.
    func reload(_ keys: PlaybackKeys) {
        state.withLockedValue { state in
            state.keys = keys
            state.generation += 1
            state.authenticated.removeAll()
        }
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
        let (known, keys, generation) = state.withLockedValue { ($0.authenticated[token], $0.keys, $0.generation) }
        if let known {
            claims = known
        } else {
            switch PlaybackToken.authenticate(token, keys: keys) {
            case .failure(let refusal): return refusal
            case .success(let genuine): claims = genuine
            }
            state.withLockedValue { state in
                guard state.generation == generation else { return }  // reloaded meanwhile
                if state.authenticated.count >= Self.cacheLimit { state.authenticated.removeAll(keepingCapacity: true) }
                state.authenticated[Substring(String(token))] = claims  // its own storage, not the request's
            }
        }
        return PlaybackToken.authorize(
            claims, stream: stream, client: client(peer: peer, forwardedFor: forwardedFor),
            now: Int64(now.timeIntervalSince1970))
    }

    /// The claims of a token `refusal` let through: from the cache (a dictionary lookup), else
    /// decoded again. For the viewer ID of a session (on_play), never an authorization.
    func verifiedClaims(_ token: Substring) -> PlaybackClaims? {
        state.withLockedValue { $0.authenticated[token] } ?? PlaybackToken.claimsOfVerified(token)
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

/// `/live/NAME/t/TOKEN/REST` is `/live/NAME/REST` with a token, and `/vod/NAME/ID/t/TOKEN/REST`
/// is `/vod/NAME/ID/REST` with one (a recording of a protected stream). A pure function over the
/// raw path: the route is then parsed as without a token, so both forms serve the same files.
enum PlaybackTokenPath {
    static let marker = "t"

    /// The path without the token segment, and the token (nil when there is none).
    static func split(_ rawPath: String) -> (path: String, token: Substring?) {
        let named: Int
        if rawPath.hasPrefix("/live/") {
            named = 1
        } else if rawPath.hasPrefix("/vod/") {
            named = 2
        } else {
            return (rawPath, nil)
        }
        // The end of NAME (and ID): the slash before the token marker.
        var nameEnd = rawPath.utf8.index(after: rawPath.utf8.startIndex)
        for _ in 0...named {
            guard let slash = rawPath.utf8[rawPath.utf8.index(after: nameEnd)...].firstIndex(of: UInt8(ascii: "/"))
            else { return (rawPath, nil) }
            nameEnd = slash
        }
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
