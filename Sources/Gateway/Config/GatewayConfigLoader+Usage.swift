import Foundation
import GatewayAccess
import Ladder

/// `usage:`: where usage reports are kept (SQLite) and for how long. Without the section, a
/// gateway with a `data_dir` keeps them in `DATA_DIR/usage.sqlite` for 90 days.
extension GatewayConfigLoader {
    static let usageKeys = ["database", "keep_days", "off", "edge_log"]
    static let edgeLogKeys = ["listen", "from"]
}

extension GatewayConfig {
    struct Usage: Sendable, Hashable {
        var databasePath: String
        var keepDays: Double? = 90
    }

    /// `usage.edge_log`: nginx edges send a JSON line per response (syslog over UDP) to
    /// `listen`, from the addresses in `from` only; their viewers count as if the origin served
    /// them, and the origin stops counting its own requests relayed by those edges.
    struct EdgeLog: Sendable, Hashable {
        var listen: ListenAddress
        var from: [String]
    }

    /// The usage store this config asks for, if any.
    var usageStore: Usage? {
        if let usage { return usage }
        guard !usageOff, let dataDirectory else { return nil }
        return Usage(
            databasePath: (dataDirectory as NSString).appendingPathComponent("usage.sqlite"),
            keepDays: usageKeepDays ?? 90)
    }
}

extension GatewayConfigLoader.Parser {
    mutating func parseUsage(_ top: ConfigMapping, into config: inout GatewayConfig) {
        guard let map = reader.mapping(top, "usage", knownKeys: GatewayConfigLoader.usageKeys) else { return }
        if reader.bool(map, "off")?.value == true {
            config.usageOff = true
            return
        }
        if let edgeLog = reader.mapping(map, "edge_log", knownKeys: GatewayConfigLoader.edgeLogKeys) {
            config.edgeLog = parseEdgeLog(edgeLog)
        }
        let keep = seconds(map, "keep_days", maximum: 36500)
        guard let database = path(map, "database") else {
            if config.dataDirectory == nil {
                reader.report(
                    "usage needs a database path (or a data_dir to keep DATA_DIR/usage.sqlite)", at: map.node,
                    path: map.path.key("database"))
            } else if let keep {
                config.usageKeepDays = keep
            }
            return
        }
        config.usage = GatewayConfig.Usage(databasePath: database, keepDays: keep ?? 90)
    }

    private mutating func parseEdgeLog(_ map: ConfigMapping) -> GatewayConfig.EdgeLog? {
        let listen = reader.string(map, "listen", required: true)
        let address = listen.flatMap { ListenAddress(parsing: $0.value) }
        if let listen, address == nil {
            reader.report("expected HOST:PORT such as 0.0.0.0:5514, found \(listen.value)", at: listen)
        }
        var prefixes: [String] = []
        if let from = reader.sequence(map, "from", required: true) {
            for item in from.value {
                guard let text = item.scalar?.text, IPPrefix(text) != nil else {
                    reader.report(
                        "expected an edge's address or prefix such as 10.0.0.0/8, found \(item.summary)", at: item,
                        path: map.path.key("from"))
                    continue
                }
                prefixes.append(text)
            }
            if from.value.isEmpty { reader.report("from needs the edges' addresses", at: from) }
        }
        guard let address, !prefixes.isEmpty else { return nil }
        return GatewayConfig.EdgeLog(listen: address, from: prefixes)
    }
}
