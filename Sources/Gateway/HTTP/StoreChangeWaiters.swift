import Ladder

/// Requests waiting for a stream's content to change (blocking reloads, hinted parts). The
/// store calls `notify` after every change; a waiter is a continuation and a sleeping timer
/// task, not a thread, so thousands may wait. Each is resumed exactly once: by a change or at
/// its deadline, whichever removes it from the table first.
final class StoreChangeWaiters: Sendable {
    private struct Waiter {
        var continuation: CheckedContinuation<Void, Never>
        var timer: Task<Void, Never>
    }

    private struct State {
        var nextID = 0
        var waiting: [String: [Int: Waiter]] = [:]
    }

    private let state = Locked(State())

    /// Wakes every request waiting on `stream` (each then checks whether it can be answered).
    func notify(stream: String) {
        let woken = state.withLock { state -> [Waiter] in
            guard let waiting = state.waiting.removeValue(forKey: stream) else { return [] }
            return Array(waiting.values)
        }
        for waiter in woken {
            waiter.timer.cancel()
            waiter.continuation.resume()
        }
    }

    /// Returns after the next change of `stream`, or at `deadline`.
    func changed(stream: String, before deadline: ContinuousClock.Instant) async {
        await withCheckedContinuation { continuation in
            state.withLock { state in
                state.nextID &+= 1
                let id = state.nextID
                let timer = Task {
                    guard (try? await Task.sleep(until: deadline, clock: .continuous)) != nil else { return }
                    self.timeOut(stream: stream, id: id)
                }
                state.waiting[stream, default: [:]][id] = Waiter(continuation: continuation, timer: timer)
            }
        }
    }

    /// Requests waiting now.
    var count: Int { state.withLock { $0.waiting.values.reduce(0) { $0 + $1.count } } }

    private func timeOut(stream: String, id: Int) {
        let waiter = state.withLock { state -> Waiter? in
            let removed = state.waiting[stream]?.removeValue(forKey: id)
            if state.waiting[stream]?.isEmpty == true { state.waiting[stream] = nil }
            return removed
        }
        waiter?.continuation.resume()
    }
}
