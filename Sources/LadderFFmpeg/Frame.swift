import CFFmpeg
import LadderMedia
import Logging

/// A refcounted AVFrame (picture or audio samples).
package final class Frame {
    let pointer: UnsafeMutablePointer<AVFrame>

    package init() throws(FFmpegError) {
        guard let frame = av_frame_alloc() else { throw .null("av_frame_alloc") }
        pointer = frame
    }

    deinit {
        var frame: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&frame)
    }

    /// A new frame sharing this frame's buffers (zero copy, av_frame_ref); used to fan out to rungs.
    package func reference() throws(FFmpegError) -> Frame {
        let copy = try Frame()
        try ffmpegCheck(av_frame_ref(copy.pointer, pointer), "av_frame_ref")
        return copy
    }

    /// Presentation time in the producer's time base (best effort for decoded frames).
    package var pts: Int64? {
        get {
            let best = pointer.pointee.best_effort_timestamp
            if best != FFmpegStatus.noTimestamp { return best }
            return pointer.pointee.pts == FFmpegStatus.noTimestamp ? nil : pointer.pointee.pts
        }
        set {
            pointer.pointee.pts = newValue ?? FFmpegStatus.noTimestamp
            pointer.pointee.best_effort_timestamp = FFmpegStatus.noTimestamp
        }
    }

    package var width: Int { Int(pointer.pointee.width) }
    package var height: Int { Int(pointer.pointee.height) }
    var pixelFormat: AVPixelFormat { AVPixelFormat(rawValue: pointer.pointee.format) }
    /// 8-bit YUV 4:2:0 (what libx264 takes without conversion).
    package var isYUV420P: Bool { pointer.pointee.format == AV_PIX_FMT_YUV420P.rawValue }
    package var sampleAspect: (num: Int, den: Int) {
        let ratio = pointer.pointee.sample_aspect_ratio
        return ratio.num > 0 && ratio.den > 0 ? (Int(ratio.num), Int(ratio.den)) : (1, 1)
    }
    package var sampleCount: Int { Int(pointer.pointee.nb_samples) }
    package var sampleRate: Int { Int(pointer.pointee.sample_rate) }
    package var channelCount: Int { Int(pointer.pointee.ch_layout.nb_channels) }
    /// The decoder flagged this picture as damaged (AV_FRAME_FLAG_CORRUPT / decode_error_flags).
    package var isCorrupt: Bool {
        pointer.pointee.flags & AV_FRAME_FLAG_CORRUPT != 0 || pointer.pointee.decode_error_flags != 0
    }

    /// true: the encoder must code this picture as an IDR; false: the encoder decides
    /// (clears the type a decoder left on the frame).
    package func setForcedKeyframe(_ forced: Bool) {
        pointer.pointee.pict_type = forced ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE
        pointer.pointee.key_frame = forced ? 1 : 0
    }

    /// Allocates a picture buffer (after `unref`, width/height/format must be set again).
    func allocatePicture(width: Int, height: Int, format: AVPixelFormat) throws(FFmpegError) {
        av_frame_unref(pointer)
        pointer.pointee.width = Int32(width)
        pointer.pointee.height = Int32(height)
        pointer.pointee.format = format.rawValue
        try ffmpegCheck(av_frame_get_buffer(pointer, 0), "av_frame_get_buffer(video)")
    }

    /// Allocates an 8-bit YUV 4:2:0 picture buffer.
    package func allocateYUV420Picture(width: Int, height: Int) throws(FFmpegError) {
        try allocatePicture(width: width, height: height, format: AV_PIX_FMT_YUV420P)
    }

    /// Sets every sample of an allocated 8-bit YUV 4:2:0 picture to mid grey (128).
    package func fillGrey() throws(FFmpegError) {
        try makeWritable()
        let height = Int(pointer.pointee.height)
        guard let planes = cff_frame_data(pointer), let strides = cff_frame_linesize(pointer) else { return }
        for plane in 0..<3 {
            guard let base = planes[plane] else { continue }
            let rows = plane == 0 ? height : (height + 1) / 2
            base.update(repeating: 128, count: Int(strides[plane]) * rows)
        }
    }

    /// Allocates an audio buffer of `samples` samples in the given format and layout.
    func allocateAudio(samples: Int, format: AVSampleFormat, sampleRate: Int, channels: Int) throws(FFmpegError) {
        av_frame_unref(pointer)
        pointer.pointee.nb_samples = Int32(samples)
        pointer.pointee.format = format.rawValue
        pointer.pointee.sample_rate = Int32(sampleRate)
        av_channel_layout_default(&pointer.pointee.ch_layout, Int32(channels))
        try ffmpegCheck(av_frame_get_buffer(pointer, 0), "av_frame_get_buffer(audio)")
    }

    /// Makes the buffers exclusively ours (copies only if an encoder still holds a reference).
    package func makeWritable() throws(FFmpegError) {
        try ffmpegCheck(av_frame_make_writable(pointer), "av_frame_make_writable")
    }

    func unref() { av_frame_unref(pointer) }
}

/// Moves one `Frame` from a producer thread to one consumer thread. The producer creates it from
/// a frame reference it never touches again (handed over, never shared), so only one thread
/// uses the frame at any time: that is why the unchecked Sendable conformance is sound.
package final class FrameHandoff: @unchecked Sendable {
    private let frame: Frame

    package init(_ frame: Frame) { self.frame = frame }

    /// For the consumer only.
    package func take() -> Frame { frame }
}
