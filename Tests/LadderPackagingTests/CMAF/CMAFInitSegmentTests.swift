import LadderMedia
import LadderTestSupport
import Testing

@testable import LadderPackaging

@Suite struct CMAFInitSegmentTests {
    static func video(
        width: Int = 640, height: Int = 360, aspect: (Int, Int) = (1, 1), codec: TrackCodec = .h264
    ) -> TrackDescription {
        TrackDescription(
            name: "360p",
            media: .video(
                width: width, height: height, frameRate: 30, sampleAspectNum: aspect.0, sampleAspectDen: aspect.1),
            codec: codec, codecString: "avc1.64001e", timescale: 90000,
            decoderConfig: SampleEntryBoxesTests.avcC, targetBitrate: 800_000)
    }

    static let audio = TrackDescription(
        name: "audio", media: .audio(sampleRate: 48000, channels: 2), codec: .aac, codecString: "mp4a.40.2",
        timescale: 48000, decoderConfig: [0x11, 0x90], targetBitrate: nil)

    @Test func videoInitIsFtypAndMoovWithMovieExtends() throws {
        let bytes = try CMAFInitSegment.make(for: Self.video())
        let boxes = try parseTestBoxes(bytes)
        #expect(boxes.types == ["ftyp", "moov"])
        #expect(Array(boxes[0].payload.prefix(4)) == Array("cmfc".utf8))
        #expect(String(decoding: boxes[0].payload.dropFirst(8), as: UTF8.self) == "cmfciso6isommp41")
        let moov = boxes[1]
        #expect(try moov.children().types == ["mvhd", "trak", "mvex"])
        var trex = try moov.find("mvex", "trex").cursor(skip: 4 + 16)
        #expect(trex.u32() == SampleFlags.nonSync.rawValue)
        let entry = try moov.find("trak", "mdia", "minf", "stbl", "stsd", "avc1")
        #expect(try entry.containerChildren().types == ["avcC", "pasp", "btrt"])
        #expect(try Array(entry.find("avcC").payload) == SampleEntryBoxesTests.avcC)
    }

    @Test func btrtStatesTheAverageAndThePeak() throws {
        var track = Self.video(width: 640, height: 360, aspect: (1, 1))
        track.targetBitrate = 800_000
        track.peakBitrate = 1_200_000
        let entry = try parseTestBoxes(CMAFInitSegment.make(for: track)).first("moov")
            .find("trak", "mdia", "minf", "stbl", "stsd", "avc1")
        // ISO/IEC 14496-12 8.5.2.2: bufferSizeDB, maxBitrate, avgBitrate.
        var btrt = try entry.containerChildren().first("btrt").cursor()
        #expect(btrt.u32() == 0)
        #expect(btrt.u32() == 1_200_000)
        #expect(btrt.u32() == 800_000)
    }

    @Test func displaySizeFollowsSampleAspect() throws {
        let boxes = try parseTestBoxes(CMAFInitSegment.make(for: Self.video(width: 720, height: 576, aspect: (32, 30))))
        var tkhd = try boxes.first("moov").find("trak", "tkhd").cursor(skip: 4 + 72)
        #expect(tkhd.u32() == 768 << 16)  // 720 * 16/15
        #expect(tkhd.u32() == 576 << 16)
        var pasp = try boxes.first("moov").find("trak", "mdia", "minf", "stbl", "stsd", "avc1", "pasp").cursor()
        #expect(pasp.u32() == 16)
        #expect(pasp.u32() == 15)
    }

    @Test func hevcUsesHvc1() throws {
        let boxes = try parseTestBoxes(CMAFInitSegment.make(for: Self.video(codec: .hevc)))
        _ = try boxes.first("moov").find("trak", "mdia", "minf", "stbl", "stsd", "hvc1", "hvcC")
    }

    @Test func vp9UsesVp09WithVpcCAndAV1UsesAv01WithAv1C() throws {
        var vp9 = Self.video(codec: .vp9)
        vp9.decoderConfig = [1, 0, 0, 0, 0, 21, 0x80, 2, 2, 2, 0, 0]
        let vp9Entry = try parseTestBoxes(CMAFInitSegment.make(for: vp9)).first("moov")
            .find("trak", "mdia", "minf", "stbl", "stsd", "vp09")
        #expect(try vp9Entry.containerChildren().types == ["vpcC", "pasp", "btrt"])
        #expect(try Array(vp9Entry.find("vpcC").payload) == vp9.decoderConfig)
        var av1 = Self.video(codec: .av1)
        av1.decoderConfig = [0x81, 0x00, 0x0C, 0x00, 0x0A, 0x01, 0x00]
        let av1Entry = try parseTestBoxes(CMAFInitSegment.make(for: av1)).first("moov")
            .find("trak", "mdia", "minf", "stbl", "stsd", "av01")
        #expect(try Array(av1Entry.find("av1C").payload) == av1.decoderConfig)
    }

    @Test func audioInitUsesMp4aAndSyncDefaults() throws {
        let boxes = try parseTestBoxes(CMAFInitSegment.make(for: Self.audio))
        let moov = try boxes.first("moov")
        var trex = try moov.find("mvex", "trex").cursor(skip: 4 + 16)
        #expect(trex.u32() == SampleFlags.sync.rawValue)
        var mdhd = try moov.find("trak", "mdia", "mdhd").cursor(skip: 4 + 8)
        #expect(mdhd.u32() == 48000)
        let entry = try moov.find("trak", "mdia", "minf", "stbl", "stsd", "mp4a")
        #expect(try entry.containerChildren().types == ["esds"])
    }

    @Test func identicalDescriptionsGiveIdenticalBytes() throws {
        #expect(try CMAFInitSegment.make(for: Self.video()) == CMAFInitSegment.make(for: Self.video()))
        #expect(try CMAFInitSegment.make(for: Self.video()) != CMAFInitSegment.make(for: Self.video(width: 642)))
    }

    @Test func invalidDescriptionsAreRejected() {
        var mismatched = Self.audio
        mismatched.codec = .h264
        #expect(throws: CMAFTrackError.codecDoesNotMatchMedia(.h264)) { try CMAFInitSegment.make(for: mismatched) }
        var aacVideo = Self.video()
        aacVideo.codec = .aac
        #expect(throws: CMAFTrackError.codecDoesNotMatchMedia(.aac)) { try CMAFInitSegment.make(for: aacVideo) }
        var empty = Self.video()
        empty.decoderConfig = []
        #expect(throws: CMAFTrackError.emptyDecoderConfig) { try CMAFInitSegment.make(for: empty) }
        var noTimescale = Self.audio
        noTimescale.timescale = 0
        #expect(throws: CMAFTrackError.invalidTimescale(0)) { try CMAFInitSegment.make(for: noTimescale) }
        #expect(throws: CMAFTrackError.invalidDimensions(width: 0, height: 360)) {
            try CMAFInitSegment.make(for: Self.video(width: 0))
        }
    }
}
