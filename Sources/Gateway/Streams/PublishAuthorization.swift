/// Why a publish was refused. The raw value is the `reason` label in logs and metrics.
enum PublishRefusal: String, Sendable, Hashable {
    case badName = "bad_name"
    case wrongApp = "wrong_app"
    case missingKey = "missing_key"
    case wrongKey = "wrong_key"
    case webhookDenied = "webhook_denied"
    case webhookUnavailable = "webhook_unavailable"
    case tooManyStreams = "too_many_streams"
    case profileError = "profile_error"

    /// NetStream status code sent in onStatus (RTMP spec 7.2.2.6 lists the NetStream codes).
    var statusCode: String {
        switch self {
        case .badName, .wrongApp, .tooManyStreams, .profileError: return "NetStream.Publish.BadName"
        case .missingKey, .wrongKey, .webhookDenied, .webhookUnavailable: return "NetStream.Publish.Unauthorized"
        }
    }

    var description: String {
        switch self {
        case .badName: return "invalid stream name"
        case .wrongApp: return "unknown application"
        case .missingKey: return "stream key required"
        case .wrongKey: return "wrong stream key"
        case .webhookDenied: return "refused by the on_publish hook"
        case .webhookUnavailable: return "the on_publish hook did not answer"
        case .tooManyStreams: return "too many live streams"
        case .profileError: return "the stream's profile does not load"
        }
    }
}

/// A stream name as publishers and players use it: `NAME` from `rtmp://HOST/live/NAME?key=SECRET`.
enum StreamName {
    static let maxLength = 128

    /// Letters, digits, `_`, `-` and `.` (not starting with `.`), so the name is safe in URLs and paths.
    static func isValid(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= maxLength, name.first != "." else { return false }
        return name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."):
                return true
            default:
                return false
            }
        }
    }
}

/// Stream keys: NAME -> secret. Empty means every valid name may publish.
struct StreamKeys: Sendable {
    private var secrets: [String: [UInt8]]

    init(_ secrets: [String: String] = [:]) {
        self.secrets = secrets.mapValues { Array($0.utf8) }
    }

    var isEmpty: Bool { secrets.isEmpty }

    /// nil when the publish may proceed.
    func check(name: String, key: String?) -> PublishRefusal? {
        guard StreamName.isValid(name) else { return .badName }
        if secrets.isEmpty { return nil }
        guard let expected = secrets[name] else { return .badName }
        guard let key, !key.isEmpty else { return .missingKey }
        return constantTimeEquals(Array(key.utf8), expected) ? nil : .wrongKey
    }
}

/// Compares without an early exit, so the time taken does not reveal how much of a guess matched.
func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    var difference: UInt8 = lhs.count == rhs.count ? 0 : 1
    let count = max(lhs.count, rhs.count)
    for index in 0..<count {
        let left = index < lhs.count ? lhs[index] : 0
        let right = index < rhs.count ? rhs[index] : 0
        difference |= left ^ right
    }
    return difference == 0
}
