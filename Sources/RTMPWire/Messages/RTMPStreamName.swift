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

    /// Lenient: publishers do not always URL-encode names (see `PercentDecoding.Mode.lenient`).
    private static func percentDecoded(_ text: some StringProtocol) -> String {
        PercentDecoding.lenient(text)
    }
}
