import Testing

@testable import Ladder

/// SPS NAL units written by x264 (ffmpeg -c:v libx264), 30 fps.
enum SampleParameterSets {
    /// 640x360 High, level 3.0 (360 = 23 macroblock rows cropped by 8).
    static let high360p: [UInt8] = [
        0x67, 0x64, 0x00, 0x1E, 0xAC, 0xD9, 0x40, 0xA0, 0x2F, 0xF9, 0x70, 0x11, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00,
        0x00, 0x03, 0x00, 0x3C, 0x0F, 0x16, 0x2D, 0x96,
    ]
    static let high360pPPS: [UInt8] = [0x68, 0xEF, 0x8F, 0xCB]
    /// 1280x720 Main, level 3.1.
    static let main720p: [UInt8] = [
        0x67, 0x4D, 0x40, 0x1F, 0xEC, 0xA0, 0x28, 0x02, 0xDD, 0x80, 0x88, 0x00, 0x00, 0x03, 0x00, 0x08, 0x00, 0x00,
        0x03, 0x01, 0xE0, 0x78, 0xC1, 0x8C, 0xB0,
    ]
}

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
