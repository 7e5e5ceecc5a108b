import Foundation
import LadderFFmpeg
import LadderMedia
import LadderProfile

#if canImport(Glibc)
    import Glibc
#endif

/// A bounded FIFO between two pipeline threads. `push` waits while full (backpressure),
/// `pop` waits while empty. `close` lets the consumer drain what is queued and then see nil;
/// `cancel` discards everything and wakes both sides at once.
final class BlockingQueue<Element: Sendable>: @unchecked Sendable {
    // All mutable state is guarded by `condition`.
    private let condition = NSCondition()
    private var items: [Element?]
    private var head = 0
    private var count = 0
    private var closed = false
    private var cancelled = false
    let capacity: Int

    enum PushResult: Equatable {
        case pushed
        /// The queue was full: the producer had to wait for the consumer.
        case pushedAfterWaiting
        case closed
    }

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        items = Array(repeating: nil, count: self.capacity)
    }

    @discardableResult
    func push(_ element: Element) -> PushResult {
        condition.lock()
        defer { condition.unlock() }
        var waited = false
        while count == capacity && !closed {
            waited = true
            condition.wait()
        }
        guard !closed else { return .closed }
        items[(head + count) % capacity] = element
        count += 1
        condition.broadcast()
        return waited ? .pushedAfterWaiting : .pushed
    }

    /// The next element, or nil once the queue is closed and empty (or cancelled).
    func pop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while count == 0 && !closed { condition.wait() }
        guard count > 0 else { return nil }
        let element = items[head]
        items[head] = nil
        head = (head + 1) % capacity
        count -= 1
        condition.broadcast()
        return element
    }

    /// No more pushes; the consumer still receives what is queued.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// True after `cancel` (the consumer must stop without flushing).
    var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    /// No more pushes and nothing more to pop.
    func cancel() {
        condition.lock()
        closed = true
        cancelled = true
        items = Array(repeating: nil, count: capacity)
        count = 0
        condition.broadcast()
        condition.unlock()
    }
}

/// A value produced once by one thread and awaited by another.
final class OneShot<Value: Sendable>: @unchecked Sendable {
    // `value` is guarded by `condition`.
    private let condition = NSCondition()
    private var value: Value?

    func fulfil(_ newValue: Value) {
        condition.lock()
        if value == nil { value = newValue }
        condition.broadcast()
        condition.unlock()
    }

    func wait() -> Value {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let value { return value }
            condition.wait()
        }
    }
}

/// Signals once that some work is complete; waiters block or get a callback.
final class CompletionSignal: @unchecked Sendable {
    // `done` and `callbacks` are guarded by `condition`.
    private let condition = NSCondition()
    private var done = false
    private var callbacks: [@Sendable () -> Void] = []

    func signal() {
        condition.lock()
        done = true
        let pending = callbacks
        callbacks = []
        condition.broadcast()
        condition.unlock()
        for callback in pending { callback() }
    }

    var isDone: Bool {
        condition.lock()
        defer { condition.unlock() }
        return done
    }

    func wait() {
        condition.lock()
        while !done { condition.wait() }
        condition.unlock()
    }

    /// Runs `callback` once done (at once, on this thread, if already done).
    func whenDone(_ callback: @escaping @Sendable () -> Void) {
        condition.lock()
        if done {
            condition.unlock()
            callback()
            return
        }
        callbacks.append(callback)
        condition.unlock()
    }
}

/// A Foundation thread (not the cooperative pool: x264 calls block) that can be joined.
final class WorkerThread: Sendable {
    private let finished = CompletionSignal()

    init(name: String, _ body: @escaping @Sendable () -> Void) {
        let finished = self.finished
        let thread = Thread {
            // Named from the thread itself, for top -H, perf and gdb: Foundation's Thread.name does
            // not reliably reach the kernel on Linux, and pthread_setname_np is not imported
            // (it needs _GNU_SOURCE). The kernel keeps at most 15 bytes (proc(5), /proc/thread-self).
            #if os(Linux)
                if let comm = fopen("/proc/thread-self/comm", "w") {
                    fputs(String(decoding: name.utf8.prefix(15), as: UTF8.self), comm)
                    fclose(comm)
                }
            #else
                Thread.current.name = name
            #endif
            body()
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    func join() { finished.wait() }
}
