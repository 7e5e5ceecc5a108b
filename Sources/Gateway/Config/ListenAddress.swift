/// `HOST:PORT` (or `[IPv6]:PORT`) as given to --rtmp / --http. Port 0 lets the OS pick. Also the
/// address a server actually bound (`OriginServer.listeningAddress()`), so both print alike.
struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    var host: String
    var port: Int

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` or `[IPv6]:PORT`; nil when malformed.
    init?(parsing argument: String) {
        let hostPart: Substring
        let portPart: Substring
        if argument.hasPrefix("[") {
            guard let close = argument.firstIndex(of: "]"),
                argument[argument.index(after: close)...].hasPrefix(":")
            else { return nil }
            hostPart = argument[argument.index(after: argument.startIndex)..<close]
            portPart = argument[argument.index(close, offsetBy: 2)...]
        } else {
            guard let colon = argument.lastIndex(of: ":") else { return nil }
            hostPart = argument[..<colon]
            portPart = argument[argument.index(after: colon)...]
        }
        guard !hostPart.isEmpty, let port = Int(portPart), (0...65535).contains(port) else { return nil }
        self.init(host: String(hostPart), port: port)
    }

    /// The form `init(parsing:)` reads back (IPv6 literals in brackets, RFC 3986 3.2.2).
    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
