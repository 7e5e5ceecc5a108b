import CFFmpeg
import LadderMedia
import Logging

/// Settings of one rung's encoder. Times given to `encode` are in 1/90000.
package struct VideoEncoderSettings: Sendable, Hashable {
    package var width: Int
    package var height: Int
    /// Nominal frame rate (informs rate control and level; timestamps rule).
    package var frameRate: Double
    package var sampleAspectNum: Int = 1
    package var sampleAspectDen: Int = 1
    package var bitrate: Int
    package var maxrate: Int?
    package var bufsize: Int?
    /// Codec, encoder and its knobs, already `resolved` to the codec's defaults.
    package var coding: VideoCoding
    /// Maximum key frame interval in frames; key frames are forced at segment boundaries well before it.
    package var keyframeInterval: Int
    /// x264/x265 rc-lookahead and most consecutive B-frames; nil: the preset's. Together they are
    /// the frames a picture waits in the encoder (latency) and buy quality at the same bitrate.
    package var lookaheadFrames: Int?
    package var bframes: Int?

    package static let timeBase = 90000

    package init(
        width: Int, height: Int, frameRate: Double, sampleAspectNum: Int = 1, sampleAspectDen: Int = 1, bitrate: Int,
        maxrate: Int? = nil, bufsize: Int? = nil, coding: VideoCoding, keyframeInterval: Int,
        lookaheadFrames: Int? = nil, bframes: Int? = nil
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
        self.coding = coding.resolved
        self.keyframeInterval = keyframeInterval
    }

    /// An H.264 (libx264) rung.
    package init(
        width: Int, height: Int, frameRate: Double, sampleAspectNum: Int = 1, sampleAspectDen: Int = 1, bitrate: Int,
        maxrate: Int? = nil, bufsize: Int? = nil, preset: String, profile: String? = nil, level: String? = nil,
        keyframeInterval: Int, lookaheadFrames: Int? = nil, bframes: Int? = nil
    ) {
        self.init(
            width: width, height: height, frameRate: frameRate, sampleAspectNum: sampleAspectNum,
            sampleAspectDen: sampleAspectDen, bitrate: bitrate, maxrate: maxrate, bufsize: bufsize,
            coding: VideoCoding(codec: .h264, preset: preset, profile: profile, level: level),
            keyframeInterval: keyframeInterval, lookaheadFrames: lookaheadFrames, bframes: bframes)
    }
}

