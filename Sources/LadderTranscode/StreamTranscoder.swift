import Foundation
import LadderFFmpeg
import LadderMedia
import LadderProfile
import Logging

/// Transcodes one published stream: ingest samples in, an ABR ladder of H.264 rungs (IDRs
/// aligned on segment boundaries) plus one AAC rendition out to an `EncodedMediaSink`.
///
/// Threads: a decode thread (which also runs copy rungs and AAC passthrough), one thread per
/// transcoded rung and, when audio is re-encoded, one audio thread, joined by bounded queues.
/// The ingest queue in front of the decoder is the only place media is dropped.
public final class StreamTranscoder: Sendable {
    public static let audioTrackName = "audio"

    public struct Options: Sendable {
        /// What `submit` does when the ingest queue is full.
        public var overflow: IngestOverflow
        /// Ingest queue bound in samples (about 3 s of 60 fps video plus audio by default).
        public var ingestMaxItems: Int
        /// Ingest queue bound in bytes.
        public var ingestMaxBytes: Int
        /// Pictures queued per rung between the decode thread and the rung's encoder.
        public var stageQueueCapacity: Int
        /// With `.dropToNextKeyframe`: video that waited longer than this in the ingest queue is
        /// dropped to the next keyframe, which bounds the added latency when the CPU cannot keep up
        /// (the byte and item bounds alone would let a slow stream lag by their whole depth).
        public var ingestMaxDelay: Duration?
        /// A picture (PNG, JPEG...) a slate shows instead of the last one (`SlateImage.problem`
        /// checks it); scaled to the source's size when the slate starts.
        public var slateImagePath: String?
        /// The top transcoded rung also encodes a JPEG of each segment's first picture, at most
        /// `thumbnailWidth` wide (0: no thumbnails).
        public var thumbnailWidth = 640

        public init(
            overflow: IngestOverflow = .dropToNextKeyframe, ingestMaxItems: Int = 320,
            ingestMaxBytes: Int = 6 << 20, stageQueueCapacity: Int = 6, ingestMaxDelay: Duration? = .seconds(3),
            slateImagePath: String? = nil
        ) {
            self.slateImagePath = slateImagePath
            self.overflow = overflow
            self.ingestMaxItems = ingestMaxItems
            self.ingestMaxBytes = ingestMaxBytes
            self.stageQueueCapacity = stageQueueCapacity
            self.ingestMaxDelay = ingestMaxDelay
        }
    }

    /// Chooses the ladder for the source (LadderPlanner.plan by default).
    public typealias Planner = @Sendable (SourceVideo) -> LadderPlan

    private let ingest: IngestQueue
    private let collector: StatsCollector
    private let control: PipelineControl
    private let completion = CompletionSignal()
    private let decodeThread: WorkerThread

    public init(
        profile: Profile, sink: any EncodedMediaSink, logger: Logger, options: Options = Options(),
        planner: Planner? = nil
    ) {
        let ingest = IngestQueue(
            maxItems: options.ingestMaxItems, maxBytes: options.ingestMaxBytes, overflow: options.overflow,
            maxDelay: options.ingestMaxDelay)
        let collector = StatsCollector()
        let control = PipelineControl()
        let completion = completion
        let planner = planner ?? { LadderPlanner.plan(profile: profile, source: $0) }
        self.ingest = ingest
        self.collector = collector
        self.control = control
        decodeThread = WorkerThread(name: "ladder-decode") {
            let stage = DecodeStage(
                profile: profile, sink: sink, logger: logger, options: options, planner: planner, ingest: ingest,
                stats: collector, control: control)
            stage.run()
            completion.signal()
        }
    }

    deinit {
        // Dropped without finish(): stop the threads rather than leak them.
        if !control.isFinishing { cancel() }
    }

    /// Queues one sample for the decode thread. Never blocks with `.dropToNextKeyframe`
    /// (safe on an event loop); waits for room with `.block`.
    @discardableResult
    public func submit(_ sample: IngestSample) -> SubmitOutcome {
        ingest.offer(sample)
    }

