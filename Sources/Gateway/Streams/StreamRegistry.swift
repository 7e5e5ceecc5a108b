import Foundation
import Ladder
import NIOConcurrencyHelpers

/// The media side of one publish (transcoder + packager); the RTMP session feeds it.
protocol IngestPipeline: AnyObject, Sendable {
    /// Never blocks: called on an NIO event loop. The samples of one socket read, in order.
    func submit(contentsOf samples: [IngestSample])
    /// The publisher left: flush everything and close the open segments, asynchronously.
    func finish()
    /// Returns once a `finish()` has fully drained (every frame encoded, last segment closed).
    func waitUntilFinished() async
    /// Whether video is encoded (not only passed through): the encoder's own delay then leaves no
    /// room for read batching's, and its CPU dwarfs the per-read cost that batching saves.
    var encodesVideo: Bool { get }
}

/// Builds the pipeline for a stream name (chooses the profile, re-reading it when edited).
protocol IngestPipelineFactory: Sendable {
    func makePipeline(stream: String) throws -> any IngestPipeline
}

/// The publishing side of a session, as the registry sees it.
protocol Publisher: AnyObject, Sendable {
    var remoteAddress: String { get }
    /// Close the session (for a takeover or shutdown), logging `reason`.
    func disconnect(reason: String)
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

    private let current = NIOLockedValueBox<Publish?>(nil)

    init(name: String) {
        self.name = name
    }

    var publish: Publish? { current.withLockedValue { $0 } }

    var isLive: Bool { current.withLockedValue { $0 != nil } }

    fileprivate func replacePublish(_ publish: Publish?) -> Publish? {
        current.withLockedValue { value in
            let old = value
            value = publish
            return old
        }
    }

    /// Clears the publish only if `publisher` still owns it.
    fileprivate func clearPublish(ifOwnedBy publisher: any Publisher) -> Publish? {
        current.withLockedValue { value in
            guard let owner = value, owner.publisher === publisher else { return nil }
            value = nil
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

    /// Existing or new entry for `name` (players may subscribe before the publisher arrives).
    func streamCreatingIfNeeded(_ name: String) -> LiveStream {
        streams.withLockedValue { streams in
            if let stream = streams[name] { return stream }
            let stream = LiveStream(name: name)
            streams[name] = stream
            return stream
        }
    }

    var allStreams: [LiveStream] {
        streams.withLockedValue { Array($0.values) }.sorted { $0.name < $1.name }
    }

    /// Makes `publisher` the owner of `name`. Returns the publish it replaced (a takeover), whose
    /// session the caller disconnects and whose pipeline the caller finishes.
    func beginPublish(
        name: String, publisher: any Publisher, pipeline: (any IngestPipeline)?
    ) -> (LiveStream, replaced: LiveStream.Publish?) {
        let stream = streamCreatingIfNeeded(name)
        let replaced = stream.replacePublish(
            LiveStream.Publish(publisher: publisher, pipeline: pipeline, startedAt: Date()))
        return (stream, replaced)
    }

    /// The publisher left; returns its publish if it still owned the name.
    func endPublish(name: String, publisher: any Publisher) -> LiveStream.Publish? {
        guard let stream = stream(named: name) else { return nil }
        return stream.clearPublish(ifOwnedBy: publisher)
    }
}
