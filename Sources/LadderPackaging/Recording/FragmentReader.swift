/// Reads CMAF init and media segments for `ProgressiveMP4`: pure functions over bytes that return
/// values or a typed `Failure`, never trap, and never allocate more than the input can describe.
enum FragmentReader {
    enum Failure: Error, Equatable {
        case malformed(box: String, reason: String)
        case unsupported(String)
    }

    /// A box found in a buffer (ISO/IEC 14496-12 4.2): its first byte and its payload.
    struct Box {
        var type: FourCC
        var start: Int
        var payload: Range<Int>
    }

    /// Big-endian reads bounded by `end`; running past it is a `malformed` failure naming `box`.
    struct Cursor {
        let bytes: [UInt8]
        var position: Int
        let end: Int
        let box: String

        init(_ bytes: [UInt8], _ range: Range<Int>, box: String) {
            self.bytes = bytes
            position = range.lowerBound
            end = range.upperBound
            self.box = box
        }

        var remaining: Int { end - position }

        mutating func skip(_ count: Int) throws(Failure) {
            guard count >= 0, count <= remaining else { throw .malformed(box: box, reason: "truncated") }
            position += count
        }

        mutating func u8() throws(Failure) -> UInt8 {
            try skip(1)
            return bytes[position - 1]
        }

        mutating func u16() throws(Failure) -> UInt16 {
            try skip(2)
            return UInt16(bytes[position - 2]) << 8 | UInt16(bytes[position - 1])
        }

        mutating func u24() throws(Failure) -> UInt32 {
            try skip(3)
            return UInt32(bytes[position - 3]) << 16 | UInt32(bytes[position - 2]) << 8 | UInt32(bytes[position - 1])
        }

        mutating func u32() throws(Failure) -> UInt32 {
            let high = try u16()
            return UInt32(high) << 16 | UInt32(try u16())
        }

        mutating func u64() throws(Failure) -> UInt64 {
            let high = try u32()
            return UInt64(high) << 32 | UInt64(try u32())
        }
    }

    /// The boxes filling `range`. Size 1 announces a 64-bit largesize, size 0 runs to the end of
    /// the container (ISO/IEC 14496-12 4.2); a size beyond the container is `malformed`.
    static func boxes(in bytes: [UInt8], _ range: Range<Int>, parent: String) throws(Failure) -> [Box] {
        var result: [Box] = []
        var position = range.lowerBound
        while position < range.upperBound {
            let available = range.upperBound - position
            var cursor = Cursor(bytes, position..<range.upperBound, box: parent)
            let size32 = try cursor.u32()
            let type = FourCC(rawValue: try cursor.u32())
            var size = UInt64(size32)
            if size32 == 1 {
                cursor = Cursor(bytes, position..<range.upperBound, box: type.description)
                try cursor.skip(8)
                size = try cursor.u64()
            } else if size32 == 0 {
                size = UInt64(available)
            }
            let headerSize = cursor.position - position
            guard size >= UInt64(headerSize), size <= UInt64(available) else {
                throw .malformed(box: type.description, reason: "size \(size) with \(available) bytes left")
            }
            let end = position + Int(size)
            result.append(Box(type: type, start: position, payload: (position + headerSize)..<end))
            position = end
        }
        return result
    }

    /// The first child of type `type`, or `malformed` naming the missing box.
    static func child(_ type: FourCC, of boxes: [Box]) throws(Failure) -> Box {
        guard let box = boxes.first(where: { $0.type == type }) else {
            throw .malformed(box: type.description, reason: "missing")
        }
        return box
    }

    static func children(_ type: FourCC, in bytes: [UInt8], of boxes: [Box]) throws(Failure) -> [Box] {
        let box = try child(type, of: boxes)
        return try Self.boxes(in: bytes, box.payload, parent: type.description)
    }

    /// Sample defaults of a track (TrackExtendsBox `trex`, ISO/IEC 14496-12 8.8.3).
    struct Defaults: Equatable, Sendable {
        var descriptionIndex: UInt32 = 1
        var duration: UInt32 = 0
        var size: UInt32 = 0
        var flags: UInt32 = 0
    }

    /// What the progressive file needs from an init segment's single track.
    struct InitTrack: Equatable, Sendable {
        var trackID: UInt32
        var timescale: UInt32
        var handler: FourCC
        /// Packed ISO 639-2/T code from `mdhd` (ISO/IEC 14496-12 8.4.2.3).
        var language: UInt16
        /// Whole sample entry boxes of `stsd` (ISO/IEC 14496-12 8.5.2), header included.
        var sampleEntries: [[UInt8]]
        var defaults: Defaults
    }

