import LadderMedia
import LadderPackaging
import LadderProfile
import LadderTestSupport
import Testing

@testable import LadderFFmpeg
@testable import LadderTranscode

@Suite("IngestConversion")
struct IngestConversionTests {
    @Test func annexBPacketsBecomeAnAVCCRecordAndLengthPrefixedUnits() throws {
        var converter = VideoIngestConverter(codec: .h264, extradata: [], timeBase: (1, 90000), frameRate: 30)
        let idr: [UInt8] = [0x65, 0x88, 0x84]
        let packet = DemuxedPacket(
            streamIndex: 0, pts: 6000, dts: 3000, isKeyframe: true,
            data: [0, 0, 0, 1, 0x09, 0xF0] + [0, 0, 0, 1] + SampleParameterSets.high360p + [0, 0, 1]
                + SampleParameterSets.high360pPPS + [0, 0, 1] + idr)
        let samples = converter.convert(packet)
        #expect(samples.count == 2)
        guard case .videoConfig(let config) = samples.first, case .video(let unit) = samples.last else {
            Issue.record("expected a configuration then an access unit")
            return
        }
        let record = try AVCDecoderConfigurationRecord(bytes: config.record)
        #expect(record.sequenceParameterSets == [SampleParameterSets.high360p])
        #expect(record.pictureParameterSets == [SampleParameterSets.high360pPPS])
        #expect(unit.data == [0, 0, 0, 3] + idr)  // no AUD, SPS or PPS left in the sample
        #expect(unit.dts == 33)
        #expect(unit.pts == 67)
        #expect(unit.isKeyframe)
        // The same parameter sets again: no new configuration.
        #expect(converter.convert(packet).count == 1)
    }

    @Test func mp4ExtradataIsTheRecord() {
        let record: [UInt8] = [1, 0x64, 0, 0x1E, 0xFF, 0xE0, 0]
        var converter = VideoIngestConverter(codec: .h264, extradata: record, timeBase: (1, 1000), frameRate: nil)
        let samples = converter.convert(
            DemuxedPacket(streamIndex: 0, pts: 40, dts: 0, isKeyframe: true, data: [0, 0, 0, 1, 0x65]))
        guard case .videoConfig(let config) = samples.first else {
            Issue.record("configuration first")
            return
        }
        #expect(config.record == record)
        #expect(samples.count == 2)
        #expect(
            converter.convert(
                DemuxedPacket(streamIndex: 0, pts: 80, dts: 40, isKeyframe: false, data: [0, 0, 0, 1, 0x41])
            ).count == 1)
    }

    @Test func adtsPacketsLoseTheirHeaders() {
        var converter = AudioIngestConverter(extradata: [], timeBase: (1, 90000))
        let payload: [UInt8] = [0x21, 0x10, 0x05]
        let length = payload.count + 7
        let frame: [UInt8] =
            [0xFF, 0xF1, 0x4C, 0x80, UInt8(length >> 3), UInt8((length & 7) << 5) | 0x1F, 0xFC] + payload
        let samples = converter.convert(
            DemuxedPacket(streamIndex: 1, pts: 90000, dts: 90000, isKeyframe: true, data: frame + frame))
        #expect(samples.count == 3)
        guard case .audioConfig(let config) = samples[0], case .audio(let first) = samples[1],
            case .audio(let second) = samples[2]
        else {
            Issue.record("configuration then two frames")
            return
        }
        #expect(config.audioSpecificConfig == [0x11, 0x90])  // AAC-LC, 48 kHz, stereo
        #expect(first.data == payload)
        #expect(first.pts == 1000)
        #expect(second.pts == 1021)  // + 1024 / 48000 s
    }
}
