import LadderMedia
import NIOCore

/// Turns FLV tag bodies into pipeline input, remembering the current decoder configurations.
///
/// Returns nil for tags that carry nothing for the pipeline (repeated identical sequence headers,
/// sequence ends, metadata, command frames, empty frames). Throws for unsupported codecs and
/// corrupt tags; the session logs those and decides whether to skip or close.
package struct FLVIngestConverter: Sendable {
    package private(set) var videoConfig: VideoDecoderConfig?
    package private(set) var audioConfig: AudioDecoderConfig?
    private var nalUnitLengthSize = 4
    /// An MP3 frame that came with its (implicit) configuration, delivered next by `takePending`.
    private var pending: IngestSample?

    package init() {}

    /// - Parameter timestamp: the message timestamp unwrapped to Int64 ms (the DTS).
    package mutating func ingestVideo(_ body: ByteBuffer, timestamp: Int64) throws(FLVError) -> IngestSample? {
        switch try FLVTagParser.parseVideo(body) {
        case .sequenceStart(let codec, let record, let lengthSize):
            let config = VideoDecoderConfig(codec: codec, record: Array(record.readableBytesView))
            guard config != videoConfig else { return nil }
            videoConfig = config
            nalUnitLengthSize = lengthSize
            return .videoConfig(config)
        case .codedFrame(let codec, let isKeyframe, let compositionTime, let data):
            guard let videoConfig else { throw .missingSequenceHeader }
            guard videoConfig.codec == codec else { throw .codecMismatch(expected: videoConfig.codec, actual: codec) }
            guard data.readableBytes > 0 else { return nil }
            if nalUnitLengthSize > 0 {
                try FLVTagParser.validateNALUnits(data, lengthSize: nalUnitLengthSize)
            } else {
                try FLVTagParser.validateFrame(data, codec: codec)
            }
            return .video(
                VideoAccessUnit(
                    dts: timestamp, compositionOffset: compositionTime, isKeyframe: isKeyframe,
                    data: Array(data.readableBytesView)))
        case .sequenceEnd, .metadata, .command:
            return nil
        case .unsupportedCodec(let id):
            throw .unsupportedVideoCodec(id)
        }
    }

    /// - Parameter timestamp: the message timestamp unwrapped to Int64 ms (the PTS).
    package mutating func ingestAudio(_ body: ByteBuffer, timestamp: Int64) throws(FLVError) -> IngestSample? {
        switch try FLVTagParser.parseAudio(body) {
        case .aacSequenceHeader(let audioSpecificConfig):
            let config = AudioDecoderConfig(
                codec: .aac, audioSpecificConfig: Array(audioSpecificConfig.readableBytesView))
            guard config != audioConfig else { return nil }
            audioConfig = config
            return .audioConfig(config)
        case .aacFrame(let data):
            guard audioConfig != nil else { throw .missingSequenceHeader }
            guard data.readableBytes > 0 else { return nil }
            return .audio(AudioAccessUnit(pts: timestamp, data: Array(data.readableBytesView)))
        case .aacSequenceEnd:
            return nil
        case .mp3Frame(let data):
            guard data.readableBytes > 0 else { return nil }
            let unit = AudioAccessUnit(pts: timestamp, data: Array(data.readableBytesView))
            let config = AudioDecoderConfig(codec: .mp3, audioSpecificConfig: [])
            guard audioConfig != config else { return .audio(unit) }
            // MP3 has no sequence header: the first frame (or a switch from AAC) declares it.
            audioConfig = config
            pending = .audio(unit)
            return .audioConfig(config)
        case .opusHeader(let header):
            let config = AudioDecoderConfig(codec: .opus, audioSpecificConfig: Array(header.readableBytesView))
            guard config != audioConfig else { return nil }
            audioConfig = config
            return .audioConfig(config)
        case .opusFrame(let data):
            guard let audioConfig, audioConfig.codec == .opus else { throw .missingSequenceHeader }
            guard data.readableBytes > 0 else { return nil }
            return .audio(AudioAccessUnit(pts: timestamp, data: Array(data.readableBytesView)))
        case .unsupported(let soundFormat):
            throw .unsupportedAudioFormat(soundFormat)
        }
    }

    /// The sample that follows the one just returned (an MP3 frame after its configuration).
    package mutating func takePending() -> IngestSample? {
        defer { pending = nil }
        return pending
    }
}
