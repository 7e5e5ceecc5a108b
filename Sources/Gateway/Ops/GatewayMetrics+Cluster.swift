import GatewayCluster
import Metrics
import NIOConcurrencyHelpers

/// Per-object request counts (what an edge tier saves the origin) and the cluster's state.
extension GatewayMetrics.Name {
    static let streamRequests = "gateway_stream_requests_total"
    static let clusterProxied = "gateway_cluster_proxied_requests_total"
    static let clusterEtcdUp = "gateway_cluster_etcd_up"
    static let clusterEtcdFailures = "gateway_cluster_etcd_failures_total"
    static let clusterTakeovers = "gateway_cluster_takeovers_total"
    static let clusterLost = "gateway_cluster_streams_lost_total"
    static let clusterClaims = "gateway_cluster_streams"
}

/// What a request under /live/NAME/ asks for, by its file name (the names the packager gives,
/// `PackagerConfig.Naming`): the `kind` label of `gateway_stream_requests_total`.
enum StreamRequestKind: String, Sendable, CaseIterable {
    case playlist
    /// An LL-HLS blocking reload (`_HLS_msn`, RFC 8216bis 6.2.5.2).
    case blockingReload = "blocking_reload"
    case manifest
    case initSegment = "init"
    case segment
    case part
    case other

    static func of(path: String, query: String?) -> StreamRequestKind {
        let file = path.split(separator: "/").last ?? ""
        if file.hasSuffix(".m3u8") {
            return query?.contains("_HLS_msn=") == true ? .blockingReload : .playlist
        }
        if file.hasSuffix(".mpd") { return .manifest }
        if file.hasPrefix("init") { return .initSegment }
        if file.hasSuffix(".m4s") { return file.contains(".part") || file.hasPrefix("part") ? .part : .segment }
        return .other
    }
}

extension GatewayMetrics {
    /// Per stream, one counter per kind (in `StreamRequestKind.allCases` order): the hot path
    /// pays one dictionary lookup, no label matching.
    private static let requestCounters = NIOLockedValueBox<[String: [Metrics.Counter]]>([:])
    private static let kindIndex = Dictionary(
        uniqueKeysWithValues: StreamRequestKind.allCases.enumerated().map { ($1, $0) })

    /// `gateway_stream_requests_total{stream,kind}`: requests this node answered for a stream's
    /// files from its own store (both origin paths), proxied ones counted on the owner.
    static func streamRequest(stream: String, kind: StreamRequestKind) {
        let counters = requestCounters.withLockedValue { all in
            if let counters = all[stream] { return counters }
            let counters = StreamRequestKind.allCases.map { kind in
                Counter(
                    label: Name.streamRequests, dimensions: [("stream", stream), ("kind", kind.rawValue)],
                    factory: factory)
            }
            all[stream] = counters
            return counters
        }
        counters[kindIndex[kind] ?? 0].increment()
    }

    static func forgetRequests(stream: String) {
        _ = requestCounters.withLockedValue { $0.removeValue(forKey: stream) }
    }

    static func clusterProxied(outcome: String) {
        Counter(label: Name.clusterProxied, dimensions: [("outcome", outcome)], factory: factory).increment()
    }

    private static let clusterReported = NIOLockedValueBox(ClusterStats())

    /// Brings the cluster series up to the node's counters (called before each render).
    static func cluster(_ current: ClusterStats) {
        let last = clusterReported.withLockedValue { last -> ClusterStats in
            defer { last = current }
            return last
        }
        Gauge(label: Name.clusterEtcdUp, factory: factory).record(current.connected ? 1 : 0)
        Gauge(label: Name.clusterClaims, factory: factory).record(current.claims)
        Counter(label: Name.clusterEtcdFailures, factory: factory).increment(
            by: max(0, current.failures - last.failures))
        Counter(label: Name.clusterTakeovers, factory: factory).increment(
            by: max(0, current.takeovers - last.takeovers))
        Counter(label: Name.clusterLost, factory: factory).increment(by: max(0, current.lost - last.lost))
    }
}

extension GatewayMetrics.Name {
    static let playbackRefusals = "gateway_playback_refusals_total"
}

extension GatewayMetrics {
    /// `gateway_playback_refusals_total{reason}`: requests refused for a missing or bad token.
    static func playbackRefused(reason: String) {
        Counter(label: Name.playbackRefusals, dimensions: [("reason", reason)], factory: factory).increment()
    }
}

extension GatewayMetrics {
    fileprivate static let renditionSeries = NIOLockedValueBox<Set<String>>([])
}

extension GatewayMetrics.Name {
    static let viewersByRendition = "gateway_viewers_by_rendition"
}

extension GatewayMetrics {
    /// `gateway_viewers_by_rendition{stream,rendition}`: open viewer sessions by the rendition
    /// of their latest segment or part (from the usage tracker).
    static func viewersByRendition(_ counts: [String: [String: Int]]) {
        // A rendition nobody watches any more goes to 0 (its series stays until the stream is freed).
        let current = Set(counts.flatMap { stream, renditions in renditions.keys.map { "\(stream)/\($0)" } })
        let gone = renditionSeries.withLockedValue { series in
            defer { series = current }
            return series.subtracting(current)
        }
        for key in gone {
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            Gauge(
                label: Name.viewersByRendition, dimensions: [("stream", parts[0]), ("rendition", parts[1])],
                factory: factory
            )
            .record(0)
        }
        for (stream, renditions) in counts {
            for (rendition, viewers) in renditions {
                Gauge(
                    label: Name.viewersByRendition, dimensions: [("stream", stream), ("rendition", rendition)],
                    factory: factory
                ).record(viewers)
            }
        }
    }
}

extension GatewayMetrics.Name {
    static let usageWriteFailures = "gateway_usage_write_failures"
    static let usageRefusedSessions = "gateway_usage_untracked_session_requests"
}

extension GatewayMetrics {
    /// The usage recorder's failed SQLite writes and the requests of sessions past its bound
    /// (totals since start, as gauges: the recorder keeps the counts).
    static func usage(writeFailures: Int, refusedSessions: Int) {
        Gauge(label: Name.usageWriteFailures, factory: factory).record(writeFailures)
        Gauge(label: Name.usageRefusedSessions, factory: factory).record(refusedSessions)
    }
}
