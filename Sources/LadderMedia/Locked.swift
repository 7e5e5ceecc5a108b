import Foundation

/// The media core's one lock style: a value that is reachable only inside `withLock`, so no
/// code can touch it without holding the lock. Never hold it across disk or network I/O.
package final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    package init(_ value: Value) {
        self.value = value
    }

    package func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
