import Foundation
import GatewayAccess
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /api/tokens` `{"stream", "ttl_seconds", "ip", "viewer", "not_before_seconds"}`: a
/// signed playback URL for an operator's backend, as `gateway sign` prints. Admin only
/// (`Authorization: Bearer` of `admin.token`; without one, loopback clients only).
extension OriginResponder {
    /// 403 for a GET or HEAD of a protected stream without a valid token (`PlaybackAccess`).
    func refusal(_ route: OriginRoute, token: Substring?, _ request: Request, _ context: Context) -> Response? {
        let forwardedFor = request.headers[.init("X-Forwarded-For")!]
        guard let access, request.method == .get || request.method == .head, let stream = route.liveStream,
            let refusal = access.refusal(
                stream: stream, token: token, peer: context.peerAddress, forwardedFor: forwardedFor)
        else { return nil }
        access.refused(
            refusal, stream: stream, peer: access.client(peer: context.peerAddress, forwardedFor: forwardedFor))
        return Self.playbackRefusal(refusal)
    }

    /// The `on_play` hook's answer for a GET or HEAD of a stream's content (not its thumbnail,
    /// not a cluster hop: the first node asked): nil when allowed.
    func playHookRefusal(
        _ route: OriginRoute, _ token: Substring?, _ request: Request, _ context: Context
    ) async
        -> Response?
    {
        guard let playHook, request.method == .get || request.method == .head, let stream = route.liveStream,
            route != .streamFile(stream: stream, path: Self.thumbnailName),
            request.headers[ClusterProxy.hopHeader] == nil
        else { return nil }
        let forwardedFor = request.headers[.init("X-Forwarded-For")!]
        let userAgent = request.headers[.userAgent]
        let key = playSession(
            stream: stream, token: token, peer: context.peerAddress, forwardedFor: forwardedFor, userAgent: userAgent)
        let decision = await playHook.decide(
            key,
            request: PlayHook.Request(
                stream: stream, clientIP: viewerAddress(peer: context.peerAddress, forwardedFor: forwardedFor),
                userAgent: userAgent.map { String($0.prefix(512)) },
                viewer: token.flatMap { verifiedViewer($0, stream: stream) }))
        switch decision {
        case .allow:
            return nil
        case .deny:
            GatewayMetrics.playbackRefused(reason: "hook_denied")
            var response = Self.text(.forbidden, "forbidden: hook_denied\n", cacheControl: Self.noStore)
            response.headers[.init("X-Playback-Refusal")!] = "hook_denied"
            return response
        case .unavailable:
            GatewayMetrics.playbackRefused(reason: "hook_unavailable")
            var response = Self.text(
                .serviceUnavailable, "viewer check unavailable, try again\n", cacheControl: Self.noStore)
            response.headers[.init("X-Playback-Refusal")!] = "hook_unavailable"
            response.headers[.retryAfter] = "2"
            return response
        }
    }

    /// One viewer session for the hook: the token's viewer ID, else address and User-Agent
    /// (the usage reports' grouping).
    func playSession(
        stream: String, token: Substring?, peer: String?, forwardedFor: String?, userAgent: String?
    ) -> PlayHook.Key {
        if let viewer = token.flatMap({ verifiedViewer($0, stream: stream) }) {
            return PlayHook.Key(stream: stream, session: "viewer:" + viewer)
        }
        let address = viewerAddress(peer: peer, forwardedFor: forwardedFor)
        return PlayHook.Key(stream: stream, session: ViewerTracker.clientKey(address: address, userAgent: userAgent))
    }

    /// The viewer ID of a token already checked: only a protected stream's token was (any
    /// other is not trusted: nil).
    func verifiedViewer(_ token: Substring, stream: String) -> String? {
        guard let access, access.requiresToken(stream) else { return nil }
        return access.verifiedClaims(token)?.viewer
    }

    /// The viewer's address: the first X-Forwarded-For behind trusted edges, else the peer.
    func viewerAddress(peer: String?, forwardedFor: String?) -> String? {
        settings.trustForwardedFor ? PlaybackAccess.firstAddress(forwardedFor) ?? peer : peer
    }

    /// A short reason code in the body and in `X-Playback-Refusal` (an edge's auth_request sees
    /// only headers), never the token or a secret; no cache may keep it.
    static func playbackRefusal(_ refusal: TokenRefusal) -> Response {
        var response = text(.forbidden, "forbidden: \(refusal.rawValue)\n", cacheControl: noStore)
        response.headers[.init("X-Playback-Refusal")!] = refusal.rawValue
        return response
    }

    static let maxTokenRequestBytes = 4096

    func answerTokens(_ request: Request, context: Context) async -> Response {
        if let refused = Self.postOnly(request) ?? adminForbidden(request, context) { return refused }
        guard let access else {
            return Self.json(.notFound, APIError(error: "playback tokens are not configured (no playback section)"))
        }
        guard let body = try? await request.body.collect(upTo: Self.maxTokenRequestBytes) else {
            return Self.json(.contentTooLarge, APIError(error: "body over \(Self.maxTokenRequestBytes) bytes"))
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard let wanted = try? decoder.decode(PlaybackSigner.Request.self, from: Data(body.readableBytesView)) else {
            return Self.json(
                .badRequest,
                APIError(error: "expected JSON {\"stream\": NAME, \"ttl_seconds\": N, \"ip\": PREFIX, \"viewer\": ID}"))
        }
        switch PlaybackSigner(keys: access.keys).sign(wanted) {
        case .success(let answer): return Self.json(.ok, answer)
        case .failure(let error): return Self.json(.badRequest, APIError(error: error.description))
        }
    }
}

/// `GET /api/playback-check?stream=NAME&token=TOKEN`: whether the token grants the stream to
/// the client (X-Forwarded-For with `playback.trust_forwarded_for`). An nginx edge asks it with
/// `auth_request` before answering from its cache, which keys objects without the token
/// (`deploy/nginx/edge.conf`): one cached copy for every viewer, every viewer checked.
extension OriginResponder {
    func checkPlayback(_ request: Request, context: Context) -> Response {
        let stream = request.uri.queryParameters["stream"].map(String.init) ?? ""
        guard let access, OriginRoute.isValidStreamName(stream) else {
            return Self.text(.badRequest, "expected ?stream=NAME&token=TOKEN\n", cacheControl: Self.noStore)
        }
        let token = request.uri.queryParameters["token"].map { Substring($0) }
        let forwardedFor = request.headers[.init("X-Forwarded-For")!]
        if let refusal = access.refusal(
            stream: stream, token: token, peer: context.peerAddress, forwardedFor: forwardedFor)
        {
            access.refused(
                refusal, stream: stream, peer: access.client(peer: context.peerAddress, forwardedFor: forwardedFor))
            return Self.playbackRefusal(refusal)
        }
        var response = Response(status: .noContent)
        response.headers[.cacheControl] = Self.noStore
        return response
    }
}

/// What `POST /api/streams/NAME/disconnect|end` does to the gateway's streams.
protocol StreamControl: Sendable {
    /// Closes the publisher's connection; false when the stream has none.
    func disconnectPublisher(of stream: String, reason: String) -> Bool
    /// Ends the stream now (ENDLIST); false when it is not live.
    func end(stream: String, reason: String) -> Bool
}

extension OriginResponder {
    func answerStreamAction(
        _ stream: String, _ action: OriginRoute.StreamAction, request: Request, context: Context
    ) -> Response {
        if let refused = Self.postOnly(request) ?? adminForbidden(request, context) { return refused }
        let reason = "\(action.rawValue) by an admin (\(context.peerAddress ?? "unknown"))"
        let done: Bool
        switch action {
        case .disconnect: done = control?.disconnectPublisher(of: stream, reason: reason) ?? false
        case .end: done = control?.end(stream: stream, reason: reason) ?? false
        }
        guard done else { return Self.json(.notFound, APIError(error: "stream not live", stream: stream)) }
        var response = Response(status: .noContent)
        response.headers[.cacheControl] = Self.noStore
        return response
    }
}

extension OriginResponder {
    /// base64url and ".": what a token is made of (`PlaybackToken`).
    static func isTokenByte(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
    }

    /// 403 (counted) when `request` is not an admin's; nil when it is.
    func adminForbidden(_ request: Request, _ context: Context) -> Response? {
        guard let refusal = adminRefusal(request, context) else { return nil }
        GatewayMetrics.adminRefused()
        return Self.json(.forbidden, APIError(error: refusal))
    }

    /// 405 for anything but POST (the admin actions).
    static func postOnly(_ request: Request) -> Response? {
        guard request.method != .post else { return nil }
        var response = text(.methodNotAllowed, "use POST\n", cacheControl: noStore)
        response.headers[.allow] = "POST, OPTIONS"
        return response
    }

    /// Why `request` is not an admin's (nil: it is).
    func adminRefusal(_ request: Request, _ context: Context) -> String? {
        settings.admin.refusal(
            AdminAuth.Credentials(
                authorization: request.headers[.authorization], cookie: request.headers[.cookie],
                isWrite: request.method == .post || request.method == .delete,
                hasCSRFHeader: request.headers[Self.csrfHeader] != nil, peer: context.peerAddress,
                relayed: Self.isRelayed(request)))
    }

    static let csrfHeader = HTTPField.Name(AdminAuth.csrfHeader)!

    /// Came through a proxy: an edge or another cluster node.
    static func isRelayed(_ request: Request) -> Bool {
        request.headers[.init("X-Forwarded-For")!] != nil || request.headers[ClusterProxy.hopHeader] != nil
    }

    /// Admin routes answer without CORS headers: a web page must not read them from a browser
    /// that can reach the gateway (a token, a usage report).
    static func isAdminRoute(_ route: OriginRoute) -> Bool {
        switch route {
        case .tokens, .usage, .streamAction, .recording, .adminPage, .adminLogin, .adminLogout: return true
        default: return false
        }
    }
}
