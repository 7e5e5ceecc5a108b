extension ProgressiveMP4 {
    /// One output track: its sample tables plus where it sits in the movie and in the file.
    struct TrackLayout {
        var tables: TrackTables
        var trackID: UInt32
        /// Media time the presentation starts at (the `elst` media_time).
        var mediaTime: UInt64
        /// First presented instant on the recording's timeline, movie ticks.
        var presentationStart: UInt64
        /// Movie ticks of media the edit presents.
        var editDuration: UInt64
        /// Movie ticks of nothing before the media: how much later than the earliest track it starts.
        var emptyEdit: UInt64 = 0
        /// Start of each chunk relative to the `mdat` payload.
        var chunkOffsets: [UInt64]

        init(tables: TrackTables, trackID: UInt32, mediaTime: UInt64, presentationStart: UInt64, editDuration: UInt64) {
            self.tables = tables
            self.trackID = trackID
            self.mediaTime = mediaTime
            self.presentationStart = presentationStart
            self.editDuration = editDuration
            chunkOffsets = Array(repeating: 0, count: tables.chunks.count)
        }

        var duration: UInt64 { emptyEdit + editDuration }
    }

    /// MovieBox `moov` (ISO/IEC 14496-12 8.2.1): `mvhd` and one complete `trak` per track; chunk
    /// offsets are `base` (the `mdat` payload's file offset) plus each chunk's position.
    static func movie(_ tracks: [TrackLayout], base: UInt64, co64: Bool) -> [UInt8] {
        let sampleCount = tracks.reduce(0) { $0 + $1.tables.durations.count }
        var writer = BoxWriter(capacity: 1024 + 16 * sampleCount)
        writer.writeBox("moov") { moov in
            let duration = tracks.map(\.duration).max() ?? 0
            moov.writeFullBox("mvhd", version: duration > UInt32.max ? 1 : 0, flags: 0) { box in
                writeTimes(&box, timescale: movieTimescale, duration: duration)
                box.writeUInt32(0x0001_0000)  // rate 1.0
                box.writeUInt16(0x0100)  // volume 1.0
                box.writeZeros(2 + 8)  // reserved
                MovieBoxes.unityMatrix.forEach { box.writeUInt32($0) }
                box.writeZeros(6 * 4)  // pre_defined
                box.writeUInt32(UInt32(clamping: tracks.count + 1))  // next_track_ID
            }
            for track in tracks {
                moov.writeBox("trak") { trak in
                    writeTrackHeader(&trak, track)
                    writeEdits(&trak, track)
                    trak.writeBox("mdia") { mdia in writeMedia(&mdia, track, base: base, co64: co64) }
                }
            }
        }
        return writer.bytes
    }

    /// creation_time, modification_time (zero), timescale, duration; 64-bit times in version 1.
    static func writeTimes(_ box: inout BoxWriter, timescale: UInt32?, duration: UInt64, trackID: UInt32? = nil) {
        let wide = duration > UInt32.max
        box.writeZeros(wide ? 16 : 8)
        if let trackID {
            box.writeUInt32(trackID)
            box.writeUInt32(0)  // reserved
        }
        if let timescale { box.writeUInt32(timescale) }
        if wide { box.writeUInt64(duration) } else { box.writeUInt32(UInt32(duration)) }
    }

    /// TrackHeaderBox `tkhd` (ISO/IEC 14496-12 8.3.2), enabled and in the movie; a video track's
    /// size is its first sample entry's, scaled by `pasp`.
    static func writeTrackHeader(_ trak: inout BoxWriter, _ track: TrackLayout) {
        let size = track.tables.isVideo ? track.tables.sampleEntries.first.map(displaySize) ?? (0, 0) : (0, 0)
        trak.writeFullBox("tkhd", version: track.duration > UInt32.max ? 1 : 0, flags: 0x3) { box in
            writeTimes(&box, timescale: nil, duration: track.duration, trackID: track.trackID)
            box.writeZeros(8)  // reserved
            box.writeUInt16(0)  // layer
            box.writeUInt16(0)  // alternate_group
            box.writeUInt16(track.tables.isVideo ? 0 : 0x0100)  // volume
            box.writeUInt16(0)  // reserved
            MovieBoxes.unityMatrix.forEach { box.writeUInt32($0) }
            box.writeUInt32(MovieBoxes.fixed16x16(size.0))
            box.writeUInt32(MovieBoxes.fixed16x16(size.1))
        }
    }

    /// Width and height of a VisualSampleEntry (ISO/IEC 14496-12 12.1.3), times its `pasp` ratio.
    static func displaySize(_ entry: [UInt8]) -> (Double, Double) {
        var cursor = FragmentReader.Cursor(entry, 0..<entry.count, box: "sample entry")
        guard (try? cursor.skip(32)) != nil, let width = try? cursor.u16(), let height = try? cursor.u16() else {
            return (0, 0)
        }
        var ratio = 1.0
        if entry.count > 86, let children = try? FragmentReader.boxes(in: entry, 86..<entry.count, parent: "entry"),
            let pasp = children.first(where: { $0.type == "pasp" })
        {
            var pasp = FragmentReader.Cursor(entry, pasp.payload, box: "pasp")
            if let horizontal = try? pasp.u32(), let vertical = try? pasp.u32(), horizontal > 0, vertical > 0 {
                ratio = Double(horizontal) / Double(vertical)
            }
        }
        return (Double(width) * ratio, Double(height))
    }

    /// EditListBox `elst` in `edts` (ISO/IEC 14496-12 8.6.6): an empty edit when the track starts
    /// after the earliest one, then the media from its first presented sample.
    static func writeEdits(_ trak: inout BoxWriter, _ track: TrackLayout) {
        var entries: [(duration: UInt64, mediaTime: Int64)] = []
        if track.emptyEdit > 0 { entries.append((track.emptyEdit, -1)) }
        entries.append((track.editDuration, Int64(track.mediaTime)))
        let wide = entries.contains { $0.duration > UInt32.max || $0.mediaTime > Int32.max }
        trak.writeBox("edts") { edts in
            edts.writeFullBox("elst", version: wide ? 1 : 0, flags: 0) { box in
                box.writeUInt32(UInt32(entries.count))
                for entry in entries {
                    if wide {
                        box.writeUInt64(entry.duration)
                        box.writeUInt64(UInt64(bitPattern: entry.mediaTime))
                    } else {
                        box.writeUInt32(UInt32(entry.duration))
                        box.writeInt32(Int32(entry.mediaTime))
                    }
                    box.writeUInt16(1)  // media_rate_integer
                    box.writeUInt16(0)  // media_rate_fraction
                }
            }
        }
    }

    /// `mdhd` (8.4.2), `hdlr` (8.4.3) and `minf` (8.4.4) with the media header, `dinf` and `stbl`.
    static func writeMedia(_ mdia: inout BoxWriter, _ track: TrackLayout, base: UInt64, co64: Bool) {
        let tables = track.tables
        mdia.writeFullBox("mdhd", version: tables.mediaDuration > UInt32.max ? 1 : 0, flags: 0) { box in
            writeTimes(&box, timescale: tables.timescale, duration: tables.mediaDuration)
            box.writeUInt16(tables.language)
            box.writeUInt16(0)  // pre_defined
        }
        MovieBoxes.writeHandler(&mdia, handler: tables.isVideo ? .video : .audio)
        mdia.writeBox("minf") { minf in
            if tables.isVideo {
                MovieBoxes.writeVideoMediaHeader(&minf)
            } else {
                MovieBoxes.writeSoundMediaHeader(&minf)
            }
            MovieBoxes.writeDataInformation(&minf)
            minf.writeBox("stbl") { stbl in writeSampleTable(&stbl, track, base: base, co64: co64) }
        }
    }

    /// SampleTableBox `stbl` (ISO/IEC 14496-12 8.5.1): `stsd` (8.5.2) with every init's entries,
    /// `stts` (8.6.1.2), `ctts` (8.6.1.3), `stss` (8.6.2), `stsc` (8.7.4), `stsz` (8.7.3) and
    /// `stco`/`co64` (8.7.5).
    static func writeSampleTable(_ stbl: inout BoxWriter, _ track: TrackLayout, base: UInt64, co64: Bool) {
        let tables = track.tables
        stbl.writeFullBox("stsd", version: 0, flags: 0) { box in
            box.writeUInt32(UInt32(tables.sampleEntries.count))
            tables.sampleEntries.forEach { box.writeBytes($0) }
        }
        writeRuns(&stbl, "stts", version: 0, runs(tables.durations)) { $0.writeUInt32($1) }
        if let offsets = tables.compositionOffsets {
            // Version 1 offsets are signed; version 0 keeps unsigned values from version 0 runs.
            let signed = offsets.contains { $0 < 0 }
            writeRuns(&stbl, "ctts", version: signed ? 1 : 0, runs(offsets)) { box, offset in
                box.writeUInt32(signed ? UInt32(bitPattern: Int32(clamping: offset)) : UInt32(clamping: offset))
            }
        }
        if tables.isVideo || tables.syncSamples.count < tables.durations.count {
            stbl.writeFullBox("stss", version: 0, flags: 0) { box in
                box.writeUInt32(UInt32(tables.syncSamples.count))
                tables.syncSamples.forEach { box.writeUInt32($0) }
            }
        }
        stbl.writeFullBox("stsc", version: 0, flags: 0) { box in
            var entries: [(firstChunk: Int, samples: Int, description: UInt32)] = []
            for (index, chunk) in tables.chunks.enumerated()
            where entries.last.map({ $0.samples != chunk.sampleCount || $0.description != chunk.descriptionIndex })
                ?? true
            {
                entries.append((index + 1, chunk.sampleCount, chunk.descriptionIndex))
            }
            box.writeUInt32(UInt32(entries.count))
            for entry in entries {
                box.writeUInt32(UInt32(entry.firstChunk))
                box.writeUInt32(UInt32(entry.samples))
                box.writeUInt32(entry.description)
            }
        }
        stbl.writeFullBox("stsz", version: 0, flags: 0) { box in
            let constant = tables.sizes.allSatisfy { $0 == tables.sizes.first }
            box.writeUInt32(constant ? tables.sizes.first ?? 0 : 0)
            box.writeUInt32(UInt32(tables.sizes.count))
            if !constant { tables.sizes.forEach { box.writeUInt32($0) } }
        }
        stbl.writeFullBox(co64 ? "co64" : "stco", version: 0, flags: 0) { box in
            box.writeUInt32(UInt32(track.chunkOffsets.count))
            for offset in track.chunkOffsets {
                if co64 {
                    box.writeUInt64(base + offset)
                } else {
                    box.writeUInt32(UInt32(truncatingIfNeeded: base + offset))
                }
            }
        }
    }

    /// Run-length pairs (sample_count, value) of a table (`stts`, `ctts`).
    static func runs<Value: Equatable>(_ values: [Value]) -> [(count: UInt32, value: Value)] {
        var result: [(count: UInt32, value: Value)] = []
        for value in values {
            if let last = result.last, last.value == value {
                result[result.count - 1].count += 1
            } else {
                result.append((1, value))
            }
        }
        return result
    }

    static func writeRuns<Value>(
        _ stbl: inout BoxWriter, _ type: FourCC, version: UInt8, _ runs: [(count: UInt32, value: Value)],
        value: (inout BoxWriter, Value) -> Void
    ) {
        stbl.writeFullBox(type, version: version, flags: 0) { box in
            box.writeUInt32(UInt32(runs.count))
            for run in runs {
                box.writeUInt32(run.count)
                value(&box, run.value)
            }
        }
    }
}
