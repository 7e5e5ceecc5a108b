import CFFmpeg
import LadderMedia

/// A smaller copy of a JPEG (a stream thumbnail's `?width=`): libavcodec's MJPEG decoder, then
/// `JPEGEncoder`'s scaler and encoder. One instance per thread; not shared.
package final class JPEGResizer {
    private let context: UnsafeMutablePointer<AVCodecContext>
    private var encoders: [Int: JPEGEncoder] = [:]

    package init() throws(FFmpegError) {
        guard let decoder = avcodec_find_decoder(AV_CODEC_ID_MJPEG) else {
            throw .null("avcodec_find_decoder(mjpeg)", "the MJPEG decoder is not in this FFmpeg build")
        }
        context = try CodecSupport.allocateContext(decoder, call: "mjpeg decoder")
        context.pointee.thread_count = 1
        try ffmpegCheck(avcodec_open2(context, decoder, nil), "avcodec_open2(mjpeg decoder)")
    }

    deinit { CodecSupport.free(context) }

    /// `jpeg` at most `maxWidth` wide (aspect kept, never enlarged), as a new JPEG.
    package func resize(_ jpeg: [UInt8], maxWidth: Int) throws -> [UInt8] {
        guard !jpeg.isEmpty else { throw FFmpegError.null("mjpeg decoder", "empty picture") }
        let packet = try Packet(bytes: jpeg, pts: 0, dts: 0, isKeyframe: true)
        var picture: Frame?
        try ffmpegCheck(avcodec_send_packet(context, packet.pointer), "avcodec_send_packet(mjpeg)")
        try CodecSupport.receiveFrames(from: context, call: "mjpeg") { picture = picture ?? $0 }
        guard let picture else { throw FFmpegError.null("mjpeg decoder", "no picture decoded") }
        let size = JPEGEncoder.size(sourceWidth: picture.width, sourceHeight: picture.height, maxWidth: maxWidth)
        let key = size.width << 16 | size.height
        if encoders[key] == nil {
            if encoders.count >= 8 { encoders.removeAll() }
            encoders[key] = try JPEGEncoder(width: size.width, height: size.height)
        }
        return try encoders[key]!.encode(picture)
    }
}
