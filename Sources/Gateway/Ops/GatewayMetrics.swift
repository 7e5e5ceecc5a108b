import Ladder
import Metrics
import NIOConcurrencyHelpers
import Prometheus

/// The gateway's metrics, recorded through swift-metrics into one Prometheus registry that
/// `GET /metrics` renders (Prometheus text exposition format 0.0.4).
///
/// Every metric here is created with an explicit factory over `registry`, so recording works
/// whether or not the global `MetricsSystem` was bootstrapped; `bootstrapMetricsSystem()`
/// additionally routes third-party swift-metrics users into the same registry.
enum GatewayMetrics {
    /// Where frames were dropped (`gateway_dropped_frames_total{stream,stage}`).
    enum DropStage: String, Sendable, CaseIterable {
        /// The bounded ingest queue overflowed (dropped to the next IDR).
        case ingest
        /// A malformed media message refused at ingest (NAL lengths overrunning the tag, no config).
        case malformed
        /// Audio of a codec the gateway does not ingest (Speex, Nellymoser, G.711...).
        case unsupported
        case decode
        case scale
        case encode
        case package
    }

    enum Name {
        static let ingestBytes = "gateway_ingest_bytes_total"
        static let publishRefusals = "gateway_publish_refusals_total"
        static let publishes = "gateway_publishes_total"
        static let encoderLag = "gateway_encoder_lag_seconds"
        static let droppedFrames = "gateway_dropped_frames_total"
        static let httpRequests = "gateway_http_requests_total"
        static let segmentLatency = "gateway_segment_latency_seconds"
        static let adminLogins = "gateway_admin_logins_total"
        static let playHook = "gateway_play_hook_answers_total"
        static let edgeLogLines = "gateway_usage_edge_log_lines_total"
        static let httpBytes = "gateway_http_bytes_total"
        static let viewers = "gateway_viewers"
        static let recordingSegments = "gateway_recording_segments_total"
        static let recordingBytes = "gateway_recording_bytes_total"
        static let recordingDropped = "gateway_recording_dropped_segments_total"
        static let recordingFailures = "gateway_recording_write_failures_total"
        static let recordingsDeleted = "gateway_recordings_deleted_total"
        static let vodBytes = "gateway_vod_bytes_total"
        static let adminRefusals = "gateway_admin_refusals_total"
        static let slateSeconds = "gateway_slate_seconds_total"
    }

    static let registry = PrometheusCollectorRegistry()

    static let factory: PrometheusMetricsFactory = {
        var factory = PrometheusMetricsFactory(registry: registry)
        // From a frame's arrival to its segment being published: about one segment (2-6 s).
        factory.durationHistogramBuckets[Name.segmentLatency] = [
            .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(1500), .seconds(2),
            .seconds(3), .seconds(4), .seconds(6), .seconds(8), .seconds(12), .seconds(20),
        ]
        return factory
    }()

    /// Runs `MetricsSystem.bootstrap` with `factory` exactly once per process (it may only run once).
    static func bootstrapMetricsSystem() {
        _ = bootstrapOnce
    }

    private static let bootstrapOnce: Void = {
        MetricsSystem.bootstrap(factory)
    }()

    // MARK: Ingest (RTMP)

    /// `gateway_ingest_bytes_total{stream}`, for a session to keep: looking a labelled counter up
    /// in the registry on every media message cost about 5 % of the ingest CPU.
    static func ingestBytesCounter(stream: String) -> Metrics.Counter {
        Counter(label: Name.ingestBytes, dimensions: [("stream", stream)], factory: factory)
    }

    static func publishStarted() {
        Counter(label: Name.publishes, factory: factory).increment()
    }

    /// `gateway_publish_refusals_total{reason}`; the reasons are `PublishRefusal`'s raw values.
    static func publishRefused(reason: PublishRefusal) {
        Counter(label: Name.publishRefusals, dimensions: [("reason", reason.rawValue)], factory: factory).increment()
    }

    // MARK: Pipeline

    /// How far a rendition's encoder is behind the newest ingested frame.
    static func encoderLag(stream: String, rendition: String, seconds: Double) {
        Gauge(label: Name.encoderLag, dimensions: [("stream", stream), ("rendition", rendition)], factory: factory)
            .record(seconds)
    }

