import Foundation
import LadderMedia
import Logging

/// Counters and measurements for `/api/streams` and metrics.
public struct PackagerStatistics: Sendable, Hashable {
    public struct Rendition: Sendable, Hashable {
        public var name: String
        public var isVideo: Bool
        /// Peak / mean measured bits per second of this rendition's segments (nil before any).
        public var peakBitrate: Int?
        public var averageBitrate: Int?
        public var segmentsPublished: Int
        public var initVersion: Int
    }

    public var state: StreamState
    public var segmentsPublished: Int
    public var discontinuities: Int
    public var timestampJumps: Int
    public var droppedSamples: Int
    /// Tracks that left a publish because they delivered nothing or fell too far behind.
    public var droppedTracks: Int
    /// New DASH periods opened because publication lagged the wall clock.
    public var periodResyncs: Int
    public var renditions: [Rendition]
    /// The newest video listed (segment or part).
    public var newestListing: Listing?

    /// The end of listed video on the input timeline (the transcoder's input ms) and when it
    /// was listed (ms since 1970): with the input's arrival time, the ingest-to-listed latency.
    public struct Listing: Sendable, Hashable {
        public var inputMilliseconds: Int64
        public var listedAtMilliseconds: Int64
    }
}

/// Packages one stream: every track of the ladder into CMAF segments, HLS playlists and one DASH
/// MPD, published into a `SegmentStore` under the stream's name.
///
/// Segment N is listed only once every track of the publish has completed it; video cuts at the
/// first sync sample at or after each k * segmentSeconds boundary, audio at the frame boundary
/// nearest that cut. Thread-safe: tracks may call from different threads concurrently.
public final class StreamPackager: EncodedMediaSink, @unchecked Sendable {
    public let streamName: String
    public let config: PackagerConfig
    public let store: SegmentStore
    private let clock: @Sendable () -> Date
    private let logger: Logger
    private let core: Locked<PackagerCore>
    private let storeFailures = Locked<Int>(0)
    private let onContinuation: (@Sendable (StreamContinuation) -> Void)?
    private let recorder: (any SegmentRecorder)?
    /// The continuation last reported to `onContinuation` (guarded by `core`'s lock).
    private nonisolated(unsafe) var reported: StreamContinuation?

    /// - Parameters:
    ///   - streamName: a single path component (validated by the caller; rejected by the store otherwise).
    ///   - clock: wall clock for EXT-X-PROGRAM-DATE-TIME and DASH availability (injectable for tests).
    ///   - continuing: where an earlier packager of this stream left its numbering.
    ///   - onContinuation: called (outside the packager's lock, no I/O expected on the caller's
    ///     side) whenever the numbering moves: before anything is published, then on each change.
    ///   - recorder: receives every complete segment and the stream's end (a recording).
    public init(
        streamName: String, config: PackagerConfig, store: SegmentStore,
        clock: @escaping @Sendable () -> Date = { Date() },
        logger: Logger = Logger(label: "ladder.packager"), continuing: StreamContinuation? = nil,
        onContinuation: (@Sendable (StreamContinuation) -> Void)? = nil, recorder: (any SegmentRecorder)? = nil
    ) {
        self.recorder = recorder
        self.streamName = streamName
        self.config = config
        self.store = store
        self.clock = clock
        var logger = logger
        logger[metadataKey: "stream"] = "\(streamName)"
        self.logger = logger
        let initial = PackagerCore(streamName: streamName, config: config, continuing: continuing)
        core = Locked(initial)
        self.onContinuation = onContinuation
        reported = initial.continuation
        onContinuation?(initial.continuation)
    }

    /// A sink for one publish (one transcoder). Several may overlap when a publisher takes over
    /// or reconnects while the old pipeline still flushes: the newest publish that declared
    /// tracks owns the stream, older ones' late calls are dropped, and the stream ends only when
    /// the last attached publish ends.
    public func attachPublish() -> PackagerPublish {
        PackagerPublish(packager: self, id: core.withLock { $0.attachPublish() })
    }

    /// Ends the stream if `publish` vanished and no publish came back since (see
    /// `PackagerPublish.markVanished()`); otherwise does nothing.
    public func expire(publish: Int) {
        run { $0.expire(publish: publish, nowMs: $1) }
    }

    /// Ends the stream now if it waits for a reconnect (graceful shutdown).
    /// The stream's `thumbnail.jpg` (memory only; replaced about once per segment).
    public func storeThumbnail(_ jpeg: [UInt8]) {
        do {
            try store.put(stream: streamName, path: Self.thumbnailPath, data: jpeg, kind: .thumbnail, mirrored: false)
        } catch {
            logger.error("segment store: \(error)")
        }
    }

    public static let thumbnailPath = "thumbnail.jpg"

    public func expireWaitingReconnect() {
        run { core, now in
            if let waiting = core.awaitingReconnect { core.expire(publish: waiting, nowMs: now) }
        }
    }

    /// Live with no publish attached: the publisher vanished and may reconnect.
    public var isAwaitingReconnect: Bool { core.withLock { $0.awaitingReconnect != nil } }

    // The direct calls are one publish at a time (offline transcodes and tests).

    public func begin(tracks: [TrackDescription]) {
        run { core, now in
            let id = core.directPublish ?? core.attachPublish()
            core.directPublish = id
            core.begin(tracks: tracks, publish: id, nowMs: now)
        }
    }

    public func append(_ sample: EncodedSample, track: Int) {
        run { $0.append(sample, track: track, publish: $0.directPublish ?? 0, nowMs: $1) }
    }

