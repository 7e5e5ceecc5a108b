import Foundation
import LadderMedia

/// State guarded by a lock: the only way in is `withLock`. Used where several threads
/// (pipeline tracks, HTTP handlers) share packaging state.
final class PackagingLock<State>: @unchecked Sendable {
    private var state: State
    private let lock = NSLock()

    init(_ state: State) {
        self.state = state
    }

    func withLock<Result>(_ body: (inout State) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&state)
    }
}
