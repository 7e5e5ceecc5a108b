import Foundation
import Ladder
import NIOConcurrencyHelpers

/// The media side of one publish (transcoder + packager); the RTMP session feeds it.
protocol IngestPipeline: AnyObject, Sendable {
    /// Never blocks: called on an NIO event loop. The samples of one socket read, in order.
    func submit(contentsOf samples: [IngestSample])
    /// The publisher left: flush everything and close the open segments, asynchronously.
    func finish()
    /// As `finish()`; `publisherVanished`: it left without unpublishing (a dropped connection),
    /// so the stream stays live for the reconnect grace.
    func finish(publisherVanished: Bool)
    /// Returns once a `finish()` has fully drained (every frame encoded, last segment closed).
    func waitUntilFinished() async
    /// Whether video is encoded (not only passed through): the encoder's own delay then leaves no
    /// room for read batching's, and its CPU dwarfs the per-read cost that batching saves.
    var encodesVideo: Bool { get }
    /// LL output (parts): reads are never batched, every millisecond counts.
    var isLowLatency: Bool { get }
}

/// Builds the pipeline for a stream name (chooses the profile, re-reading it when edited).
extension IngestPipeline {
    var isLowLatency: Bool { false }

    func finish(publisherVanished: Bool) { finish() }
}

protocol IngestPipelineFactory: Sendable {
    func makePipeline(stream: String) throws -> any IngestPipeline
}

/// The publishing side of a session, as the registry sees it.
protocol Publisher: AnyObject, Sendable {
    var remoteAddress: String { get }
    /// Media messages of this publish dropped as malformed (bad NAL lengths, no sequence header...).
    var ingestErrors: Int { get }
    /// Close the session (for a takeover or shutdown), logging `reason`.
    func disconnect(reason: String)
    /// The publisher's audio codec when the gateway does not ingest it (the stream has no audio).
    var unsupportedAudio: String? { get }
}

extension Publisher {
    var unsupportedAudio: String? { nil }
}

/// One stream name: its current publisher (if any), its RTMP relay and its media pipeline.
final class LiveStream: Sendable {
    let name: String
    let relay = MediaRelay()

    struct Publish: Sendable {
        var publisher: any Publisher
        var pipeline: (any IngestPipeline)?
        var startedAt: Date
    }

    private struct State {
        var publish: Publish?
        /// When the last publish ended (nil while live, or before any publish).
        var endedAt: ContinuousClock.Instant?
        /// The ended publish's malformed-media count, still shown until the next publish.
        var lastIngestErrors = 0
    }

    private let current = NIOLockedValueBox(State())

    init(name: String) {
        self.name = name
    }

    var publish: Publish? { current.withLockedValue { $0.publish } }

    var isLive: Bool { current.withLockedValue { $0.publish != nil } }

    /// When the last publish ended; nil while live or before the first publish.
    var endedAt: ContinuousClock.Instant? { current.withLockedValue { $0.endedAt } }

    /// Malformed media messages dropped from the current publish, or from the last one once ended.
    var ingestErrors: Int {
        current.withLockedValue { $0.publish?.publisher.ingestErrors ?? $0.lastIngestErrors }
    }

    fileprivate func replacePublish(_ publish: Publish) -> Publish? {
        current.withLockedValue { state in
            let old = state.publish
            state.publish = publish
            state.endedAt = nil
            return old
        }
    }

    /// Clears the publish only if `publisher` still owns it.
    fileprivate func clearPublish(ifOwnedBy publisher: any Publisher, at now: ContinuousClock.Instant) -> Publish? {
        current.withLockedValue { state in
            guard let owner = state.publish, owner.publisher === publisher else { return nil }
            state.publish = nil
            state.endedAt = now
            state.lastIngestErrors = owner.publisher.ingestErrors
            return owner
        }
    }
}

/// All stream names known to this gateway. Thread-safe; never blocks for long.
final class StreamRegistry: Sendable {
    private let streams = NIOLockedValueBox<[String: LiveStream]>([:])

    func stream(named name: String) -> LiveStream? {
        streams.withLockedValue { $0[name] }
    }

    var allStreams: [LiveStream] {
        streams.withLockedValue { Array($0.values) }.sorted { $0.name < $1.name }
    }

    /// Makes `publisher` the owner of `name`. Returns the publish it replaced (a takeover), whose
    /// session the caller disconnects and whose pipeline the caller finishes.
    func beginPublish(
        name: String, publisher: any Publisher, pipeline: (any IngestPipeline)?
    ) -> (LiveStream, replaced: LiveStream.Publish?) {
        let publish = LiveStream.Publish(publisher: publisher, pipeline: pipeline, startedAt: Date())
        // One step under the registry lock (registry, then stream: the order removeEnded takes),
        // so the retention sweep cannot remove the entry between lookup and publish.
        return streams.withLockedValue { streams in
            let stream = streams[name] ?? LiveStream(name: name)
            streams[name] = stream
            return (stream, stream.replacePublish(publish))
        }
    }

    /// The publisher left; returns its publish if it still owned the name.
    func endPublish(name: String, publisher: any Publisher) -> LiveStream.Publish? {
        guard let stream = stream(named: name) else { return nil }
        return stream.clearPublish(ifOwnedBy: publisher, at: .now)
    }

    /// Forgets `name` if it has been ended since `cutoff` or earlier, and is not live. The check
    /// and the removal are one step under the registry lock, so a publish beginning meanwhile
    /// keeps its entry. Returns whether it was removed.
    func removeEnded(name: String, endedBefore cutoff: ContinuousClock.Instant) -> Bool {
        streams.withLockedValue { streams in
            guard let stream = streams[name], !stream.isLive, let endedAt = stream.endedAt, endedAt <= cutoff
            else { return false }
            streams[name] = nil
            return true
        }
    }
}
