import LadderTestSupport
import Testing

@testable import LadderMedia

@Suite("VideoSampleFormat")
struct VideoSampleFormatTests {
    @Test func h264RepeatsParameterSetsBeforeIDRsOnly() throws {
        let sps = SampleParameterSets.high360p
        let pps = SampleParameterSets.high360pPPS
        let format = try VideoSampleFormat(
            codec: .h264, header: [0, 0, 0, 1] + sps + [0, 0, 1] + pps, frameRate: 30, bitrate: 1)
        #expect(format.codecString == "avc1.64001e")
        let idr: [UInt8] = [0x65, 0x88, 0x84]
        let packet = [0, 0, 0, 1, 0x09, 0xF0] + [0, 0, 1] + idr  // an access unit delimiter, then the IDR
        let sample = try format.sample(fromPacket: packet, isKeyframe: true)
        #expect(try NALUnits.splitLengthPrefixed(sample).map(Array.init) == [sps, pps, idr])
        let other = try format.sample(fromPacket: [0, 0, 1, 0x41, 0x9A], isKeyframe: false)
        #expect(other == [0, 0, 0, 2, 0x41, 0x9A])
    }

    @Test func vp9AndAV1SamplesKeepTheirFramesAndLoseDelimiters() throws {
        let vp9 = try VideoSampleFormat(
            codec: .vp9, header: VPCodecConfigurationRecordTests.keyFrame480x270, frameRate: 30, bitrate: 350_000)
        #expect(vp9.codecString == "vp09.00.21.08" && vp9.decoderConfig.count == 12)
        #expect(try vp9.sample(fromPacket: [1, 2, 3], isKeyframe: false) == [1, 2, 3])
        let av1 = try VideoSampleFormat(
            codec: .av1, header: AV1CodecConfigurationRecordTests.temporalUnit, frameRate: 30, bitrate: 1)
        #expect(av1.codecString == "av01.0.00M.08")
        #expect(try av1.sample(fromPacket: [0x12, 0x00, 0x32, 0x00], isKeyframe: false) == [0x32, 0x00])
    }

    @Test func aHeaderOfAnotherCodecIsAnError() {
        // A sequence header that lies about its codec: VP9 bytes declared as AV1 and the reverse.
        #expect(throws: BitstreamError.self) {
            try VideoSampleFormat(
                codec: .av1, header: VPCodecConfigurationRecordTests.keyFrame480x270, frameRate: 30, bitrate: 1)
        }
        #expect(throws: BitstreamError.self) {
            try VideoSampleFormat(
                codec: .vp9, header: AV1CodecConfigurationRecordTests.temporalUnit, frameRate: 30, bitrate: 1)
        }
    }
}
