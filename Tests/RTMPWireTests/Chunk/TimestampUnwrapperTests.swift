import LadderMedia
import RTMPTestSupport
import Testing

@testable import RTMPWire

@Suite struct TimestampUnwrapperTests {
    @Test func firstValueIsTakenAsIs() {
        var unwrapper = TimestampUnwrapper()
        #expect(unwrapper.unwrap(0xFFFF_0000) == 0xFFFF_0000)
    }

    @Test func wrapsForwardPast2To32() {
        var unwrapper = TimestampUnwrapper()
        let values: [UInt32] = [0xFFFF_FFC0, 0xFFFF_FFE0, 0x0000_0000, 0x0000_0020]
        #expect(values.map { unwrapper.unwrap($0) } == [0xFFFF_FFC0, 0xFFFF_FFE0, 0x1_0000_0000, 0x1_0000_0020])
    }

    @Test func smallBackwardsJitterStaysNearby() {
        var unwrapper = TimestampUnwrapper()
        let values: [UInt32] = [1000, 1040, 1033, 1080]
        #expect(values.map { unwrapper.unwrap($0) } == [1000, 1040, 1033, 1080])
    }

    @Test func jitterAcrossTheWrapDoesNotJump49Days() {
        var unwrapper = TimestampUnwrapper()
        let values: [UInt32] = [0xFFFF_FFF0, 0x10, 0xFFFF_FFFA, 0x30]
        #expect(values.map { unwrapper.unwrap($0) } == [0xFFFF_FFF0, 0x1_0000_0010, 0xFFFF_FFFA, 0x1_0000_0030])
    }
}
