import LadderMedia
import NIOCore
import RTMPTestSupport
import Testing

@testable import RTMPWire

/// Hand-built tag bodies (FLV spec E.4.2, E.4.3; Enhanced RTMP ExVideoTagHeader / ExAudioTagHeader).
enum FLVBodies {
    /// AVCDecoderConfigurationRecord: version 1, High profile, level 3.1, 4-byte lengths, one SPS, one PPS.
    static let avcRecord: [UInt8] = hexBytes("01 64 00 1f ff e1 0004 6764001f 01 0002 68ee")
    /// HEVCDecoderConfigurationRecord header (23 bytes), lengthSizeMinusOne = 3, no arrays.
    static let hevcRecord: [UInt8] = hexBytes("01 01 60000000 900000000000 5d f000 fc fd f8 f8 0000 0f 00")
    /// Two NAL units with 4-byte lengths.
    static let nalUnits: [UInt8] = hexBytes("00000002 6588 00000003 06 0102")

    static func fourCC(_ code: String) -> [UInt8] { Array(code.utf8) }
}

@Suite struct FLVTagParserTests {
    func video(_ bytes: [UInt8]) throws -> FLVVideoTag { try FLVTagParser.parseVideo(ByteBuffer(bytes: bytes)) }
    func audio(_ bytes: [UInt8]) throws -> FLVAudioTag { try FLVTagParser.parseAudio(ByteBuffer(bytes: bytes)) }

