/// At most one log line per `interval` for one kind of event that a flood can repeat (bad
/// tokens, refused requests): the first is logged at once, the ones in between are counted and
/// reported with the next line. A value: the caller keeps it under its lock and brings the clock.
struct LogRateLimiter: Sendable {
    let interval: Duration
    private var nextAllowed: ContinuousClock.Instant?
    private var suppressed = 0

    init(interval: Duration = .seconds(10)) {
        self.interval = interval
    }

    /// Whether to log this occurrence now, and how many were left out since the last line.
    mutating func record(at now: ContinuousClock.Instant) -> (log: Bool, suppressed: Int) {
        if let nextAllowed, now < nextAllowed {
            suppressed += 1
            return (false, 0)
        }
        defer { suppressed = 0 }
        nextAllowed = now + interval
        return (true, suppressed)
    }
}
