import CFFmpeg
import LadderMedia
import Logging

/// libswresample context converting decoded audio to the encoder's rate, layout and format.
package final class Resampler {
    private var context: OpaquePointer?
    package let sampleRate: Int
    package let channels: Int
    let format: AVSampleFormat

    package init(
        sourceRate: Int, sourceChannels: Int, sourceFormat: AVSampleFormat, sampleRate: Int, channels: Int,
        format: AVSampleFormat
    ) throws(FFmpegError) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.format = format
        var inputLayout = AVChannelLayout()
        var outputLayout = AVChannelLayout()
        av_channel_layout_default(&inputLayout, Int32(sourceChannels))
        av_channel_layout_default(&outputLayout, Int32(channels))
        defer {
            av_channel_layout_uninit(&inputLayout)
            av_channel_layout_uninit(&outputLayout)
        }
        try ffmpegCheck(
            swr_alloc_set_opts2(
                &context, &outputLayout, format, Int32(sampleRate), &inputLayout, sourceFormat, Int32(sourceRate), 0,
                nil), "swr_alloc_set_opts2")
        // Every stored property is set: if a call below throws, deinit frees what was allocated.
        try ffmpegCheck(swr_init(context), "swr_init")
    }

    /// A resampler from `source`'s rate, layout and format to what `fifo` holds.
    package convenience init(from source: Frame, to fifo: AudioFifo) throws(FFmpegError) {
        try self.init(
            sourceRate: source.sampleRate, sourceChannels: source.channelCount,
            sourceFormat: AVSampleFormat(rawValue: source.pointer.pointee.format), sampleRate: fifo.sampleRate,
            channels: fifo.channels, format: fifo.format)
    }

    deinit { swr_free(&context) }

    /// Converts `input` (`nil` flushes the delayed samples) into a new frame; nil when no samples came out.
    package func convert(_ input: Frame?) throws(FFmpegError) -> Frame? {
        let output = try Frame()
        let inputSamples = input?.sampleCount ?? 0
        let capacity = Int(swr_get_out_samples(context, Int32(inputSamples)))
        guard capacity > 0 else { return nil }
        try output.allocateAudio(samples: capacity, format: format, sampleRate: sampleRate, channels: channels)
        try ffmpegCheck(swr_convert_frame(context, output.pointer, input?.pointer), "swr_convert_frame")
        return output.sampleCount > 0 ? output : nil
    }
}
