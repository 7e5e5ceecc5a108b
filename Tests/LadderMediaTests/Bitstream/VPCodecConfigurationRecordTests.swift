import Testing

@testable import LadderMedia

@Suite("VPCodecConfigurationRecord")
struct VPCodecConfigurationRecordTests {
    /// The first bytes of a real libvpx-vp9 key frame (480x270, profile 0, 8-bit 4:2:0).
    static let keyFrame480x270: [UInt8] = [0x82, 0x49, 0x83, 0x42, 0x00, 0x1D, 0xF0, 0x10, 0xD6, 0x08, 0x38, 0x24]
    /// Same picture in profile 1 (4:4:4).
    static let keyFrame444: [UInt8] = [0xA2, 0x49, 0x83, 0x42, 0x00, 0x03, 0xBE, 0x02, 0x1A, 0xC0, 0xC7, 0x04]

    @Test func readsAKeyFrameHeader() throws {
        let header = try VP9KeyFrameHeader(frame: Self.keyFrame480x270)
        #expect(header.profile == 0 && header.bitDepth == 8)
        #expect(header.subsamplingX && header.subsamplingY)
        #expect(header.width == 480 && header.height == 270)
        let record = VPCodecConfigurationRecord(header: header, frameRate: 30, bitrate: 350_000)
        // 480x270 = 129,600 luma samples: above level 2's 122,880, so level 2.1 (VP9 Annex A).
        #expect(record.codecString == "vp09.00.21.08")
        #expect(record.bytes == [1, 0, 0, 0, 0, 21, 0x80, 2, 2, 2, 0, 0])
        #expect(try VPCodecConfigurationRecord(bytes: record.bytes) == record)
    }

    @Test func readsProfileOneAs444() throws {
        let header = try VP9KeyFrameHeader(frame: Self.keyFrame444)
        #expect(header.profile == 1 && !header.subsamplingX && !header.subsamplingY)
        let record = VPCodecConfigurationRecord(header: header, frameRate: 30, bitrate: 1_000_000)
        #expect(record.chromaSubsampling == 3)
        #expect(record.codecString.hasPrefix("vp09.01."))
    }

    @Test func levelFollowsSizeRateAndBitrate() {
        #expect(VPCodecConfigurationRecord.level(width: 640, height: 360, frameRate: 30, bitrate: 800_000) == 21)
        #expect(VPCodecConfigurationRecord.level(width: 1280, height: 720, frameRate: 30, bitrate: 2_000_000) == 31)
        #expect(VPCodecConfigurationRecord.level(width: 1920, height: 1080, frameRate: 60, bitrate: 6_000_000) == 41)
        // A bitrate above what the size alone needs raises the level.
        #expect(VPCodecConfigurationRecord.level(width: 640, height: 360, frameRate: 30, bitrate: 5_000_000) == 30)
    }

    @Test func refusesWhatIsNotAKeyFrameOrIsCutShort() {
        var interFrame = Self.keyFrame480x270
        interFrame[0] = 0x86  // frame_type = NON_KEY_FRAME
        #expect(throws: BitstreamError.self) { try VP9KeyFrameHeader(frame: interFrame) }
        #expect(throws: BitstreamError.self) { try VP9KeyFrameHeader(frame: Array(Self.keyFrame480x270.prefix(6))) }
        #expect(throws: BitstreamError.self) { try VP9KeyFrameHeader(frame: [0x02, 0x49]) }  // bad frame_marker
        #expect(throws: BitstreamError.self) { try VPCodecConfigurationRecord(bytes: [1, 0, 0, 0, 0, 20]) }
        #expect(throws: BitstreamError.self) {
            try VPCodecConfigurationRecord(bytes: [0, 0, 0, 0, 0, 20, 0x80, 2, 2, 2, 0, 0])  // version 0
        }
    }
}
