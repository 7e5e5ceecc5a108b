import CFFmpeg
import LadderMedia
import Logging

/// av_audio_fifo: regroups resampled audio into the encoder's fixed frame size.
package final class AudioFifo {
    private let fifo: OpaquePointer
    let format: AVSampleFormat
    package let channels: Int
    package let sampleRate: Int

    init(format: AVSampleFormat, channels: Int, sampleRate: Int) throws(FFmpegError) {
        guard let fifo = av_audio_fifo_alloc(format, Int32(channels), 2048) else { throw .null("av_audio_fifo_alloc") }
        self.fifo = fifo
        self.format = format
        self.channels = channels
        self.sampleRate = sampleRate
    }

    /// A FIFO in the encoder's sample format, rate and channel count.
    package convenience init(for encoder: AudioEncoder) throws(FFmpegError) {
        try self.init(format: encoder.sampleFormat, channels: encoder.channels, sampleRate: encoder.sampleRate)
    }

    deinit { av_audio_fifo_free(fifo) }

    package var count: Int { Int(av_audio_fifo_size(fifo)) }

    package func write(_ frame: Frame) throws(FFmpegError) {
        let written = av_audio_fifo_write(
            fifo, cff_frame_audio_planes(frame.pointer), Int32(frame.sampleCount))
        try ffmpegCheck(written, "av_audio_fifo_write")
    }

    /// Appends `samples` samples of silence.
    package func writeSilence(_ samples: Int) throws(FFmpegError) {
        guard samples > 0 else { return }
        let silence = try Frame()
        try silence.allocateAudio(samples: samples, format: format, sampleRate: sampleRate, channels: channels)
        try ffmpegCheck(
            av_samples_set_silence(
                cff_frame_data(silence.pointer), 0, Int32(samples), Int32(channels), format),
            "av_samples_set_silence")
        try write(silence)
    }

    /// Reads up to `samples` samples into a new frame (nil when empty).
    package func read(_ samples: Int) throws(FFmpegError) -> Frame? {
        let available = min(samples, count)
        guard available > 0 else { return nil }
        let frame = try Frame()
        try frame.allocateAudio(samples: available, format: format, sampleRate: sampleRate, channels: channels)
        let read = av_audio_fifo_read(fifo, cff_frame_audio_planes(frame.pointer), Int32(available))
        try ffmpegCheck(read, "av_audio_fifo_read")
        return frame
    }
}
