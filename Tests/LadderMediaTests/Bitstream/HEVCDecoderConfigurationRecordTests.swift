import Testing

@testable import LadderMedia

@Suite("HEVCDecoderConfigurationRecord")
struct HEVCDecoderConfigurationRecordTests {
    /// Main profile, Main-compatible (flags 0x60000000), level 3.1 (93), constraint byte 0xB0.
    static let mainRecord: [UInt8] = [
        1, 0x01, 0x60, 0, 0, 0, 0xB0, 0, 0, 0, 0, 0, 93, 0xF0, 0x00, 0xFC, 0xFD, 0xF8, 0xF8, 0, 0, 0x0F, 0,
    ]

    @Test func codecStringFollowsAnnexE() throws {
        let record = try HEVCDecoderConfigurationRecord(bytes: Self.mainRecord)
        #expect(record.codecString == "hvc1.1.6.L93.B0")
        #expect(record.lengthSize == 4)
    }

    @Test func highTierMain10CodecString() throws {
        var bytes = Self.mainRecord
        bytes[1] = 0x22  // tier 1, profile 2
        bytes[2] = 0x20  // compatibility flag 2
        bytes[12] = 120
        #expect(try HEVCDecoderConfigurationRecord(bytes: bytes).codecString == "hvc1.2.4.H120.B0")
    }

    @Test func roundTripsParameterSetArrays() throws {
        var bytes = Self.mainRecord
        bytes[22] = 1
        bytes += [0xA0, 0, 1, 0, 3, 0x40, 0x01, 0x0C]  // one VPS array with one 3-byte unit
        let record = try HEVCDecoderConfigurationRecord(bytes: bytes)
        #expect(record.arrays.count == 1)
        #expect(record.arrays[0].type == HEVCNALType.vps)
        #expect(record.arrays[0].units == [[0x40, 0x01, 0x0C]])
        #expect(try HEVCDecoderConfigurationRecord(bytes: record.bytes) == record)
    }

    @Test func rejectsTruncatedRecords() {
        #expect(throws: BitstreamError.self) {
            try HEVCDecoderConfigurationRecord(bytes: Array(Self.mainRecord.prefix(20)))
        }
        var bytes = Self.mainRecord
        bytes[22] = 1
        bytes += [0xA0, 0, 1, 0, 9, 0x40]
        #expect(throws: BitstreamError.self) { try HEVCDecoderConfigurationRecord(bytes: bytes) }
    }
}
