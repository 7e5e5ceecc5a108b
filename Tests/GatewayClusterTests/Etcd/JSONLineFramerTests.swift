import Testing

@testable import GatewayCluster

@Suite struct JSONLineFramerTests {
    @Test func framesLinesSplitAcrossChunks() throws {
        var framer = JSONLineFramer()
        framer.append(Array(#"{"a":1}"#.utf8) + [0x0A] + Array(#"{"b""#.utf8))
        #expect(try framer.next() == .line(Array(#"{"a":1}"#.utf8)))
        #expect(try framer.next() == .needMoreData)
        framer.append(Array(#":2}"#.utf8) + [0x0D, 0x0A, 0x0A, 0x20, 0x0A])
        #expect(try framer.next() == .line(Array(#"{"b":2}"#.utf8)))
        #expect(try framer.next() == .needMoreData)
        framer.append(Array("{}".utf8))
        #expect(framer.finish() == Array("{}".utf8))
        #expect(framer.finish() == nil)
    }

    @Test func refusesALineBeyondTheLimit() {
        var framer = JSONLineFramer(maxLineBytes: 8)
        framer.append(Array(repeating: UInt8(ascii: "x"), count: 9))
        #expect(throws: JSONLineFramer.LineTooLong(limit: 8)) { try framer.next() }
    }
}
