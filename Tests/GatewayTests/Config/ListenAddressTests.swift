import Ladder
import RTMPTestSupport
import RTMPWire
import Testing

@testable import Gateway

@Suite struct ListenAddressTests {
    @Test func parsesHostAndPort() throws {
        let address = try #require(ListenAddress(parsing: "0.0.0.0:1935"))
        #expect(address.host == "0.0.0.0")
        #expect(address.port == 1935)
        #expect(address.description == "0.0.0.0:1935")
    }

    @Test func parsesBracketedIPv6() throws {
        let address = try #require(ListenAddress(parsing: "[::1]:8080"))
        #expect(address.host == "::1")
        #expect(address.port == 8080)
        #expect(address.description == "[::1]:8080")
    }

    @Test func portZeroIsAllowed() {
        #expect(ListenAddress(parsing: "127.0.0.1:0")?.port == 0)
    }

    @Test func rejectsMalformed() {
        for bad in ["1935", ":1935", "host:", "host:99999", "host:-1", "[::1]8080", "host:abc"] {
            #expect(ListenAddress(parsing: bad) == nil, "\(bad)")
        }
    }
}
