import LadderMedia
import NIOCore
import RTMPTestSupport
import Testing

@testable import RTMPWire

@Suite struct FLVIngestConverterTests {
    func videoSample(
        _ converter: inout FLVIngestConverter, _ bytes: [UInt8], at timestamp: Int64
    ) throws -> IngestSample? {
        try converter.ingestVideo(ByteBuffer(bytes: bytes), timestamp: timestamp)
    }

    @Test func avcConfigThenFrames() throws {
        var converter = FLVIngestConverter()
        let sequenceHeader = [0x17, 0x00, 0, 0, 0] + FLVBodies.avcRecord
        guard case .videoConfig(let config) = try videoSample(&converter, sequenceHeader, at: 0) else {
            Issue.record("expected a video config")
            return
        }
        #expect(config == VideoDecoderConfig(codec: .h264, record: FLVBodies.avcRecord))
        // The identical header again carries nothing new.
        #expect(try videoSample(&converter, sequenceHeader, at: 0) == nil)

        guard
            case .video(let unit) = try videoSample(
                &converter, [0x17, 0x01] + hexBytes("000042") + FLVBodies.nalUnits, at: 0x1_0000_0010)
        else {
            Issue.record("expected a video frame")
            return
        }
        #expect(unit.dts == 0x1_0000_0010)
        #expect(unit.pts == 0x1_0000_0052)
        #expect(unit.isKeyframe)
        #expect(unit.data == FLVBodies.nalUnits)

        #expect(throws: FLVError.nalUnitOverrun(offset: 0)) {
            try videoSample(&converter, [0x27, 0x01, 0, 0, 0] + hexBytes("000000ff 01"), at: 40)
        }
        #expect(try videoSample(&converter, [0x27, 0x01, 0, 0, 0], at: 40) == nil)
        #expect(try videoSample(&converter, [0x17, 0x02, 0, 0, 0], at: 80) == nil)
    }

    @Test func hevcOverEnhancedRTMPWithTwoByteLengths() throws {
        var record = FLVBodies.hevcRecord
        record[21] = 0x01  // lengthSizeMinusOne = 1
        var converter = FLVIngestConverter()
        guard
            case .videoConfig(let config) = try videoSample(
                &converter, [0x90] + FLVBodies.fourCC("hvc1") + record, at: 0)
        else {
            Issue.record("expected a video config")
            return
        }
        #expect(config.codec == .hevc)
        guard
            case .video(let unit) = try videoSample(
                &converter, [0xA3] + FLVBodies.fourCC("hvc1") + hexBytes("0002 0201"), at: 33)
        else {
            Issue.record("expected a video frame")
            return
        }
        #expect(!unit.isKeyframe)
        #expect(unit.compositionOffset == 0)
        #expect(throws: FLVError.codecMismatch(expected: .hevc, actual: .h264)) {
            try videoSample(&converter, [0x17, 0x01, 0, 0, 0] + FLVBodies.nalUnits, at: 66)
        }
    }

    @Test func framesBeforeConfigAndUnsupportedCodecs() {
        var converter = FLVIngestConverter()
        #expect(throws: FLVError.missingSequenceHeader) {
            try videoSample(&converter, [0x17, 0x01, 0, 0, 0] + FLVBodies.nalUnits, at: 0)
        }
        #expect(throws: FLVError.unsupportedVideoCodec(.fourCC("vp08"))) {
            try videoSample(&converter, [0x90] + FLVBodies.fourCC("vp08"), at: 0)
        }
        #expect(throws: FLVError.missingSequenceHeader) {
            try converter.ingestAudio(ByteBuffer(bytes: [0xAF, 0x01, 0x21]), timestamp: 0)
        }
        #expect(throws: FLVError.unsupportedAudioFormat(11)) {
            try converter.ingestAudio(ByteBuffer(bytes: [0xB6, 0xFF]), timestamp: 0)  // Speex
        }
    }

    @Test func mp3DeclaresItselfWithItsFirstFrame() throws {
        var converter = FLVIngestConverter()
        let frame: [UInt8] = [0xFF, 0xFB, 0x90, 0x64, 0x00]
        let mp3 = AudioDecoderConfig(codec: .mp3, audioSpecificConfig: [])
        guard case .audioConfig(let config) = try converter.ingestAudio(ByteBuffer(bytes: [0x2F] + frame), timestamp: 5)
        else {
            Issue.record("expected the MP3 configuration")
            return
        }
        #expect(config == mp3)
        guard case .audio(let first)? = converter.takePending() else {
            Issue.record("expected the first frame next")
            return
        }
        #expect(first.pts == 5 && first.data == frame)
        #expect(converter.takePending() == nil)
        // Later frames (SoundFormat 14 too: 8 kHz MP3) come alone.
        guard case .audio(let next) = try converter.ingestAudio(ByteBuffer(bytes: [0xE2] + frame), timestamp: 31)
        else {
            Issue.record("expected a frame")
            return
        }
        #expect(next.pts == 31 && converter.takePending() == nil)
        // A switch to AAC is a new configuration.
        guard
            case .audioConfig(let aac) = try converter.ingestAudio(
                ByteBuffer(bytes: [0xAF, 0x00, 0x12, 0x10]), timestamp: 40)
        else {
            Issue.record("expected the AAC configuration")
            return
        }
        #expect(aac.codec == .aac)
        #expect(FLVTagParser.soundFormatName(11) == "speex" && FLVTagParser.soundFormatName(14) == "mp3")
    }

    @Test func aacConfigThenFrames() throws {
        var converter = FLVIngestConverter()
        guard
            case .audioConfig(let config) = try converter.ingestAudio(
                ByteBuffer(bytes: [0xAF, 0x00, 0x12, 0x10]), timestamp: 0)
        else {
            Issue.record("expected an audio config")
            return
        }
        #expect(config == AudioDecoderConfig(codec: .aac, audioSpecificConfig: [0x12, 0x10]))
        #expect(try converter.ingestAudio(ByteBuffer(bytes: [0xAF, 0x00, 0x12, 0x10]), timestamp: 0) == nil)
        guard
            case .audio(let unit) = try converter.ingestAudio(
                ByteBuffer(bytes: [0xAF, 0x01, 0x21, 0x10]), timestamp: 23)
        else {
            Issue.record("expected an audio frame")
            return
        }
        #expect(unit.pts == 23)
        #expect(unit.data == [0x21, 0x10])
    }

    /// E-RTMP VP9 and AV1: the vpcC / av1C record in the sequence start, coded frames without
    /// a composition time, framing checked (VP9 frame marker, AV1 OBU sizes).
    @Test func enhancedVP9AndAV1() throws {
        var converter = FLVIngestConverter()
        let vpcC: [UInt8] = [1, 0, 0, 0, 0, 21, 0x80, 2, 2, 2, 0, 0]
        func config(_ sample: IngestSample?) -> VideoDecoderConfig? {
            if case .videoConfig(let config) = sample { return config }
            return nil
        }
        func unit(_ sample: IngestSample?) -> [String]? {
            guard case .video(let unit) = sample else { return nil }
            return ["\(unit.dts)", "\(unit.compositionOffset)", "\(unit.isKeyframe)", "\(unit.data)"]
        }
        let parsed = try videoSample(&converter, [0x90] + FLVBodies.fourCC("vp09") + vpcC, at: 0)
        #expect(config(parsed) == VideoDecoderConfig(codec: .vp9, record: vpcC))
        let frame: [UInt8] = [0x82, 0x49, 0x83, 0x42, 0x00]
        #expect(
            unit(try videoSample(&converter, [0x91] + FLVBodies.fourCC("vp09") + frame, at: 33))
                == ["33", "0", "true", "\(frame)"])
        #expect(throws: FLVError.malformedFrame(.vp9, "VP9 frame_marker is not 2")) {
            try videoSample(&converter, [0xA1] + FLVBodies.fourCC("vp09") + [0x02, 0x00], at: 66)
        }
        // A truncated vpcC, and one that lies about its version.
        #expect(throws: FLVError.malformedDecoderConfiguration(.vp9)) {
            try videoSample(&converter, [0x90] + FLVBodies.fourCC("vp09") + Array(vpcC.prefix(7)), at: 99)
        }
        #expect(throws: FLVError.malformedDecoderConfiguration(.vp9)) {
            try videoSample(&converter, [0x90] + FLVBodies.fourCC("vp09") + [0] + vpcC.dropFirst(), at: 99)
        }

        // AV1: av1C with a real sequence header OBU, then a temporal unit.
        let av1C: [UInt8] = [
            0x81, 0x00, 0x0C, 0x00, 0x0A, 0x0B, 0x00, 0x00, 0x00, 0x04, 0x3D, 0xFF, 0x5C, 0xDA, 0xF9, 0x00, 0x40,
        ]
        #expect(
            config(try videoSample(&converter, [0x90] + FLVBodies.fourCC("av01") + av1C, at: 0))
                == VideoDecoderConfig(codec: .av1, record: av1C))
        let temporalUnit: [UInt8] = [0x12, 0x00, 0x32, 0x02, 0xAA, 0xBB]
        #expect(
            unit(try videoSample(&converter, [0x93] + FLVBodies.fourCC("av01") + temporalUnit, at: 33))
                == ["33", "0", "true", "\(temporalUnit)"])
        #expect(throws: FLVError.self) {
            try videoSample(&converter, [0xA1] + FLVBodies.fourCC("av01") + [0x32, 0x09, 0xAA], at: 66)
        }
        // A truncated av1C; a frame of another codec than the sequence start's.
        #expect(throws: FLVError.malformedDecoderConfiguration(.av1)) {
            try videoSample(&converter, [0x90] + FLVBodies.fourCC("av01") + Array(av1C.prefix(8)), at: 99)
        }
        // Sequence starts that lie about their codec: a vpcC sent as av01, an av1C sent as vp09.
        #expect(throws: FLVError.malformedDecoderConfiguration(.av1)) {
            try videoSample(&converter, [0x90] + FLVBodies.fourCC("av01") + vpcC, at: 99)
        }
        #expect(throws: FLVError.malformedDecoderConfiguration(.vp9)) {
            try videoSample(&converter, [0x90] + FLVBodies.fourCC("vp09") + av1C, at: 99)
        }
        #expect(throws: FLVError.codecMismatch(expected: .av1, actual: .vp9)) {
            try videoSample(&converter, [0x91] + FLVBodies.fourCC("vp09") + frame, at: 99)
        }
    }
}
