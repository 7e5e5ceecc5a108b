import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

@Suite struct SegmentIndexBoxTests {
    @Test func singleReference() throws {
        var writer = BoxWriter()
        SegmentIndexBox.write(
            &writer, referenceID: 1, timescale: 90000, earliestPresentationTime: 6000,
            references: [.init(referencedSize: 5000, subsegmentDuration: 180000, startsWithSAP: true)])
        let sidx = try parseTestBoxes(writer.bytes).first("sidx")
        #expect(sidx.version == 0)
        var cursor = sidx.cursor(skip: 4)
        #expect(cursor.u32() == 1)
        #expect(cursor.u32() == 90000)
        #expect(cursor.u32() == 6000)
        #expect(cursor.u32() == 0)
        #expect(cursor.u16() == 0)
        #expect(cursor.u16() == 1)
        #expect(cursor.u32() == 5000)
        #expect(cursor.u32() == 180000)
        #expect(cursor.u32() == 0x9000_0000)
        #expect(cursor.remaining == 0)
    }

    @Test func largeEarliestTimeUsesVersion1() throws {
        var writer = BoxWriter()
        SegmentIndexBox.write(&writer, referenceID: 1, timescale: 1, earliestPresentationTime: 1 << 40, references: [])
        let sidx = try parseTestBoxes(writer.bytes).first("sidx")
        #expect(sidx.version == 1)
        var cursor = sidx.cursor(skip: 12)
        #expect(cursor.u64() == 1 << 40)
    }
}
