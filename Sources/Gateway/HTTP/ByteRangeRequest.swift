/// Interpretation of a `Range` request header against a representation of known length
/// (RFC 9110 14.1.2 byte-range syntax, 14.2 Range, 15.3.7 206, 15.5.17 416).
/// Only a single range is honoured; a header with several ranges, or one that does not parse,
/// is ignored and the whole representation is sent, which 14.2 allows.
enum ByteRangeRequest: Equatable, Sendable {
    /// Send the whole representation with 200.
    case whole
    /// Send `range` with 206 and `Content-Range: bytes first-last/length`.
    case partial(Range<Int>)
    /// 416 with `Content-Range: bytes */length`.
    case unsatisfiable

    /// Upper bound on the header length we look at; real players send a few dozen bytes.
    static let maxHeaderLength = 256

    static func evaluate(header: String?, length: Int) -> ByteRangeRequest {
        guard let header, header.utf8.count <= maxHeaderLength else { return .whole }
        let trimmed = Substring(header).trimmingASCIISpaces()
        guard trimmed.count > 6, trimmed.prefix(6).lowercased() == "bytes=" else { return .whole }
        let spec = trimmed.dropFirst(6).trimmingASCIISpaces()
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .whole }
        let firstText = spec[..<dash].trimmingASCIISpaces()
        let lastText = spec[spec.index(after: dash)...].trimmingASCIISpaces()

        if firstText.isEmpty {
            // suffix-range "-N": the last N bytes (14.1.2).
            guard let suffixLength = parseDigits(lastText) else { return .whole }
            guard suffixLength > 0, length > 0 else { return .unsatisfiable }
            return .partial(max(0, length - suffixLength)..<length)
        }
        guard let first = parseDigits(firstText) else { return .whole }
        var last = length - 1
        if !lastText.isEmpty {
            guard let requestedLast = parseDigits(lastText) else { return .whole }
            // last < first is an invalid range: the field is ignored (14.1.1).
            guard requestedLast >= first else { return .whole }
            last = min(requestedLast, length - 1)
        }
        guard first < length else { return .unsatisfiable }
        return .partial(first..<(last + 1))
    }

    /// 1*DIGIT, saturating instead of overflowing on absurd values.
    private static func parseDigits(_ text: Substring) -> Int? {
        guard !text.isEmpty else { return nil }
        var value = 0
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
            value = overflow ? Int.max : min(Int.max - 9, shifted) + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}

extension Substring {
    fileprivate func trimmingASCIISpaces() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        let start = firstIndex(where: { !isSpace($0) }) ?? endIndex
        let end = lastIndex(where: { !isSpace($0) }).map { index(after: $0) } ?? start
        return self[start..<Swift.max(start, end)]
    }
}
