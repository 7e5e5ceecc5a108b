import Ladder
import RTMPTestSupport
import RTMPWire
import Testing

@testable import Gateway

@Suite struct ByteRangeRequestTests {
    @Test(arguments: [
        ("bytes=0-9", ByteRangeRequest.partial(0..<10)),
        ("bytes=10-", .partial(10..<100)),
        ("bytes=-10", .partial(90..<100)),
        ("bytes=-1000", .partial(0..<100)),
        ("bytes=90-1000", .partial(90..<100)),
        ("bytes=99-99", .partial(99..<100)),
        ("Bytes=5-6", .partial(5..<7)),
        ("bytes=100-", .unsatisfiable),
        ("bytes=100-200", .unsatisfiable),
        ("bytes=-0", .unsatisfiable),
        ("bytes=99999999999999999999999-", .unsatisfiable),
        ("bytes=0-99999999999999999999999", .partial(0..<100)),
        ("bytes=5-4", .whole),
        ("bytes=0-1,5-6", .whole),
        ("items=0-1", .whole),
        ("bytes=a-b", .whole),
        ("bytes=-", .whole),
        ("bytes=", .whole),
    ])
    func evaluates(header: String, expected: ByteRangeRequest) {
        #expect(ByteRangeRequest.evaluate(header: header, length: 100) == expected)
    }

    @Test func noHeaderMeansWhole() {
        #expect(ByteRangeRequest.evaluate(header: nil, length: 100) == .whole)
    }

    @Test func emptyRepresentationCannotSatisfyRanges() {
        #expect(ByteRangeRequest.evaluate(header: "bytes=0-", length: 0) == .unsatisfiable)
        #expect(ByteRangeRequest.evaluate(header: "bytes=-5", length: 0) == .unsatisfiable)
    }

    @Test func overlongHeaderIsIgnored() {
        let header = "bytes=" + String(repeating: "0", count: 300) + "1-2"
        #expect(ByteRangeRequest.evaluate(header: header, length: 100) == .whole)
    }
}
