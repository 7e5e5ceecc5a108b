import LadderMedia

/// Sample entries (the single entry of `stsd`) for the codecs the ladder emits.
public enum SampleEntryBoxes {
    /// BitRateBox `btrt` values (ISO/IEC 14496-12 8.5.2.2), bits per second.
    public struct BitRate: Sendable, Hashable {
        public var bufferSizeDB: UInt32
        public var maxBitrate: UInt32
        public var avgBitrate: UInt32

        public init(bufferSizeDB: UInt32, maxBitrate: UInt32, avgBitrate: UInt32) {
            self.bufferSizeDB = bufferSizeDB
            self.maxBitrate = maxBitrate
            self.avgBitrate = avgBitrate
        }
    }

    /// Coded picture size and pixel aspect ratio for a VisualSampleEntry.
    public struct Visual: Sendable, Hashable {
        public var width: UInt16
        public var height: UInt16
        public var pixelAspectH: UInt32
        public var pixelAspectV: UInt32

        public init(width: UInt16, height: UInt16, pixelAspectH: UInt32, pixelAspectV: UInt32) {
            self.width = width
            self.height = height
            self.pixelAspectH = pixelAspectH
            self.pixelAspectV = pixelAspectV
        }
    }

    /// The sample entry and configuration box of each video codec, parameter sets and sequence
    /// headers only in the record: `avc1`/`avcC` (ISO/IEC 14496-15 5.4.2.1), `hvc1`/`hvcC`
    /// (8.4.1.1), `vp09`/`vpcC` (VP-Codec-ISOBMFF 2.1; the record is the whole version 1 FullBox
    /// payload), `av01`/`av1C` (AV1-ISOBMFF 2.2, 2.3). nil for an audio codec.
    public static func videoBoxes(_ codec: TrackCodec) -> (entry: FourCC, config: FourCC)? {
        switch codec {
        case .h264: ("avc1", "avcC")
        case .hevc: ("hvc1", "hvcC")
        case .vp9: ("vp09", "vpcC")
        case .av1: ("av01", "av1C")
        case .aac: nil
        }
    }

    /// VisualSampleEntry (ISO/IEC 14496-12 12.1.3) + configuration box + `pasp` (12.1.4) + `btrt`.
    static func writeVisual(
        _ writer: inout BoxWriter, type: FourCC, visual: Visual, configType: FourCC, config: [UInt8],
        bitRate: BitRate?
    ) {
        writer.writeBox(type) { entry in
            writeSampleEntryHeader(&entry)
            entry.writeUInt16(0)  // pre_defined
            entry.writeUInt16(0)  // reserved
            entry.writeZeros(12)  // pre_defined
            entry.writeUInt16(visual.width)
            entry.writeUInt16(visual.height)
            entry.writeUInt32(0x0048_0000)  // horizresolution 72 dpi
            entry.writeUInt32(0x0048_0000)  // vertresolution 72 dpi
            entry.writeUInt32(0)  // reserved
            entry.writeUInt16(1)  // frame_count
            entry.writeZeros(32)  // compressorname: empty Pascal string
            entry.writeUInt16(0x0018)  // depth
            entry.writeUInt16(0xFFFF)  // pre_defined = -1
            entry.writeBox(configType) { $0.writeBytes(config) }
            entry.writeBox("pasp") { pasp in
                pasp.writeUInt32(visual.pixelAspectH)
                pasp.writeUInt32(visual.pixelAspectV)
            }
            if let bitRate {
                writeBitRate(&entry, bitRate)
            }
        }
    }

