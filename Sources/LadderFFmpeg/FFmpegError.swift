import CFFmpeg
import LadderMedia
import Logging

/// A failed FFmpeg call: the function that failed, its return code and FFmpeg's own message.
public struct FFmpegError: Error, Sendable, CustomStringConvertible {
    /// The failing call, e.g. "avcodec_open2(libx264)".
    public var call: String
    /// The negative AVERROR code (or -1 when the call returned NULL).
    public var code: Int32
    /// `av_strerror` text, or a description when there is no code.
    public var message: String

    public init(call: String, code: Int32, message: String) {
        self.call = call
        self.code = code
        self.message = message
    }

    /// Wraps an AVERROR code with FFmpeg's own message.
    package init(call: String, code: Int32) {
        self.init(call: call, code: code, message: FFmpegError.describe(code))
    }

    /// A NULL return (allocation or lookup failure): there is no AVERROR code.
    package static func null(_ call: String, _ message: String = "returned NULL") -> FFmpegError {
        FFmpegError(call: call, code: -1, message: message)
    }

    public var description: String { "\(call) failed: \(message) (\(code))" }

    package static func describe(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        let result = av_strerror(code, &buffer, buffer.count)
        guard result == 0 else { return "unknown error" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Throws `FFmpegError` for a negative return code; returns non-negative codes unchanged.
@discardableResult
package func ffmpegCheck(_ code: Int32, _ call: @autoclosure () -> String) throws(FFmpegError) -> Int32 {
    if code < 0 { throw FFmpegError(call: call(), code: code) }
    return code
}

/// Return codes of the send/receive codec API that are flow control, not failures.
package enum FFmpegStatus {
    package static let again = cff_averror_eagain()
    package static let endOfFile = cff_averror_eof()
    package static let noTimestamp = cff_nopts_value()
    package static let invalidArgument = cff_averror_einval()
}
