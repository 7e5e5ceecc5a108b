import Logging
import NIOConcurrencyHelpers

/// Throttles dashboard logins: after `maxFailures` failed logins from one address within
/// `window`, that address is refused (429) until the window passes. Bounded: at most
/// `maxClients` addresses are remembered (then the oldest record is dropped). Every outcome is
/// counted; failures are logged at most once per 10 s with the count left out.
final class AdminLogins: Sendable {
    enum Outcome: String, Sendable { case succeeded, failed, throttled }

    private struct State {
        var failures: [String: [ContinuousClock.Instant]] = [:]
        var logLimit = LogRateLimiter()
    }

    let maxFailures: Int
    let window: Duration
    let maxClients: Int
    private let logger: Logger
    private let state = NIOLockedValueBox(State())

    init(maxFailures: Int = 5, window: Duration = .seconds(300), maxClients: Int = 4096) {
        self.maxFailures = maxFailures
        self.window = window
        self.maxClients = maxClients
        self.logger = Logger(label: "gateway.admin")
    }

    func mayTry(client: String, at now: ContinuousClock.Instant) -> Bool {
        state.withLockedValue { state in
            let recent = (state.failures[client] ?? []).filter { now - $0 < window }
            state.failures[client] = recent.isEmpty ? nil : recent
            return recent.count < maxFailures
        }
    }

    func failed(client: String, at now: ContinuousClock.Instant) {
        state.withLockedValue { state in
            if state.failures[client] == nil, state.failures.count >= maxClients,
                let oldest = state.failures.min(by: { ($0.value.last ?? now) < ($1.value.last ?? now) })?.key
            {
                state.failures[oldest] = nil
            }
            state.failures[client, default: []].append(now)
            if state.failures[client]!.count > maxFailures { state.failures[client]!.removeFirst() }
        }
    }

    /// Counts, and logs: every success, failures and throttling rate-limited.
    func note(_ outcome: Outcome, user: String, client: String) {
        GatewayMetrics.adminLogin(outcome: outcome.rawValue)
        let shownUser = String(user.prefix(64).map { $0.isLetter || $0.isNumber || "_.-@".contains($0) ? $0 : "?" })
        if outcome == .succeeded {
            logger.notice("admin signed in", metadata: ["user": "\(shownUser)", "client": "\(client)"])
            return
        }
        let (log, suppressed) = state.withLockedValue { $0.logLimit.record(at: .now) }
        guard log else { return }
        logger.warning(
            "admin login refused",
            metadata: [
                "reason": "\(outcome == .failed ? "wrong user or password" : "too many failures from this address")",
                "user": "\(shownUser)", "client": "\(client)", "similar_refusals_not_logged": "\(suppressed)",
            ])
    }
}
