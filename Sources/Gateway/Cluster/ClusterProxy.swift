import AsyncHTTPClient
import GatewayCluster
import HTTPTypes
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Answers a request for a stream another node owns by fetching it from that node's origin
/// (AsyncHTTPClient), so every node is an equal upstream for the edges.
///
/// Proxying rather than redirecting: players and edges see one URL space and one cache key per
/// object, and no node address leaks to viewers; a redirect would make every edge cache the
/// 302 and the owner's object under two keys. The proxied request carries `hopHeader`: a node
/// never proxies such a request again, so two nodes whose directories briefly disagree cannot
/// loop.
struct ClusterProxy: Sendable {
    static let hopHeader = HTTPField.Name("X-Ladder-Cluster-Hop")!
    /// Header fields passed from the owner's answer (RFC 9110 7.6.1: no hop-by-hop fields).
    static let passedFields: [HTTPField.Name] = [
        .contentType, .cacheControl, .eTag, .lastModified, .contentRange, .acceptRanges, .expires, .age,
    ]
    static let forwardedFields: [HTTPField.Name] = [.range, .ifNoneMatch, .ifModifiedSince, .userAgent]

    let node: ClusterNode
    let http: HTTPClient
    let logger: Logger
    private let failureLog = NIOLockedValueBox(LogRateLimiter())
    /// Longer than any blocking reload the owner may hold (3 target durations).
    var timeout: TimeAmount = .seconds(20)
    var maxBodyBytes = 64 << 20

    enum Decision: Equatable {
        case proxy(StreamOwnerRecord)
        /// Never the stale copy a node keeps of a stream that moved away: 503, no cache.
        case unavailable(String)
    }

    /// What to do with a request for a stream this node does not serve; nil: it answers itself.
    func decide(_ route: OriginRoute, request: Request) -> Decision? {
        guard let stream = route.liveStream else { return nil }
        switch node.routing(of: stream) {
        case .local:
            return nil
        case .movedAway:
            return .unavailable("stream moved to another node, which is not reachable yet")
        case .remote(let owner):
            // A proxied request is answered here or not at all (two directories that briefly
            // disagree must not bounce it back and forth).
            if request.headers[Self.hopHeader] != nil { return .unavailable("stream owner changing") }
            return .proxy(owner)
        }
    }

    func forward(_ request: Request, to owner: StreamOwnerRecord, peer: String?) async -> Response {
        let base = owner.advertise.hasSuffix("/") ? String(owner.advertise.dropLast()) : owner.advertise
        var outgoing = HTTPClientRequest(url: base + request.uri.string)
        outgoing.method = request.method == .head ? .HEAD : .GET
        for name in Self.forwardedFields {
            if let value = request.headers[name] { outgoing.headers.add(name: name.rawName, value: value) }
        }
        let forwardedFor = [request.headers[.init("X-Forwarded-For")!], peer].compactMap { $0 }.joined(separator: ", ")
        if !forwardedFor.isEmpty { outgoing.headers.add(name: "X-Forwarded-For", value: forwardedFor) }
        outgoing.headers.add(name: Self.hopHeader.rawName, value: node.settings.node)
        do {
            let answer = try await http.execute(outgoing, timeout: timeout)
            let body =
                request.method == .head ? ByteBuffer() : try await answer.body.collect(upTo: maxBodyBytes)
            var headers = HTTPFields()
            for name in Self.passedFields {
                if let value = answer.headers.first(name: name.rawName) { headers[name] = value }
            }
            if request.method == .head, let length = answer.headers.first(name: "Content-Length") {
                headers[.contentLength] = length
            }
            headers[.init("X-Ladder-Node")!] = owner.node
            GatewayMetrics.clusterProxied(outcome: "ok")
            return Response(
                status: .init(code: Int(answer.status.code)), headers: headers,
                body: ResponseBody(byteBuffer: body))
        } catch {
            // The owner is unreachable (it died; its lease has not expired yet): no cache may
            // keep this answer, and the edge tries another node.
            GatewayMetrics.clusterProxied(outcome: "error")
            return OriginResponder.text(
                .badGateway, "stream owner \(owner.node) unreachable: \(error)\n", cacheControl: OriginResponder.noStore
            )
        }
    }
}