    /// `submit` for each sample in order, with one wake-up of the decode thread for all of them.
    @discardableResult
    public func submit(contentsOf samples: [IngestSample]) -> [SubmitOutcome] {
        ingest.offer(contentsOf: samples)
    }

    /// Ends the input and waits until every queued sample is decoded, every rung flushed and
    /// `sink.end()` returned. Idempotent. Blocks the calling thread: not for event loops.
    public func finish() {
        control.markFinishing()
        ingest.close()
        completion.wait()
    }

    /// `finish()` without blocking a thread.
    public func finish() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            finish { continuation.resume() }
        }
    }

    /// Ends the input; `completion` runs (on a pipeline thread) after `sink.end()`.
    public func finish(completion callback: @escaping @Sendable () -> Void) {
        control.markFinishing()
        ingest.close()
        completion.whenDone(callback)
    }

    /// `finish(completion:)` after a slate: once the queued input is encoded, every transcoded
    /// rung keeps producing from the last picture, with silence, in real time, for up to `slate`
    /// or until `stopSlate()` (the publisher is back on a new transcoder). Copy rungs pause.
    public func finish(slate: Duration, completion callback: @escaping @Sendable () -> Void) {
        if slate > .zero { control.requestSlate(until: .now + slate) }
        finish(completion: callback)
    }

    /// Ends a slate early (nothing happens without one).
    public func stopSlate() {
        control.stopSlate()
    }

    /// Hard stop: queued media is discarded, encoders are not flushed; `sink.end()` is still called once.
    public func cancel() {
        control.markFinishing()
        control.cancel()
        ingest.cancel()
    }

    /// True once the pipeline threads have exited and `sink.end()` was called.
    public var isFinished: Bool { completion.isDone }

    public var stats: TranscoderStats { collector.snapshot(ingest: ingest.snapshot) }

    /// When the input video at `inputMilliseconds` reached the decoder, ms since 1970 (nil:
    /// not kept): the arrival side of the ingest-to-listed latency.
    public func arrival(ofInputMilliseconds inputMilliseconds: Int64) -> Int64? {
        collector.arrival(ofInputMilliseconds: inputMilliseconds)
    }
}

/// Cancellation shared by the public API and the pipeline threads.
final class PipelineControl: Sendable {
    private struct State {
        var cancelled = false
        var finishing = false
        var slateDeadline: ContinuousClock.Instant?
        var slateStopped = false
        var cancelHandlers: [Int: @Sendable () -> Void] = [:]
        var nextHandle = 0
    }

    private let state = Locked(State())

    var isCancelled: Bool { state.withLock { $0.cancelled } }
    var isFinishing: Bool { state.withLock { $0.finishing } }

    func markFinishing() { state.withLock { $0.finishing = true } }

    /// When a slate must end, if one was asked for and not stopped.
    var slateDeadline: ContinuousClock.Instant? {
        state.withLock { $0.slateStopped || $0.cancelled ? nil : $0.slateDeadline }
    }

    func requestSlate(until deadline: ContinuousClock.Instant) { state.withLock { $0.slateDeadline = deadline } }

    func stopSlate() { state.withLock { $0.slateStopped = true } }

    func cancel() {
        let handlers = state.withLock { state in
            state.cancelled = true
            return Array(state.cancelHandlers.values)
        }
        for handler in handlers { handler() }
    }

    /// Runs `handler` on cancel (at once if already cancelled); returns a handle to remove it.
    func onCancel(_ handler: @escaping @Sendable () -> Void) -> Int {
        let (handle, already) = state.withLock { state in
            state.nextHandle += 1
            state.cancelHandlers[state.nextHandle] = handler
            return (state.nextHandle, state.cancelled)
        }
        if already { handler() }
        return handle
    }

    func removeHandler(_ handle: Int) { _ = state.withLock { $0.cancelHandlers.removeValue(forKey: handle) } }
}
