import Ladder

/// Why a publish was refused, protocol-neutral (the RTMP session maps it to a NetStream code).
/// The raw value is the `reason` label in logs and metrics.
enum PublishRefusal: String, Sendable, Hashable, CaseIterable {
    case badName = "bad_name"
    case missingKey = "missing_key"
    case wrongKey = "wrong_key"
    case webhookDenied = "webhook_denied"
    case webhookUnavailable = "webhook_unavailable"
    case profileError = "profile_error"

    var description: String {
        switch self {
        case .badName: return "invalid stream name"
        case .missingKey: return "stream key required"
        case .wrongKey: return "wrong stream key"
        case .webhookDenied: return "refused by the on_publish hook"
        case .webhookUnavailable: return "the on_publish hook did not answer"
        case .profileError: return "the stream's profile does not load"
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
