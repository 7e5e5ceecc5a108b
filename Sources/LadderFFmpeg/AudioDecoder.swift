import CFFmpeg
import LadderMedia
import Logging

/// Audio decoder: AAC configured from an AudioSpecificConfig, Opus from its OpusHead, or MP3
/// (each frame carries its header); packet times are milliseconds.
package final class AudioDecoder {
    private let context: UnsafeMutablePointer<AVCodecContext>
    private let name: String

    package init(config: AudioDecoderConfig) throws(FFmpegError) {
        let codecID: AVCodecID =
            switch config.codec {
            case .aac: AV_CODEC_ID_AAC
            case .mp3: AV_CODEC_ID_MP3
            case .opus: AV_CODEC_ID_OPUS
            }
        name = config.codec.rawValue
        guard let decoder = avcodec_find_decoder(codecID) else { throw .null("avcodec_find_decoder(\(name))") }
        context = try CodecSupport.allocateContext(decoder, call: "\(name) decoder")
        // Every stored property is set: if a call below throws, deinit frees what was allocated.
        if !config.audioSpecificConfig.isEmpty {
            try CodecSupport.setExtradata(config.audioSpecificConfig, on: context)
        }
        context.pointee.thread_count = 1
        context.pointee.pkt_timebase = AVRational(num: 1, den: 1000)
        try ffmpegCheck(avcodec_open2(context, decoder, nil), "avcodec_open2(\(name) decoder)")
    }

    deinit { CodecSupport.free(context) }

    /// Decodes one frame (`nil` drains).
    package func decode(_ packet: Packet?, _ body: (Frame) throws -> Void) throws {
        let result = avcodec_send_packet(context, packet?.pointer)
        if result != FFmpegStatus.endOfFile {
            try ffmpegCheck(result, "avcodec_send_packet(\(name))")
        }
        try CodecSupport.receiveFrames(from: context, call: name, body)
    }
}
