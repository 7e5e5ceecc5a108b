/// AudioSpecificConfig, ISO/IEC 14496-3 1.6.2.1 (the fields this project needs).
public struct AudioSpecificConfig: Sendable, Hashable {
    /// audioObjectType (2 = AAC-LC, 5 = SBR, 29 = PS).
    public var objectType: Int
    public var sampleRate: Int
    /// channelConfiguration (1.6.3.5); 0 means "defined in the stream" (program_config_element).
    public var channelConfiguration: Int

    /// samplingFrequencyIndex table, ISO/IEC 14496-3 1.6.3.4.
    public static let sampleRates = [
        96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
    ]

    public init(objectType: Int, sampleRate: Int, channelConfiguration: Int) {
        self.objectType = objectType
        self.sampleRate = sampleRate
        self.channelConfiguration = channelConfiguration
    }

    public init(bytes: [UInt8]) throws(BitstreamError) {
        var reader = BitReader(bytes)
        var objectType = Int(try reader.bits(5))
        if objectType == 31 { objectType = 32 + Int(try reader.bits(6)) }
        let frequencyIndex = Int(try reader.bits(4))
        if frequencyIndex == 0xF {
            sampleRate = Int(try reader.bits(24))
        } else {
            guard frequencyIndex < Self.sampleRates.count else {
                throw .invalid("samplingFrequencyIndex \(frequencyIndex)")
            }
            sampleRate = Self.sampleRates[frequencyIndex]
        }
        guard sampleRate > 0 else { throw .invalid("sampling frequency 0") }
        channelConfiguration = Int(try reader.bits(4))
        self.objectType = objectType
    }

    /// Channel count for channelConfiguration 1...7 (ISO/IEC 14496-3 Table 1.19); nil for 0.
    public var channelCount: Int? {
        switch channelConfiguration {
        case 1...6: return channelConfiguration
        case 7: return 8
        default: return nil
        }
    }

    /// The 2-byte form (object type < 31, table sample rate); nil when that cannot express it.
    public var bytes: [UInt8]? {
        guard objectType < 31, let index = Self.sampleRates.firstIndex(of: sampleRate), channelConfiguration < 16 else {
            return nil
        }
        return [
            UInt8(objectType << 3 | index >> 1), UInt8((index & 1) << 7 | channelConfiguration << 3),
        ]
    }

    /// RFC 6381 3.3 with ISO/IEC 14496-3 object types: "mp4a.40.2" for AAC-LC.
    public var codecString: String { "mp4a.40.\(objectType)" }
}

/// ADTS framing (ISO/IEC 14496-3 1.A.2.2): a 7 or 9 byte header before each raw AAC frame.
public struct ADTSHeader: Sendable, Hashable {
    public var config: AudioSpecificConfig
    public var headerLength: Int
    /// Header plus payload.
    public var frameLength: Int

    /// Parses the header at the start of `bytes`.
    public init(_ bytes: ArraySlice<UInt8>) throws(BitstreamError) {
        guard bytes.count >= 7 else { throw .truncated("ADTS header") }
        let base = bytes.startIndex
        guard bytes[base] == 0xFF, bytes[base + 1] & 0xF0 == 0xF0 else { throw .invalid("ADTS syncword") }
        let protectionAbsent = bytes[base + 1] & 1 == 1
        let profile = Int(bytes[base + 2] >> 6)
        let frequencyIndex = Int(bytes[base + 2] >> 2 & 0x0F)
        let channels = Int(bytes[base + 2] & 1) << 2 | Int(bytes[base + 3] >> 6)
        guard frequencyIndex < AudioSpecificConfig.sampleRates.count else {
            throw .invalid("ADTS sampling_frequency_index \(frequencyIndex)")
        }
        frameLength = Int(bytes[base + 3] & 0x03) << 11 | Int(bytes[base + 4]) << 3 | Int(bytes[base + 5] >> 5)
        headerLength = protectionAbsent ? 7 : 9
        guard frameLength > headerLength else { throw .invalid("ADTS frame_length \(frameLength)") }
        config = AudioSpecificConfig(
            objectType: profile + 1, sampleRate: AudioSpecificConfig.sampleRates[frequencyIndex],
            channelConfiguration: channels)
    }

    /// Splits a buffer of whole ADTS frames into (config, raw frame) pairs.
    public static func frames(
        in bytes: [UInt8]
    ) throws(BitstreamError) -> [(config: AudioSpecificConfig, payload: [UInt8])] {
        var frames: [(config: AudioSpecificConfig, payload: [UInt8])] = []
        var index = 0
        while index < bytes.count {
            let header = try ADTSHeader(bytes[index...])
            guard header.frameLength <= bytes.count - index else { throw .truncated("ADTS frame") }
            frames.append((header.config, Array(bytes[index + header.headerLength..<index + header.frameLength])))
            index += header.frameLength
        }
        return frames
    }
}
