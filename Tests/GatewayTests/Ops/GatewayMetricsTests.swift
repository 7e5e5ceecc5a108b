import Ladder
import Metrics
import RTMPTestSupport
import RTMPWire
import Testing

@testable import Gateway

@Suite struct GatewayMetricsTests {
    @Test func recordsEveryMetricUnderItsName() {
        let stream = "metrics-test-\(UInt32.random(in: 0...UInt32.max))"
        let ingest = GatewayMetrics.ingestBytesCounter(stream: stream)
        ingest.increment(by: 1500)
        ingest.increment(by: 500)
        GatewayMetrics.publishStarted()
        GatewayMetrics.publishRefused(reason: .wrongKey)
        GatewayMetrics.encoderLag(stream: stream, rendition: "480p", seconds: 1.5)
        GatewayMetrics.droppedFrames(stream: stream, stage: .encode, count: 4)
        GatewayMetrics.segmentLatency(.seconds(3))
        GatewayMetrics.httpRequest(status: 418)
        GatewayMetrics.httpBytes(stream: stream, count: 42)
        GatewayMetrics.viewers(stream: stream, count: 7)

        let lines = GatewayMetrics.render().split(separator: "\n").map(String.init)
        #expect(lines.contains("gateway_ingest_bytes_total{stream=\"\(stream)\"} 2000"))
        #expect(lines.contains { $0.hasPrefix("gateway_publishes_total ") })
        #expect(lines.contains { $0.hasPrefix("gateway_publish_refusals_total{reason=\"wrong_key\"} ") })
        #expect(lines.contains("gateway_encoder_lag_seconds{stream=\"\(stream)\",rendition=\"480p\"} 1.5"))
        #expect(lines.contains("gateway_dropped_frames_total{stream=\"\(stream)\",stage=\"encode\"} 4"))
        #expect(lines.contains { $0.hasPrefix("gateway_segment_latency_seconds_bucket{le=\"4") })
        #expect(lines.contains { $0.hasPrefix("gateway_segment_latency_seconds_count ") })
        #expect(lines.contains { $0.hasPrefix("gateway_http_requests_total{status=\"418\"} ") })
        #expect(lines.contains("gateway_http_bytes_total{stream=\"\(stream)\"} 42"))
        #expect(lines.contains("gateway_viewers{stream=\"\(stream)\"} 7.0"))
    }

    @Test func bootstrapIsIdempotentAndFeedsTheSameRegistry() {
        GatewayMetrics.bootstrapMetricsSystem()
        GatewayMetrics.bootstrapMetricsSystem()
        Counter(label: "gateway_test_global_total").increment(by: 3)
        #expect(GatewayMetrics.render().contains("gateway_test_global_total 3"))
    }
}