    @Test func legacyAVCSequenceHeader() throws {
        #expect(FLVBodies.hevcRecord.count == 23)
        #expect(
            try video([0x17, 0x00, 0, 0, 0] + FLVBodies.avcRecord)
                == .sequenceStart(codec: .h264, record: ByteBuffer(bytes: FLVBodies.avcRecord), nalUnitLengthSize: 4))
    }

    @Test func legacyAVCFramesWithSignedCompositionTime() throws {
        #expect(
            try video([0x17, 0x01] + hexBytes("ffffdf") + FLVBodies.nalUnits)
                == .codedFrame(
                    codec: .h264, isKeyframe: true, compositionTime: -33, data: ByteBuffer(bytes: FLVBodies.nalUnits)))
        #expect(
            try video([0x27, 0x01] + hexBytes("000042") + FLVBodies.nalUnits)
                == .codedFrame(
                    codec: .h264, isKeyframe: false, compositionTime: 66, data: ByteBuffer(bytes: FLVBodies.nalUnits)))
        #expect(try video([0x17, 0x02, 0, 0, 0]) == .sequenceEnd(codec: .h264))
    }

    @Test func legacyUnsupportedCodecsAndCommandFrames() throws {
        #expect(try video([0x22, 0x00]) == .unsupportedCodec(.legacy(2)))
        #expect(try video([0x14, 0x00]) == .unsupportedCodec(.legacy(4)))
        #expect(try video([0x57, 0x01]) == .command(1))
        #expect(throws: FLVError.truncated) { try video([0x17, 0x01, 0x00]) }
        #expect(throws: FLVError.truncated) { try video([]) }
    }

    @Test func malformedDecoderConfigurations() {
        var badVersion = FLVBodies.avcRecord
        badVersion[0] = 0
        #expect(throws: FLVError.malformedDecoderConfiguration(.h264)) {
            try video([0x17, 0x00, 0, 0, 0] + badVersion)
        }
        var threeByteLengths = FLVBodies.avcRecord
        threeByteLengths[4] = 0xFE
        #expect(throws: FLVError.malformedDecoderConfiguration(.h264)) {
            try video([0x17, 0x00, 0, 0, 0] + threeByteLengths)
        }
        #expect(throws: FLVError.malformedDecoderConfiguration(.h264)) { try video([0x17, 0x00, 0, 0, 0, 0x01, 0x64]) }
        #expect(throws: FLVError.malformedDecoderConfiguration(.hevc)) {
            try video([0x90] + FLVBodies.fourCC("hvc1") + FLVBodies.hevcRecord.prefix(22))
        }
    }

    @Test func enhancedHEVC() throws {
        #expect(
            try video([0x90] + FLVBodies.fourCC("hvc1") + FLVBodies.hevcRecord)
                == .sequenceStart(codec: .hevc, record: ByteBuffer(bytes: FLVBodies.hevcRecord), nalUnitLengthSize: 4))
        #expect(
            try video([0x91] + FLVBodies.fourCC("hvc1") + hexBytes("000050") + FLVBodies.nalUnits)
                == .codedFrame(
                    codec: .hevc, isKeyframe: true, compositionTime: 80, data: ByteBuffer(bytes: FLVBodies.nalUnits)))
        #expect(
            try video([0xA3] + FLVBodies.fourCC("hvc1") + FLVBodies.nalUnits)
                == .codedFrame(
                    codec: .hevc, isKeyframe: false, compositionTime: 0, data: ByteBuffer(bytes: FLVBodies.nalUnits)))
        #expect(try video([0x92] + FLVBodies.fourCC("hvc1")) == .sequenceEnd(codec: .hevc))
        let colorInfo = AMF0Encoder.encode([.string("colorInfo"), .object([])])
        #expect(
            try video([0x94] + FLVBodies.fourCC("hvc1") + Array(colorInfo.readableBytesView)) == .metadata(colorInfo))
    }

    @Test func enhancedAVCAndUnsupportedFourCCs() throws {
        #expect(
            try video([0x91] + FLVBodies.fourCC("avc1") + hexBytes("000000") + FLVBodies.nalUnits)
                == .codedFrame(
                    codec: .h264, isKeyframe: true, compositionTime: 0, data: ByteBuffer(bytes: FLVBodies.nalUnits)))
        #expect(try video([0x90] + FLVBodies.fourCC("vp08") + [0x01]) == .unsupportedCodec(.fourCC("vp08")))
        #expect(try video([0x91] + FLVBodies.fourCC("vvc1")) == .unsupportedCodec(.fourCC("vvc1")))
        #expect(throws: FLVError.unsupportedPacketType(6)) { try video([0x96, 0x00] + FLVBodies.fourCC("hvc1")) }
        #expect(throws: FLVError.unsupportedPacketType(5)) { try video([0x95] + FLVBodies.fourCC("hvc1")) }
        #expect(throws: FLVError.truncated) { try video([0x91, 0x68, 0x76]) }
    }

    @Test func enhancedModifierExtensionsAreSkipped() throws {
        // ModEx: size 2+1 bytes of modifier data, then ModExType 0 | PacketType 1 (CodedFrames).
        let body =
            [0x97, 0x02, 0xAA, 0xBB, 0xCC, 0x01] + FLVBodies.fourCC("hvc1") + hexBytes("000021") + FLVBodies.nalUnits
        #expect(
            try video(body)
                == .codedFrame(
                    codec: .hevc, isKeyframe: true, compositionTime: 33, data: ByteBuffer(bytes: FLVBodies.nalUnits)))
        #expect(throws: FLVError.truncated) { try video([0x97, 0x05, 0xAA]) }
    }

    @Test func enhancedCommandFrame() throws {
        #expect(try video([0xD1, 0x00]) == .command(0))
    }

    @Test func aacAudio() throws {
        #expect(
            try audio([0xAF, 0x00, 0x12, 0x10])
                == .aacSequenceHeader(audioSpecificConfig: ByteBuffer(bytes: [0x12, 0x10])))
        #expect(try audio([0xAF, 0x01, 0x21, 0x10, 0x04]) == .aacFrame(ByteBuffer(bytes: [0x21, 0x10, 0x04])))
        #expect(try audio([0x2F, 0xFF, 0xFB]) == .mp3Frame(ByteBuffer(bytes: [0xFF, 0xFB])))
        #expect(try audio([0xB6, 0x01]) == .unsupported(soundFormat: 11))
        #expect(try audio([0xB2, 0x00]) == .unsupported(soundFormat: 11))
        #expect(throws: FLVError.malformedAudioSpecificConfig) { try audio([0xAF, 0x00, 0x12]) }
        #expect(throws: FLVError.truncated) { try audio([0xAF]) }
    }

    @Test func enhancedAudio() throws {
        #expect(
            try audio([0x90] + FLVBodies.fourCC("mp4a") + [0x12, 0x10])
                == .aacSequenceHeader(audioSpecificConfig: ByteBuffer(bytes: [0x12, 0x10])))
        #expect(try audio([0x91] + FLVBodies.fourCC("mp4a") + [0x21]) == .aacFrame(ByteBuffer(bytes: [0x21])))
        #expect(try audio([0x92] + FLVBodies.fourCC("mp4a")) == .aacSequenceEnd)
        #expect(try audio([0x91] + FLVBodies.fourCC("Opus") + [0x01]) == .opusFrame(ByteBuffer(bytes: [0x01])))
        let head = Array("OpusHead".utf8) + [1, 2, 0x38, 0x01, 0x80, 0xBB, 0, 0, 0, 0, 0]
        #expect(try audio([0x90] + FLVBodies.fourCC("Opus") + head) == .opusHeader(ByteBuffer(bytes: head)))
        #expect(throws: FLVError.malformedAudioSpecificConfig) {
            try audio([0x90] + FLVBodies.fourCC("Opus") + head.prefix(12))
        }
        #expect(try audio([0x91] + FLVBodies.fourCC("fLaC") + [0x01]) == .unsupported(soundFormat: 9))
    }

    @Test func nalUnitValidation() throws {
        try FLVTagParser.validateNALUnits(ByteBuffer(bytes: FLVBodies.nalUnits), lengthSize: 4)
        try FLVTagParser.validateNALUnits(ByteBuffer(bytes: hexBytes("0002 6588 0001 06")), lengthSize: 2)
        #expect(throws: FLVError.nalUnitOverrun(offset: 6)) {
            try FLVTagParser.validateNALUnits(ByteBuffer(bytes: hexBytes("00000002 6588 00000009 06")), lengthSize: 4)
        }
        #expect(throws: FLVError.nalUnitOverrun(offset: 6)) {
            try FLVTagParser.validateNALUnits(ByteBuffer(bytes: hexBytes("00000002 6588 0000")), lengthSize: 4)
        }
    }
}
