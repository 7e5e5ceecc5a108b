import LadderMedia

/// Turns successive 32-bit RTMP timestamps (RTMP spec 5.3.1.2: milliseconds, wrapping at 2^32)
/// into a monotonic-ish Int64 timeline.
///
/// Each timestamp is placed at the signed 32-bit distance from the previous one, so a wrap from
/// 0xFFFFFFF0 to 0x10 moves forward by 32 ms, and an encoder stepping a few ms backwards (B-frame
/// or audio/video interleaving jitter) moves backwards by that much instead of jumping 49 days.
/// Deciding what to do with large jumps is left to the caller.
package struct TimestampUnwrapper: Sendable, Hashable {
    private var last: UInt32?
    private var lastUnwrapped: Int64 = 0

    package init() {}

    package mutating func unwrap(_ timestamp: UInt32) -> Int64 {
        guard let last else {
            last = timestamp
            lastUnwrapped = Int64(timestamp)
            return lastUnwrapped
        }
        let distance = Int32(bitPattern: timestamp &- last)
        self.last = timestamp
        lastUnwrapped += Int64(distance)
        return lastUnwrapped
    }
}
