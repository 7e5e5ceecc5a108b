import CFFmpeg
import LadderMedia

/// libavcodec's MJPEG encoder for still pictures (stream thumbnails): scales a decoded or
/// scaled picture to `width` (the height keeps the aspect ratio) and returns one JPEG.
package final class JPEGEncoder {
    private let context: UnsafeMutablePointer<AVCodecContext>
    private let packet: Packet
    private let scaled: Frame
    private var scaler: Scaler?
    /// The MPEG-video encoder family refuses a timestamp that does not increase.
    private var nextPTS: Int64 = 0
    package let width: Int
    package let height: Int

    /// `quality`: MJPEG qscale, 2 (best) to 31; 5 is sharp at a few tens of kB for 640x360.
    package init(width: Int, height: Int, quality: Int = 5) throws(FFmpegError) {
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG) else {
            throw .null("avcodec_find_encoder(mjpeg)", "the MJPEG encoder is not in this FFmpeg build")
        }
        self.width = width
        self.height = height
        packet = try Packet()
        scaled = try Frame()
        context = try CodecSupport.allocateContext(codec, call: "mjpeg")
        context.pointee.width = Int32(width)
        context.pointee.height = Int32(height)
        // Full-range 4:2:0, as JPEG decoders (browsers) read every JPEG; the scaler expands the
        // pictures' video range.
        context.pointee.pix_fmt = AV_PIX_FMT_YUVJ420P
        context.pointee.color_range = AVCOL_RANGE_JPEG
        context.pointee.time_base = AVRational(num: 1, den: 25)
        context.pointee.flags |= AV_CODEC_FLAG_QSCALE
        context.pointee.global_quality = Int32(FF_QP2LAMBDA) * Int32(min(31, max(2, quality)))
        context.pointee.thread_count = 1
        try ffmpegCheck(avcodec_open2(context, codec, nil), "avcodec_open2(mjpeg)")
        try scaled.allocatePicture(width: width, height: height, format: AV_PIX_FMT_YUVJ420P)
        scaled.pointer.pointee.color_range = AVCOL_RANGE_JPEG
    }

    deinit { CodecSupport.free(context) }

    /// The thumbnail size for a `sourceWidth`x`sourceHeight` picture at most `maxWidth` wide
    /// (even dimensions, aspect kept, never larger than the source).
    package static func size(sourceWidth: Int, sourceHeight: Int, maxWidth: Int) -> (width: Int, height: Int) {
        let width = max(16, min(sourceWidth, maxWidth)) & ~1
        let height = max(16, Int((Double(sourceHeight) * Double(width) / Double(max(1, sourceWidth))).rounded())) & ~1
        return (width, height)
    }

    /// One JPEG of `picture` (any size or format the scaler reads).
    package func encode(_ picture: Frame) throws -> [UInt8] {
        if scaler.map({ !$0.accepts(picture) }) ?? true {
            scaler = try Scaler(scaling: picture, width: width, height: height, fullRange: true)
        }
        try scaled.makeWritable()
        scaled.pointer.pointee.color_range = AVCOL_RANGE_JPEG
        try scaler?.scale(picture, into: scaled)
        scaled.pts = nextPTS
        nextPTS += 1
        try ffmpegCheck(avcodec_send_frame(context, scaled.pointer), "avcodec_send_frame(mjpeg)")
        var jpeg: [UInt8] = []
        try CodecSupport.receivePackets(from: context, into: packet, call: "mjpeg") { jpeg = $0.bytes }
        return jpeg
    }
}
