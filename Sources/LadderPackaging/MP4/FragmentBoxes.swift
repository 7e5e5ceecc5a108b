import LadderMedia

/// Sample flags (ISO/IEC 14496-12 8.8.3.1): reserved(4) is_leading(2) sample_depends_on(2)
/// sample_is_depended_on(2) sample_has_redundancy(2) padding(3) is_non_sync(1) priority(16).
public struct SampleFlags: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt32

    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    public init(dependsOn: UInt32, isNonSync: Bool) {
        rawValue = (dependsOn & 0x3) << 24 | (isNonSync ? 1 << 16 : 0)
    }

    /// An IDR / independent sample: depends on no other sample (sample_depends_on = 2), sync.
    public static let sync = SampleFlags(dependsOn: 2, isNonSync: false)
    /// An inter-coded sample: depends on others (sample_depends_on = 1), not a sync sample.
    public static let nonSync = SampleFlags(dependsOn: 1, isNonSync: true)

    public var dependsOn: UInt32 { rawValue >> 24 & 0x3 }
    public var isNonSync: Bool { rawValue >> 16 & 1 == 1 }
}

/// One sample as described by a track run.
public struct FragmentSample: Sendable, Hashable {
    public var size: UInt32
    public var duration: UInt32
    public var flags: SampleFlags
    /// Composition time minus decode time, in the track timescale.
    public var compositionOffset: Int32

    public init(size: UInt32, duration: UInt32, flags: SampleFlags, compositionOffset: Int32) {
        self.size = size
        self.duration = duration
        self.flags = flags
        self.compositionOffset = compositionOffset
    }
}

/// Which optional `trun` fields are present, and the box version, chosen from the samples.
public struct TrackRunLayout: Sendable, Hashable {
    public static let dataOffsetPresent: UInt32 = 0x000001
    public static let firstSampleFlagsPresent: UInt32 = 0x000004
    public static let sampleDurationPresent: UInt32 = 0x000100
    public static let sampleSizePresent: UInt32 = 0x000200
    public static let sampleFlagsPresent: UInt32 = 0x000400
    public static let sampleCompositionTimeOffsetsPresent: UInt32 = 0x000800

    public var version: UInt8
    public var flags: UInt32

    /// Durations and sizes are always per sample. Flags are omitted when every sample matches the
    /// default (from `tfhd`/`trex`), sent once as first_sample_flags when only the first differs,
    /// and per sample otherwise. Composition offsets appear when any is non-zero; version 1
    /// (signed offsets, ISO/IEC 14496-12 8.8.8.1) only when one is negative.
    public init(samples: [FragmentSample], defaultFlags: SampleFlags) {
        var flags = Self.dataOffsetPresent | Self.sampleDurationPresent | Self.sampleSizePresent
        let restMatchDefault = samples.dropFirst().allSatisfy { $0.flags == defaultFlags }
        if !restMatchDefault {
            flags |= Self.sampleFlagsPresent
        } else if let first = samples.first, first.flags != defaultFlags {
            flags |= Self.firstSampleFlagsPresent
        }
        if samples.contains(where: { $0.compositionOffset != 0 }) {
            flags |= Self.sampleCompositionTimeOffsetsPresent
        }
        self.flags = flags
        version = samples.contains(where: { $0.compositionOffset < 0 }) ? 1 : 0
    }
}

/// Movie fragment boxes.
public enum FragmentBoxes {
    /// TrackFragmentHeaderBox flag: base data offset is the start of the enclosing `moof`
    /// (ISO/IEC 14496-12 8.8.7.1).
    public static let defaultBaseIsMoof: UInt32 = 0x020000

