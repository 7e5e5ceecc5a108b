import Testing

@testable import LadderMedia

@Suite("OpusIdentificationHeader")
struct OpusIdentificationHeaderTests {
    /// What libopus writes for stereo at 48 kHz (RFC 7845 5.1): pre-skip 312.
    static let stereo: [UInt8] = Array("OpusHead".utf8) + [1, 2, 0x38, 0x01, 0x80, 0xBB, 0, 0, 0, 0, 0]

    @Test func readsTheFields() throws {
        let header = try OpusIdentificationHeader(bytes: Self.stereo)
        #expect(header.channels == 2 && header.preSkip == 312)
        #expect(header.inputSampleRate == 48000 && header.mappingFamily == 0)
    }

    @Test func refusesWhatIsNotAnOpusHead() {
        #expect(throws: BitstreamError.self) { try OpusIdentificationHeader(bytes: Array(Self.stereo.prefix(18))) }
        var tags = Self.stereo
        tags.replaceSubrange(0..<8, with: Array("OpusTags".utf8))
        #expect(throws: BitstreamError.self) { try OpusIdentificationHeader(bytes: tags) }
        var version = Self.stereo
        version[8] = 0x10
        #expect(throws: BitstreamError.self) { try OpusIdentificationHeader(bytes: version) }
        var surround = Self.stereo
        surround[9] = 6  // six channels need family 1 and a mapping table
        #expect(throws: BitstreamError.self) { try OpusIdentificationHeader(bytes: surround) }
        surround[18] = 1
        #expect(throws: BitstreamError.self) { try OpusIdentificationHeader(bytes: surround) }
    }
}
