import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

@Suite struct MovieExtendsBoxesTests {
    @Test func trackExtendsDefaults() throws {
        var writer = BoxWriter()
        MovieExtendsBoxes.writeMovieExtends(
            &writer, fragmentDuration: nil, trackID: 1, defaultSampleDuration: 1024, defaultSampleFlags: .sync)
        let mvex = try parseTestBoxes(writer.bytes).first("mvex")
        #expect(try mvex.children().types == ["trex"])
        var trex = try mvex.find("trex").cursor(skip: 4)
        #expect(trex.u32() == 1)
        #expect(trex.u32() == 1)
        #expect(trex.u32() == 1024)
        #expect(trex.u32() == 0)
        #expect(trex.u32() == 0x0200_0000)
    }

    @Test func movieExtendsHeaderVersionFollowsTheValue() throws {
        var writer = BoxWriter()
        MovieExtendsBoxes.writeMovieExtendsHeader(&writer, fragmentDuration: 90000)
        MovieExtendsBoxes.writeMovieExtendsHeader(&writer, fragmentDuration: 1 << 33)
        let boxes = try parseTestBoxes(writer.bytes)
        #expect(boxes.types == ["mehd", "mehd"])
        #expect(boxes[0].version == 0)
        #expect(boxes[0].size == 16)
        #expect(boxes[1].version == 1)
        var cursor = boxes[1].cursor(skip: 4)
        #expect(cursor.u64() == 1 << 33)
    }
}
