/// A strict scanner for the one request shape the origin's hot path answers straight from the
/// socket's bytes: `GET` or `HEAD`, `HTTP/1.1`, no body, keep-alive (RFC 9112 2-3, 5, 9.3).
/// Pure: bytes in, a value out, no I/O.
///
/// It must never frame a request differently from NIO's decoder, which gets every byte it does
/// not answer. So it accepts a strict subset only: CRLF line ends, token header names, no
/// obsolete line folding, and no field that can give the message a body or change the
/// connection (`Content-Length`, `Transfer-Encoding`, `Upgrade`, `Expect`, a `Connection` other
/// than `keep-alive`). Anything else is `.unsupported`, and the connection goes to NIO for good.
public enum RawRequestScanner {
    /// The longest head looked for; a longer one goes to NIO's decoder and its limits.
    public static let maxHeadBytes = 8192

    public enum Result: Equatable, Sendable {
        case needMoreData
        /// A complete request of `length` bytes (its head; it has no body).
        case complete(RawRequestHead)
        /// Another shape: NIO's decoder takes this connection's bytes from here on.
        case unsupported
    }

    public static func scan(_ bytes: UnsafeRawBufferPointer) -> Result {
        // Request line (RFC 9112 3): method SP request-target SP HTTP-version CRLF.
        let isHead: Bool
        var index: Int
        if hasPrefix(bytes, "GET ") {
            isHead = false
            index = 4
        } else if hasPrefix(bytes, "HEAD ") {
            isHead = true
            index = 5
        } else {
            return bytes.count < 5 && isPrefixOfMethod(bytes) ? .needMoreData : .unsupported
        }
        let targetStart = index
        while index < bytes.count, bytes[index] != UInt8(ascii: " ") {
            // Visible ASCII only (RFC 9112 3.2, RFC 3986 2); no CR, LF, controls or UTF-8.
            guard bytes[index] > 0x20, bytes[index] < 0x7F else { return .unsupported }
            index += 1
        }
        guard index < bytes.count else { return tooLong(bytes) }
        let targetEnd = index
        guard targetEnd > targetStart, bytes[targetStart] == UInt8(ascii: "/") else { return .unsupported }
        index += 1
        let version = " HTTP/1.1\r\n".utf8.dropFirst()
        for expected in version {
            guard index < bytes.count else { return tooLong(bytes) }
            guard bytes[index] == expected else { return .unsupported }
            index += 1
        }
        var head = RawRequestHead(isHead: isHead, target: string(bytes, targetStart..<targetEnd), length: 0)
        // Field lines (RFC 9112 5), until the empty line.
        while true {
            guard index + 1 < bytes.count else { return tooLong(bytes) }
            if bytes[index] == UInt8(ascii: "\r") {
                guard bytes[index + 1] == UInt8(ascii: "\n") else { return .unsupported }
                head.length = index + 2
                return .complete(head)
            }
            switch field(bytes, from: index) {
            case .needMoreData:
                return tooLong(bytes)
            case .unsupported:
                return .unsupported
            case .field(let name, let value, let next):
                guard head.apply(name: name, value: value, bytes) else { return .unsupported }
                index = next
            }
        }
    }

    private enum Field {
        case needMoreData
        case unsupported
        case field(name: Range<Int>, value: Range<Int>, next: Int)
    }

    /// `field-name ":" OWS field-value OWS CRLF`; the name is a token (RFC 9110 5.1, 5.6.2).
    private static func field(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Field {
        var index = start
        while index < bytes.count, isTokenByte(bytes[index]) { index += 1 }
        guard index < bytes.count else { return .needMoreData }
        guard index > start, bytes[index] == UInt8(ascii: ":") else { return .unsupported }
        let name = start..<index
        index += 1
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") {
            index += 1
        }
        let valueStart = index
        // field-value: VCHAR, SP, HTAB (obs-text too); a bare CR or LF is refused (RFC 9112 2.2).
        while index < bytes.count, bytes[index] != UInt8(ascii: "\r") {
            let byte = bytes[index]
            guard byte >= 0x20 || byte == UInt8(ascii: "\t"), byte != 0x7F else { return .unsupported }
            index += 1
        }
        guard index + 1 < bytes.count else { return .needMoreData }
        guard bytes[index + 1] == UInt8(ascii: "\n") else { return .unsupported }
        var valueEnd = index
        while valueEnd > valueStart,
            bytes[valueEnd - 1] == UInt8(ascii: " ") || bytes[valueEnd - 1] == UInt8(ascii: "\t")
        {
            valueEnd -= 1
        }
        return .field(name: name, value: valueStart..<valueEnd, next: index + 2)
    }

    private static func tooLong(_ bytes: UnsafeRawBufferPointer) -> Result {
        bytes.count >= maxHeadBytes ? .unsupported : .needMoreData
    }

    private static func hasPrefix(_ bytes: UnsafeRawBufferPointer, _ prefix: StaticString) -> Bool {
        guard bytes.count >= prefix.utf8CodeUnitCount else { return false }
        return prefix.withUTF8Buffer { expected in
            expected.indices.allSatisfy { bytes[$0] == expected[$0] }
        }
    }

    private static func isPrefixOfMethod(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let candidates: [StaticString] = ["GET ", "HEAD "]
        return candidates.contains { method in
            method.withUTF8Buffer { expected in
                bytes.count <= expected.count && bytes.indices.allSatisfy { bytes[$0] == expected[$0] }
            }
        }
    }

    /// tchar (RFC 9110 5.6.2).
    public static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    static func string(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}

/// A request the scanner framed: a GET or HEAD with no body, `length` bytes long.
public struct RawRequestHead: Equatable, Sendable {
    public var isHead: Bool
    /// The request target as sent (origin-form: path and query, still percent-encoded).
    public var target: String
    public var length: Int
    /// A `Range` field: the responder answers it (206/416).
    public var hasRange = false
    public var forwardedFor: String?
    public var userAgent: String?

    /// Records what the hot path needs of a field; false for a field it must not see.
    fileprivate mutating func apply(name: Range<Int>, value: Range<Int>, _ bytes: UnsafeRawBufferPointer) -> Bool {
        switch name.count {
        case 5 where Self.equalsLowercased(bytes, name, "range"):
            hasRange = true
        case 6 where Self.equalsLowercased(bytes, name, "expect"),
            7 where Self.equalsLowercased(bytes, name, "upgrade"),
            14 where Self.equalsLowercased(bytes, name, "content-length"),
            17 where Self.equalsLowercased(bytes, name, "transfer-encoding"):
            return false
        case 10 where Self.equalsLowercased(bytes, name, "connection"):
            // Only the HTTP/1.1 default said out loud (RFC 9112 9.3).
            return value.count == 10 && Self.equalsLowercased(bytes, value, "keep-alive")
        case 10 where Self.equalsLowercased(bytes, name, "user-agent"):
            if userAgent == nil { userAgent = RawRequestScanner.string(bytes, value) }
        case 15 where Self.equalsLowercased(bytes, name, "x-forwarded-for"):
            if forwardedFor == nil { forwardedFor = RawRequestScanner.string(bytes, value) }
        default:
            break
        }
        return true
    }

    private static func equalsLowercased(
        _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ lower: StaticString
    )
        -> Bool
    {
        guard range.count == lower.utf8CodeUnitCount else { return false }
        return lower.withUTF8Buffer { expected in
            zip(range, expected).allSatisfy { position, byte in
                let actual = bytes[position]
                return actual == byte || (actual >= 0x41 && actual <= 0x5A && actual | 0x20 == byte)
            }
        }
    }
}
