import CFFmpeg
import LadderMedia
import Logging

/// A refcounted AVPacket (always built with `av_new_packet`: padded, never pointing at Swift memory).
package final class Packet {
    let pointer: UnsafeMutablePointer<AVPacket>

    package init() throws(FFmpegError) {
        guard let packet = av_packet_alloc() else { throw .null("av_packet_alloc") }
        pointer = packet
    }

    /// A packet holding a copy of `bytes`; times are in the consumer's time base.
    package convenience init(bytes: [UInt8], pts: Int64?, dts: Int64?, isKeyframe: Bool) throws(FFmpegError) {
        try self.init()
        try ffmpegCheck(av_new_packet(pointer, Int32(clamping: bytes.count)), "av_new_packet")
        if let data = pointer.pointee.data, !bytes.isEmpty {
            bytes.withUnsafeBufferPointer { source in
                guard let base = source.baseAddress else { return }
                data.update(from: base, count: bytes.count)
            }
        }
        pointer.pointee.pts = pts ?? FFmpegStatus.noTimestamp
        pointer.pointee.dts = dts ?? FFmpegStatus.noTimestamp
        if isKeyframe { pointer.pointee.flags |= AV_PKT_FLAG_KEY }
    }

    deinit {
        var packet: UnsafeMutablePointer<AVPacket>? = pointer
        av_packet_free(&packet)
    }

    package var pts: Int64? { pointer.pointee.pts == FFmpegStatus.noTimestamp ? nil : pointer.pointee.pts }
    package var dts: Int64? { pointer.pointee.dts == FFmpegStatus.noTimestamp ? nil : pointer.pointee.dts }
    package var duration: Int64 { pointer.pointee.duration }
    var streamIndex: Int { Int(pointer.pointee.stream_index) }
    package var isKeyframe: Bool { pointer.pointee.flags & AV_PKT_FLAG_KEY != 0 }
    var isCorrupt: Bool { pointer.pointee.flags & AV_PKT_FLAG_CORRUPT != 0 }

    /// A copy of the payload.
    package var bytes: [UInt8] {
        let size = Int(pointer.pointee.size)
        guard size > 0, let data = pointer.pointee.data else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    func unref() { av_packet_unref(pointer) }
}
