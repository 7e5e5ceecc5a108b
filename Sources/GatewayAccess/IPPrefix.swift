import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An address range as a token claims it: "203.0.113.0/24", "2001:db8::/48", or one address.
/// An IPv4-mapped IPv6 client ("::ffff:203.0.113.7") matches an IPv4 prefix.
public struct IPPrefix: Sendable, Equatable {
    let bytes: [UInt8]
    let length: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = Self.parse(String(parts[0])) else { return nil }
        let maximum = address.count * 8
        var length = maximum
        if parts.count == 2 {
            guard let given = Int(parts[1]), (0...maximum).contains(given) else { return nil }
            length = given
        }
        self.bytes = address
        self.length = length
    }

    public func contains(_ client: String) -> Bool {
        guard var address = Self.parse(client) else { return false }
        if bytes.count == 4, address.count == 16, address[0..<12] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] {
            address = Array(address[12...])
        }
        guard address.count == bytes.count else { return false }
        var remaining = length
        for index in bytes.indices where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if address[index] & mask != bytes[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// 4 bytes (IPv4) or 16 (IPv6), with inet_pton's strict syntax.
    static func parse(_ text: String) -> [UInt8]? {
        guard !text.isEmpty, text.utf8.count <= 45 else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}
