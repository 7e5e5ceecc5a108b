import LadderMedia

/// The movie box tree of a fragmented file: `moov` with one `trak` whose sample tables are empty
/// (all samples live in movie fragments).
public enum MovieBoxes {
    /// What `tkhd`/`mdhd`/`hdlr`/`minf` need to know about the single track.
    public struct TrackHeader: Sendable, Hashable {
        public enum Handler: Sendable, Hashable {
            case video
            case audio
        }

        public var trackID: UInt32
        public var handler: Handler
        /// Media timescale (units per second) for `mdhd`.
        public var timescale: UInt32
        /// Visual presentation size in pixels, after the sample aspect ratio (zero for audio).
        public var displayWidth: Double
        public var displayHeight: Double

        public init(trackID: UInt32, handler: Handler, timescale: UInt32, displayWidth: Double, displayHeight: Double) {
            self.trackID = trackID
            self.handler = handler
            self.timescale = timescale
            self.displayWidth = displayWidth
            self.displayHeight = displayHeight
        }
    }

    /// Unity transformation matrix (ISO/IEC 14496-12 6.2.2).
    static let unityMatrix: [UInt32] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000]

    /// MovieBox `moov` (ISO/IEC 14496-12 8.2.1) with `mvhd`, one `trak` and whatever `extends`
    /// writes after it (the `mvex` of a fragmented file).
    public static func writeMovie(
        _ writer: inout BoxWriter, track: TrackHeader, sampleEntry: (inout BoxWriter) -> Void,
        extends: (inout BoxWriter) -> Void
    ) {
        writer.writeBox("moov") { moov in
            writeMovieHeader(&moov, timescale: 1000, nextTrackID: track.trackID &+ 1)
            writeTrack(&moov, track: track, sampleEntry: sampleEntry)
            extends(&moov)
        }
    }

    /// MovieHeaderBox `mvhd` version 0 (ISO/IEC 14496-12 8.2.2); times and duration are zero
    /// because a fragmented movie's duration is unknown up front.
    public static func writeMovieHeader(_ writer: inout BoxWriter, timescale: UInt32, nextTrackID: UInt32) {
        writer.writeFullBox("mvhd", version: 0, flags: 0) { box in
            box.writeUInt32(0)  // creation_time
            box.writeUInt32(0)  // modification_time
            box.writeUInt32(timescale)
            box.writeUInt32(0)  // duration
            box.writeUInt32(0x0001_0000)  // rate 1.0
            box.writeUInt16(0x0100)  // volume 1.0
            box.writeZeros(2 + 8)  // reserved
            for value in unityMatrix {
                box.writeUInt32(value)
            }
            box.writeZeros(6 * 4)  // pre_defined
            box.writeUInt32(nextTrackID)
        }
    }

    /// TrackBox `trak` (ISO/IEC 14496-12 8.3.1).
    public static func writeTrack(
        _ writer: inout BoxWriter, track: TrackHeader, sampleEntry: (inout BoxWriter) -> Void
    ) {
        writer.writeBox("trak") { trak in
            writeTrackHeader(&trak, track: track)
            trak.writeBox("mdia") { mdia in
                writeMediaHeader(&mdia, timescale: track.timescale)
                writeHandler(&mdia, handler: track.handler)
                writeMediaInformation(&mdia, handler: track.handler, sampleEntry: sampleEntry)
            }
        }
    }

    /// TrackHeaderBox `tkhd` version 0 (ISO/IEC 14496-12 8.3.2), flags track_enabled | track_in_movie.
    /// Width and height are the presentation size in 16.16 fixed point.
    public static func writeTrackHeader(_ writer: inout BoxWriter, track: TrackHeader) {
        writer.writeFullBox("tkhd", version: 0, flags: 0x3) { box in
            box.writeUInt32(0)  // creation_time
            box.writeUInt32(0)  // modification_time
            box.writeUInt32(track.trackID)
            box.writeUInt32(0)  // reserved
            box.writeUInt32(0)  // duration
            box.writeZeros(8)  // reserved
            box.writeUInt16(0)  // layer
            box.writeUInt16(0)  // alternate_group
            box.writeUInt16(track.handler == .audio ? 0x0100 : 0)  // volume
            box.writeUInt16(0)  // reserved
            for value in unityMatrix {
                box.writeUInt32(value)
            }
            box.writeUInt32(fixed16x16(track.displayWidth))
            box.writeUInt32(fixed16x16(track.displayHeight))
        }
    }

    /// MediaHeaderBox `mdhd` version 0 (ISO/IEC 14496-12 8.4.2), language "und".
    public static func writeMediaHeader(_ writer: inout BoxWriter, timescale: UInt32) {
        writer.writeFullBox("mdhd", version: 0, flags: 0) { box in
            box.writeUInt32(0)  // creation_time
            box.writeUInt32(0)  // modification_time
            box.writeUInt32(timescale)
            box.writeUInt32(0)  // duration
            box.writeUInt16(packedLanguage("und"))
            box.writeUInt16(0)  // pre_defined
        }
    }

    /// HandlerBox `hdlr` (ISO/IEC 14496-12 8.4.3).
    public static func writeHandler(_ writer: inout BoxWriter, handler: TrackHeader.Handler) {
        writer.writeFullBox("hdlr", version: 0, flags: 0) { box in
            box.writeUInt32(0)  // pre_defined
            box.writeFourCC(handler == .video ? "vide" : "soun")
            box.writeZeros(12)  // reserved
            box.writeBytes(Array((handler == .video ? "VideoHandler" : "SoundHandler").utf8))
            box.writeUInt8(0)  // name terminator
        }
    }

    /// MediaInformationBox `minf` (ISO/IEC 14496-12 8.4.4): media header, `dinf`, `stbl`.
    public static func writeMediaInformation(
        _ writer: inout BoxWriter, handler: TrackHeader.Handler, sampleEntry: (inout BoxWriter) -> Void
    ) {
        writer.writeBox("minf") { minf in
            switch handler {
            case .video: writeVideoMediaHeader(&minf)
            case .audio: writeSoundMediaHeader(&minf)
            }
            writeDataInformation(&minf)
            writeSampleTable(&minf, sampleEntry: sampleEntry)
        }
    }

    /// VideoMediaHeaderBox `vmhd` (ISO/IEC 14496-12 12.1.2), flags = 1.
    public static func writeVideoMediaHeader(_ writer: inout BoxWriter) {
        writer.writeFullBox("vmhd", version: 0, flags: 1) { box in
            box.writeUInt16(0)  // graphicsmode
            box.writeZeros(6)  // opcolor
        }
    }

    /// SoundMediaHeaderBox `smhd` (ISO/IEC 14496-12 12.2.2).
    public static func writeSoundMediaHeader(_ writer: inout BoxWriter) {
        writer.writeFullBox("smhd", version: 0, flags: 0) { box in
            box.writeUInt16(0)  // balance
            box.writeUInt16(0)  // reserved
        }
    }

    /// DataInformationBox `dinf` with a `dref` holding one self-contained `url ` entry
    /// (ISO/IEC 14496-12 8.7.1, 8.7.2: flag 1 = media data is in this file).
    public static func writeDataInformation(_ writer: inout BoxWriter) {
        writer.writeBox("dinf") { dinf in
            dinf.writeFullBox("dref", version: 0, flags: 0) { dref in
                dref.writeUInt32(1)  // entry_count
                dref.writeFullBox("url ", version: 0, flags: 1) { _ in }
            }
        }
    }

    /// SampleTableBox `stbl` (ISO/IEC 14496-12 8.5.1): the sample description plus the mandatory
    /// `stts` (8.6.1.2), `stsc` (8.7.4), `stsz` (8.7.3) and `stco` (8.7.5), all empty.
    public static func writeSampleTable(_ writer: inout BoxWriter, sampleEntry: (inout BoxWriter) -> Void) {
        writer.writeBox("stbl") { stbl in
            stbl.writeFullBox("stsd", version: 0, flags: 0) { stsd in
                stsd.writeUInt32(1)  // entry_count
                sampleEntry(&stsd)
            }
            stbl.writeFullBox("stts", version: 0, flags: 0) { $0.writeUInt32(0) }
            stbl.writeFullBox("stsc", version: 0, flags: 0) { $0.writeUInt32(0) }
            stbl.writeFullBox("stsz", version: 0, flags: 0) { box in
                box.writeUInt32(0)  // sample_size
                box.writeUInt32(0)  // sample_count
            }
            stbl.writeFullBox("stco", version: 0, flags: 0) { $0.writeUInt32(0) }
        }
    }

    /// ISO 639-2/T code packed as three 5-bit values (ISO/IEC 14496-12 8.4.2.3).
    static func packedLanguage(_ code: String) -> UInt16 {
        let letters = Array(code.utf8.prefix(3))
        guard letters.count == 3, letters.allSatisfy({ $0 >= 0x61 && $0 <= 0x7A }) else { return 0x55C4 }
        return letters.reduce(UInt16(0)) { $0 << 5 | UInt16($1 - 0x60) }
    }

    /// 16.16 fixed point, clamped to the field's range.
    static func fixed16x16(_ value: Double) -> UInt32 {
        guard value.isFinite, value > 0 else { return 0 }
        return UInt32(min(value * 65536, Double(UInt32.max)).rounded())
    }
}
