import CFFmpeg
import LadderMedia
import Logging

/// Settings of one libx264 encoder (one rung). Times given to `encode` are in 1/90000.
package struct VideoEncoderSettings: Sendable, Hashable {
    package var width: Int
    package var height: Int
    /// Nominal frame rate (informs x264's rate control and level; timestamps rule).
    package var frameRate: Double
    package var sampleAspectNum: Int = 1
    package var sampleAspectDen: Int = 1
    package var bitrate: Int
    package var maxrate: Int?
    package var bufsize: Int?
    package var preset: String
    package var profile: String?
    package var level: String?
    /// Maximum IDR interval in frames; IDRs are forced at segment boundaries well before it.
    package var keyframeInterval: Int
    /// x264 rc-lookahead and most consecutive B-frames; nil: the preset's. Together they are the
    /// frames a picture waits in the encoder (latency) and buy quality at the same bitrate.
    package var lookaheadFrames: Int?
    package var bframes: Int?

    package static let timeBase = 90000

    package init(
        width: Int, height: Int, frameRate: Double, sampleAspectNum: Int = 1, sampleAspectDen: Int = 1, bitrate: Int,
        maxrate: Int? = nil, bufsize: Int? = nil, preset: String, profile: String? = nil, level: String? = nil,
        keyframeInterval: Int, lookaheadFrames: Int? = nil, bframes: Int? = nil
    ) {
        self.lookaheadFrames = lookaheadFrames
        self.bframes = bframes
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.sampleAspectNum = sampleAspectNum
        self.sampleAspectDen = sampleAspectDen
        self.bitrate = bitrate
        self.maxrate = maxrate
        self.bufsize = bufsize
        self.preset = preset
        self.profile = profile
        self.level = level
        self.keyframeInterval = keyframeInterval
    }
}

/// libx264 through libavcodec: one thread, closed GOP, IDRs only where the caller forces them.
package final class VideoEncoder {
    private let context: UnsafeMutablePointer<AVCodecContext>
    private let packet: Packet
    package let settings: VideoEncoderSettings

    package init(settings: VideoEncoderSettings) throws(FFmpegError) {
        guard let encoder = avcodec_find_encoder_by_name("libx264") else {
            throw .null("avcodec_find_encoder_by_name(libx264)", "libx264 is not available in this FFmpeg build")
        }
        self.settings = settings
        packet = try Packet()
        context = try CodecSupport.allocateContext(encoder, call: "libx264")
        // Every stored property is set: if a call below throws, deinit frees what was allocated.
        try Self.configure(context, settings)
        var options: OpaquePointer? = nil
        defer { av_dict_free(&options) }
        av_dict_set(&options, "preset", settings.preset, 0)
        if let profile = settings.profile { av_dict_set(&options, "profile", profile, 0) }
        if let level = settings.level { av_dict_set(&options, "level", level, 0) }
        av_dict_set(&options, "forced-idr", "1", 0)
        if let lookahead = settings.lookaheadFrames { av_dict_set(&options, "rc-lookahead", "\(lookahead)", 0) }
        // No scene-cut or open-GOP keyframes: IDRs come only from the segment boundaries.
        av_dict_set(&options, "x264-params", "scenecut=0:open-gop=0", 0)
        try ffmpegCheck(avcodec_open2(context, encoder, &options), "avcodec_open2(libx264)")
        if let unused = av_dict_get(options, "", nil, AV_DICT_IGNORE_SUFFIX), let key = unused.pointee.key {
            throw FFmpegError(
                call: "avcodec_open2(libx264)", code: FFmpegStatus.invalidArgument,
                message: "unknown option \(String(cString: key))")
        }
    }

    private static func configure(
        _ context: UnsafeMutablePointer<AVCodecContext>, _ settings: VideoEncoderSettings
    ) throws(FFmpegError) {
        context.pointee.width = Int32(settings.width)
        context.pointee.height = Int32(settings.height)
        context.pointee.pix_fmt = AV_PIX_FMT_YUV420P
        context.pointee.time_base = AVRational(num: 1, den: Int32(VideoEncoderSettings.timeBase))
        context.pointee.framerate = av_d2q(settings.frameRate, 1_001_000)
        context.pointee.sample_aspect_ratio = AVRational(
            num: Int32(clamping: settings.sampleAspectNum), den: Int32(clamping: settings.sampleAspectDen))
        context.pointee.bit_rate = Int64(settings.bitrate)
        if let maxrate = settings.maxrate {
            context.pointee.rc_max_rate = Int64(maxrate)
            context.pointee.rc_buffer_size = Int32(clamping: settings.bufsize ?? maxrate * 2)
        }
        context.pointee.gop_size = Int32(clamping: settings.keyframeInterval)
        // -1 leaves the preset's B-frames (libavcodec's libx264 wrapper default).
        context.pointee.max_b_frames = Int32(clamping: settings.bframes ?? -1)
        context.pointee.thread_count = 1
        context.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER | Int32(bitPattern: AV_CODEC_FLAG_CLOSED_GOP)
    }

    deinit { CodecSupport.free(context) }

    /// SPS/PPS as libx264 writes them: Annex B, even with a global header.
    package var extradata: [UInt8] { CodecSupport.extradata(of: context) }

    /// Encodes one picture (`nil` drains); every packet that comes out goes to `body`
    /// (payload Annex B, times in 1/90000; the packet is reused after `body` returns).
    package func encode(_ frame: Frame?, _ body: (Packet) throws -> Void) throws {
        let result = avcodec_send_frame(context, frame?.pointer)
        if result != FFmpegStatus.endOfFile {
            try ffmpegCheck(result, "avcodec_send_frame(libx264)")
        }
        try CodecSupport.receivePackets(from: context, into: packet, call: "libx264", body)
    }
}
