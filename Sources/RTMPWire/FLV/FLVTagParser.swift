import LadderMedia
import NIOCore

package enum FLVError: Error, Hashable, Sendable {
    /// The body ends before a field the header promises.
    case truncated
    /// An AVCDecoderConfigurationRecord / HEVCDecoderConfigurationRecord that is too short, has a
    /// version other than 1 or an invalid length size (ISO/IEC 14496-15 5.3.3.1, 8.3.3.1).
    case malformedDecoderConfiguration(VideoCodec)
    /// An AudioSpecificConfig shorter than 2 bytes (ISO/IEC 14496-3 1.6.2.1), or an OpusHead that
    /// does not read (RFC 7845 5.1).
    case malformedAudioSpecificConfig
    /// A NAL unit length prefix runs past the end of the body, at this byte offset in the frame.
    case nalUnitOverrun(offset: Int)
    /// A VP9 frame or AV1 temporal unit whose framing does not read (frame marker, OBU sizes).
    case malformedFrame(VideoCodec, String)
    case unsupportedVideoCodec(FLVVideoCodecID)
    case unsupportedAudioFormat(UInt8)
    /// Enhanced RTMP packet types not ingested (e.g. 5 MPEG2TSSequenceStart, 6 Multitrack).
    case unsupportedPacketType(UInt8)
    /// A coded frame arrived before any sequence header of its codec.
    case missingSequenceHeader
    /// A coded frame's codec differs from the current sequence header's.
    case codecMismatch(expected: VideoCodec, actual: VideoCodec)
}

/// How a video tag names its codec: a legacy CodecID (FLV spec E.4.3.1) or an Enhanced RTMP FourCC.
package enum FLVVideoCodecID: Sendable, Hashable, CustomStringConvertible {
    case legacy(UInt8)
    case fourCC(String)

    package var description: String {
        switch self {
        case .legacy(let id): return "CodecID \(id)"
        case .fourCC(let code): return code
        }
    }
}

/// A parsed video tag body (FLV spec E.4.3.1 and Enhanced RTMP ExVideoTagHeader).
package enum FLVVideoTag: Sendable, Hashable {
    /// Decoder configuration record, already checked for version and NAL unit length size.
    case sequenceStart(codec: VideoCodec, record: ByteBuffer, nalUnitLengthSize: Int)
    /// Length-prefixed NAL units; `compositionTime` is the signed CTS in ms (0 for CodedFramesX).
    case codedFrame(codec: VideoCodec, isKeyframe: Bool, compositionTime: Int32, data: ByteBuffer)
    case sequenceEnd(codec: VideoCodec)
    /// Enhanced RTMP VideoPacketType.Metadata: AMF-encoded (e.g. colorInfo).
    case metadata(ByteBuffer)
    /// Video info/command frame (frame type 5) with its command byte.
    case command(UInt8)
    /// A codec this gateway does not ingest (e.g. av01, vp09, Sorenson, VP6).
    case unsupportedCodec(FLVVideoCodecID)
}

/// A parsed audio tag body (FLV spec E.4.2.1, E.4.2.2).
package enum FLVAudioTag: Sendable, Hashable {
    case aacSequenceHeader(audioSpecificConfig: ByteBuffer)
    case aacFrame(ByteBuffer)
    /// Enhanced RTMP AudioPacketType.SequenceEnd.
    case aacSequenceEnd
    /// Enhanced RTMP `Opus`: the OpusHead of a sequence start (RFC 7845 5.1), then Opus packets.
    case opusHeader(ByteBuffer)
    case opusFrame(ByteBuffer)
    /// MP3 (SoundFormat 2, or 14 for 8 kHz): frames with their own headers, no sequence header.
    case mp3Frame(ByteBuffer)
    case unsupported(soundFormat: UInt8)
}

