import Testing

@testable import LadderPackaging

/// Blocking reload answers (RFC 8216bis 6.2.5.2) for a playlist whose last complete segment is
/// 10 (4 parts listed) and whose segment 11 has 2 parts so far.
@Suite struct PlaylistProgressTests {
    let progress = PlaylistProgress(lastCompleteSequence: 10, lastCompleteParts: 4, pendingParts: 2)

    @Test(
        arguments: [
            (9, nil, PlaylistProgress.Answer.ready), (10, nil, .ready), (11, nil, .wait), (12, nil, .wait),
            (13, nil, .wait), (14, nil, .badRequest),
            (10, 3, .ready), (10, 4, .ready),  // past segment 10's parts: segment 11's first exists
            (11, 0, .ready), (11, 1, .ready), (11, 2, .wait), (11, 4, .wait), (11, 5, .badRequest),
            (12, 0, .wait), (12, 2, .wait), (12, 3, .badRequest), (-1, nil, .badRequest), (11, -1, .badRequest),
        ] as [(Int, Int?, PlaylistProgress.Answer)])
    func answers(msn: Int, part: Int?, expected: PlaylistProgress.Answer) {
        #expect(progress.answer(msn: msn, part: part) == expected)
    }

    @Test func theAdvancePartLimitIsThreeOverPartTarget() {
        #expect(PlaylistProgress.advancePartLimitFor(partTargetSeconds: 0.224) == 13)
        #expect(PlaylistProgress.advancePartLimitFor(partTargetSeconds: 1.5) == 3)
        // hls.js without low-latency mode asks for the segment's last part (index 9 of 0.2 s
        // parts) as soon as the segment starts: that waits, it is not a bad request.
        let early = PlaylistProgress(
            lastCompleteSequence: 10, lastCompleteParts: 10, pendingParts: 1, advancePartLimit: 13)
        #expect(early.answer(msn: 11, part: 9) == .wait)
        #expect(early.answer(msn: 11, part: 14) == .badRequest)
    }

    @Test func aPartPastTheLastCompleteSegmentWaitsWhileTheNextHasNone() {
        let edge = PlaylistProgress(lastCompleteSequence: 10, lastCompleteParts: 4, pendingParts: 0)
        #expect(edge.answer(msn: 10, part: 4) == .wait)
        #expect(edge.answer(msn: 11, part: 0) == .wait)
        #expect(edge.answer(msn: 11, part: 3) == .badRequest)
    }
}
