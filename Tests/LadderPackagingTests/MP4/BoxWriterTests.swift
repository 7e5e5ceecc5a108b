import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

@Suite struct BoxWriterTests {
    @Test func nestedBoxSizesAreBackPatched() throws {
        var writer = BoxWriter()
        writer.writeBox("moov") { moov in
            moov.writeFullBox("mvhd", version: 1, flags: 0x000203) { $0.writeUInt32(7) }
            moov.writeBox("free") { $0.writeZeros(5) }
        }
        let boxes = try parseTestBoxes(writer.bytes)
        #expect(boxes.types == ["moov"])
        #expect(boxes[0].size == writer.count)
        let children = try boxes[0].children()
        #expect(children.types == ["mvhd", "free"])
        #expect(children[0].size == 8 + 4 + 4)
        #expect(children[0].version == 1)
        #expect(children[0].flags == 0x000203)
        #expect(children[1].size == 13)
    }

    @Test func integersAreBigEndian() {
        var writer = BoxWriter()
        writer.writeUInt16(0x0102)
        writer.writeUInt24(0x030405)
        writer.writeUInt32(0x0607_0809)
        writer.writeUInt64(0x0A0B_0C0D_0E0F_1011)
        writer.writeInt32(-2)
        #expect(
            writer.bytes == [
                1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 0xFF, 0xFF, 0xFF, 0xFE,
            ])
    }

    @Test func oversizedBoxUsesLargeSize() throws {
        var writer = BoxWriter(capacity: 0, largeSizeThreshold: 20)
        writer.writeBox("mdat") { $0.writeZeros(30) }
        writer.writeBox("free") { $0.writeZeros(2) }
        #expect(Array(writer.bytes[0..<4]) == [0, 0, 0, 1])
        let boxes = try parseTestBoxes(writer.bytes)
        #expect(boxes.types == ["mdat", "free"])
        #expect(boxes[0].headerSize == 16)
        #expect(boxes[0].size == 16 + 30)
        #expect(boxes[0].payload.count == 30)
    }

    @Test func patchOutsideTheBufferIsIgnored() {
        var writer = BoxWriter()
        writer.writeUInt32(0)
        writer.patchUInt32(at: 2, 0xFFFF_FFFF)
        writer.patchUInt32(at: -1, 0xFFFF_FFFF)
        #expect(writer.bytes == [0, 0, 0, 0])
        writer.patchUInt32(at: 0, 0x0102_0304)
        #expect(writer.bytes == [1, 2, 3, 4])
    }

    @Test func fourCCFromText() {
        #expect(FourCC("moov").rawValue == 0x6D6F_6F76)
        #expect(FourCC("url ").description == "url ")
        #expect(FourCC("ab").description == "ab  ")
        #expect(FourCC("é").bytes.allSatisfy { $0 < 0x80 })
    }
}
