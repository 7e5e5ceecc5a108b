import CFFmpeg
import LadderMedia
import Logging

/// libswscale context converting pictures of one size/format to a YUV 4:2:0 picture of another size.
package final class Scaler {
    private let context: OpaquePointer
    package let sourceWidth: Int
    package let sourceHeight: Int
    let sourceFormat: AVPixelFormat
    package let width: Int
    package let height: Int

    /// `fullRange`: the output uses the full 0-255 range (JPEG) instead of video's 16-235.
    package init(
        sourceWidth: Int, sourceHeight: Int, sourceFormat: AVPixelFormat, width: Int, height: Int,
        fullRange: Bool = false
    ) throws(FFmpegError) {
        guard
            let context = sws_getContext(
                Int32(sourceWidth), Int32(sourceHeight), sourceFormat, Int32(width), Int32(height),
                // libswscale 6 expands the range at init only for a full-range ("J") format.
                fullRange ? AV_PIX_FMT_YUVJ420P : AV_PIX_FMT_YUV420P, SWS_BICUBIC, nil, nil, nil)
        else {
            throw .null("sws_getContext", "\(sourceWidth)x\(sourceHeight) -> \(width)x\(height) not supported")
        }
        self.context = context
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
        self.sourceFormat = sourceFormat
        self.width = width
        self.height = height
    }

    /// A scaler from `source`'s size and format to a `width`x`height` YUV420P picture (YUVJ420P,
    /// full range, with `fullRange`).
    package convenience init(
        scaling source: Frame, width: Int, height: Int, fullRange: Bool = false
    )
        throws(FFmpegError)
    {
        try self.init(
            sourceWidth: source.width, sourceHeight: source.height, sourceFormat: source.pixelFormat, width: width,
            height: height, fullRange: fullRange)
    }

    deinit { sws_freeContext(context) }

    package func accepts(_ frame: Frame) -> Bool {
        frame.width == sourceWidth && frame.height == sourceHeight && frame.pixelFormat == sourceFormat
    }

    /// Scales `source` into `destination` (a writable `width`x`height` YUV420P picture).
    package func scale(_ source: Frame, into destination: Frame) throws(FFmpegError) {
        let result = sws_scale(
            context, cff_frame_source_data(source.pointer), cff_frame_linesize(source.pointer), 0, Int32(sourceHeight),
            cff_frame_data(destination.pointer), cff_frame_linesize(destination.pointer))
        try ffmpegCheck(result, "sws_scale")
    }
}
