import Foundation
import LadderFFmpeg
import LadderMedia
import LadderProfile

/// A point-in-time view of one stream's transcoding (for /api/streams and metrics).
public struct TranscoderStats: Sendable, Hashable {
    public struct Input: Sendable, Hashable {
        public var videoCodec: VideoCodec?
        public var audioCodec: AudioCodec?
        public var width: Int?
        public var height: Int?
        public var frameRate: Double?
        /// Measured over the compressed input (audio + video), bits per second.
        public var bitrate: Int?
        /// Time between the last two video keyframes of the input, seconds.
        public var keyframeInterval: Double?
    }

    public struct Rendition: Sendable, Hashable {
        public var name: String
        public var isCopy: Bool
        /// "h264", "hevc", "vp9", "av1" (audio: nil).
        public var codec: String? = nil
        /// RFC 6381 string from the encoder's headers, once it is open.
        public var codecString: String? = nil
        public var width: Int
        public var height: Int
        public var framesOut: Int
        /// Measured output bitrate, bits per second.
        public var bitrate: Int?
        /// Measured output frame rate.
        public var frameRate: Double?
        /// Media seconds encoded per second spent encoding (>1 = faster than real time).
        public var encodeSpeed: Double?
        /// Pictures lost for this rung (encoder failure or cancellation).
        public var droppedFrames: Int
        /// Pictures removed by the rung's frame-rate cap.
        public var decimatedFrames: Int
        /// Pictures that had to wait because the rung was still busy (encoding slower than input).
        public var lateFrames: Int
        /// Wall time from a picture entering the encoder to its packet coming out, smoothed over
        /// about the last 30 pictures: lookahead and B-frames, measured (ms).
        public var encoderDelayMilliseconds: Double?
    }

    public var input = Input()
    public var renditions: [Rendition] = []
    public var audio: Rendition?
    /// Pictures decoded from the input.
    public var framesDecoded = 0
    /// Access units the decoder rejected (each one skips input to the next keyframe).
    public var decodeErrors = 0
    /// Access units skipped while waiting for a keyframe after an error or new configuration.
    public var skippedAccessUnits = 0
    /// Publisher timestamps that went backward (an encoder clock restart), re-based at ingest.
    public var timestampJumps = 0
    /// Video dropped at the ingest queue (full, or older than the latency bound: `ingestDroppedStaleVideo`).
    public var ingestDroppedVideo = 0
    public var ingestDroppedStaleVideo = 0
    public var ingestDroppedAudio = 0
    public var ingestQueueBytes = 0
    public var ingestQueuePeakBytes = 0
    /// Times the output tracks were (re)declared with `begin(tracks:)`.
    public var trackDeclarations = 0
    /// Media seconds a slate produced after the publisher vanished.
    public var slateSeconds = 0.0
}

/// Counters updated by the pipeline threads, behind one `Locked` state.
final class StatsCollector: Sendable {
    private struct State {
        var stats = TranscoderStats()
        var rungs: [String: RungCounters] = [:]
        var rungOrder: [String] = []
        var inputBytes = 0
        var inputFirstMilliseconds: Int64?
        var inputLastMilliseconds: Int64?
        var lastKeyframeMilliseconds: Int64?
        /// (input video ms, arrival wall ms) at least `arrivalSpacing` apart, the newest last.
        var arrivals: [(input: Int64, wall: Int64)] = []

        /// Input bytes and the span of input times, for the input bitrate.
        mutating func countInput(bytes: Int, milliseconds: Int64) {
            inputBytes += bytes
            if inputFirstMilliseconds == nil { inputFirstMilliseconds = milliseconds }
            inputLastMilliseconds = max(inputLastMilliseconds ?? milliseconds, milliseconds)
        }
    }

    /// About 13 s of arrivals: enough for a segment and the pipeline's delay.
    static let arrivalCapacity = 256
    static let arrivalSpacingMilliseconds: Int64 = 50

    private let state = Locked(State())

    struct RungCounters {
        var rendition: TranscoderStats.Rendition
        var bytes = 0
        var firstPts: Int64?
        var lastPts: Int64?
        var timescale: Int64
        var busySeconds = 0.0
    }

    func update(_ body: (inout TranscoderStats) -> Void) {
        state.withLock { body(&$0.stats) }
    }

