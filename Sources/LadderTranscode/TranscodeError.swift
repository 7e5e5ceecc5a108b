import LadderFFmpeg
import LadderMedia
import LadderProfile

/// Why a transcode (or one of its rungs) failed.
public enum TranscodeError: Error, Sendable, CustomStringConvertible {
    case ffmpeg(FFmpegError)
    case bitstream(BitstreamError)
    /// The input has nothing this pipeline can transcode.
    case unsupportedInput(String)

    public var description: String {
        switch self {
        case .ffmpeg(let error): return error.description
        case .bitstream(let error): return "malformed bitstream: \(error)"
        case .unsupportedInput(let reason): return "unsupported input: \(reason)"
        }
    }

    init(_ error: any Error) {
        switch error {
        case let error as TranscodeError: self = error
        case let error as FFmpegError: self = .ffmpeg(error)
        case let error as BitstreamError: self = .bitstream(error)
        default: self = .unsupportedInput("\(error)")
        }
    }
}
