import Foundation

/// One response an nginx edge sent, from its `gateway_usage` access log line (a JSON object,
/// `deploy/nginx/edge.conf`) as syslog delivers it over UDP (RFC 3164: `<PRI>TIMESTAMP TAG: MSG`,
/// nginx's `syslog:` with `nohostname`). A pure value over bytes: no I/O, no clock.
public struct EdgeLogRecord: Codable, Sendable, Equatable {
    /// The request target as the viewer sent it (path and query, still encoded).
    public var uri: String
    public var status: Int
    public var bytes: Int
    /// The viewer's address as the edge saw it.
    public var client: String?
    public var userAgent: String?
    /// HIT, MISS, EXPIRED... or empty when the edge did not use its cache.
    public var cache: String?

    enum CodingKeys: String, CodingKey {
        case uri, status, bytes, client, cache
        case userAgent = "ua"
    }

    public init(uri: String, status: Int, bytes: Int, client: String?, userAgent: String?, cache: String?) {
        self.uri = uri
        self.status = status
        self.bytes = bytes
        self.client = client
        self.userAgent = userAgent
        self.cache = cache
    }
}

public enum EdgeLogLine {
    public enum Problem: Error, Sendable, Equatable {
        case tooLong
        /// No JSON object after the syslog header.
        case noRecord
        case malformedRecord
    }

    /// Longer datagrams are refused unread (nginx's own syslog lines stay under 2 KiB).
    public static let maxBytes = 8192

    public static func parse(_ bytes: some BidirectionalCollection<UInt8>) -> Result<EdgeLogRecord, Problem> {
        guard bytes.count <= maxBytes else { return .failure(.tooLong) }
        // The message is the JSON object: everything from the first "{" to the last "}".
        guard let open = bytes.firstIndex(of: UInt8(ascii: "{")),
            let close = bytes.lastIndex(of: UInt8(ascii: "}")), open < close
        else { return .failure(.noRecord) }
        let json = Data(bytes[open...close])
        guard var record = try? JSONDecoder().decode(EdgeLogRecord.self, from: json), record.uri.hasPrefix("/"),
            (100...599).contains(record.status), record.bytes >= 0
        else { return .failure(.malformedRecord) }
        // nginx logs a missing variable as "" (escape=json): absent.
        if record.client?.isEmpty == true { record.client = nil }
        if record.userAgent?.isEmpty == true { record.userAgent = nil }
        if record.cache?.isEmpty == true { record.cache = nil }
        return .success(record)
    }
}
