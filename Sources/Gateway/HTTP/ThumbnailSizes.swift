import Ladder
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// `thumbnail.jpg?width=N`: a smaller copy of a stream's thumbnail, made on the thread pool
/// once per picture and width, then shared by every request until the picture changes.
/// Widths are rounded down to a multiple of 16 (at least 64), so at most one entry per stream
/// and width step exists, and at most `capacity` in all.
final class ThumbnailSizes: Sendable {
    private struct Entry {
        var source: ByteBuffer
        var resized: ByteBuffer
    }

    private let entries = NIOLockedValueBox<[String: Entry]>([:])
    let capacity: Int
    let pool: NIOThreadPool

    init(capacity: Int = 256, pool: NIOThreadPool = .singleton) {
        self.capacity = capacity
        self.pool = pool
    }

    static let minWidth = 64
    static let maxWidth = 3840

    /// The width to make for a `?width=` value; nil when it is not a number in range.
    static func width(query value: Substring?) -> Int? {
        guard let value, value.utf8.count <= 5, let width = Int(value), (minWidth...maxWidth).contains(width)
        else { return nil }
        return width / 16 * 16
    }

    /// `source` at most `width` wide. Throws FFmpeg's error for a picture it cannot decode.
    func resized(stream: String, source: ByteBuffer, width: Int) async throws -> ByteBuffer {
        let key = "\(stream)|\(width)"
        if let entry = entries.withLockedValue({ $0[key] }), entry.source == source { return entry.resized }
        let bytes = Array(source.readableBytesView)
        let jpeg = try await pool.runIfActive { try JPEGResizer().resize(bytes, maxWidth: width) }
        let resized = ByteBuffer(bytes: jpeg)
        entries.withLockedValue { entries in
            if entries[key] == nil, entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = Entry(source: source, resized: resized)
        }
        return resized
    }
}
