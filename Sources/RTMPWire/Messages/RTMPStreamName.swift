import LadderMedia

/// A publish/play stream name with an optional query, e.g. "cam1?key=SECRET&x=y".
package struct RTMPStreamName: Sendable, Hashable {
    package struct QueryItem: Sendable, Hashable {
        package var name: String
        /// Percent-decoded; nil when the item has no "=".
        package var value: String?
    }

    package var name: String
    package var queryItems: [QueryItem]

    package init(name: String, queryItems: [QueryItem] = []) {
        self.name = name
        self.queryItems = queryItems
    }

    /// Splits at the first "?", then the query at "&" and each item at its first "=".
    /// Names and values are percent-decoded ("+" is kept as is); malformed escapes stay literal.
    package init(parsing raw: String) {
        guard let questionMark = raw.firstIndex(of: "?") else {
            self.init(name: Self.percentDecoded(raw))
            return
        }
        let query = raw[raw.index(after: questionMark)...]
        let items = query.split(separator: "&", omittingEmptySubsequences: true).map { item -> QueryItem in
            guard let equals = item.firstIndex(of: "=") else {
                return QueryItem(name: Self.percentDecoded(item), value: nil)
            }
            return QueryItem(
                name: Self.percentDecoded(item[..<equals]),
                value: Self.percentDecoded(item[item.index(after: equals)...]))
        }
        self.init(name: Self.percentDecoded(raw[..<questionMark]), queryItems: items)
    }

    /// The value of the first query item called `name`.
    package func queryValue(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    private static func percentDecoded(_ text: some StringProtocol) -> String {
        let utf8 = Array(text.utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "%"), index + 2 < utf8.count,
                let high = hexValue(utf8[index + 1]), let low = hexValue(utf8[index + 2])
            {
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