    /// `mp4a` AudioSampleEntry (ISO/IEC 14496-12 12.2.3) with `esds` (ISO/IEC 14496-14 5.6).
    public static func writeMP4A(
        _ writer: inout BoxWriter, channels: UInt16, sampleRate: UInt32, audioSpecificConfig: [UInt8],
        bitRate: BitRate?
    ) {
        writer.writeBox("mp4a") { entry in
            writeSampleEntryHeader(&entry)
            entry.writeZeros(8)  // reserved
            entry.writeUInt16(channels)
            entry.writeUInt16(16)  // samplesize
            entry.writeUInt16(0)  // pre_defined
            entry.writeUInt16(0)  // reserved
            // 16.16 sample rate; rates above 65535 Hz do not fit and are left to the ASC.
            entry.writeUInt32(sampleRate <= 0xFFFF ? sampleRate << 16 : 0)
            entry.writeFullBox("esds", version: 0, flags: 0) { esds in
                esds.writeBytes(
                    ElementaryStreamDescriptor.audio(audioSpecificConfig: audioSpecificConfig, bitRate: bitRate))
            }
            if let bitRate {
                writeBitRate(&entry, bitRate)
            }
        }
    }

    /// BitRateBox `btrt` (ISO/IEC 14496-12 8.5.2.2).
    public static func writeBitRate(_ writer: inout BoxWriter, _ bitRate: BitRate) {
        writer.writeBox("btrt") { box in
            box.writeUInt32(bitRate.bufferSizeDB)
            box.writeUInt32(bitRate.maxBitrate)
            box.writeUInt32(bitRate.avgBitrate)
        }
    }

    /// SampleEntry (ISO/IEC 14496-12 8.5.2.2): 6 reserved bytes and data_reference_index = 1.
    static func writeSampleEntryHeader(_ writer: inout BoxWriter) {
        writer.writeZeros(6)
        writer.writeUInt16(1)
    }
}

/// MPEG-4 Systems descriptors carried in `esds` (ISO/IEC 14496-1 7.2.6).
public enum ElementaryStreamDescriptor {
    static let esDescriptorTag: UInt8 = 0x03
    static let decoderConfigTag: UInt8 = 0x04
    static let decoderSpecificInfoTag: UInt8 = 0x05
    static let slConfigTag: UInt8 = 0x06
    /// objectTypeIndication for Audio ISO/IEC 14496-3 (ISO/IEC 14496-1 7.2.6.6.2, Table 5).
    static let objectTypeAudioISO14496_3: UInt8 = 0x40
    /// streamType 0x05 (AudioStream) << 2 | upStream 0 | reserved 1 (ISO/IEC 14496-1 7.2.6.6).
    static let audioStreamTypeByte: UInt8 = 0x05 << 2 | 0x01

    /// ES_Descriptor (7.2.6.5) > DecoderConfigDescriptor (7.2.6.6) > DecoderSpecificInfo (the ASC),
    /// then SLConfigDescriptor (7.3.2.3) with predefined = 2 as MP4 files require.
    public static func audio(audioSpecificConfig: [UInt8], bitRate: SampleEntryBoxes.BitRate?) -> [UInt8] {
        var decoderConfig: [UInt8] = [objectTypeAudioISO14496_3, audioStreamTypeByte]
        let bufferSize = bitRate?.bufferSizeDB ?? 0
        decoderConfig += [UInt8(bufferSize >> 16 & 0xFF), UInt8(bufferSize >> 8 & 0xFF), UInt8(bufferSize & 0xFF)]
        decoderConfig += bigEndian(bitRate?.maxBitrate ?? 0)
        decoderConfig += bigEndian(bitRate?.avgBitrate ?? 0)
        decoderConfig += descriptor(tag: decoderSpecificInfoTag, body: audioSpecificConfig)

        var esBody: [UInt8] = [0, 0, 0]  // ES_ID = 0, no dependence/URL/OCR flags, priority 0
        esBody += descriptor(tag: decoderConfigTag, body: decoderConfig)
        esBody += descriptor(tag: slConfigTag, body: [0x02])
        return descriptor(tag: esDescriptorTag, body: esBody)
    }

    /// Tag, expandable sizeOfInstance (ISO/IEC 14496-1 8.3.3: 7 bits per byte, high bit = more), body.
    public static func descriptor(tag: UInt8, body: [UInt8]) -> [UInt8] {
        var size = body.count
        var sizeBytes: [UInt8] = [UInt8(size & 0x7F)]
        size >>= 7
        while size > 0 {
            sizeBytes.insert(UInt8(size & 0x7F) | 0x80, at: 0)
            size >>= 7
        }
        return [tag] + sizeBytes + body
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}
