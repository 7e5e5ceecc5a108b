import CFFmpeg
import LadderMedia
import Logging

/// Routes FFmpeg's own log output (av_log) into swift-log under the label "ffmpeg".
public enum FFmpegLog {
    /// Forwards FFmpeg's messages at or above `level` (`.warning` unless changed here).
    public static func install(level: Logger.Level = .warning) {
        _ = callbackInstalled
        av_log_set_level(avLevel(for: level))
    }

    /// Installs the routing once at the default level (every codec wrapper calls this).
    package static func installDefaultOnce() { _ = callbackInstalled }

    private static let callbackInstalled: Void = {
        av_log_set_level(AV_LOG_WARNING)
        av_log_set_callback { context, level, format, arguments in
            // Runs on codec threads; the level check keeps filtered messages cheap.
            guard level <= av_log_get_level(), let format, let arguments else { return }
            var line = [CChar](repeating: 0, count: 1024)
            var printPrefix: Int32 = 1
            let length = av_log_format_line2(context, level, format, arguments, &line, Int32(line.count), &printPrefix)
            guard length > 0 else { return }
            var bytes = line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
            guard !bytes.isEmpty else { return }
            ffmpegLogger.log(level: FFmpegLog.swiftLevel(for: level), "\(String(decoding: bytes, as: UTF8.self))")
        }
    }()

    package static func avLevel(for level: Logger.Level) -> Int32 {
        switch level {
        case .trace: return AV_LOG_TRACE
        case .debug: return AV_LOG_DEBUG
        case .info, .notice: return AV_LOG_INFO
        case .warning: return AV_LOG_WARNING
        case .error: return AV_LOG_ERROR
        case .critical: return AV_LOG_FATAL
        }
    }

    package static func swiftLevel(for avLevel: Int32) -> Logger.Level {
        switch avLevel {
        case ...AV_LOG_FATAL: return .critical
        case ...AV_LOG_ERROR: return .error
        case ...AV_LOG_WARNING: return .warning
        case ...AV_LOG_INFO: return .info
        case ...AV_LOG_DEBUG: return .debug
        default: return .trace
        }
    }
}

/// Global so the non-capturing C callback can reach it.
private let ffmpegLogger = Logger(label: "ffmpeg")
