import AsyncHTTPClient
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The `http.on_play` webhook: asked once per new viewer session (the token's viewer ID, else
/// address and User-Agent) with POST `{"stream", "client_ip", "user_agent", "viewer"}`; a 2xx
/// answer allows the session. The answer is kept while the session is active (a request
/// within `sessionIdle`), so a player's hundreds of requests ask once. A refusal is kept
/// `denyHold`, an unreachable hook `unavailableHold`, so retries cannot hammer it. Concurrent
/// requests of one session wait for one call; at most `maxInFlight` calls run at once, and
/// at most `maxEntries` answers are kept.
final class PlayHook: Sendable {
    enum Decision: Sendable, Equatable {
        case allow
        case deny(status: Int)
        case unavailable(String)
    }

    struct Request: Encodable, Sendable {
        var stream: String
        var clientIP: String?
        var userAgent: String?
        var viewer: String?

        enum CodingKeys: String, CodingKey {
            case stream, viewer
            case clientIP = "client_ip"
            case userAgent = "user_agent"
        }
    }

    struct Key: Hashable, Sendable {
        var stream: String
        var session: String
    }

    private struct Entry {
        var decision: Decision
        var expires: ContinuousClock.Instant
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var inFlight: [Key: Task<Decision, Never>] = [:]
        var logLimit = LogRateLimiter()
    }

    static let sessionIdle = Duration.seconds(30)
    static let denyHold = Duration.seconds(10)
    static let unavailableHold = Duration.seconds(2)
    static let maxEntries = 65_536
    static let maxInFlight = 256

    let url: String
    let timeout: Duration
    private let call: @Sendable (Request, Duration) async -> Decision
    private let logger: Logger
    private let state = NIOLockedValueBox(State())

    init(
        url: String, timeout: Duration, logger: Logger,
        call: (@Sendable (Request, Duration) async -> Decision)? = nil
    ) {
        self.url = url
        self.timeout = timeout
        self.logger = logger
        self.call = call ?? { request, timeout in await Self.post(request, to: url, timeout: timeout) }
    }

    /// The session's answer if one is kept (an allowed session's is renewed), else nil.
    func cached(_ key: Key, now: ContinuousClock.Instant = .now) -> Decision? {
        state.withLockedValue { state in
            guard var entry = state.entries[key], entry.expires > now else { return nil }
            if entry.decision == .allow {
                entry.expires = now + Self.sessionIdle
                state.entries[key] = entry
            }
            return entry.decision
        }
    }

    /// The kept answer, or the hook's (one call per session, however many requests wait).
    func decide(_ key: Key, request: Request) async -> Decision {
        if let known = cached(key) { return known }
        let task = state.withLockedValue { state -> Task<Decision, Never>? in
            if let running = state.inFlight[key] { return running }
            guard state.inFlight.count < Self.maxInFlight else { return nil }
            let task = Task { [call, timeout] in await call(request, timeout) }
            state.inFlight[key] = task
            return task
        }
        guard let task else { return .unavailable("too many on_play calls in flight") }
        let decision = await task.value
        state.withLockedValue { state in
            guard state.inFlight[key] != nil else { return }
            state.inFlight[key] = nil
            let hold: Duration =
                switch decision {
                case .allow: Self.sessionIdle
                case .deny: Self.denyHold
                case .unavailable: Self.unavailableHold
                }
            if state.entries.count >= Self.maxEntries {
                let now = ContinuousClock.now
                state.entries = state.entries.filter { $0.value.expires > now }
                if state.entries.count >= Self.maxEntries { state.entries.removeAll(keepingCapacity: true) }
            }
            state.entries[key] = Entry(decision: decision, expires: .now + hold)
        }
        note(decision, key: key)
        return decision
    }

    /// Counts every answer; logs refusals and failures at most once per 10 s.
    private func note(_ decision: Decision, key: Key) {
        let outcome: String
        let reason: String
        switch decision {
        case .allow:
            GatewayMetrics.playHook(outcome: "allow")
            return
        case .deny(let status):
            (outcome, reason) = ("deny", "the hook answered \(status)")
        case .unavailable(let why):
            (outcome, reason) = ("unavailable", why)
        }
        GatewayMetrics.playHook(outcome: outcome)
        let (log, suppressed) = state.withLockedValue { $0.logLimit.record(at: .now) }
        guard log else { return }
        logger.warning(
            "on_play refused a viewer",
            metadata: [
                "stream": "\(key.stream)", "reason": "\(reason)", "similar_refusals_not_logged": "\(suppressed)",
            ])
    }

    static func post(_ request: Request, to url: String, timeout: Duration) async -> Decision {
        do {
            var outgoing = HTTPClientRequest(url: url)
            outgoing.method = .POST
            outgoing.headers.add(name: "Content-Type", value: "application/json")
            outgoing.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(request)))
            let milliseconds = Int64(
                timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
            let response = try await HTTPClient.shared.execute(outgoing, timeout: .milliseconds(milliseconds))
            _ = try? await response.body.collect(upTo: 64 * 1024)
            let status = Int(response.status.code)
            return (200..<300).contains(status) ? .allow : .deny(status: status)
        } catch {
            return .unavailable("on_play: \(error)")
        }
    }
}
