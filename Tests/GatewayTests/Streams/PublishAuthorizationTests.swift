import Ladder
import RTMPTestSupport
import RTMPWire
import Testing

@testable import Gateway

@Suite struct PublishAuthorizationTests {
    @Test func anyValidNamePublishesWithoutKeys() {
        let keys = StreamKeys()
        #expect(keys.isEmpty)
        #expect(keys.check(name: "cam1", key: nil) == nil)
        #expect(keys.check(name: "cam1", key: "whatever") == nil)
    }

    @Test func invalidNamesAreRefused() {
        let keys = StreamKeys()
        for name in ["", ".hidden", "a/b", "..", "a b", "x%2f", String(repeating: "a", count: 129)] {
            #expect(keys.check(name: name, key: nil) == .badName, "\(name)")
        }
        #expect(StreamName.isValid("Cam_1-main.v2"))
    }

    @Test func keysAreChecked() {
        let keys = StreamKeys(["cam1": "s3cret"])
        #expect(keys.check(name: "cam1", key: "s3cret") == nil)
        #expect(keys.check(name: "cam1", key: "s3cres") == .wrongKey)
        #expect(keys.check(name: "cam1", key: "s3cret-longer") == .wrongKey)
        #expect(keys.check(name: "cam1", key: nil) == .missingKey)
        #expect(keys.check(name: "cam1", key: "") == .missingKey)
        #expect(keys.check(name: "other", key: "s3cret") == .badName)
    }

    /// Refusals are protocol-neutral; the RTMP session maps them to NetStream codes.
    @Test func refusalsMapToNetStreamCodes() {
        #expect(RTMPSessionStateMachine.status(for: .wrongKey) == .publishUnauthorized)
        #expect(RTMPSessionStateMachine.status(for: .missingKey) == .publishUnauthorized)
        #expect(RTMPSessionStateMachine.status(for: .badName) == .publishBadName)
        #expect(Set(PublishRefusal.allCases.map(\.rawValue)).count == PublishRefusal.allCases.count)
    }

    @Test func constantTimeComparison() {
        #expect(constantTimeEquals(Array("abc".utf8), Array("abc".utf8)))
        #expect(!constantTimeEquals(Array("abc".utf8), Array("abd".utf8)))
        #expect(!constantTimeEquals(Array("abc".utf8), Array("abcd".utf8)))
        #expect(!constantTimeEquals([], [0]))
        // Lengths that differ by a multiple of 256 must still compare unequal.
        #expect(!constantTimeEquals([UInt8](repeating: 0, count: 256), []))
        #expect(constantTimeEquals([], []))
    }
}