    /// A video access unit reached the decoder (rebased input time, ms).
    func countVideoInput(bytes: Int, dts: Int64, pts milliseconds: Int64, isKeyframe: Bool, wallMilliseconds: Int64) {
        state.withLock { state in
            state.countInput(bytes: bytes, milliseconds: dts)
            if isKeyframe {
                if let last = state.lastKeyframeMilliseconds, milliseconds > last {
                    state.stats.input.keyframeInterval = Double(milliseconds - last) / 1000
                }
                state.lastKeyframeMilliseconds = milliseconds
            }
            let spaced = state.arrivals.last.map { milliseconds - $0.input >= Self.arrivalSpacingMilliseconds } ?? true
            guard spaced else { return }
            if state.arrivals.count >= Self.arrivalCapacity { state.arrivals.removeFirst(Self.arrivalCapacity / 4) }
            state.arrivals.append((milliseconds, wallMilliseconds))
        }
    }

    /// When the input video at `milliseconds` (or the first after it) arrived, ms since 1970;
    /// nil when it is older than the arrivals kept, or has not arrived.
    func arrival(ofInputMilliseconds milliseconds: Int64) -> Int64? {
        state.withLock { state in
            guard let first = state.arrivals.first, first.input <= milliseconds else { return nil }
            return state.arrivals.first { $0.input >= milliseconds }?.wall
        }
    }

    func countInput(bytes: Int, milliseconds: Int64) {
        state.withLock { $0.countInput(bytes: bytes, milliseconds: milliseconds) }
    }

    func registerRung(
        name: String, isCopy: Bool, width: Int, height: Int, timescale: Int, codec: String? = nil,
        codecString: String? = nil
    ) {
        state.withLock { state in
            defer {
                if let codec { state.rungs[name]?.rendition.codec = codec }
                if let codecString { state.rungs[name]?.rendition.codecString = codecString }
            }
            if state.rungs[name] == nil {
                state.rungOrder.append(name)
                state.rungs[name] = RungCounters(
                    rendition: .init(
                        name: name, isCopy: isCopy, width: width, height: height, framesOut: 0, droppedFrames: 0,
                        decimatedFrames: 0, lateFrames: 0), timescale: Int64(max(1, timescale)))
            } else {
                state.rungs[name]?.rendition.width = width
                state.rungs[name]?.rendition.height = height
            }
        }
    }

    func rungOutput(name: String, bytes: Int, pts: Int64) {
        // In place (one lookup, no copy of the counters): this runs once per output sample.
        rungEvent(name: name) { counters in
            counters.rendition.framesOut += 1
            counters.bytes += bytes
            counters.firstPts = min(counters.firstPts ?? pts, pts)
            counters.lastPts = max(counters.lastPts ?? pts, pts)
        }
    }

    func rungEvent(name: String, _ body: (inout RungCounters) -> Void) {
        state.withLock { state in
            if let index = state.rungs.index(forKey: name) {
                body(&state.rungs.values[index])
            }
        }
    }

    func snapshot(ingest: IngestQueue.Counters) -> TranscoderStats {
        let (stats, rungs, order, inputBytes, first, last) = state.withLock { state in
            (
                state.stats, state.rungs, state.rungOrder, state.inputBytes, state.inputFirstMilliseconds,
                state.inputLastMilliseconds
            )
        }
        var result = stats
        if let first, let last, last > first {
            result.input.bitrate = Int(Double(inputBytes) * 8000 / Double(last - first))
        }
        result.ingestDroppedVideo = ingest.droppedVideo
        result.ingestDroppedStaleVideo = ingest.droppedStaleVideo
        result.ingestDroppedAudio = ingest.droppedAudio
        result.ingestQueueBytes = ingest.bytes
        result.ingestQueuePeakBytes = ingest.peakBytes
        var renditions: [TranscoderStats.Rendition] = []
        for name in order {
            guard let counters = rungs[name] else { continue }
            var rendition = counters.rendition
            if let first = counters.firstPts, let last = counters.lastPts, last > first,
                rendition.framesOut > 1
            {
                // The span covers framesOut - 1 intervals; scale it to whole frames.
                let seconds = Double(last - first) / Double(counters.timescale)
                let perFrame = seconds / Double(rendition.framesOut - 1)
                let total = perFrame * Double(rendition.framesOut)
                rendition.bitrate = Int(Double(counters.bytes) * 8 / total)
                rendition.frameRate = Double(rendition.framesOut) / total
                if counters.busySeconds > 0 { rendition.encodeSpeed = total / counters.busySeconds }
            }
            if name == StreamTranscoder.audioTrackName {
                result.audio = rendition
            } else {
                renditions.append(rendition)
            }
        }
        result.renditions = renditions
        return result
    }
}
