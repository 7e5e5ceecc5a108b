import Testing

@testable import LadderMedia

@Suite("AV1CodecConfigurationRecord")
struct AV1CodecConfigurationRecordTests {
    /// A real libaom-av1 temporal unit's start (384x216, main profile): a temporal delimiter,
    /// the sequence header OBU, then the first bytes of a frame OBU.
    static let temporalUnit: [UInt8] = [
        0x12, 0x00, 0x0A, 0x0B, 0x00, 0x00, 0x00, 0x04, 0x3D, 0xFF, 0x5C, 0xDA, 0xF9, 0x00, 0x40, 0x32, 0x04, 0xA8,
        0x2E, 0x10, 0x00,
    ]
    static let sequenceHeaderOBU = Array(temporalUnit[2..<15])

    @Test func readsTheSequenceHeaderOfATemporalUnit() throws {
        let record = try AV1CodecConfigurationRecord(Self.temporalUnit)
        #expect(record.header.profile == 0 && record.header.level == 0 && record.header.tier == 0)
        #expect(record.header.bitDepth == 8 && !record.header.monochrome)
        #expect(record.header.subsamplingX && record.header.subsamplingY)
        #expect(record.codecString == "av01.0.00M.08")
        #expect(record.sequenceHeaderOBU == Self.sequenceHeaderOBU)
        // AV1-ISOBMFF 2.3.3: marker|version, profile|level, tier..chroma position, no delay; configOBUs.
        #expect(Array(record.bytes.prefix(4)) == [0x81, 0x00, 0x0C, 0x00])
        #expect(Array(record.bytes.dropFirst(4)) == Self.sequenceHeaderOBU)
        // An av1C record reads back as itself.
        #expect(try AV1CodecConfigurationRecord(record.bytes) == record)
    }

    @Test func samplesLoseTheirTemporalDelimiters() throws {
        let sample = try AV1OBUs.sample(fromTemporalUnit: Self.temporalUnit.prefix(15) + [0x32, 0x00])
        #expect(sample == Self.sequenceHeaderOBU + [0x32, 0x00])
        let units = try AV1OBUs.split(sample)
        #expect(units.map(\.type) == [AV1OBUs.sequenceHeader, 6])
    }

    @Test func refusesTruncatedOrForeignData() {
        // A size that runs past the end, a truncated av1C, a record with no sequence header.
        #expect(throws: BitstreamError.self) { try AV1OBUs.split([0x0A, 0x0B, 0x00]) }
        #expect(throws: BitstreamError.self) { try AV1CodecConfigurationRecord([0x81, 0x00]) }
        #expect(throws: BitstreamError.self) { try AV1CodecConfigurationRecord([0x12, 0x00]) }
        #expect(throws: BitstreamError.self) { try AV1CodecConfigurationRecord(Array(Self.temporalUnit.prefix(8))) }
        // OBUs without size fields are not the low-overhead format.
        #expect(throws: BitstreamError.self) { try AV1OBUs.split([0x10, 0x00]) }
        // An H.264 record is not an av1C.
        #expect(throws: BitstreamError.self) { try AV1CodecConfigurationRecord([0x01, 0x64, 0x00, 0x1F, 0xFF]) }
    }
}
