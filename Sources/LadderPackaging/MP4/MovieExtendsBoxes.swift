import LadderMedia

/// Movie extends: announces that movie fragments follow and carries per-track defaults.
public enum MovieExtendsBoxes {
    /// MovieExtendsBox `mvex` (ISO/IEC 14496-12 8.8.1) with an optional `mehd` (8.8.2) and one `trex`.
    public static func writeMovieExtends(
        _ writer: inout BoxWriter, fragmentDuration: UInt64?, trackID: UInt32, defaultSampleDuration: UInt32,
        defaultSampleFlags: SampleFlags
    ) {
        writer.writeBox("mvex") { mvex in
            if let fragmentDuration {
                writeMovieExtendsHeader(&mvex, fragmentDuration: fragmentDuration)
            }
            writeTrackExtends(
                &mvex, trackID: trackID, defaultSampleDuration: defaultSampleDuration,
                defaultSampleFlags: defaultSampleFlags)
        }
    }

    /// MovieExtendsHeaderBox `mehd` (ISO/IEC 14496-12 8.8.2); version 1 only when 32 bits do not suffice.
    public static func writeMovieExtendsHeader(_ writer: inout BoxWriter, fragmentDuration: UInt64) {
        let needs64 = fragmentDuration > UInt64(UInt32.max)
        writer.writeFullBox("mehd", version: needs64 ? 1 : 0, flags: 0) { box in
            if needs64 {
                box.writeUInt64(fragmentDuration)
            } else {
                box.writeUInt32(UInt32(fragmentDuration))
            }
        }
    }

    /// TrackExtendsBox `trex` (ISO/IEC 14496-12 8.8.3): sample description 1, no default size.
    public static func writeTrackExtends(
        _ writer: inout BoxWriter, trackID: UInt32, defaultSampleDuration: UInt32, defaultSampleFlags: SampleFlags
    ) {
        writer.writeFullBox("trex", version: 0, flags: 0) { box in
            box.writeUInt32(trackID)
            box.writeUInt32(1)  // default_sample_description_index
            box.writeUInt32(defaultSampleDuration)
            box.writeUInt32(0)  // default_sample_size
            box.writeUInt32(defaultSampleFlags.rawValue)
        }
    }
}
