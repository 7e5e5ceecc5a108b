import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

@Suite struct BitrateMeterTests {
    @Test func targetUntilAQualifyingSegmentThenThePeak() {
        var meter = BitrateMeter()
        #expect(meter.peak(target: 1_000_000) == 1_000_000)
        #expect(meter.average(target: 1_000_000) == 1_000_000)
        meter.add(bits: 2_000_000, seconds: 0.5, qualifies: false)
        #expect(meter.peak(target: 1_000_000) == 1_000_000)
        #expect(meter.peak(target: nil) == 4_000_000)
        meter.add(bits: 3_000_000, seconds: 2, qualifies: true)
        meter.add(bits: 2_000_000, seconds: 2, qualifies: true)
        #expect(meter.peak(target: 1_000_000) == 1_500_000)
        #expect(meter.average(target: nil) == 1_555_556)
    }

    @Test func ignoresEmptyMeasurements() {
        var meter = BitrateMeter()
        meter.add(bits: 100, seconds: 0, qualifies: true)
        meter.add(bits: .nan, seconds: 1, qualifies: true)
        #expect(meter.average(target: nil) == nil)
        #expect(meter.peak(target: nil) == 0)
    }
}
