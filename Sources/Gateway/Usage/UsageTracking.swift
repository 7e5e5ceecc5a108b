import Foundation
import GatewayAccess
import GatewayUsage
import Ladder

/// The origin's side of usage reports: each delivered response of a stream's file becomes a
/// `ViewerRequest` (rendition from the path, viewer ID from the verified token, else the
/// client's address and User-Agent) for the `UsageRecorder`, which writes SQLite off the
/// request path. Requests an edge answered from its cache never reach the origin: with an edge
/// tier, these are the edge's fetches (`via_edge`), and viewers are counted at the edge.
struct UsageTracking: Sendable {
    let recorder: UsageRecorder
    /// Only a protected stream's token was verified: another stream's claims are not trusted.
    var requiresToken: @Sendable (String) -> Bool = { _ in false }
    /// A checked token's claims (`PlaybackAccess.verifiedClaims`: its cache, not a decode per request).
    var claims: @Sendable (Substring) -> PlaybackClaims? = { PlaybackToken.claimsOfVerified($0) }

    func record(stream: String, target: String, bytes: Int, client: String?, userAgent: String?, viaEdge: Bool) {
        let withoutQuery = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? target
        let (rawPath, token) = PlaybackTokenPath.split(withoutQuery)
        guard case .success(.streamFile(_, let path)) = OriginRoute.parse(rawPath: rawPath) else { return }
        let viewer = requiresToken(stream) ? token.flatMap { claims($0)?.viewer } : nil
        let kind = StreamRequestKind.of(path: path, query: nil)
        let rendition = path.contains("/") ? path.split(separator: "/").first.map(String.init) : nil
        recorder.record(
            ViewerRequest(
                stream: stream,
                sessionKey: viewer.map { "viewer:\($0)" }
                    ?? ViewerTracker.clientKey(address: client, userAgent: userAgent),
                viewer: viewer, client: client, userAgent: userAgent, viaEdge: viaEdge, rendition: rendition,
                isMedia: kind == .segment || kind == .part, bytes: bytes,
                atMs: TextFormatting.milliseconds(since1970: Date())))
    }
}
