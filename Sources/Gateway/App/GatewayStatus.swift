import Foundation
import Ladder

/// Builds `/api/streams` from the registry (publishers), the transcoders' and the packagers' stats.
struct GatewayStatus: StatusSource {
    let registry: StreamRegistry
    let pipelines: LadderPipelineFactory
    let store: SegmentStore

    func streams() -> [StreamStatus] {
        var names = Set(registry.allStreams.map(\.name))
        for summary in store.streams() { names.insert(summary.name) }
        return names.sorted().compactMap(status(of:))
    }

    func status(of name: String) -> StreamStatus? {
        let live = registry.stream(named: name)
        let publish = live?.publish
        let packager = pipelines.packager(for: name)
        guard publish != nil || packager != nil || store.streamState(name) != nil else { return nil }
        let ladder = publish?.pipeline as? LadderPipeline
        let stats = ladder?.transcoder.stats
        let packaging = packager?.statistics()
        let measured = Dictionary(
            (packaging?.renditions ?? []).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })

        var status = StreamStatus(
            name: name,
            state: publish != nil
                ? .live
                : packager?.isAwaitingReconnect == true || pipelines.slates.isRunning(stream: name)
                    ? .reconnecting : .ended,
            uptimeSeconds: publish.map { Date().timeIntervalSince($0.startedAt) } ?? 0,
            publisherAddress: publish?.publisher.remoteAddress, profile: ladder?.profile.name)
        status.ingestErrors = live?.ingestErrors ?? 0
        if let stats {
            status.input = StreamStatus.Input(
                videoCodec: stats.input.videoCodec?.rawValue, width: stats.input.width, height: stats.input.height,
                fps: stats.input.frameRate, bitrate: stats.input.bitrate, audioCodec: stats.input.audioCodec?.rawValue,
                keyframeInterval: stats.input.keyframeInterval.map { ($0 * 1000).rounded() / 1000 })
            status.renditions = stats.renditions.map { rung in
                StreamStatus.Rendition(
                    name: rung.name, codec: rung.codec,
                    codecString: rung.codecString,
                    width: rung.width,
                    height: rung.height, targetBitrate: target(of: rung.name, in: ladder?.profile),
                    measuredBitrate: measured[rung.name]?.averageBitrate ?? rung.bitrate, fps: rung.frameRate,
                    encoderSpeed: rung.encodeSpeed,
                    encoderDelayMs: rung.encoderDelayMilliseconds.map { ($0 * 10).rounded() / 10 },
                    droppedFrames: rung.droppedFrames, lateFrames: rung.lateFrames)
            }
            // Only once an audio track exists: a publish without usable audio has none to show.
            if let audio = ladder?.profile.audio, stats.audio != nil {
                status.audio = StreamStatus.Audio(
                    codec: audio.codec.rawValue, sampleRate: audio.sampleRate, channels: audio.channels,
                    bitrate: measured[StreamTranscoder.audioTrackName]?.averageBitrate ?? stats.audio?.bitrate,
                    passthrough: stats.audio?.isCopy ?? false)
            }
            status.ingestDrops = stats.ingestDroppedVideo + stats.ingestDroppedAudio
            status.ingestDropsLate = stats.ingestDroppedStaleVideo
            status.decodeErrors = stats.decodeErrors
            status.timestampJumps += stats.timestampJumps
        }
        if let refused = publish?.publisher.unsupportedAudio, status.input.audioCodec == nil {
            status.input.audioCodec = "\(refused) (unsupported)"
        }
        if let listing = packaging?.newestListing, publish != nil,
            Date().timeIntervalSince1970 * 1000 - Double(listing.listedAtMilliseconds) < Self.latencyFreshnessMs,
            let arrival = ladder?.transcoder.arrival(ofInputMilliseconds: listing.inputMilliseconds),
            arrival <= listing.listedAtMilliseconds
        {
            status.latencySeconds = Double(listing.listedAtMilliseconds - arrival) / 1000
        }
        if let packaging {
            status.segmentsProduced = packaging.segmentsPublished
            status.discontinuities = packaging.discontinuities
            status.timestampJumps += packaging.timestampJumps
        }
        return status
    }

    /// A listing older than this means the stream stalled: no latency is shown.
    static let latencyFreshnessMs = 15_000.0

    private func target(of rendition: String, in profile: Profile?) -> Int? {
        profile?.video.renditions.first { $0.name == rendition }?.bitrate
    }
}
