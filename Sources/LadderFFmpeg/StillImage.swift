import CFFmpeg
import LadderMedia
import Logging

/// A still picture (PNG, JPEG, BMP... whatever libavformat's image demuxers read) decoded and
/// scaled to a YUV 4:2:0 picture: the slate a stream shows while its publisher is away.
package enum StillImage {
    /// The image at `path` as a `width` x `height` YUV 4:2:0 picture (the source's own size when
    /// either is 0). Errors carry FFmpeg's message.
    package static func load(path: String, width: Int = 0, height: Int = 0) throws(FFmpegError) -> Frame {
        let reader = try ImageReader(path: path)
        let picture = try reader.firstPicture()
        let outputWidth = width > 0 ? width : picture.width
        let outputHeight = height > 0 ? height : picture.height
        let scaler = try Scaler(scaling: picture, width: outputWidth, height: outputHeight)
        let output = try Frame()
        try output.allocateYUV420Picture(width: outputWidth, height: outputHeight)
        try scaler.scale(picture, into: output)
        return output
    }
}

/// One image file's demuxer and decoder contexts, freed together.
private final class ImageReader {
    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var codec: UnsafeMutablePointer<AVCodecContext>?
    private let path: String
    private let streamIndex: Int32

    init(path: String) throws(FFmpegError) {
        FFmpegLog.installDefaultOnce()
        self.path = path
        try ffmpegCheck(avformat_open_input(&format, path, nil, nil), "avformat_open_input(\(path))")
        guard let format else { throw .null("avformat_open_input(\(path))") }
        streamIndex = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
        try ffmpegCheck(streamIndex, "av_find_best_stream(\(path))")
        guard let parameters = format.pointee.streams[Int(streamIndex)]?.pointee.codecpar,
            let decoder = avcodec_find_decoder(parameters.pointee.codec_id)
        else { throw .null("avcodec_find_decoder(\(path))") }
        let context = try CodecSupport.allocateContext(decoder, call: "image decoder")
        codec = context
        try ffmpegCheck(avcodec_parameters_to_context(context, parameters), "avcodec_parameters_to_context(\(path))")
        try ffmpegCheck(avcodec_open2(context, decoder, nil), "avcodec_open2(\(path))")
    }

    deinit {
        if let codec { CodecSupport.free(codec) }
        avformat_close_input(&format)
    }

    /// The first picture of the file (an image has one).
    func firstPicture() throws(FFmpegError) -> Frame {
        guard let format, let codec else { throw .null("image reader (\(path))") }
        let packet = try Packet()
        var picture: Frame?
        do {
            while picture == nil {
                let read = av_read_frame(format, packet.pointer)
                if read == FFmpegStatus.endOfFile { break }
                try ffmpegCheck(read, "av_read_frame(\(path))")
                defer { av_packet_unref(packet.pointer) }
                guard packet.pointer.pointee.stream_index == streamIndex else { continue }
                try ffmpegCheck(avcodec_send_packet(codec, packet.pointer), "avcodec_send_packet(\(path))")
                try CodecSupport.receiveFrames(from: codec, call: path) { picture = picture ?? $0 }
            }
            if picture == nil {
                _ = avcodec_send_packet(codec, nil)
                try CodecSupport.receiveFrames(from: codec, call: path) { picture = picture ?? $0 }
            }
        } catch let error as FFmpegError {
            throw error
        } catch {
            throw .null("\(path): \(error)")
        }
        guard let picture else { throw .null("\(path): no picture decoded") }
        return picture
    }
}
