import CFFmpeg
import LadderMedia
import Logging

/// One elementary stream of a demuxed input.
package struct DemuxedStream: Sendable, Hashable {
    package enum Kind: Sendable, Hashable {
        case video(VideoCodec)
        case audio(AudioCodec)
        case other
    }

    package var index: Int
    package var kind: Kind
    /// Codec extradata as the container holds it (avcC/hvcC in MP4, Annex B or empty in TS, ASC for AAC).
    package var extradata: [UInt8]
    package var timeBaseNum: Int
    package var timeBaseDen: Int
    package var width: Int
    package var height: Int
    package var sampleRate: Int
    package var channels: Int
    /// Average frame rate from the container, if it knows one.
    package var frameRate: Double?
}

/// One compressed packet with times in its stream's time base.
package struct DemuxedPacket: Sendable {
    package var streamIndex: Int
    package var pts: Int64?
    package var dts: Int64?
    package var isKeyframe: Bool
    package var data: [UInt8]
}

/// libavformat input (file or URL) for offline transcoding.
package final class Demuxer {
    private var context: UnsafeMutablePointer<AVFormatContext>?
    private let packet: Packet
    package let streams: [DemuxedStream]

    package init(url: String) throws(FFmpegError) {
        FFmpegLog.installDefaultOnce()
        _ = Demuxer.networkInitialized
        packet = try Packet()
        try ffmpegCheck(avformat_open_input(&context, url, nil, nil), "avformat_open_input(\(url))")
        guard let context else { throw .null("avformat_open_input(\(url))") }
        do throws(FFmpegError) {
            try ffmpegCheck(avformat_find_stream_info(context, nil), "avformat_find_stream_info(\(url))")
        } catch {
            avformat_close_input(&self.context)
            throw error
        }
        var streams: [DemuxedStream] = []
        for index in 0..<Int(context.pointee.nb_streams) {
            guard let stream = context.pointee.streams[index], let parameters = stream.pointee.codecpar else {
                continue
            }
            streams.append(Demuxer.describe(stream, parameters, index: index))
        }
        self.streams = streams
    }

    deinit { avformat_close_input(&context) }

    private static let networkInitialized: Void = { avformat_network_init() }()

    private static func describe(
        _ stream: UnsafeMutablePointer<AVStream>, _ parameters: UnsafeMutablePointer<AVCodecParameters>, index: Int
    ) -> DemuxedStream {
        let kind: DemuxedStream.Kind
        switch parameters.pointee.codec_id {
        case AV_CODEC_ID_H264: kind = .video(.h264)
        case AV_CODEC_ID_HEVC: kind = .video(.hevc)
        case AV_CODEC_ID_AAC: kind = .audio(.aac)
        default: kind = .other
        }
        var extradata: [UInt8] = []
        if parameters.pointee.extradata_size > 0, let bytes = parameters.pointee.extradata {
            extradata = Array(UnsafeBufferPointer(start: bytes, count: Int(parameters.pointee.extradata_size)))
        }
        let rate = stream.pointee.avg_frame_rate
        let frameRate = rate.num > 0 && rate.den > 0 ? Double(rate.num) / Double(rate.den) : nil
        return DemuxedStream(
            index: index, kind: kind, extradata: extradata, timeBaseNum: Int(stream.pointee.time_base.num),
            timeBaseDen: Int(stream.pointee.time_base.den), width: Int(parameters.pointee.width),
            height: Int(parameters.pointee.height), sampleRate: Int(parameters.pointee.sample_rate),
            channels: Int(parameters.pointee.ch_layout.nb_channels), frameRate: frameRate)
    }

    /// The next packet, or nil at the end of the input.
    package func readPacket() throws(FFmpegError) -> DemuxedPacket? {
        guard let context else { return nil }
        let result = av_read_frame(context, packet.pointer)
        if result == FFmpegStatus.endOfFile { return nil }
        try ffmpegCheck(result, "av_read_frame")
        defer { packet.unref() }
        return DemuxedPacket(
            streamIndex: packet.streamIndex, pts: packet.pts, dts: packet.dts, isKeyframe: packet.isKeyframe,
            data: packet.bytes)
    }
}