    /// `ftyp` + `moov` with exactly one `trak`; `trex` (if any) gives the fragment defaults.
    static func parseInit(_ bytes: [UInt8]) throws(Failure) -> InitTrack {
        let top = try boxes(in: bytes, 0..<bytes.count, parent: "init segment")
        let moov = try children("moov", in: bytes, of: top)
        let traks = moov.filter { $0.type == "trak" }
        guard traks.count == 1 else { throw .unsupported("init segment with \(traks.count) tracks") }
        let trak = try boxes(in: bytes, traks[0].payload, parent: "trak")

        let tkhd = try child("tkhd", of: trak)
        var cursor = Cursor(bytes, tkhd.payload, box: "tkhd")
        let tkhdVersion = try cursor.u8()
        try cursor.skip(3 + (tkhdVersion == 1 ? 16 : 8))
        let trackID = try cursor.u32()

        let mdia = try children("mdia", in: bytes, of: trak)
        let mdhd = try child("mdhd", of: mdia)
        cursor = Cursor(bytes, mdhd.payload, box: "mdhd")
        let mdhdVersion = try cursor.u8()
        try cursor.skip(3 + (mdhdVersion == 1 ? 16 : 8))
        let timescale = try cursor.u32()
        try cursor.skip(mdhdVersion == 1 ? 8 : 4)
        let language = try cursor.u16()
        guard timescale > 0 else { throw .malformed(box: "mdhd", reason: "timescale 0") }

        cursor = Cursor(bytes, try child("hdlr", of: mdia).payload, box: "hdlr")
        try cursor.skip(8)
        let handler = FourCC(rawValue: try cursor.u32())

        let stbl = try children("stbl", in: bytes, of: try children("minf", in: bytes, of: mdia))
        let stsd = try child("stsd", of: stbl)
        cursor = Cursor(bytes, stsd.payload, box: "stsd")
        try cursor.skip(4)
        let entryCount = try cursor.u32()
        let entries = try boxes(in: bytes, cursor.position..<stsd.payload.upperBound, parent: "stsd")
        guard entryCount > 0, entries.count >= entryCount else {
            throw .malformed(box: "stsd", reason: "\(entryCount) entries declared, \(entries.count) present")
        }
        let sampleEntries = entries.prefix(Int(entryCount)).map { Array(bytes[$0.start..<$0.payload.upperBound]) }

        var defaults = Defaults()
        if let mvex = moov.first(where: { $0.type == "mvex" }) {
            for trex in try boxes(in: bytes, mvex.payload, parent: "mvex") where trex.type == "trex" {
                cursor = Cursor(bytes, trex.payload, box: "trex")
                try cursor.skip(4)
                guard try cursor.u32() == trackID else { continue }
                defaults = Defaults(
                    descriptionIndex: try cursor.u32(), duration: try cursor.u32(), size: try cursor.u32(),
                    flags: try cursor.u32())
            }
        }
        return InitTrack(
            trackID: trackID, timescale: timescale, handler: handler, language: language,
            sampleEntries: sampleEntries, defaults: defaults)
    }

    struct Sample: Equatable, Sendable {
        var duration: UInt32
        var size: UInt32
        /// Composition minus decode time; 64 bits hold both trun versions' ranges.
        var compositionOffset: Int64
        var isSync: Bool
    }

    /// One track run: its samples and where their data lies, contiguous, in the segment.
    struct Run: Equatable, Sendable {
        /// `tfdt` when this is the first run of its `traf`; nil when it continues the previous run.
        var baseDecodeTime: UInt64?
        var descriptionIndex: UInt32
        var samples: [Sample]
        var data: Range<Int>
    }

    /// TrackFragmentHeaderBox `tfhd` (ISO/IEC 14496-12 8.8.7).
    struct FragmentHeader {
        var flags: UInt32
        var trackID: UInt32
        var baseDataOffset: UInt64?
        var defaults: Defaults

        init(_ bytes: [UInt8], _ box: Box, track: Defaults) throws(Failure) {
            var cursor = Cursor(bytes, box.payload, box: "tfhd")
            try cursor.skip(1)
            flags = try cursor.u24()
            trackID = try cursor.u32()
            baseDataOffset = try flags & 0x01 != 0 ? cursor.u64() : nil
            defaults = track
            if flags & 0x02 != 0 { defaults.descriptionIndex = try cursor.u32() }
            if flags & 0x08 != 0 { defaults.duration = try cursor.u32() }
            if flags & 0x10 != 0 { defaults.size = try cursor.u32() }
            if flags & 0x20 != 0 { defaults.flags = try cursor.u32() }
        }
    }
}

extension FragmentReader {
    static let sampleIsNonSync: UInt32 = 0x0001_0000

