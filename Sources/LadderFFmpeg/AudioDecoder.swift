import CFFmpeg
import LadderMedia
import Logging

/// AAC decoder configured from an AudioSpecificConfig; packet times are milliseconds.
package final class AudioDecoder {
    private let context: UnsafeMutablePointer<AVCodecContext>

    package init(audioSpecificConfig: [UInt8]) throws(FFmpegError) {
        guard let decoder = avcodec_find_decoder(AV_CODEC_ID_AAC) else { throw .null("avcodec_find_decoder(aac)") }
        context = try CodecSupport.allocateContext(decoder, call: "aac decoder")
        // Every stored property is set: if a call below throws, deinit frees what was allocated.
        try CodecSupport.setExtradata(audioSpecificConfig, on: context)
        context.pointee.thread_count = 1
        context.pointee.pkt_timebase = AVRational(num: 1, den: 1000)
        try ffmpegCheck(avcodec_open2(context, decoder, nil), "avcodec_open2(aac decoder)")
    }

    deinit { CodecSupport.free(context) }

    /// Decodes one raw AAC frame (`nil` drains).
    package func decode(_ packet: Packet?, _ body: (Frame) throws -> Void) throws {
        let result = avcodec_send_packet(context, packet?.pointer)
        if result != FFmpegStatus.endOfFile {
            try ffmpegCheck(result, "avcodec_send_packet(aac)")
        }
        try CodecSupport.receiveFrames(from: context, call: "aac", body)
    }
}
