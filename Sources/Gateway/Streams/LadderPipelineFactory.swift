import Foundation
import Ladder
import Logging
import NIOConcurrencyHelpers

/// Builds each publish's media pipeline: the stream's profile (re-read when edited on disk),
/// a `StreamTranscoder`, and the stream's `StreamPackager`, which outlives single publishes so
/// that a reconnect continues the same playlists with a discontinuity.
final class LadderPipelineFactory: IngestPipelineFactory {
    struct ProfileLoadError: Error, CustomStringConvertible {
        var description: String
    }

    private let defaultProfilePath: String
    private let profileOverrides: @Sendable (String) -> String?
    private let profiles = ProfileCache()
    private let store: SegmentStore
    private let logger: Logger
    private let transcoderOptions: StreamTranscoder.Options
    private let packagers = NIOLockedValueBox<[String: StreamPackager]>([:])
    /// Each stream's numbering, continued by its next packager (across restarts with a data dir).
    let continuity: StreamContinuity
    /// Records the streams its policy names (nil: recording is off).
    let recorder: RecordingLibrary?
    /// How long a stream whose publisher vanished stays live for a reconnect (0: ends at once).
    let reconnectGrace: Duration
    /// Transcoders running a slate, stopped when their stream is published again.
    let slates = SlateRegistry()
    /// False (`slate: off`): during the grace the stream waits without new segments.
    let slateEnabled: Bool

    init(
        defaultProfilePath: String, profileOverrides: @escaping @Sendable (String) -> String?, store: SegmentStore,
        logger: Logger, transcoderOptions: StreamTranscoder.Options = StreamTranscoder.Options(),
        continuity: StreamContinuity? = nil, recorder: RecordingLibrary? = nil,
        reconnectGrace: Duration = .zero, slateEnabled: Bool = true
    ) {
        self.slateEnabled = slateEnabled
        self.recorder = recorder
        self.reconnectGrace = reconnectGrace
        self.continuity = continuity ?? StreamContinuity(directory: nil, logger: logger)
        self.transcoderOptions = transcoderOptions
        self.defaultProfilePath = defaultProfilePath
        self.profileOverrides = profileOverrides
        self.store = store
        self.logger = logger
    }

    /// Loads the profile now, so that a broken default profile stops start-up with its errors.
    func checkDefaultProfile() throws -> Profile {
        let lookup = profiles.profile(path: defaultProfilePath)
        guard let profile = lookup.profile, lookup.error == nil else {
            throw ProfileLoadError(description: lookup.error.map { "\($0)" } ?? "cannot read \(defaultProfilePath)")
        }
        return profile
    }

    func packager(for stream: String) -> StreamPackager? {
        packagers.withLockedValue { $0[stream] }
    }

    /// Frees an ended stream's packager and its files in memory, if no publish is attached.
    /// Returns whether it did.
    func retire(stream: String) -> Bool {
        packagers.withLockedValue { packagers in
            guard let packager = packagers[stream], packager.isIdle else { return false }
            packagers[stream] = nil
            store.removeStream(stream)
            return true
        }
    }

    func makePipeline(stream: String) throws -> any IngestPipeline {
        let path = profileOverrides(stream) ?? defaultProfilePath
        let lookup = profiles.profile(path: path)
        guard let profile = lookup.profile else {
            throw ProfileLoadError(description: lookup.error.map { "\($0)" } ?? "cannot read \(path)")
        }
        if let error = lookup.error, lookup.changed {
            logger.error(
                "profile edit rejected, keeping its last good version",
                metadata: ["profile": "\(path)", "errors": "\(error)"])
        } else if lookup.changed {
            logger.info("profile loaded", metadata: ["profile": "\(path)", "name": "\(profile.name)"])
        }
        var config = PackagerConfig(profile: profile, mode: .live)
        let recorded = recorder?.policy.records(stream) == true
        if config.dvrSegments > config.windowSegments, !recorded {
            // Older segments leave memory: without a recording nothing could serve them.
            config.dvrSegments = 0
            logger.warning(
                "dvr_seconds needs the stream to be recorded (a recording section naming it); live window only",
                metadata: ["stream": "\(stream)", "profile": "\(path)"])
        }
        // Read before the lock below, which status requests take (it may read the data dir).
        let continuing = continuity.start(stream: stream)
        // The packager is found or made and this publish attached under one lock, which
        // `retire(stream:)` also takes: a stream is never retired under a starting publish.
        let (packager, sink) = packagers.withLockedValue { packagers -> (StreamPackager, PackagerPublish) in
            // A reconnect within the grace continues the stream's packager. After ENDLIST the
            // playlists must not change (RFC 8216 6.2.1): a new publish gets a new packager,
            // which continues the numbering (`continuing`) after a discontinuity.
            if let existing = packagers[stream], existing.config == config, !existing.hasEnded {
                return (existing, existing.attachPublish())
            }
            // A new segment length, or an ended stream, starts the playlists afresh (the store
            // only forgets the files in memory here; the disk mirror removes its copy on its own queue).
            if packagers[stream] != nil { store.removeStream(stream) }
            var packagerLogger = logger
            packagerLogger[metadataKey: "stream"] = "\(stream)"
            let continuity = continuity
            let packager = StreamPackager(
                streamName: stream, config: config, store: store, logger: packagerLogger,
                continuing: continuing,
                onContinuation: { continuity.progress(stream: stream, $0) },
                recorder: recorded ? recorder : nil)
            packagers[stream] = packager
            return (packager, packager.attachPublish())
        }
        slates.stop(stream: stream)  // the publisher is back: its old transcoder's slate ends
        var transcoderLogger = logger
        transcoderLogger[metadataKey: "stream"] = "\(stream)"
        let transcoder = StreamTranscoder(
            profile: profile, sink: sink, logger: transcoderLogger, options: transcoderOptions)
        return LadderPipeline(
            transcoder: transcoder, profile: profile,
            hold: ReconnectHold(
                stream: stream, packager: packager, publish: sink, grace: reconnectGrace, slates: slates,
                slateEnabled: slateEnabled, logger: transcoderLogger))
    }

    /// Ends every stream that waits for its publisher to reconnect (graceful shutdown).
    func endStreamsAwaitingReconnect() {
        slates.stopAll()
        for packager in packagers.withLockedValue({ Array($0.values) }) {
            packager.expireWaitingReconnect()
        }
    }
}

/// One publish's transcoder, as the RTMP session sees it.
final class LadderPipeline: IngestPipeline {
    let transcoder: StreamTranscoder
    let profile: Profile
    let hold: ReconnectHold?

    init(transcoder: StreamTranscoder, profile: Profile, hold: ReconnectHold? = nil) {
        self.transcoder = transcoder
        self.profile = profile
        self.hold = hold
    }

    func submit(contentsOf samples: [IngestSample]) {
        // Drops (queue full: skip to the next keyframe) are counted in the transcoder's stats.
        transcoder.submit(contentsOf: samples)
    }

    func finish() {
        // The callback form: the blocking `finish()` must never run on an event loop.
        transcoder.finish(completion: {})
    }

    func finish(publisherVanished: Bool) {
        guard publisherVanished, let hold, hold.grace > .zero else { return finish() }
        hold.begin(transcoder)
    }

    func waitUntilFinished() async {
        await transcoder.finish()
    }

    var encodesVideo: Bool { profile.video.encodesVideo }
    var isLowLatency: Bool { profile.partSeconds > 0 }
}
