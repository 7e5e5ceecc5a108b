import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

@Suite struct MovieBoxesTests {
    private func movie(_ header: MovieBoxes.TrackHeader) throws -> TestBox {
        var writer = BoxWriter()
        MovieBoxes.writeMovie(&writer, track: header, sampleEntry: { $0.writeBox("test") { _ in } }, extends: { _ in })
        return try parseTestBoxes(writer.bytes).first("moov")
    }

    @Test func videoTrackTree() throws {
        let moov = try movie(
            .init(trackID: 1, handler: .video, timescale: 90000, displayWidth: 1280, displayHeight: 720))
        #expect(try moov.children().types == ["mvhd", "trak"])
        #expect(try moov.find("trak").children().types == ["tkhd", "mdia"])
        #expect(try moov.find("trak", "mdia").children().types == ["mdhd", "hdlr", "minf"])
        #expect(try moov.find("trak", "mdia", "minf").children().types == ["vmhd", "dinf", "stbl"])
        #expect(
            try moov.find("trak", "mdia", "minf", "stbl").children().types == ["stsd", "stts", "stsc", "stsz", "stco"])
        #expect(try moov.find("trak", "mdia", "minf", "dinf", "dref").containerChildren().types == ["url "])
        #expect(try moov.find("trak", "mdia", "minf", "stbl", "stsd").containerChildren().types == ["test"])

        var mvhd = try moov.find("mvhd").cursor(skip: 4)
        mvhd.skip(8)
        #expect(mvhd.u32() == 1000)
        var mdhd = try moov.find("trak", "mdia", "mdhd").cursor(skip: 4)
        mdhd.skip(8)
        #expect(mdhd.u32() == 90000)
        #expect(mdhd.u32() == 0)
        #expect(mdhd.u16() == 0x55C4)  // "und"
        var hdlr = try moov.find("trak", "mdia", "hdlr").cursor(skip: 4 + 4)
        #expect(String(decoding: hdlr.bytes(4), as: UTF8.self) == "vide")
        let vmhd = try moov.find("trak", "mdia", "minf", "vmhd")
        #expect(vmhd.flags == 1)
    }

    @Test func trackHeaderCarriesDisplaySizeInFixedPoint() throws {
        let moov = try movie(
            .init(trackID: 3, handler: .video, timescale: 90000, displayWidth: 853.5, displayHeight: 480))
        let tkhd = try moov.find("trak", "tkhd")
        #expect(tkhd.version == 0)
        #expect(tkhd.flags == 3)
        var cursor = tkhd.cursor(skip: 4)
        cursor.skip(8)
        #expect(cursor.u32() == 3)
        cursor.skip(4 + 4 + 8 + 2 + 2 + 2 + 2 + 36)
        #expect(cursor.u32() == 0x0355_8000)  // 853.5 in 16.16
        #expect(cursor.u32() == 480 << 16)
        #expect(cursor.remaining == 0)
    }

    @Test func audioTrackUsesSoundHeaderAndVolume() throws {
        let moov = try movie(.init(trackID: 1, handler: .audio, timescale: 48000, displayWidth: 0, displayHeight: 0))
        #expect(try moov.find("trak", "mdia", "minf").children().types == ["smhd", "dinf", "stbl"])
        var hdlr = try moov.find("trak", "mdia", "hdlr").cursor(skip: 8)
        #expect(String(decoding: hdlr.bytes(4), as: UTF8.self) == "soun")
        var tkhd = try moov.find("trak", "tkhd").cursor(skip: 4 + 20 + 8 + 4)
        #expect(tkhd.u16() == 0x0100)
    }

    @Test func emptySampleTablesHaveZeroEntries() throws {
        let moov = try movie(.init(trackID: 1, handler: .audio, timescale: 48000, displayWidth: 0, displayHeight: 0))
        for type in ["stts", "stsc", "stco"] {
            var cursor = try moov.find("trak", "mdia", "minf", "stbl", type).cursor(skip: 4)
            #expect(cursor.u32() == 0)
            #expect(cursor.remaining == 0)
        }
        var stsz = try moov.find("trak", "mdia", "minf", "stbl", "stsz").cursor(skip: 4)
        #expect(stsz.u32() == 0)
        #expect(stsz.u32() == 0)
    }

    @Test func languageAndFixedPointHelpers() {
        #expect(MovieBoxes.packedLanguage("eng") == 0x15C7)
        #expect(MovieBoxes.packedLanguage("EN") == 0x55C4)
        #expect(MovieBoxes.fixed16x16(-1) == 0)
        #expect(MovieBoxes.fixed16x16(.infinity) == 0)
        #expect(MovieBoxes.fixed16x16(1e12) == UInt32.max)
    }
}
