import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

@Suite struct FileTypeBoxesTests {
    @Test func fileTypeListsBrands() throws {
        var writer = BoxWriter()
        FileTypeBoxes.writeFileType(&writer, majorBrand: "cmfc", minorVersion: 0, compatibleBrands: ["cmfc", "iso6"])
        let box = try parseTestBoxes(writer.bytes).first("ftyp")
        #expect(box.size == 8 + 4 + 4 + 8)
        #expect(Array(box.payload) == Array("cmfc".utf8) + [0, 0, 0, 0] + Array("cmfciso6".utf8))
    }

    @Test func segmentTypeHasTheSameSyntax() throws {
        var writer = BoxWriter()
        FileTypeBoxes.writeSegmentType(&writer, majorBrand: "cmfs", minorVersion: 1, compatibleBrands: ["msdh"])
        let box = try parseTestBoxes(writer.bytes).first("styp")
        #expect(Array(box.payload) == Array("cmfs".utf8) + [0, 0, 0, 1] + Array("msdh".utf8))
    }
}
