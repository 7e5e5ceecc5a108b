import LadderTestSupport
import Testing

@testable import LadderMedia

@Suite("H264SequenceParameterSet")
struct H264SequenceParameterSetTests {
    @Test func parsesHighProfileWithCropping() throws {
        let sps = try H264SequenceParameterSet(nalUnit: SampleParameterSets.high360p)
        #expect(sps.profileIdc == 100)
        #expect(sps.levelIdc == 30)
        #expect(sps.chromaFormatIdc == 1)
        #expect(sps.bitDepthLuma == 8)
        #expect(sps.width == 640)
        #expect(sps.height == 360)
        #expect(sps.frameRate == 30)
        #expect(sps.codecString == "avc1.64001e")
    }

    @Test func parsesMainProfile() throws {
        let sps = try H264SequenceParameterSet(nalUnit: SampleParameterSets.main720p)
        #expect(sps.width == 1280)
        #expect(sps.height == 720)
        #expect(sps.codecString == "avc1.4d401f")
    }

    @Test func rejectsTruncatedAndNonSPSUnits() {
        #expect(throws: BitstreamError.self) {
            try H264SequenceParameterSet(nalUnit: Array(SampleParameterSets.high360p.prefix(6)))
        }
        #expect(throws: BitstreamError.self) { try H264SequenceParameterSet(nalUnit: SampleParameterSets.high360pPPS) }
    }

    @Test func removesEmulationPreventionBytes() {
        #expect(BitReader.rbsp([0x00, 0x00, 0x03, 0x01, 0x00, 0x00, 0x03, 0x00]) == [0, 0, 1, 0, 0, 0])
    }

    @Test func readsExpGolombCodes() throws {
        // ue: 1 -> 0, 010 -> 1, 011 -> 2, 00100 -> 3; se of 00101 (code 4) -> -2.
        var reader = BitReader([0b1010_0110, 0b0100_0010, 0b1000_0000])
        #expect(try reader.unsignedExpGolomb() == 0)
        #expect(try reader.unsignedExpGolomb() == 1)
        #expect(try reader.unsignedExpGolomb() == 2)
        #expect(try reader.unsignedExpGolomb() == 3)
        #expect(try reader.signedExpGolomb() == -2)
    }
}
