import CFFmpeg
import LadderMedia
import Logging

/// FFmpeg's native `aac` encoder (AAC-LC), planar float input, times in 1/sampleRate.
package final class AudioEncoder {
    private let context: UnsafeMutablePointer<AVCodecContext>
    private let packet: Packet
    package let sampleRate: Int
    package let channels: Int

    package init(sampleRate: Int, channels: Int, bitrate: Int) throws(FFmpegError) {
        guard let encoder = avcodec_find_encoder_by_name("aac") else {
            throw .null("avcodec_find_encoder_by_name(aac)")
        }
        self.sampleRate = sampleRate
        self.channels = channels
        packet = try Packet()
        context = try CodecSupport.allocateContext(encoder, call: "aac encoder")
        // Every stored property is set: if a call below throws, deinit frees what was allocated.
        context.pointee.sample_fmt = AV_SAMPLE_FMT_FLTP
        context.pointee.sample_rate = Int32(sampleRate)
        av_channel_layout_default(&context.pointee.ch_layout, Int32(channels))
        context.pointee.bit_rate = Int64(bitrate)
        context.pointee.time_base = AVRational(num: 1, den: Int32(sampleRate))
        context.pointee.thread_count = 1
        context.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
        try ffmpegCheck(avcodec_open2(context, encoder, nil), "avcodec_open2(aac)")
    }

    deinit { CodecSupport.free(context) }

    /// AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1).
    package var audioSpecificConfig: [UInt8] { CodecSupport.extradata(of: context) }
    /// Samples per frame the encoder requires (1024 for AAC-LC).
    package var frameSize: Int { Int(context.pointee.frame_size) }
    var sampleFormat: AVSampleFormat { context.pointee.sample_fmt }

    /// Encodes one frame of `frameSize` samples (the last may be shorter; `nil` drains).
    package func encode(_ frame: Frame?, _ body: (Packet) throws -> Void) throws {
        let result = avcodec_send_frame(context, frame?.pointer)
        if result != FFmpegStatus.endOfFile {
            try ffmpegCheck(result, "avcodec_send_frame(aac)")
        }
        try CodecSupport.receivePackets(from: context, into: packet, call: "aac", body)
    }
}
