import LadderMedia
import NIOCore

/// Parses an FLV audio or video tag body (selector byte bit 0: audio) with `FLVTagParser`, then
/// feeds it to an `FLVIngestConverter` both fresh and primed with a valid sequence header, so
/// coded frames reach the NAL unit checks (ISO/IEC 14496-15 5.3.2).
package enum FLVFuzzing {
    package static func run(_ input: [UInt8], checker: inout FuzzChecker) throws(FuzzPropertyViolation) {
        guard let selector = input.first else { return }
        let body = ByteBuffer(bytes: input.dropFirst())
        let timestamp = Int64(selector >> 1)
        if selector & 1 == 1 {
            var fresh = FLVIngestConverter()
            try ingestAudio(body, timestamp: timestamp, into: &fresh, checker: checker)
            var primed = FLVIngestConverter()
            _ = try? primed.ingestAudio(ByteBuffer(bytes: aacSequenceHeader), timestamp: 0)
            try ingestAudio(body, timestamp: timestamp, into: &primed, checker: checker)
        } else {
            var fresh = FLVIngestConverter()
            try ingestVideo(body, timestamp: timestamp, into: &fresh, checker: checker)
            if case .codedFrame(let codec, _, _, _) = try? FLVTagParser.parseVideo(body) {
                var primed = FLVIngestConverter()
                let lengthSize = [1, 2, 4, 4][Int(selector >> 1) & 3]
                _ = try? primed.ingestVideo(sequenceHeader(codec, lengthSize: lengthSize), timestamp: 0)
                try ingestVideo(body, timestamp: timestamp, into: &primed, checker: checker)
            }
        }
    }

    /// Ingests a video tag and checks the sample against the parsed tag.
    package static func ingestVideo(
        _ body: ByteBuffer, timestamp: Int64, into converter: inout FLVIngestConverter, checker: FuzzChecker
    ) throws(FuzzPropertyViolation) {
        let tag = try? FLVTagParser.parseVideo(body)
        try checker.check(tag == (try? FLVTagParser.parseVideo(body)), "parseVideo is not deterministic")
        let lengthSizeBefore = converter.videoConfig.flatMap { config in
            try? FLVTagParser.nalUnitLengthSize(codec: config.codec, record: ByteBuffer(bytes: config.record))
        }
        let sample: IngestSample?
        do throws(FLVError) {
            sample = try converter.ingestVideo(body, timestamp: timestamp)
        } catch {
            if case .nalUnitOverrun = error, case .codedFrame(_, _, _, let data) = tag, let lengthSizeBefore {
                try checker.check(!nalUnitsTile(data, lengthSize: lengthSizeBefore), "valid NAL units rejected")
            }
            return
        }
        switch (sample, tag) {
        case (.videoConfig(let config)?, .sequenceStart(let codec, let record, let lengthSize)?):
            try checker.check(config.codec == codec && config.record == Array(record.readableBytesView), "config")
            try checker.check([1, 2, 4].contains(lengthSize), "NAL unit length size \(lengthSize)")
            try checker.check(converter.videoConfig == config, "converter did not keep the configuration")
            let repeated = try? converter.ingestVideo(body, timestamp: timestamp)
            try checker.check(repeated == nil, "a repeated identical sequence header was not dropped")
        case (.video(let unit)?, .codedFrame(let codec, let isKeyframe, let compositionTime, let data)?):
            try checker.check(converter.videoConfig?.codec == codec, "frame of another codec accepted")
            try checker.check(unit.data == Array(data.readableBytesView) && !unit.data.isEmpty, "frame data")
            try checker.check(unit.isKeyframe == isKeyframe && unit.compositionOffset == compositionTime, "frame")
            try checker.check(unit.dts == timestamp, "frame DTS")
            if let lengthSizeBefore {
                try checker.check(nalUnitsTile(data, lengthSize: lengthSizeBefore), "invalid NAL units accepted")
            }
        case (nil, _):
            break
        default:
            throw checker.fail("video sample \(String(describing: sample)) for tag \(String(describing: tag))")
        }
    }

    /// Ingests an audio tag and checks the sample against the parsed tag.
    package static func ingestAudio(
        _ body: ByteBuffer, timestamp: Int64, into converter: inout FLVIngestConverter, checker: FuzzChecker
    ) throws(FuzzPropertyViolation) {
        let tag = try? FLVTagParser.parseAudio(body)
        try checker.check(tag == (try? FLVTagParser.parseAudio(body)), "parseAudio is not deterministic")
        guard let sample = try? converter.ingestAudio(body, timestamp: timestamp) else { return }
        switch (sample, tag) {
        case (.audioConfig(let config), .aacSequenceHeader(let specificConfig)?):
            try checker.check(config.audioSpecificConfig == Array(specificConfig.readableBytesView), "config")
            try checker.check(config.audioSpecificConfig.count >= 2, "AudioSpecificConfig under 2 bytes")
            let repeated = try? converter.ingestAudio(body, timestamp: timestamp)
            try checker.check(repeated == nil, "a repeated identical sequence header was not dropped")
        case (.audio(let unit), .aacFrame(let data)?):
            try checker.check(converter.audioConfig != nil, "AAC frame before any configuration")
            try checker.check(unit.data == Array(data.readableBytesView) && !unit.data.isEmpty, "frame data")
            try checker.check(unit.pts == timestamp, "frame PTS")
        case (.audioConfig(let config), .mp3Frame(let data)?):
            // MP3 declares itself with its first frame, which follows as the pending sample.
            try checker.check(config.codec == .mp3 && converter.audioConfig == config, "MP3 config")
            guard case .audio(let unit)? = converter.takePending() else { throw checker.fail("MP3 frame not pending") }
            try checker.check(unit.data == Array(data.readableBytesView) && unit.pts == timestamp, "MP3 frame")
        case (.audioConfig(let config), .opusHeader(let header)?):
            try checker.check(
                config.codec == .opus && config.audioSpecificConfig == Array(header.readableBytesView), "Opus")
            try checker.check((try? OpusIdentificationHeader(bytes: config.audioSpecificConfig)) != nil, "bad OpusHead")
        case (.audio(let unit), .opusFrame(let data)?):
            try checker.check(converter.audioConfig?.codec == .opus, "Opus frame without its OpusHead")
            try checker.check(unit.data == Array(data.readableBytesView) && unit.pts == timestamp, "Opus frame")
        case (.audio(let unit), .mp3Frame(let data)?):
            try checker.check(converter.audioConfig?.codec == .mp3, "MP3 frame without its configuration")
            try checker.check(unit.data == Array(data.readableBytesView) && !unit.data.isEmpty, "MP3 frame data")
        default:
            throw checker.fail("audio sample \(sample) for tag \(String(describing: tag))")
        }
    }

    /// Independent oracle for `FLVTagParser.validateNALUnits`: the length prefixes tile `data` exactly.
    package static func nalUnitsTile(_ data: ByteBuffer, lengthSize: Int) -> Bool {
        let bytes = Array(data.readableBytesView)
        var position = 0
        while position < bytes.count {
            guard position + lengthSize <= bytes.count else { return false }
            let length = bytes[position..<position + lengthSize].reduce(0) { $0 << 8 | Int($1) }
            position += lengthSize
            guard length <= bytes.count - position else { return false }
            position += length
        }
        return true
    }

    /// AAC-LC 48 kHz stereo (ISO/IEC 14496-3 1.6.2.1) behind FLV AAC header bytes (FLV spec E.4.2.2).
    package static let aacSequenceHeader: [UInt8] = [0xAF, 0x00, 0x11, 0x90]

    /// A minimal legacy-FLV sequence header whose record declares `lengthSize`-byte NAL lengths:
    /// AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1) or HEVC's (8.3.3.1), no parameter sets.
    package static func sequenceHeader(_ codec: VideoCodec, lengthSize: Int) -> ByteBuffer {
        let lengthSizeMinusOne = UInt8(lengthSize - 1) | 0xFC
        switch codec {
        case .h264:
            return ByteBuffer(bytes: [0x17, 0x00, 0, 0, 0, 0x01, 0x64, 0x00, 0x1F, lengthSizeMinusOne, 0xE0, 0x00])
        case .hevc:
            var record: [UInt8] = [0x01] + [UInt8](repeating: 0, count: 20) + [lengthSizeMinusOne, 0x00]
            record[13] = 0xF0  // reserved bits of min_spatial_segmentation_idc
            return ByteBuffer(bytes: [0x1C, 0x00, 0, 0, 0] + record)
        case .vp9, .av1:
            return sequenceHeader(.h264, lengthSize: lengthSize)  // no legacy FLV code: H.264 instead
        }
    }
}
