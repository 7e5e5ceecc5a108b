import Testing

@testable import LadderMedia

@Suite("NALUnits")
struct NALUnitsTests {
    @Test func splitsAnnexBOnThreeAndFourByteStartCodes() {
        let stream: [UInt8] = [0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x65, 4, 5, 0, 0]
        let units = NALUnits.splitAnnexB(stream).map { Array($0) }
        #expect(units == [[0x67, 1, 2], [0x68, 3], [0x65, 4, 5]])
    }

    @Test func annexBToLengthPrefixedAndBack() throws {
        let stream: [UInt8] = [0, 0, 0, 1, 0x09, 0xF0, 0, 0, 1, 0x65, 0xAA, 0xBB]
        let kept = NALUnits.splitAnnexB(stream).filter { NALUnits.h264Type($0) != H264NALType.accessUnitDelimiter }
        let avcc = NALUnits.lengthPrefixed(kept)
        #expect(avcc == [0, 0, 0, 3, 0x65, 0xAA, 0xBB])
        let parsed = try NALUnits.splitLengthPrefixed(avcc)
        #expect(parsed.map { Array($0) } == [[0x65, 0xAA, 0xBB]])
    }

    @Test func lengthPrefixedRejectsLengthsPastTheEnd() {
        #expect(throws: BitstreamError.self) { try NALUnits.splitLengthPrefixed([0, 0, 0, 9, 0x65, 1]) }
        #expect(throws: BitstreamError.self) { try NALUnits.splitLengthPrefixed([0, 0], lengthSize: 4) }
    }

    @Test func twoByteLengthPrefixes() throws {
        let units = try NALUnits.splitLengthPrefixed([0, 2, 0x41, 1, 0, 1, 0x06], lengthSize: 2)
        #expect(units.map { Array($0) } == [[0x41, 1], [0x06]])
    }

    @Test func nalUnitTypes() {
        #expect(NALUnits.h264Type([0x65][...]) == H264NALType.idrSlice)
        #expect(NALUnits.hevcType([0x40, 0x01][...]) == HEVCNALType.vps)
        #expect(NALUnits.hevcType([0x26, 0x01][...]) == 19)  // IDR_W_RADL
    }
}