    static func droppedFrames(stream: String, stage: DropStage, count: Int = 1) {
        guard count > 0 else { return }
        Counter(
            label: Name.droppedFrames, dimensions: [("stream", stream), ("stage", stage.rawValue)], factory: factory
        )
        .increment(by: count)
    }

    /// Time from a segment's first frame arriving to the segment being available.
    static func segmentLatency(_ latency: Duration) {
        Timer(label: Name.segmentLatency, factory: factory).recordNanoseconds(nanoseconds(latency))
    }

    // MARK: HTTP origin

    /// Counters of the statuses the origin answers with, made once: looking a counter up in the
    /// registry (name validation, lock, label match) on every request was a visible part of a
    /// playlist request's CPU.
    private static let statusCounters: [Int: Metrics.Counter] = Dictionary(
        uniqueKeysWithValues: [200, 204, 206, 301, 304, 400, 404, 405, 414, 416, 500, 503].map { status in
            (status, Counter(label: Name.httpRequests, dimensions: [("status", String(status))], factory: factory))
        })
    private static let byteCounters = NIOLockedValueBox<[String: Metrics.Counter]>([:])

    static func httpRequest(status: Int) {
        (statusCounters[status]
            ?? Counter(label: Name.httpRequests, dimensions: [("status", String(status))], factory: factory))
            .increment()
    }

    static func httpBytes(stream: String, count: Int) {
        guard count > 0 else { return }
        let counter = byteCounters.withLockedValue { counters in
            if let counter = counters[stream] { return counter }
            let counter = Counter(label: Name.httpBytes, dimensions: [("stream", stream)], factory: factory)
            counters[stream] = counter
            return counter
        }
        counter.increment(by: count)
    }

    /// Drops the per-stream cache entries of a stream the gateway freed (the exported series stay).
    static func forget(stream: String) {
        _ = byteCounters.withLockedValue { $0.removeValue(forKey: stream) }
    }

    static func viewers(stream: String, count: Int) {
        Gauge(label: Name.viewers, dimensions: [("stream", stream)], factory: factory).record(count)
    }

    // MARK: Recordings

    private static let recordingReported = NIOLockedValueBox(RecordingCounters())

    /// Brings the recording counters up to the library's (called before each render).
    static func recording(_ current: RecordingCounters) {
        let last = recordingReported.withLockedValue { last -> RecordingCounters in
            defer { last = current }
            return last
        }
        let pairs = [
            (Name.recordingSegments, current.segmentsWritten - last.segmentsWritten),
            (Name.recordingBytes, current.bytesWritten - last.bytesWritten),
            (Name.recordingDropped, current.segmentsDropped - last.segmentsDropped),
            (Name.recordingFailures, current.writeFailures - last.writeFailures),
            (Name.recordingsDeleted, current.deleted - last.deleted),
        ]
        for (name, delta) in pairs {
            // Created even at 0, so the series exist from the first scrape.
            Counter(label: name, factory: factory).increment(by: max(0, delta))
        }
    }

    static func vodBytes(count: Int) {
        Counter(label: Name.vodBytes, factory: factory).increment(by: count)
    }

    /// Media seconds a slate produced while a vanished publisher might come back.
    static func slate(stream: String, seconds: Double) {
        guard seconds > 0 else { return }
        FloatingPointCounter(label: Name.slateSeconds, dimensions: [("stream", stream)], factory: factory)
            .increment(by: seconds)
    }

    static func adminRefused() {
        Counter(label: Name.adminRefusals, factory: factory).increment()
    }

    /// Edge usage log lines by outcome: recorded, ignored, malformed, refused.
    static func edgeLogLine(outcome: String) {
        Counter(label: Name.edgeLogLines, dimensions: [("outcome", outcome)], factory: factory).increment()
    }

    /// `on_play` answers by outcome: allow, deny, unavailable.
    static func playHook(outcome: String) {
        Counter(label: Name.playHook, dimensions: [("outcome", outcome)], factory: factory).increment()
    }

    /// Dashboard logins by outcome: succeeded, failed, throttled.
    static func adminLogin(outcome: String) {
        Counter(label: Name.adminLogins, dimensions: [("outcome", outcome)], factory: factory).increment()
    }

    /// The registry in Prometheus text format.
    static func render() -> String {
        registry.emitToString()
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (wholeNanos, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? 0 : Int64.max }
        return max(0, wholeNanos &+ attoseconds / 1_000_000_000)
    }
}
