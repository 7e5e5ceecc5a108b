/// Where a stream's numbering stands, so that a later packager of the same stream (after the
/// gateway restarts, or after the stream was retired and published again) continues it: media
/// sequence numbers never go down, the discontinuity sequence counts on (RFC 8216 6.2.1, 6.2.2),
/// and DASH Period ids are never reused (ISO/IEC 23009-1 5.3.2.2).
public struct StreamContinuation: Sendable, Hashable, Codable {
    /// The media sequence number the next segment gets.
    public var nextSequence: Int
    /// Discontinuities so far, listed or not: EXT-X-DISCONTINUITY-SEQUENCE of a playlist whose
    /// first segment is the next one.
    public var discontinuitySequence: Int
    /// The id the next DASH Period gets.
    public var nextPeriod: Int

    public init(nextSequence: Int, discontinuitySequence: Int, nextPeriod: Int) {
        self.nextSequence = nextSequence
        self.discontinuitySequence = discontinuitySequence
        self.nextPeriod = nextPeriod
    }

    enum CodingKeys: String, CodingKey {
        case nextSequence = "next_sequence"
        case discontinuitySequence = "discontinuity_sequence"
        case nextPeriod = "next_period"
    }
}
