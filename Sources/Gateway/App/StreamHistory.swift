import Foundation
import NIOConcurrencyHelpers
import ServiceLifecycle

/// The last ten minutes of every stream's figures, sampled from `/api/streams` every few
/// seconds, for the dashboard's charts (`GET /api/history`). Bounded: `capacity` samples per
/// stream, and a stream not seen for a window is forgotten.
struct HistoryRing: Sendable, Equatable {
    struct RenditionSample: Codable, Sendable, Equatable {
        var bitrate: Int?
        var encoderSpeed: Double?
        var viewers: Int?
    }

    struct Sample: Codable, Sendable, Equatable {
        /// Milliseconds since 1970.
        var t: Int64
        var inputBitrate: Int?
        var viewers: Int
        var latencySeconds: Double?
        /// Cumulative for the stream's current publish.
        var ingestDrops: Int
        var renditions: [String: RenditionSample]
    }

    struct Body: Codable, Sendable, Equatable {
        var intervalSeconds: Int
        var windowSeconds: Int
        var streams: [String: [Sample]]
    }

    let intervalSeconds: Int
    let windowSeconds: Int
    private(set) var streams: [String: [Sample]] = [:]

    init(intervalSeconds: Int = 5, windowSeconds: Int = 600) {
        self.intervalSeconds = intervalSeconds
        self.windowSeconds = windowSeconds
    }

    var capacity: Int { max(1, windowSeconds / max(1, intervalSeconds)) }

    mutating func record(_ statuses: [StreamStatus], atMilliseconds now: Int64) {
        for status in statuses {
            let sample = Sample(
                t: now, inputBitrate: status.input.bitrate, viewers: status.viewers,
                latencySeconds: status.latencySeconds.map { ($0 * 1000).rounded() / 1000 },
                ingestDrops: status.ingestDrops,
                renditions: Dictionary(
                    status.renditions.map {
                        (
                            $0.name,
                            RenditionSample(
                                bitrate: $0.measuredBitrate,
                                encoderSpeed: $0.encoderSpeed.map { ($0 * 100).rounded() / 100 },
                                viewers: $0.viewers)
                        )
                    }, uniquingKeysWith: { first, _ in first }))
            var samples = streams[status.name, default: []]
            if samples.count >= capacity { samples.removeFirst(samples.count - capacity + 1) }
            samples.append(sample)
            streams[status.name] = samples
        }
        // Forget streams gone from the status for a whole window.
        let oldest = now - Int64(windowSeconds) * 1000
        streams = streams.filter { ($0.value.last?.t ?? 0) >= oldest }
    }

    var body: Body { Body(intervalSeconds: intervalSeconds, windowSeconds: windowSeconds, streams: streams) }
}

/// The ring behind a lock, shared by the origins and the sampler.
final class StreamHistory: Sendable {
    private let ring: NIOLockedValueBox<HistoryRing>
    let interval: Duration

    init(ring: HistoryRing = HistoryRing()) {
        self.ring = NIOLockedValueBox(ring)
        self.interval = .seconds(ring.intervalSeconds)
    }

    func record(_ statuses: [StreamStatus], at date: Date = Date()) {
        let now = Int64(date.timeIntervalSince1970 * 1000)
        ring.withLockedValue { $0.record(statuses, atMilliseconds: now) }
    }

    var body: HistoryRing.Body { ring.withLockedValue { $0.body } }
}

/// Samples the origin's `/api/streams` into the history every interval, until shutdown.
struct HistorySampler: Service {
    let history: StreamHistory
    let statuses: @Sendable () -> [StreamStatus]

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            history.record(statuses())
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: history.interval) }
            } catch {
                return
            }
        }
    }
}
