/// Frames a streamed body of newline-delimited JSON objects (how etcd's gateway streams
/// `/v3/watch` and `/v3/lease/keepalive` answers). A pure value over bytes: feed chunks as they
/// arrive, take whole lines out; a line longer than `maxLineBytes` is an error, so a broken or
/// hostile peer cannot grow the buffer without bound.
public struct JSONLineFramer: Sendable {
    public enum Next: Equatable, Sendable {
        case line([UInt8])
        case needMoreData
    }

    public struct LineTooLong: Error, Equatable, Sendable {
        public var limit: Int
    }

    private var buffer: [UInt8] = []
    private var scanned = 0
    public let maxLineBytes: Int

    public init(maxLineBytes: Int = 4 << 20) {
        self.maxLineBytes = maxLineBytes
    }

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
    }

    /// The next complete line without its newline (blank lines are skipped).
    public mutating func next() throws(LineTooLong) -> Next {
        while true {
            guard let newline = buffer[scanned...].firstIndex(of: UInt8(ascii: "\n")) else {
                scanned = buffer.count
                if buffer.count > maxLineBytes { throw LineTooLong(limit: maxLineBytes) }
                return .needMoreData
            }
            var line = Array(buffer[..<newline])
            buffer.removeSubrange(...newline)
            scanned = 0
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            if line.count > maxLineBytes { throw LineTooLong(limit: maxLineBytes) }
            return .line(line)
        }
    }

    /// What is left when the stream ends: a last object without a newline.
    public mutating func finish() -> [UInt8]? {
        defer {
            buffer = []
            scanned = 0
        }
        return buffer.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D }) ? nil : buffer
    }
}
