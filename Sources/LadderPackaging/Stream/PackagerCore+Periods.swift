import LadderMedia

extension PackagerCore {
    /// DASH periods: a new one at every discontinuity, and when a segment would be announced as
    /// available before it was really published (the pipeline fell behind real time by more than
    /// the availability margin), so AST + Period@start + segment end is never before publication.
    /// With numbered addressing also where a segment leaves the Period's slot grid (a short first
    /// segment of a publish is placed at the end of its slot).
    mutating func assignPeriod(
        number: Int, reference: PublishedRendition, earliestEndSeconds: Double, isDiscontinuity: Bool, nowMs: Int64
    ) -> Int {
        let numbered = config.dashAddressing == .numbered && config.mode == .live
        let segmentSeconds = config.segmentSeconds
        let referenceEnd = reference.startSeconds + reference.durationSeconds
        var needsPeriod = periods.isEmpty || isDiscontinuity
        var gridStart: Double?
        if !needsPeriod, let period = periods.last {
            if numbered {
                let slot = Double(number - period.firstNumber)
                let expectedStart = period.mediaStartSeconds + slot * segmentSeconds
                let announcedMs = period.wallStartMs + Int64(((slot + 1) * segmentSeconds * 1000).rounded(.down))
                if abs(reference.startSeconds - expectedStart) > Self.gridTolerance(segmentSeconds) {
                    needsPeriod = true
                } else if nowMs > announcedMs {
                    needsPeriod = true
                    gridStart = expectedStart
                    counters.periodResyncs += 1
                }
            } else if config.mode == .live {
                let announcedMs =
                    period.wallStartMs
                    + Int64(((earliestEndSeconds - period.mediaStartSeconds) * 1000).rounded(.down))
                if nowMs > announcedMs {
                    needsPeriod = true
                    counters.periodResyncs += 1
                }
            }
        }
        let marginMs = Int64((config.availabilityMarginSeconds * 1000).rounded())
        if needsPeriod {
            let mediaStart: Double
            let firstAnnouncedSpanMs: Int64
            if numbered {
                mediaStart = gridStart ?? min(reference.startSeconds, referenceEnd - segmentSeconds)
                firstAnnouncedSpanMs = Int64((segmentSeconds * 1000).rounded())
            } else {
                mediaStart = reference.startSeconds
                firstAnnouncedSpanMs = Int64(((earliestEndSeconds - mediaStart) * 1000).rounded(.down))
            }
            var wallStart = nowMs + marginMs - firstAnnouncedSpanMs
            if let last = periods.last {
                // Periods never overlap: start no earlier than the previous period's last segment ends.
                wallStart = max(wallStart, last.announcedEndMs)
            }
            periods.append(
                PeriodAnchor(
                    id: nextPeriodID, wallStartMs: wallStart, mediaStartSeconds: mediaStart, firstNumber: number,
                    announcedEndMs: wallStart))
            nextPeriodID += 1
            if availabilityStartMs == nil {
                availabilityStartMs = wallStart
            }
        }
        let index = periods.count - 1
        let period = periods[index]
        let endMs: Int64
        if numbered {
            endMs =
                period.wallStartMs
                + Int64((Double(number - period.firstNumber + 1) * segmentSeconds * 1000).rounded(.up))
        } else {
            endMs = period.wallStartMs + Int64(((referenceEnd - period.mediaStartSeconds) * 1000).rounded(.up))
        }
        periods[index].announcedEndMs = max(period.announcedEndMs, endMs)
        return period.id
    }

    /// How far a segment may start from its numbered slot (forced IDRs land within a frame).
    static func gridTolerance(_ segmentSeconds: Double) -> Double {
        max(0.02, min(0.1, segmentSeconds / 4))
    }
}
