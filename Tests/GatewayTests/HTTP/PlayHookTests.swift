import Logging
import NIOConcurrencyHelpers
import Testing

@testable import Gateway

@Suite struct PlayHookTests {
    let key = PlayHook.Key(stream: "cam1", session: "198.51.100.7|VLC")
    let request = PlayHook.Request(stream: "cam1", clientIP: "198.51.100.7", userAgent: "VLC", viewer: nil)

    func hook(answer: PlayHook.Decision, calls: NIOLockedValueBox<Int>, delay: Duration = .zero) -> PlayHook {
        PlayHook(url: "http://127.0.0.1:9/", timeout: .seconds(1), logger: Logger(label: "test")) { _, _ in
            calls.withLockedValue { $0 += 1 }
            if delay > .zero { try? await Task.sleep(for: delay) }
            return answer
        }
    }

    @Test func aSessionAsksOnceHoweverManyRequestsItMakes() async {
        let calls = NIOLockedValueBox(0)
        let hook = hook(answer: .allow, calls: calls, delay: .milliseconds(50))
        // Concurrent first requests wait for one call.
        let decisions = await withTaskGroup(of: PlayHook.Decision.self) { group in
            for _ in 0..<20 { group.addTask { await hook.decide(key, request: request) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(decisions.allSatisfy { $0 == .allow } && decisions.count == 20)
        for _ in 0..<100 { #expect(await hook.decide(key, request: request) == .allow) }
        #expect(calls.withLockedValue { $0 } == 1)
        #expect(hook.cached(key) == .allow)
        // Another session asks again.
        let other = PlayHook.Key(stream: "cam1", session: "203.0.113.9|VLC")
        #expect(hook.cached(other) == nil)
        _ = await hook.decide(other, request: request)
        #expect(calls.withLockedValue { $0 } == 2)
    }

    @Test func anAllowedSessionEndsAfterItsIdleTime() async {
        let calls = NIOLockedValueBox(0)
        let hook = hook(answer: .allow, calls: calls)
        _ = await hook.decide(key, request: request)
        #expect(hook.cached(key, now: .now + .seconds(29)) == .allow)
        // Renewed by that request: 29 s later still there; 31 s after the last, gone.
        #expect(hook.cached(key, now: .now + .seconds(58)) == .allow)
        #expect(hook.cached(key, now: .now + .seconds(120)) == nil)
    }

    @Test func refusalsAndFailuresAreHeldBriefly() async {
        let calls = NIOLockedValueBox(0)
        let denying = hook(answer: .deny(status: 403), calls: calls)
        #expect(await denying.decide(key, request: request) == .deny(status: 403))
        #expect(denying.cached(key) == .deny(status: 403))
        #expect(denying.cached(key, now: .now + .seconds(11)) == nil)
        let down = hook(answer: .unavailable("refused"), calls: calls)
        #expect(await down.decide(key, request: request) == .unavailable("refused"))
        #expect(down.cached(key, now: .now + .seconds(3)) == nil)
    }

    @Test func anUnreachableHookIsUnavailableWithinItsTimeout() async {
        // Port 9 (discard) on loopback: nothing listens, the connection is refused.
        let decision = await PlayHook.post(request, to: "http://127.0.0.1:9/", timeout: .seconds(2))
        guard case .unavailable = decision else {
            Issue.record("expected unavailable, got \(decision)")
            return
        }
    }
}
