import LadderMedia

/// Measured bit rate of a rendition (or of a variant: video plus its audio) over published segments.
struct BitrateMeter: Sendable, Hashable {
    /// Peak over segments at least half a segment long; short segments (the first one of a
    /// publish, an IDR in a fraction of a second) would overstate the peak.
    private(set) var qualifiedPeak: Double?
    private(set) var anyPeak: Double?
    private(set) var totalBits: Double = 0
    private(set) var totalSeconds: Double = 0

    mutating func add(bits: Double, seconds: Double, qualifies: Bool) {
        guard seconds > 0, bits.isFinite, seconds.isFinite else { return }
        let rate = bits / seconds
        anyPeak = max(anyPeak ?? 0, rate)
        if qualifies {
            qualifiedPeak = max(qualifiedPeak ?? 0, rate)
        }
        totalBits += bits
        totalSeconds += seconds
    }

    /// RFC 8216 4.3.4.2 BANDWIDTH: the measured peak; before a full segment was measured, the
    /// configured peak (`TrackDescription.announcedPeakBitrate`).
    func peak(target: Int?) -> Int {
        let value = qualifiedPeak ?? target.map(Double.init) ?? anyPeak ?? 0
        return Int(min(value, 1e15).rounded(.up))
    }

    /// AVERAGE-BANDWIDTH: total bits over total duration, the target before any measurement.
    func average(target: Int?) -> Int? {
        guard totalSeconds > 0 else { return target }
        return Int(min(totalBits / totalSeconds, 1e15).rounded())
    }
}
