import Foundation
import GatewayAccess
import GatewayUsage
import Hummingbird

/// Who watches: the audience counters, the usage sessions, and `/api/streams` with them.
extension OriginResponder {
    /// `response` to a GET or HEAD of the stream's file, counted (`countDelivery`) when it is a
    /// GET answered 2xx.
    func counted(_ response: Response, stream: String, request: Request, context: Context) -> Response {
        if request.method == .get, (200..<300).contains(response.status.code) {
            countDelivery(
                stream: stream, target: request.uri.path, bytes: response.body.contentLength ?? 0,
                forwardedFor: request.headers.first { $0.name.canonicalName == "x-forwarded-for" }?.value,
                userAgent: request.headers[.userAgent], peerAddress: context.peerAddress)
        }
        return response
    }

    /// Counts a delivered GET for the stream's viewers and byte metrics (both origin paths).
    func countDelivery(
        stream: String, target: String, bytes: Int, forwardedFor: String?, userAgent: String?, peerAddress: String?
    ) {
        // A thumbnail is a preview (a stream list, the dashboard), not viewing; an edge that
        // logs its usage (`usage.edge_log`) counts its viewers itself: bytes only.
        if target.hasSuffix(Self.thumbnailSuffix)
            || (forwardedFor != nil
                && peerAddress.map { peer in
                    settings.edgeLogSources.contains { $0.contains(peer) }
                } ?? false)
        {
            GatewayMetrics.httpBytes(stream: stream, count: bytes)
            return
        }
        var address = peerAddress
        if settings.trustForwardedFor, let forwardedFor {
            let first = forwardedFor.split(separator: ",", maxSplits: 1).first?.trimmingCharacters(in: .whitespaces)
            if let first, !first.isEmpty { address = String(first.prefix(64)) }
        }
        viewers.record(
            stream: stream, client: ViewerTracker.clientKey(address: address, userAgent: userAgent), bytes: bytes,
            at: .now)
        GatewayMetrics.httpBytes(stream: stream, count: bytes)
        usage?.record(
            stream: stream, target: target, bytes: bytes, client: address, userAgent: userAgent,
            viaEdge: forwardedFor != nil)
    }

    /// A response an edge served (its `gateway_usage` log line): counted as the origin counts
    /// its own (viewers, usage), marked as through an edge. True when it was a stream file's 2xx.
    func countEdgeDelivery(_ record: EdgeLogRecord) -> Bool {
        guard (200..<300).contains(record.status), record.bytes > 0 else { return false }
        let withoutQuery = record.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? record.uri
        let (rawPath, _) = PlaybackTokenPath.split(withoutQuery)
        guard case .success(.streamFile(let stream, let path)) = OriginRoute.parse(rawPath: rawPath),
            path != Self.thumbnailName
        else { return false }
        viewers.record(
            stream: stream, client: ViewerTracker.clientKey(address: record.client, userAgent: record.userAgent),
            bytes: record.bytes, at: .now)
        usage?.record(
            stream: stream, target: withoutQuery, bytes: record.bytes, client: record.client,
            userAgent: record.userAgent, viaEdge: true)
        return true
    }

    func mergedStatuses() -> [StreamStatus] {
        let audiences = viewers.snapshot(at: .now)
        let byRendition = usage?.recorder.viewersByRendition() ?? [:]
        return statusSource.streams().map { status in
            var merged = status
            if let audience = audiences[status.name] {
                merged.viewers = audience.viewers
                merged.bytesServed = audience.bytesServed
            }
            if usage != nil {
                for index in merged.renditions.indices {
                    merged.renditions[index].viewers = byRendition[status.name]?[merged.renditions[index].name] ?? 0
                }
            }
            merged.protected = access?.requiresToken(status.name) ?? false
            return merged
        }
    }

    /// `GET /metrics`: the counters the origin keeps itself are brought up to date first.
    func metricsResponse() -> Response {
        if let library = recordings?.library { GatewayMetrics.recording(library.counters) }
        if let cluster { GatewayMetrics.cluster(cluster.node.stats) }
        if let usage {
            GatewayMetrics.viewersByRendition(usage.recorder.viewersByRendition())
            GatewayMetrics.usage(
                writeFailures: usage.recorder.writeFailures, refusedSessions: usage.recorder.refusedSessions)
        }
        for (stream, audience) in viewers.snapshot(at: .now) {
            GatewayMetrics.viewers(stream: stream, count: audience.viewers)
        }
        var response = Self.text(.ok, GatewayMetrics.render(), cacheControl: Self.noStore)
        response.headers[.contentType] = OriginContentType.prometheus
        return response
    }
}