    public func end() {
        run { core, now in
            let id = core.directPublish ?? core.attachPublish()
            core.directPublish = nil
            core.end(publish: id, nowMs: now)
        }
    }

    fileprivate func begin(tracks: [TrackDescription], publish: Int) {
        run { $0.begin(tracks: tracks, publish: publish, nowMs: $1) }
    }

    fileprivate func append(_ sample: EncodedSample, track: Int, publish: Int) {
        run { $0.append(sample, track: track, publish: publish, nowMs: $1) }
    }

    fileprivate func slateBegins(publish: Int, grid: Int64) {
        run { core, _ in core.slateBegins(publish: publish, grid: grid) }
    }

    fileprivate func end(publish: Int, vanished: Bool) {
        run { $0.end(publish: publish, nowMs: $1, vanished: vanished) }
    }

    /// The publisher is gone but may reconnect: closes and publishes the open segments so nothing
    /// waits for the reconnect, and keeps the stream live (no EXT-X-ENDLIST, dynamic MPD).
    /// Samples are dropped until the next `begin(tracks:)`, which continues with a
    /// discontinuity; `end()` finishes the stream. Not part of `EncodedMediaSink` (yet).
    public func interrupt() {
        run { $0.interrupt(nowMs: $1) }
    }

    /// The stream ended (EXT-X-ENDLIST, static MPD): its playlists never change again
    /// (RFC 8216 6.2.1), so a new publish of the name gets a new packager.
    public var hasEnded: Bool { core.withLock { $0.state == .ended } }

    /// Ended with no publish attached (see `PackagerCore.isIdle`): safe to retire.
    public var isIdle: Bool { core.withLock { $0.isIdle } }

    /// Failed store writes (invalid names or disk mirror errors) since creation.
    public var storeFailureCount: Int { storeFailures.withLock { $0 } }

    public func statistics() -> PackagerStatistics {
        core.withLock { core in
            PackagerStatistics(
                state: core.state, segmentsPublished: core.segmentsPublished,
                discontinuities: core.counters.discontinuities, timestampJumps: core.timestampJumps,
                droppedSamples: core.droppedSamples, droppedTracks: core.counters.droppedTracks,
                periodResyncs: core.counters.periodResyncs,
                renditions: core.renditionOrder.compactMap { name in
                    guard let rendition = core.renditions[name] else { return nil }
                    let measured = rendition.segmentsPublished > 0
                    return PackagerStatistics.Rendition(
                        name: name, isVideo: rendition.isVideo,
                        peakBitrate: measured ? rendition.meter.peak(target: nil) : nil,
                        averageBitrate: measured ? rendition.meter.average(target: nil) : nil,
                        segmentsPublished: rendition.segmentsPublished, initVersion: rendition.initVersion)
                }, newestListing: core.newestListing)
        }
    }

    /// Runs one event under the lock and applies its store actions in order, still under the
    /// lock, so segments always reach the store before the manifests that list them.
    private func run(_ event: (inout PackagerCore, Int64) -> Void) {
        let moved = core.withLock { core -> StreamContinuation? in
            let nowMs = TextFormatting.milliseconds(since1970: clock())
            event(&core, nowMs)
            core.stampListing(nowMs: nowMs)
            for notice in core.takeNotices() {
                logger.warning("\(notice)")
            }
            for action in core.takeActions() {
                apply(action, nowMs: nowMs)
            }
            guard onContinuation != nil, core.continuation != reported else { return nil }
            reported = core.continuation
            return reported
        }
        if let moved { onContinuation?(moved) }
    }

    private func apply(_ action: PackagerAction, nowMs: Int64) {
        do {
            switch action {
            case .put(let path, let bytes, let kind, let mirrored):
                try store.put(stream: streamName, path: path, data: bytes, kind: kind, mirrored: mirrored)
            case .delete(let path):
                store.delete(stream: streamName, path: path)
            case .publishManifests(let files, let state, let progress):
                try store.publishManifests(stream: streamName, files: files, state: state, progress: progress)
            case .record(let segment):
                recorder?.record(stream: streamName, segment: segment)
            case .recordEnd:
                recorder?.streamEnded(stream: streamName, atMs: nowMs)
            }
        } catch {
            storeFailures.withLock { $0 += 1 }
            logger.error("segment store: \(error)")
        }
    }
}

/// One publish's handle on a `StreamPackager` (see `StreamPackager.attachPublish()`).
public final class PackagerPublish: EncodedMediaSink {
    let packager: StreamPackager
    public let id: Int
    private let vanished = Locked(false)

    init(packager: StreamPackager, id: Int) {
        self.packager = packager
        self.id = id
    }

    /// The publisher left without unpublishing: its `end()` keeps the stream live for a
    /// reconnect, until `StreamPackager.expire(publish:)`.
    public func markVanished() {
        vanished.withLock { $0 = true }
    }

    public func begin(tracks: [TrackDescription]) {
        packager.begin(tracks: tracks, publish: id)
    }

    public func append(_ sample: EncodedSample, track: Int) {
        packager.append(sample, track: track, publish: id)
    }

    public func end() {
        packager.end(publish: id, vanished: vanished.withLock { $0 })
    }

    public func thumbnail(jpeg: [UInt8]) {
        packager.storeThumbnail(jpeg)
    }

    public func slateBegins(atSegment gridIndex: Int64) {
        packager.slateBegins(publish: id, grid: gridIndex)
    }
}
