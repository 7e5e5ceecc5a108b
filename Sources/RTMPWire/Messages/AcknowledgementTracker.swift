import LadderMedia

/// Decides when to send an Acknowledgement (RTMP spec 5.4.3): after each window's worth of bytes
/// received, with the sequence number being the total received so far, modulo 2^32.
package struct AcknowledgementTracker: Sendable, Hashable {
    /// The window the peer set with Window Acknowledgement Size (RTMP spec 5.4.4); nil or 0 = no acks.
    package private(set) var windowSize: UInt32?
    package private(set) var totalBytesReceived: UInt64 = 0
    private var lastAcknowledged: UInt64 = 0

    package init(windowSize: UInt32? = nil) {
        self.windowSize = windowSize
    }

    package mutating func setWindowSize(_ size: UInt32) {
        windowSize = size
    }

    /// Counts `count` received bytes; returns the sequence number to acknowledge when a window is full.
    package mutating func bytesReceived(_ count: Int) -> UInt32? {
        totalBytesReceived += UInt64(max(count, 0))
        guard let windowSize, windowSize > 0, totalBytesReceived - lastAcknowledged >= UInt64(windowSize) else {
            return nil
        }
        lastAcknowledged = totalBytesReceived
        return UInt32(truncatingIfNeeded: totalBytesReceived)
    }
}
