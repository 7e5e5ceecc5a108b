import Metrics

/// Counters the RTMP side records (swift-metrics; exported by /metrics once bootstrapped).
enum GatewayEvents {
    static func publishRefused(reason: PublishRefusal) {
        Counter(label: "gateway_publish_refusals_total", dimensions: [("reason", reason.rawValue)]).increment()
    }

    static func publishStarted() {
        Counter(label: "gateway_publishes_total").increment()
    }

    static func ingestBytes(stream: String, count: Int) {
        Counter(label: "gateway_ingest_bytes_total", dimensions: [("stream", stream)]).increment(by: count)
    }
}