    /// MovieFragmentBox `moof` (ISO/IEC 14496-12 8.8.4) with `mfhd` and one `traf`
    /// (`tfhd`, `tfdt`, `trun`). Returns the position of trun's data_offset field for the caller
    /// to patch once the `mdat` header position is known.
    @discardableResult
    public static func writeMovieFragment(
        _ writer: inout BoxWriter, sequenceNumber: UInt32, trackID: UInt32, baseMediaDecodeTime: UInt64,
        samples: [FragmentSample], defaultFlags: SampleFlags
    ) -> Int {
        var dataOffsetPosition = -1
        writer.writeBox("moof") { moof in
            writeMovieFragmentHeader(&moof, sequenceNumber: sequenceNumber)
            moof.writeBox("traf") { traf in
                writeTrackFragmentHeader(&traf, trackID: trackID)
                writeTrackFragmentDecodeTime(&traf, baseMediaDecodeTime: baseMediaDecodeTime)
                dataOffsetPosition = writeTrackRun(&traf, samples: samples, defaultFlags: defaultFlags)
            }
        }
        return dataOffsetPosition
    }

    /// MovieFragmentHeaderBox `mfhd` (ISO/IEC 14496-12 8.8.5).
    public static func writeMovieFragmentHeader(_ writer: inout BoxWriter, sequenceNumber: UInt32) {
        writer.writeFullBox("mfhd", version: 0, flags: 0) { $0.writeUInt32(sequenceNumber) }
    }

    /// TrackFragmentHeaderBox `tfhd` (ISO/IEC 14496-12 8.8.7): default-base-is-moof, defaults from `trex`.
    public static func writeTrackFragmentHeader(_ writer: inout BoxWriter, trackID: UInt32) {
        writer.writeFullBox("tfhd", version: 0, flags: defaultBaseIsMoof) { $0.writeUInt32(trackID) }
    }

    /// TrackFragmentBaseMediaDecodeTimeBox `tfdt` (ISO/IEC 14496-12 8.8.12); version 1 only once
    /// the time no longer fits 32 bits.
    public static func writeTrackFragmentDecodeTime(_ writer: inout BoxWriter, baseMediaDecodeTime: UInt64) {
        let needs64 = baseMediaDecodeTime > UInt64(UInt32.max)
        writer.writeFullBox("tfdt", version: needs64 ? 1 : 0, flags: 0) { box in
            if needs64 {
                box.writeUInt64(baseMediaDecodeTime)
            } else {
                box.writeUInt32(UInt32(baseMediaDecodeTime))
            }
        }
    }

    /// TrackRunBox `trun` (ISO/IEC 14496-12 8.8.8). Returns the position of data_offset.
    @discardableResult
    public static func writeTrackRun(
        _ writer: inout BoxWriter, samples: [FragmentSample], defaultFlags: SampleFlags
    ) -> Int {
        let layout = TrackRunLayout(samples: samples, defaultFlags: defaultFlags)
        var dataOffsetPosition = -1
        writer.writeFullBox("trun", version: layout.version, flags: layout.flags) { box in
            box.writeUInt32(UInt32(clamping: samples.count))
            dataOffsetPosition = box.count
            box.writeInt32(0)  // data_offset, patched by the caller
            if layout.flags & TrackRunLayout.firstSampleFlagsPresent != 0 {
                box.writeUInt32(samples.first?.flags.rawValue ?? 0)
            }
            for sample in samples {
                box.writeUInt32(sample.duration)
                box.writeUInt32(sample.size)
                if layout.flags & TrackRunLayout.sampleFlagsPresent != 0 {
                    box.writeUInt32(sample.flags.rawValue)
                }
                if layout.flags & TrackRunLayout.sampleCompositionTimeOffsetsPresent != 0 {
                    // Version 0 reads the field unsigned; it is only chosen when no offset is negative.
                    box.writeInt32(sample.compositionOffset)
                }
            }
        }
        return dataOffsetPosition
    }

    /// Size of the `mdat` header for a payload: 8, or 16 with a largesize (ISO/IEC 14496-12 4.2).
    public static func mediaDataHeaderSize(payloadSize: Int) -> Int {
        UInt64(payloadSize) + 8 > UInt64(UInt32.max) ? 16 : 8
    }

    /// MediaDataBox `mdat` (ISO/IEC 14496-12 8.1.1) holding the payloads back to back.
    public static func writeMediaData(_ writer: inout BoxWriter, payloads: [[UInt8]]) {
        writer.writeBox("mdat") { box in
            for payload in payloads {
                box.writeBytes(payload)
            }
        }
    }
}
