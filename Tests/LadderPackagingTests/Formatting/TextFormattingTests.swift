import Foundation
import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

@Suite struct TextFormattingTests {
    @Test func fixedFromTicks() {
        #expect(TextFormatting.fixed(ticks: 180000, timescale: 90000, decimals: 6) == "2.000000")
        #expect(TextFormatting.fixed(ticks: 96256, timescale: 48000, decimals: 6) == "2.005333")
        #expect(TextFormatting.fixed(ticks: 2, timescale: 3, decimals: 3) == "0.667")
        #expect(TextFormatting.fixed(ticks: -3, timescale: 2, decimals: 1) == "-1.5")
        #expect(TextFormatting.fixed(ticks: 5, timescale: 0, decimals: 2) == "0.00")
        #expect(TextFormatting.fixed(ticks: Int64.max, timescale: 1, decimals: 3) == "9223372036854775807.000")
        #expect(TextFormatting.fixed(ticks: 1999, timescale: 1000, decimals: 2) == "2.00")
    }

    @Test func fixedFromDouble() {
        #expect(TextFormatting.fixed(29.97002997, decimals: 3) == "29.970")
        #expect(TextFormatting.fixed(30, decimals: 3) == "30.000")
        #expect(TextFormatting.fixed(0.0005, decimals: 3) == "0.001")
        #expect(TextFormatting.fixed(.nan, decimals: 2) == "0.00")
    }

    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (1_795_255_200_123, "2026-11-21T10:00:00.123Z"),
        (1_795_251_661_007, "2026-11-21T09:01:01.007Z"),
        (951_782_400_000, "2000-02-29T00:00:00.000Z"),
        (951_782_400_123, "2000-02-29T00:00:00.123Z"),
        (4_107_542_399_999, "2100-02-28T23:59:59.999Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
    ])
    func iso8601WithMilliseconds(milliseconds: Int64, expected: String) {
        #expect(TextFormatting.iso8601(millisecondsSince1970: milliseconds) == expected)
    }

    @Test func millisecondsRoundToNearest() {
        #expect(TextFormatting.milliseconds(since1970: Date(timeIntervalSince1970: 1.2344)) == 1234)
        #expect(TextFormatting.milliseconds(since1970: Date(timeIntervalSince1970: 1.2346)) == 1235)
        #expect(TextFormatting.milliseconds(since1970: Date(timeIntervalSince1970: -0.0004)) == 0)
        #expect(TextFormatting.milliseconds(since1970: Date(timeIntervalSince1970: -0.0016)) == -2)
        // A date made from whole milliseconds reads back as the same count: Date keeps seconds
        // since 2001 in a Double, and rounding down turns 2, 7 or 22 ms into one less.
        for milliseconds: Int64 in [2, 7, 22, 68, 1_795_255_200_123] {
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            #expect(TextFormatting.milliseconds(since1970: date) == milliseconds)
        }
    }

    @Test func xsDurations() {
        #expect(TextFormatting.xsDuration(milliseconds: 2000) == "PT2S")
        #expect(TextFormatting.xsDuration(milliseconds: 1500) == "PT1.5S")
        #expect(TextFormatting.xsDuration(milliseconds: 21) == "PT0.021S")
        #expect(TextFormatting.xsDuration(milliseconds: -5) == "PT0S")
    }
}
