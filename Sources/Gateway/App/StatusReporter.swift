import Foundation
import Logging
import ServiceLifecycle

/// Logs one progress line per live stream at a fixed interval (like ffmpeg's), and feeds the
/// pipeline counters into the metrics.
struct StatusReporter: Service {
    let status: GatewayStatus
    /// The HTTP side's audience counts (viewers, bytes served), merged into each line.
    let viewers: ViewerTracker
    let interval: Duration
    let logger: Logger

    func run() async throws {
        var reported: [String: (ingest: Int, late: Int, rungs: Int)] = [:]
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
            let audiences = viewers.snapshot(at: .now)
            for var stream in status.streams() where stream.state == .live {
                if let audience = audiences[stream.name] {
                    stream.viewers = audience.viewers
                    stream.bytesServed = audience.bytesServed
                }
                logger.info("\(Self.progressLine(stream))", metadata: ["stream": "\(stream.name)"])
                let rungDrops = stream.renditions.reduce(0) { $0 + $1.droppedFrames }
                let previous = reported[stream.name] ?? (0, 0, 0)
                let newIngest = stream.ingestDrops - previous.ingest
                if newIngest > 0 {
                    GatewayMetrics.droppedFrames(stream: stream.name, stage: .ingest, count: newIngest)
                    logger.warning(
                        "\(Self.dropLine(newIngest, late: stream.ingestDropsLate - previous.late))",
                        metadata: ["stream": "\(stream.name)"])
                }
                GatewayMetrics.droppedFrames(stream: stream.name, stage: .encode, count: rungDrops - previous.rungs)
                reported[stream.name] = (stream.ingestDrops, stream.ingestDropsLate, rungDrops)
                for rendition in stream.renditions {
                    if let speed = rendition.encoderSpeed, speed > 0 {
                        // Seconds of lag accumulated per interval when slower than real time.
                        let lag = max(0, 1 / speed - 1) * Double(interval.components.seconds)
                        GatewayMetrics.encoderLag(stream: stream.name, rendition: rendition.name, seconds: lag)
                    }
                }
            }
        }
    }

    /// Why frames were dropped at ingest since the last line.
    static func dropLine(_ count: Int, late: Int) -> String {
        var reasons: [String] = []
        if late > 0 { reasons.append("\(late) video waited longer than the ingest latency bound") }
        if count - late > 0 { reasons.append("\(count - late) arrived while the ingest queue was full") }
        return "dropped \(count) frames at ingest to the next keyframe (\(reasons.joined(separator: "; "))): "
            + "the ladder encodes slower than real time"
    }

    /// e.g. `live 62s in=h264 1280x720@30.0 3.1Mb/s | 720p 2.8Mb/s 30.0fps 1.9x | 480p ... | segs=30 drops=0 errors=0 viewers=2`
    static func progressLine(_ stream: StreamStatus) -> String {
        func rate(_ bps: Int?) -> String {
            guard let bps else { return "-" }
            return bps >= 1_000_000 ? String(format: "%.1fMb/s", Double(bps) / 1e6) : "\(bps / 1000)kb/s"
        }
        var parts = [String(format: "live %.0fs", stream.uptimeSeconds)]
        let input = stream.input
        parts.append(
            "in=\(input.videoCodec ?? "?") \(input.width.map(String.init) ?? "?")x\(input.height.map(String.init) ?? "?")"
                + String(format: "@%.1f", input.fps ?? 0) + " \(rate(input.bitrate))")
        var line = parts.joined(separator: " ")
        for rendition in stream.renditions {
            line += " | \(rendition.name) \(rate(rendition.measuredBitrate))"
            line += String(format: " %.1ffps", rendition.fps ?? 0)
            // Copy rungs have no encoder speed.
            if let speed = rendition.encoderSpeed, speed > 0 { line += String(format: " %.2fx", speed) }
            if rendition.droppedFrames > 0 { line += " dropped=\(rendition.droppedFrames)" }
        }
        line += " | segs=\(stream.segmentsProduced) drops=\(stream.ingestDrops)"
        if stream.ingestDropsLate > 0 { line += " (late=\(stream.ingestDropsLate))" }
        line += " errors=\(stream.decodeErrors)"
        line += " viewers=\(stream.viewers)"
        return line
    }
}
