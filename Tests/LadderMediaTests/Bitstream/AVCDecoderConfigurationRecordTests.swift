import LadderTestSupport
import Testing

@testable import LadderMedia

@Suite("AVCDecoderConfigurationRecord")
struct AVCDecoderConfigurationRecordTests {
    @Test func buildsTheRecordFromAnnexBParameterSets() throws {
        let annexB = [0, 0, 0, 1] + SampleParameterSets.high360p + [0, 0, 1] + SampleParameterSets.high360pPPS
        let record = try AVCDecoderConfigurationRecord(annexB: annexB)
        let sps = SampleParameterSets.high360p
        let pps = SampleParameterSets.high360pPPS
        // ISO/IEC 14496-15 5.3.3.1.1: version, profile, compatibility, level, 0xFC|3, 0xE0|1, ...
        var expected: [UInt8] = [1, 0x64, 0x00, 0x1E, 0xFF, 0xE1, 0, UInt8(sps.count)] + sps
        expected += [1, 0, UInt8(pps.count)] + pps
        expected += [0xFD, 0xF8, 0xF8, 0]  // High profile: chroma 4:2:0, 8-bit, no SPS extensions
        #expect(record.bytes == expected)
        #expect(record.codecString == "avc1.64001e")
    }

    @Test func parsesWhatItBuilds() throws {
        let built = try AVCDecoderConfigurationRecord(
            sequenceParameterSets: [SampleParameterSets.main720p], pictureParameterSets: [[0x68, 0xEE, 0x3C, 0x80]])
        let parsed = try AVCDecoderConfigurationRecord(bytes: built.bytes)
        #expect(parsed == built)
        #expect(parsed.lengthSize == 4)
        #expect(parsed.bytes.count == 5 + 1 + 2 + SampleParameterSets.main720p.count + 1 + 2 + 4)  // Main: no extension
    }

    @Test func rejectsMalformedRecords() {
        #expect(throws: BitstreamError.self) { try AVCDecoderConfigurationRecord(bytes: [1, 0x64, 0, 0x1E]) }
        #expect(throws: BitstreamError.self) {
            try AVCDecoderConfigurationRecord(bytes: [1, 0x64, 0, 0x1E, 0xFF, 0xE1, 0, 50, 0x67])
        }
        #expect(throws: BitstreamError.self) { try AVCDecoderConfigurationRecord(annexB: [0, 0, 1, 0x65, 1]) }
    }
}
