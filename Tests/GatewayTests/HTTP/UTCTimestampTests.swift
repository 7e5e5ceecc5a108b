import Ladder
import RTMPTestSupport
import RTMPWire
import Testing

@testable import Gateway

@Suite struct UTCTimestampTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (951_782_400_123, "2000-02-29T00:00:00.123Z"),
        (1_795_251_661_007, "2026-11-21T09:01:01.007Z"),
        (4_107_542_399_999, "2100-02-28T23:59:59.999Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
    ])
    func formats(milliseconds: Int64, expected: String) {
        #expect(UTCTimestamp.iso8601(millisecondsSinceEpoch: milliseconds) == expected)
    }
}
