/// Percent-decoding (RFC 3986 2.1: "%" HEXDIG HEXDIG is one octet), the one decoder of the RTMP
/// stream names and of the HTTP origin's request paths. Pure: bytes in, bytes or text out.
package enum PercentDecoding {
    package enum Mode: Sendable, Hashable {
        /// Every "%" must start a two-hex-digit escape, else decoding fails (RFC 3986 2.1). For
        /// URLs a client built, where a stray "%" means a broken or hostile request.
        case strict
        /// A "%" not followed by two hex digits stays literal. For RTMP publish names and their
        /// query strings (OBS, FFmpeg), which are not always URL-encoded.
        case lenient
    }

    /// The decoded octets, or nil (only in `.strict` mode) for a malformed escape. "+" stays "+"
    /// (it means a space only in HTML form bodies, not in RFC 3986 URIs).
    package static func decode(_ encoded: some Collection<UInt8>, mode: Mode) -> [UInt8]? {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(encoded.count)
        var index = encoded.startIndex
        while index != encoded.endIndex {
            let byte = encoded[index]
            index = encoded.index(after: index)
            guard byte == UInt8(ascii: "%") else {
                decoded.append(byte)
                continue
            }
            if let (value, next) = escapedOctet(in: encoded, at: index) {
                decoded.append(value)
                index = next
            } else if mode == .strict {
                return nil
            } else {
                decoded.append(byte)
            }
        }
        return decoded
    }

    /// Lenient decoding to text; ill-formed UTF-8 is repaired with U+FFFD.
    package static func lenient(_ text: some StringProtocol) -> String {
        String(decoding: decode(text.utf8, mode: .lenient) ?? [], as: UTF8.self)
    }

    /// Strict decoding to text: nil for a malformed escape or decoded bytes that are not UTF-8.
    package static func strict(_ text: some StringProtocol) -> String? {
        decode(text.utf8, mode: .strict).flatMap { String(validating: $0, as: UTF8.self) }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// The octet of the two hex digits at `index` (just after a "%") and the index after them.
    private static func escapedOctet<Bytes: Collection<UInt8>>(
        in bytes: Bytes, at index: Bytes.Index
    ) -> (UInt8, Bytes.Index)? {
        guard index != bytes.endIndex, let high = hexValue(bytes[index]) else { return nil }
        let lowIndex = bytes.index(after: index)
        guard lowIndex != bytes.endIndex, let low = hexValue(bytes[lowIndex]) else { return nil }
        return (high << 4 | low, bytes.index(after: lowIndex))
    }
}