/// Pure parsers for FLV audio/video tag bodies as carried in RTMP messages 8 and 9.
package enum FLVTagParser {
    package static let keyframeType: UInt8 = 1
    package static let commandFrameType: UInt8 = 5

    // MARK: Video

    package static func parseVideo(_ body: ByteBuffer) throws(FLVError) -> FLVVideoTag {
        var body = body
        guard let first = body.readInteger(as: UInt8.self) else { throw .truncated }
        if first & 0x80 != 0 {
            return try parseEnhancedVideo(first: first, body: &body)
        }
        // FLV spec E.4.3.1: FrameType UB[4], CodecID UB[4].
        let frameType = first >> 4
        let codecID = first & 0x0F
        if frameType == commandFrameType {
            guard let command = body.readInteger(as: UInt8.self) else { throw .truncated }
            return .command(command)
        }
        let codec: VideoCodec
        switch codecID {
        case 7: codec = .h264
        // CodecID 12 is the pre-E-RTMP HEVC extension (Chinese CDNs, SRS); same layout as AVC.
        case 12: codec = .hevc
        default: return .unsupportedCodec(.legacy(codecID))
        }
        // FLV spec E.4.3.1 AVCPacketType UI8, CompositionTime SI24.
        guard let packetType = body.readInteger(as: UInt8.self), let compositionTime = body.readRTMPInt24() else {
            throw .truncated
        }
        switch packetType {
        case 0:
            return try sequenceStart(codec: codec, record: body)
        case 1:
            return .codedFrame(
                codec: codec, isKeyframe: frameType == keyframeType, compositionTime: compositionTime, data: body)
        case 2:
            return .sequenceEnd(codec: codec)
        default:
            throw .unsupportedPacketType(packetType)
        }
    }

    /// Enhanced RTMP ExVideoTagHeader: IsExHeader UB[1], VideoFrameType UB[3], VideoPacketType UB[4].
    private static func parseEnhancedVideo(first: UInt8, body: inout ByteBuffer) throws(FLVError) -> FLVVideoTag {
        let frameType = (first >> 4) & 0x07
        let packetType = try skipModifierExtensions(packetType: first & 0x0F, body: &body)
        let metadataPacket: UInt8 = 4
        if frameType == commandFrameType && packetType != metadataPacket {
            guard let command = body.readInteger(as: UInt8.self) else { throw .truncated }
            return .command(command)
        }
        // 6 = Multitrack: FourCCs move into per-track headers; not ingested.
        guard packetType != 6 else { throw .unsupportedPacketType(packetType) }
        guard let fourCC = body.readString(length: 4) else { throw .truncated }
        let codec: VideoCodec
        switch fourCC {
        case "avc1": codec = .h264
        case "hvc1": codec = .hevc
        case "vp09": codec = .vp9
        case "av01": codec = .av1
        default: return .unsupportedCodec(.fourCC(fourCC))
        }
        switch packetType {
        case 0:
            return try sequenceStart(codec: codec, record: body)
        case 1:
            // CodedFrames: SI24 composition time for AVC and HEVC; VP9 and AV1 have none.
            var compositionTime: Int32 = 0
            if codec == .h264 || codec == .hevc {
                guard let offset = body.readRTMPInt24() else { throw .truncated }
                compositionTime = offset
            }
            return .codedFrame(
                codec: codec, isKeyframe: frameType == keyframeType, compositionTime: compositionTime, data: body)
        case 2:
            return .sequenceEnd(codec: codec)
        case 3:
            // CodedFramesX: composition time implied 0.
            return .codedFrame(codec: codec, isKeyframe: frameType == keyframeType, compositionTime: 0, data: body)
        case metadataPacket:
            return .metadata(body)
        default:
            throw .unsupportedPacketType(packetType)
        }
    }

    /// Enhanced RTMP v2 ModEx (packet type 7): size UI8 (+1; 256 means UI16 + 1 follows), data,
    /// then ModExType UB[4] and the next PacketType UB[4]. Modifiers (e.g. nanosecond
    /// timestamp offsets) are skipped.
    private static func skipModifierExtensions(packetType: UInt8, body: inout ByteBuffer) throws(FLVError) -> UInt8 {
        var packetType = packetType
        let modEx: UInt8 = 7
        while packetType == modEx {
            guard let sizeByte = body.readInteger(as: UInt8.self) else { throw .truncated }
            var size = Int(sizeByte) + 1
            if size == 256 {
                guard let wide = body.readInteger(as: UInt16.self) else { throw .truncated }
                size = Int(wide) + 1
            }
            guard body.readableBytes >= size else { throw .truncated }
            body.moveReaderIndex(forwardBy: size)
            guard let next = body.readInteger(as: UInt8.self) else { throw .truncated }
            packetType = next & 0x0F
        }
        return packetType
    }

    private static func sequenceStart(codec: VideoCodec, record: ByteBuffer) throws(FLVError) -> FLVVideoTag {
        return .sequenceStart(
            codec: codec, record: record, nalUnitLengthSize: try nalUnitLengthSize(codec: codec, record: record))
    }

    /// The NAL unit length size a decoder configuration record declares, after minimal checks:
    /// AVC (ISO/IEC 14496-15 5.3.3.1) at least 7 bytes, HEVC (8.3.3.1) at least 23, version 1,
    /// lengthSizeMinusOne of 0, 1 or 3. VP9 and AV1 records are parsed whole; their size is 0.
    package static func nalUnitLengthSize(codec: VideoCodec, record: ByteBuffer) throws(FLVError) -> Int {
        let minimumLength: Int
        let lengthByteOffset: Int
        switch codec {
        case .h264:
            minimumLength = 7
            lengthByteOffset = 4
        case .hevc:
            minimumLength = 23
            lengthByteOffset = 21
        case .vp9, .av1:
            // E-RTMP carries the vpcC payload (version 1 FullBox body) or the av1C record.
            let bytes = Array(record.readableBytesView)
            do {
                if codec == .vp9 { _ = try VPCodecConfigurationRecord(bytes: bytes) }
                if codec == .av1 { _ = try AV1CodecConfigurationRecord(bytes) }
            } catch {
                throw .malformedDecoderConfiguration(codec)
            }
            return 0  // not NAL units
        }
        guard record.readableBytes >= minimumLength,
            record.getInteger(at: record.readerIndex, as: UInt8.self) == 1,
            let lengthByte = record.getInteger(at: record.readerIndex + lengthByteOffset, as: UInt8.self)
        else { throw .malformedDecoderConfiguration(codec) }
        let size = Int(lengthByte & 0x03) + 1
        guard size != 3 else { throw .malformedDecoderConfiguration(codec) }
        return size
    }

    /// Checks that the length-prefixed NAL units (ISO/IEC 14496-15 5.3.2) tile `data` exactly.
    /// A VP9 frame starts with frame_marker 2 (VP9 6.2); an AV1 temporal unit is OBUs whose
    /// sizes tile it (AV1 5.3).
    package static func validateFrame(_ data: ByteBuffer, codec: VideoCodec) throws(FLVError) {
        let bytes = Array(data.readableBytesView)
        if codec == .vp9, let first = bytes.first, first >> 6 != 2 {
            throw .malformedFrame(codec, "VP9 frame_marker is not 2")
        }
        if codec == .av1 {
            do {
                _ = try AV1OBUs.split(bytes)
            } catch {
                throw .malformedFrame(codec, "\(error)")
            }
        }
    }

    package static func validateNALUnits(_ data: ByteBuffer, lengthSize: Int) throws(FLVError) {
        var cursor = data
        while cursor.readableBytes > 0 {
            let offset = cursor.readerIndex - data.readerIndex
            guard cursor.readableBytes >= lengthSize else { throw .nalUnitOverrun(offset: offset) }
            var length = 0
            for _ in 0..<lengthSize {
                length = length << 8 | Int(cursor.readInteger(as: UInt8.self) ?? 0)
            }
            guard length <= cursor.readableBytes else { throw .nalUnitOverrun(offset: offset) }
            cursor.moveReaderIndex(forwardBy: length)
        }
    }

    // MARK: Audio

    package static func parseAudio(_ body: ByteBuffer) throws(FLVError) -> FLVAudioTag {
        var body = body
        guard let first = body.readInteger(as: UInt8.self) else { throw .truncated }
        // FLV spec E.4.2.1: SoundFormat UB[4], SoundRate UB[2], SoundSize UB[1], SoundType UB[1].
        let soundFormat = first >> 4
        switch soundFormat {
        case 10:
            // FLV spec E.4.2.2: AACPacketType UI8.
            guard let packetType = body.readInteger(as: UInt8.self) else { throw .truncated }
            return try aacPacket(packetType: packetType, body: body)
        case 9:
            // Enhanced RTMP ExAudioTagHeader: SoundFormat 9, AudioPacketType UB[4], FourCC.
            let packetType = try skipModifierExtensions(packetType: first & 0x0F, body: &body)
            guard packetType != 5 else { throw .unsupportedPacketType(packetType) }
            guard let fourCC = body.readString(length: 4) else { throw .truncated }
            switch (fourCC, packetType) {
            case ("mp4a", 0), ("mp4a", 1): return try aacPacket(packetType: packetType, body: body)
            case ("mp4a", 2), ("Opus", 2): return .aacSequenceEnd
            case ("Opus", 0):
                do {
                    _ = try OpusIdentificationHeader(bytes: Array(body.readableBytesView))
                } catch {
                    throw .malformedAudioSpecificConfig
                }
                return .opusHeader(body)
            case ("Opus", 1): return .opusFrame(body)
            case ("mp4a", _), ("Opus", _): throw .unsupportedPacketType(packetType)
            default: return .unsupported(soundFormat: soundFormat)
            }
        case 2, 14:
            return .mp3Frame(body)
        default:
            return .unsupported(soundFormat: soundFormat)
        }
    }

    /// FLV SoundFormat names (FLV spec E.4.2.1), for logs and `/api/streams`.
    package static func soundFormatName(_ format: UInt8) -> String {
        switch format {
        case 0: "pcm (platform endian)"
        case 1: "adpcm"
        case 2, 14: "mp3"
        case 3: "pcm"
        case 4, 5, 6: "nellymoser"
        case 7: "g711 a-law"
        case 8: "g711 mu-law"
        case 9: "enhanced (a fourcc other than mp4a and Opus)"
        case 10: "aac"
        case 11: "speex"
        case 15: "device-specific"
        default: "sound format \(format)"
        }
    }

    private static func aacPacket(packetType: UInt8, body: ByteBuffer) throws(FLVError) -> FLVAudioTag {
        switch packetType {
        case 0:
            guard body.readableBytes >= 2 else { throw .malformedAudioSpecificConfig }
            return .aacSequenceHeader(audioSpecificConfig: body)
        case 1:
            return .aacFrame(body)
        default:
            throw .unsupportedPacketType(packetType)
        }
    }
}

extension FLVError: CustomStringConvertible {
    /// What the session logs when it drops a message or ends a publish.
    package var description: String {
        switch self {
        case .truncated: "the tag ends before a field its header promises"
        case .malformedDecoderConfiguration(let codec): "malformed \(codec) decoder configuration record"
        case .malformedAudioSpecificConfig: "malformed audio configuration (AudioSpecificConfig or OpusHead)"
        case .nalUnitOverrun(let offset): "a NAL unit length runs past the end of the frame (at byte \(offset))"
        case .malformedFrame(let codec, let reason): "malformed \(codec) frame: \(reason)"
        case .unsupportedVideoCodec(let id): "video codec \(id) is not supported"
        case .unsupportedAudioFormat(let format): "audio \(FLVTagParser.soundFormatName(format)) is not supported"
        case .unsupportedPacketType(let type): "Enhanced RTMP packet type \(type) is not ingested"
        case .missingSequenceHeader: "a coded frame before its sequence header"
        case .codecMismatch(let expected, let actual): "a \(actual) frame after a \(expected) sequence header"
        }
    }
}
