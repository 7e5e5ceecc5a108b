import Testing

@testable import LadderMedia

@Suite("AudioSpecificConfig")
struct AudioSpecificConfigTests {
    @Test func parsesAndBuildsAACLC() throws {
        let config = try AudioSpecificConfig(bytes: [0x11, 0x90])  // AAC-LC, 48 kHz, stereo
        #expect(config.objectType == 2)
        #expect(config.sampleRate == 48000)
        #expect(config.channelCount == 2)
        #expect(config.codecString == "mp4a.40.2")
        #expect(config.bytes == [0x11, 0x90])
    }

    @Test func heAACObjectTypeAndEscapedFrequency() throws {
        let he = try AudioSpecificConfig(bytes: [0x2B, 0x92, 0x08, 0x00])  // SBR, 22.05 kHz, stereo
        #expect(he.objectType == 5)
        #expect(he.codecString == "mp4a.40.5")
        // Frequency index 15: a 24-bit explicit rate follows.
        let explicit = try AudioSpecificConfig(bytes: [0x17, 0x80, 0x5D, 0xC0, 0x10])
        #expect(explicit.sampleRate == 48000)
        #expect(explicit.channelConfiguration == 2)
    }

    @Test func rejectsShortConfigs() {
        #expect(throws: BitstreamError.self) { try AudioSpecificConfig(bytes: [0x12]) }
    }

    @Test func splitsADTSFramesAndDerivesTheConfig() throws {
        // ISO/IEC 14496-3 1.A.2.2: protection absent, profile LC (1), 44.1 kHz (4), 2 channels.
        func frame(_ payload: [UInt8]) -> [UInt8] {
            let length = payload.count + 7
            return [
                0xFF, 0xF1, 0x50, 0x80 | UInt8(length >> 11), UInt8(length >> 3 & 0xFF),
                UInt8((length & 7) << 5) | 0x1F,
                0xFC,
            ] + payload
        }
        let frames = try ADTSHeader.frames(in: frame([1, 2, 3]) + frame([4, 5]))
        #expect(frames.map(\.payload) == [[1, 2, 3], [4, 5]])
        #expect(frames[0].config == AudioSpecificConfig(objectType: 2, sampleRate: 44100, channelConfiguration: 2))
        #expect(frames[0].config.bytes == [0x12, 0x10])
        #expect(throws: BitstreamError.self) { try ADTSHeader.frames(in: Array(frame([1, 2, 3]).dropLast())) }
    }
}
