/// Where a live LL-HLS media playlist stands: what a blocking playlist reload waits for
/// (RFC 8216bis 6.2.5.2). Stored with each version of the playlist.
public struct PlaylistProgress: Sendable, Hashable {
    /// Media sequence number of the last complete segment listed.
    public var lastCompleteSequence: Int
    /// Parts listed for that segment (0 once they left the playlist).
    public var lastCompleteParts: Int
    /// Parts listed for the next segment, still in progress.
    public var pendingParts: Int
    /// How far beyond the last listed part a request may ask before it gets 400 (6.2.5.2: three
    /// divided by PART-TARGET when that is under a second, else three).
    public var advancePartLimit: Int
    /// The segment in progress (its URI once complete, e.g. `seg-12.m4s`) and its parts' URIs so
    /// far, relative to the playlist: an LL-DASH request for it streams them (chunked).
    public var pendingSegmentURI: String?
    public var pendingPartURIs: [String]

    public init(
        lastCompleteSequence: Int, lastCompleteParts: Int, pendingParts: Int, pendingSegmentURI: String? = nil,
        pendingPartURIs: [String] = [], advancePartLimit: Int = 3
    ) {
        self.advancePartLimit = advancePartLimit < 1 ? 1 : advancePartLimit
        self.lastCompleteSequence = lastCompleteSequence
        self.lastCompleteParts = lastCompleteParts
        self.pendingParts = pendingParts
        self.pendingSegmentURI = pendingSegmentURI
        self.pendingPartURIs = pendingPartURIs
    }

    public enum Answer: Sendable, Equatable {
        /// This version of the playlist satisfies the request.
        case ready
        /// Hold the request until a later version does.
        case wait
        /// Too far beyond the live edge: 400 (6.2.5.2).
        case badRequest
    }

    /// The advance part limit of 6.2.5.2 for a PART-TARGET.
    public static func advancePartLimitFor(partTargetSeconds: Double) -> Int {
        partTargetSeconds > 0 && partTargetSeconds < 1 ? Int((3 / partTargetSeconds).rounded(.down)) : 3
    }

    /// The answer to `_HLS_msn=msn` with an optional `_HLS_part=part`. Without `_HLS_part`
    /// (Safari's form), the request waits for segment `msn` to be complete.
    public func answer(msn: Int, part: Int?) -> Answer {
        let next = lastCompleteSequence + 1
        if msn < 0 || (part ?? 0) < 0 || msn > next + 2 { return .badRequest }
        guard let part else { return msn <= lastCompleteSequence ? .ready : .wait }
        if msn < lastCompleteSequence { return .ready }
        if msn == lastCompleteSequence {
            // A part past the segment's last one is the next segment's first (6.2.5.2).
            return part < lastCompleteParts || pendingParts > 0 ? .ready : .wait
        }
        if msn == next {
            if part < pendingParts { return .ready }
            return part > pendingParts - 1 + advancePartLimit ? .badRequest : .wait
        }
        return part >= advancePartLimit ? .badRequest : .wait
    }
}
