import Foundation
import GatewayUsage
import Ladder
import Metrics
import NIOCore
import RTMPWire

/// Media ingest: FLV audio/video tags to `IngestSample`s for the pipeline, and every media and
/// metadata message to the relay's players. `handleMedia` runs per message: no allocation there.
extension RTMPSessionHandler {
    /// Media-side state of a publish in progress.
    struct PublishingState {
        var stream: LiveStream
        var handle: RTMPPublisherHandle
        var pipeline: (any IngestPipeline)?
        var streamID: UInt32
        var startedAt: NIODeadline
        var videoClock = TimestampUnwrapper()
        var audioClock = TimestampUnwrapper()
        /// The one FLV-to-sample conversion (the code the fuzzers test): validates NAL lengths and
        /// configs, drops empty frames and repeated sequence headers.
        var converter = FLVIngestConverter()
        var mediaErrors = 0
        var bytes = 0
        var ingestBytes: Metrics.Counter
        /// Set when the publish cannot go on (a video codec not ingested): the session says so
        /// with onStatus and closes.
        var refusal: String?
        /// Samples of the current socket read, handed to the pipeline together at channelReadComplete
        /// (one wake-up of its decode thread per read instead of one per message).
        var pendingSamples: [IngestSample] = []

        /// After the call the array is unique again, so emptying it keeps its buffer for the next read.
        mutating func submitPendingSamples() {
            guard !pendingSamples.isEmpty else { return }
            pipeline?.submit(contentsOf: pendingSamples)
            pendingSamples.removeAll(keepingCapacity: true)
        }
    }

    /// A read burst is bounded by NIO's read sizes; this only caps a pathological one.
    static let maxPendingSamples = 256

    func handleMedia(_ message: RTMPMessage) {
        guard publishing?.streamID == message.streamID else {
            return  // media before publish was admitted, or for another stream: not ours to take
        }
        // In place: copying the state out and back costs a retain and release per field per message.
        handleMedia(message, state: &publishing!)
    }

    private func handleMedia(_ message: RTMPMessage, state: inout PublishingState) {
        state.bytes += message.payload.readableBytes
        if message.payload.readableBytes > 0 { state.ingestBytes.increment(by: message.payload.readableBytes) }
        do {
            if let sample = try ingestSample(from: message, state: &state), state.pipeline != nil {
                state.pendingSamples.append(sample)
                if let next = state.converter.takePending() { state.pendingSamples.append(next) }
                if state.pendingSamples.count >= Self.maxPendingSamples { state.submitPendingSamples() }
            }
            state.stream.relay.publish(message)
        } catch FLVError.unsupportedVideoCodec(let codec) {
            // Video is what the ladder is made of: the publish ends, and the publisher is told.
            GatewayMetrics.droppedFrames(stream: state.stream.name, stage: .unsupported)
            state.refusal =
                "video codec \(codec) is not supported (this gateway ingests \(RTMPCommandReplies.supportedFourCCs.joined(separator: ", ")))"
        } catch FLVError.unsupportedAudioFormat(let format) {
            // Not malformed: a codec the gateway does not ingest. Said once per publish; the
            // stream goes on without audio.
            GatewayMetrics.droppedFrames(stream: state.stream.name, stage: .unsupported)
            let codec = FLVTagParser.soundFormatName(format)
            if state.handle.refuseAudio(codec) {
                logger.warning(
                    "audio not ingested: the stream continues without audio",
                    metadata: [
                        "stream": "\(state.stream.name)", "audio_codec": "\(codec)",
                        "reason": "unsupported audio codec (the gateway ingests AAC, MP3 and Opus)",
                    ])
            }
        } catch {
            state.mediaErrors = state.handle.countIngestError()
            GatewayMetrics.droppedFrames(stream: state.stream.name, stage: .malformed)
            // Log the first few and then every 100th, so a broken encoder cannot flood the log.
            if state.mediaErrors <= 5 || state.mediaErrors % 100 == 0 {
                logger.warning(
                    "dropping a malformed media message",
                    metadata: [
                        "stream": "\(state.stream.name)", "type": "\(message.type)", "error": "\(error)",
                        "count": "\(state.mediaErrors)",
                    ])
            }
        }
    }

    private func ingestSample(from message: RTMPMessage, state: inout PublishingState) throws -> IngestSample? {
        if message.type == .video {
            let time = state.videoClock.unwrap(message.timestamp)
            return try state.converter.ingestVideo(message.payload, timestamp: time)
        } else {
            let time = state.audioClock.unwrap(message.timestamp)
            return try state.converter.ingestAudio(message.payload, timestamp: time)
        }
    }

    func handleData(_ message: RTMPMessage) {
        guard let state = publishing else { return }
        guard case .metadata(let properties) = try? RTMPDataMessage(decoding: message) else { return }
        // Players get onMetaData without the @setDataFrame wrapper.
        state.stream.relay.publish(
            RTMPDataMessage.metadataMessage(properties, streamID: message.streamID, timestamp: message.timestamp))
    }
}

extension RTMPSessionHandler {
    /// The ended publish as a usage report row: bytes, drops at ingest and malformed messages.
    func recordPublishUsage(_ publishing: PublishingState, duration: Double) {
        guard let usage = services.usage else { return }
        let endedMs = TextFormatting.milliseconds(since1970: Date())
        let stats = (publishing.pipeline as? LadderPipeline)?.transcoder.stats
        let drops = (stats?.ingestDroppedVideo ?? 0) + (stats?.ingestDroppedAudio ?? 0)
        usage.recordPublish(
            PublishSession(
                id: UUID().uuidString.lowercased(), stream: publishing.stream.name,
                startedMs: endedMs - Int64(duration * 1000), endedMs: endedMs, ingestBytes: Int64(publishing.bytes),
                drops: Int64(drops), errors: Int64(publishing.mediaErrors)))
    }
}
