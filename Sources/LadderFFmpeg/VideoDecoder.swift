import CFFmpeg
import LadderMedia
import Logging

/// H.264 / HEVC decoder fed with length-prefixed NAL units, configured from an avcC / hvcC
/// record (ISO/IEC 14496-15) as extradata; VP9 frames (vpcC given as extradata is ignored) and
/// AV1 temporal units (av1C). Packet times are milliseconds.
package final class VideoDecoder {
    private let context: UnsafeMutablePointer<AVCodecContext>
    package let codec: VideoCodec

    package init(codec: VideoCodec, record: [UInt8]) throws(FFmpegError) {
        let codecID: AVCodecID =
            switch codec {
            case .h264: AV_CODEC_ID_H264
            case .hevc: AV_CODEC_ID_HEVC
            case .vp9: AV_CODEC_ID_VP9
            case .av1: AV_CODEC_ID_AV1
            }
        guard let decoder = avcodec_find_decoder(codecID) else { throw .null("avcodec_find_decoder(\(codec))") }
        context = try CodecSupport.allocateContext(decoder, call: "\(codec) decoder")
        self.codec = codec
        // Every stored property is set: if a call below throws, deinit frees what was allocated.
        try CodecSupport.setExtradata(record, on: context)
        context.pointee.thread_count = 1
        context.pointee.pkt_timebase = AVRational(num: 1, den: 1000)
        // Report damaged slices as errors instead of concealing them, so the pipeline can
        // skip to the next keyframe and count the error.
        context.pointee.err_recognition = AV_EF_EXPLODE
        try ffmpegCheck(avcodec_open2(context, decoder, nil), "avcodec_open2(\(codec) decoder)")
    }

    deinit { CodecSupport.free(context) }

    /// Frame rate signalled by the bitstream (VUI timing), if plausible.
    package var signalledFrameRate: Double? {
        let rate = context.pointee.framerate
        guard rate.num > 0, rate.den > 0 else { return nil }
        let value = Double(rate.num) / Double(rate.den)
        return value >= 1 && value <= 240 ? value : nil
    }

    /// Decodes one access unit (`nil` drains); every picture that comes out goes to `body`.
    package func decode(_ packet: Packet?, _ body: (Frame) throws -> Void) throws {
        let result = avcodec_send_packet(context, packet?.pointer)
        if result != FFmpegStatus.endOfFile {
            try ffmpegCheck(result, "avcodec_send_packet(\(codec))")
        }
        try CodecSupport.receiveFrames(from: context, call: "\(codec)", body)
    }

    /// After a drain: makes the decoder accept input again (also drops buffered pictures).
    package func reset() { avcodec_flush_buffers(context) }
}
