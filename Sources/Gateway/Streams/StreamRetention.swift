import Logging
import ServiceLifecycle

/// Frees ended streams: once a stream has been ended for `ended_stream_seconds` it leaves the
/// registry, its packager and its files are dropped from memory, and its disk mirror copy is
/// removed. Until then it stays listed and playable (EXT-X-ENDLIST, static MPD).
struct StreamRetention: Service {
    let retention: Duration
    let registry: StreamRegistry
    let pipelines: LadderPipelineFactory
    let logger: Logger
    /// Also forgets what other parts keep per stream (the origin's audience counters).
    var onFreed: @Sendable (String) -> Void = { _ in }

    /// How often ended streams are checked: a tenth of the retention, between 0.2 and 5 s.
    var sweepInterval: Duration {
        min(max(retention / 10, .milliseconds(200)), .seconds(5))
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: sweepInterval)
                sweep(now: .now)
            }
        }
    }

    /// Retires every stream ended at least `retention` before `now`; returns their names.
    @discardableResult
    func sweep(now: ContinuousClock.Instant) -> [String] {
        let cutoff = now - retention
        var freed: [String] = []
        for stream in registry.allStreams where !stream.isLive {
            guard let endedAt = stream.endedAt, endedAt <= cutoff else { continue }
            // The packager first: it refuses while a publish is attached (one is starting, or
            // the last one still flushes), and then the stream waits for the next sweep.
            guard pipelines.retire(stream: stream.name) || pipelines.packager(for: stream.name) == nil else {
                continue
            }
            if registry.removeEnded(name: stream.name, endedBefore: cutoff) {
                freed.append(stream.name)
                onFreed(stream.name)
                logger.info(
                    "ended stream freed",
                    metadata: ["stream": "\(stream.name)", "ended_stream_seconds": "\(retention.components.seconds)"])
            }
        }
        return freed
    }
}
