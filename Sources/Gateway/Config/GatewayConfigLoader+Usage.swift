import Foundation
import Ladder

/// `usage:`: where usage reports are kept (SQLite) and for how long. Without the section, a
/// gateway with a `data_dir` keeps them in `DATA_DIR/usage.sqlite` for 90 days.
extension GatewayConfigLoader {
    static let usageKeys = ["database", "keep_days", "off"]
}

extension GatewayConfig {
    struct Usage: Sendable, Hashable {
        var databasePath: String
        var keepDays: Double? = 90
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
}