/// One rung's encoder through libavcodec (libx264, libx265, libvpx-vp9, libaom-av1 or NVENC):
/// one thread unless the profile gives it more, closed GOPs, key frames only where the caller forces them, no frame delay beyond
/// the configured lookahead and B-frames.
package final class VideoEncoder {
    private let context: UnsafeMutablePointer<AVCodecContext>
    private let packet: Packet
    package let settings: VideoEncoderSettings
    private var name: String { settings.coding.encoder }

    package init(settings: VideoEncoderSettings) throws(FFmpegError) {
        let name = settings.coding.encoder
        guard let encoder = avcodec_find_encoder_by_name(name) else {
            throw .null("avcodec_find_encoder_by_name(\(name))", "\(name) is not available in this FFmpeg build")
        }
        self.settings = settings
        packet = try Packet()
        context = try CodecSupport.allocateContext(encoder, call: name)
        // Every stored property is set: if a call below throws, deinit frees what was allocated.
        try Self.configure(context, settings)
        var options: OpaquePointer? = nil
        defer { av_dict_free(&options) }
        for (key, value) in Self.options(settings) { av_dict_set(&options, key, value, 0) }
        try ffmpegCheck(avcodec_open2(context, encoder, &options), "avcodec_open2(\(name))")
        if let unused = av_dict_get(options, "", nil, AV_DICT_IGNORE_SUFFIX), let key = unused.pointee.key {
            throw FFmpegError(
                call: "avcodec_open2(\(name))", code: FFmpegStatus.invalidArgument,
                message: "unknown option \(String(cString: key))")
        }
    }

    /// The encoder's private options (libavcodec's names) for `settings`, whose coding is
    /// `resolved`: every knob left unset in the profile already holds its codec's default.
    static func options(_ settings: VideoEncoderSettings) -> [(String, String)] {
        let coding = settings.coding
        var options: [(String, String)] = []
        if let preset = coding.preset { options.append(("preset", preset)) }
        switch coding.encoder {
        case "libx264":
            if let profile = coding.profile { options.append(("profile", profile)) }
            if let level = coding.level { options.append(("level", level)) }
            options.append(("forced-idr", "1"))
            if let lookahead = settings.lookaheadFrames { options.append(("rc-lookahead", "\(lookahead)")) }
            // No scene-cut or open-GOP keyframes: IDRs come only from the segment boundaries.
            // More threads split each picture into slices: frame threads would add frames of delay.
            let sliced = (coding.threads ?? 1) > 1 ? ":sliced-threads=1" : ""
            options.append(("x264-params", "scenecut=0:open-gop=0" + sliced))
        case "libx265":
            options.append(("forced-idr", "1"))
            // Its worker pool, no frame threads, no scene-cut or open-GOP key frames, headers only in hvcC.
            var params = "scenecut=0:open-gop=0:pools=\(coding.threads ?? 1):frame-threads=1:log-level=error:info=0"
            params += ":repeat-headers=0"
            if let lookahead = settings.lookaheadFrames { params += ":rc-lookahead=\(lookahead)" }
            options.append(("x265-params", params))
        case "libvpx-vp9":
            if let deadline = coding.deadline { options.append(("deadline", deadline)) }
            if let cpuUsed = coding.cpuUsed { options.append(("cpu-used", "\(cpuUsed)")) }
            options.append(("lag-in-frames", "0"))  // no alt-ref lookahead: no frame delay
            if let rowMT = coding.rowMT { options.append(("row-mt", rowMT ? "1" : "0")) }
            if let tiles = coding.tileColumns { options.append(("tile-columns", "\(tiles)")) }
        case "libaom-av1":
            options.append(("usage", "realtime"))
            if let cpuUsed = coding.cpuUsed { options.append(("cpu-used", "\(cpuUsed)")) }
            options.append(("lag-in-frames", "0"))
        default:  // NVENC
            options.append(("forced-idr", "1"))
        }
        return options
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
        // -1 leaves the preset's B-frames (the x264/x265 wrappers' default); VP9 and AV1 have none.
        context.pointee.max_b_frames = Int32(clamping: settings.bframes ?? -1)
        context.pointee.thread_count = Int32(clamping: settings.coding.threads ?? 1)
        context.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER | Int32(bitPattern: AV_CODEC_FLAG_CLOSED_GOP)
    }

    deinit { CodecSupport.free(context) }

    /// The global header: H.264/HEVC parameter sets in Annex B (even with a global header), the
    /// AV1 sequence header OBU (or an av1C record); empty for VP9, whose key frames carry it.
    package var extradata: [UInt8] { CodecSupport.extradata(of: context) }

    /// Encodes one picture (`nil` drains); every packet that comes out goes to `body`
    /// (H.264/HEVC in Annex B, times in 1/90000; the packet is reused after `body` returns).
    package func encode(_ frame: Frame?, _ body: (Packet) throws -> Void) throws {
        let result = avcodec_send_frame(context, frame?.pointer)
        if result != FFmpegStatus.endOfFile {
            try ffmpegCheck(result, "avcodec_send_frame(\(name))")
        }
        try CodecSupport.receivePackets(from: context, into: packet, call: name, body)
    }
}

extension VideoEncoder {
    /// The track's configuration as this encoder writes it: from its global header, or when it
    /// has none (VP9 never does; FFmpeg 5.1's libaom-av1 wrapper leaves it empty) from the key
    /// frame a throwaway encoder with the same settings makes of one grey picture.
    package func sampleFormat() throws -> VideoSampleFormat {
        var header = extradata
        if header.isEmpty {
            let probe = try VideoEncoder(settings: settings)
            let picture = try Frame()
            try picture.allocateYUV420Picture(width: settings.width, height: settings.height)
            try picture.fillGrey()
            picture.pts = 0
            picture.setForcedKeyframe(true)
            var first: [UInt8]?
            let keep: (Packet) -> Void = { packet in if first == nil { first = packet.bytes } }
            try probe.encode(picture, keep)
            try probe.encode(nil, keep)
            guard let first else {
                throw FFmpegError(
                    call: "probe(\(name))", code: FFmpegStatus.invalidArgument, message: "no key frame came out")
            }
            header = first
        }
        do {
            return try VideoSampleFormat(
                codec: settings.coding.codec, header: header, frameRate: settings.frameRate, bitrate: settings.bitrate)
        } catch {
            throw FFmpegError(
                call: "\(name) headers", code: FFmpegStatus.invalidArgument,
                message: "unreadable (\(header.prefix(12).map { String($0, radix: 16) })): \(error)")
        }
    }
}
