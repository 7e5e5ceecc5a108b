import CFFmpeg
import LadderMedia
import Logging

/// Shared steps of the send/receive codec API used by the decoder and encoder wrappers.
package enum CodecSupport {
    package static func allocateContext(
        _ codec: UnsafePointer<AVCodec>, call: String
    ) throws(FFmpegError) -> UnsafeMutablePointer<AVCodecContext> {
        FFmpegLog.installDefaultOnce()
        guard let context = avcodec_alloc_context3(codec) else { throw .null("avcodec_alloc_context3(\(call))") }
        return context
    }

    static func free(_ context: UnsafeMutablePointer<AVCodecContext>) {
        var owned: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&owned)
    }

    /// Copies `bytes` into a padded `extradata` buffer owned by the context.
    static func setExtradata(_ bytes: [UInt8], on context: UnsafeMutablePointer<AVCodecContext>) throws(FFmpegError) {
        guard !bytes.isEmpty else { return }
        let padded = bytes.count + Int(AV_INPUT_BUFFER_PADDING_SIZE)
        guard let raw = av_mallocz(padded) else { throw .null("av_mallocz(extradata)") }
        let buffer = raw.bindMemory(to: UInt8.self, capacity: padded)
        bytes.withUnsafeBufferPointer { source in
            guard let base = source.baseAddress else { return }
            buffer.update(from: base, count: bytes.count)
        }
        context.pointee.extradata = buffer
        context.pointee.extradata_size = Int32(bytes.count)
    }

    static func extradata(of context: UnsafeMutablePointer<AVCodecContext>) -> [UInt8] {
        let size = Int(context.pointee.extradata_size)
        guard size > 0, let data = context.pointee.extradata else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// Receives every frame the decoder has ready; each one is a new `Frame` handed to `body`.
    package static func receiveFrames(
        from context: UnsafeMutablePointer<AVCodecContext>, call: String, _ body: (Frame) throws -> Void
    ) throws {
        while true {
            let frame = try Frame()
            let result = avcodec_receive_frame(context, frame.pointer)
            if result == FFmpegStatus.again || result == FFmpegStatus.endOfFile { return }
            try ffmpegCheck(result, "avcodec_receive_frame(\(call))")
            try body(frame)
        }
    }

    /// Receives every packet the encoder has ready into `packet` (reused, unref'd after `body`).
    package static func receivePackets(
        from context: UnsafeMutablePointer<AVCodecContext>, into packet: Packet, call: String,
        _ body: (Packet) throws -> Void
    ) throws {
        while true {
            let result = avcodec_receive_packet(context, packet.pointer)
            if result == FFmpegStatus.again || result == FFmpegStatus.endOfFile { return }
            try ffmpegCheck(result, "avcodec_receive_packet(\(call))")
            defer { packet.unref() }
            try body(packet)
        }
    }
}