    /// Runs of a media segment: `styp`, `sidx` and other top-level boxes are skipped, every
    /// `moof` (8.8.4) is read, and each run's data must lie inside one `mdat` of the segment.
    static func parseSegment(_ bytes: [UInt8], track: InitTrack) throws(Failure) -> [Run] {
        let top = try boxes(in: bytes, 0..<bytes.count, parent: "segment")
        let mediaData = top.filter { $0.type == "mdat" }.map(\.payload)
        var runs: [Run] = []
        for moof in top where moof.type == "moof" {
            // Without base-data-offset-present or default-base-is-moof, a traf's data follows the
            // previous traf's (8.8.7.1); the first starts at the moof.
            var previousEnd = moof.start
            for traf in try boxes(in: bytes, moof.payload, parent: "moof") where traf.type == "traf" {
                let children = try boxes(in: bytes, traf.payload, parent: "traf")
                let header = try FragmentHeader(bytes, try child("tfhd", of: children), track: track.defaults)
                guard header.trackID == track.trackID else {
                    throw .unsupported("traf of track \(header.trackID) in a segment of track \(track.trackID)")
                }
                var base = header.flags & 0x02_0000 != 0 ? moof.start : previousEnd
                if let offset = header.baseDataOffset {
                    guard offset <= UInt64(bytes.count) else {
                        throw .unsupported("base_data_offset \(offset) outside the segment")
                    }
                    base = Int(offset)
                }
                var decodeTime: UInt64?
                if let tfdt = children.first(where: { $0.type == "tfdt" }) {
                    var cursor = Cursor(bytes, tfdt.payload, box: "tfdt")
                    let version = try cursor.u8()
                    try cursor.skip(3)
                    decodeTime = try version == 1 ? cursor.u64() : UInt64(cursor.u32())
                }
                // The first run without data_offset starts at the base, later ones after the previous run.
                var position = base
                for trun in children where trun.type == "trun" {
                    var run = try parseRun(bytes, trun, defaults: header.defaults, base: base, position: position)
                    position = run.data.upperBound
                    guard !run.samples.isEmpty else { continue }
                    let data = run.data
                    if !data.isEmpty,
                        !mediaData.contains(where: {
                            $0.lowerBound <= data.lowerBound && data.upperBound <= $0.upperBound
                        })
                    {
                        throw .unsupported("trun data \(run.data) outside every mdat")
                    }
                    run.baseDecodeTime = decodeTime
                    decodeTime = nil
                    runs.append(run)
                }
                previousEnd = position
            }
        }
        return runs
    }

    /// TrackRunBox `trun` (ISO/IEC 14496-12 8.8.8). Fields absent from the run come from the
    /// `tfhd` defaults, which already fall back to `trex`; first_sample_flags applies to sample 0
    /// unless per-sample flags are present.
    static func parseRun(
        _ bytes: [UInt8], _ box: Box, defaults: Defaults, base: Int, position: Int
    ) throws(Failure) -> Run {
        var cursor = Cursor(bytes, box.payload, box: "trun")
        let version = try cursor.u8()
        let flags = try cursor.u24()
        let count = Int(try cursor.u32())
        var start = position
        if flags & 0x001 != 0 {
            let offset = Int(Int32(bitPattern: try cursor.u32()))
            guard offset >= -base, base + offset <= bytes.count else {
                throw .unsupported("trun data_offset \(offset) outside the segment")
            }
            start = base + offset
        }
        let firstFlags: UInt32? = try flags & 0x004 != 0 ? cursor.u32() : nil
        let fields = (flags & 0xF00).nonzeroBitCount
        // Each sample takes 4 bytes per present field; with none, a bound so no count allocates
        // beyond what the segment could describe.
        let (entryBytes, overflow) = count.multipliedReportingOverflow(by: 4 * fields)
        guard !overflow, entryBytes <= cursor.remaining, count <= bytes.count else {
            throw .malformed(box: "trun", reason: "\(count) samples do not fit in the box")
        }
        var samples: [Sample] = []
        samples.reserveCapacity(count)
        var dataSize = 0
        for index in 0..<count {
            let duration = try flags & 0x100 != 0 ? cursor.u32() : defaults.duration
            let size = try flags & 0x200 != 0 ? cursor.u32() : defaults.size
            var sampleFlags = index == 0 ? firstFlags ?? defaults.flags : defaults.flags
            if flags & 0x400 != 0 { sampleFlags = try cursor.u32() }
            var offset: Int64 = 0
            if flags & 0x800 != 0 {
                let raw = try cursor.u32()
                offset = version == 0 ? Int64(raw) : Int64(Int32(bitPattern: raw))
            }
            dataSize += Int(size)
            guard dataSize <= bytes.count - start else {
                throw .unsupported("trun data past the end of the segment")
            }
            samples.append(
                Sample(
                    duration: duration, size: size, compositionOffset: offset,
                    isSync: sampleFlags & sampleIsNonSync == 0))
        }
        return Run(
            baseDecodeTime: nil, descriptionIndex: defaults.descriptionIndex, samples: samples,
            data: start..<(start + dataSize))
    }
}
