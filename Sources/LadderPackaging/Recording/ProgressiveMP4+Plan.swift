extension ProgressiveMP4 {
    /// Movie timescale of `mvhd`, `tkhd` and `elst` durations (ISO/IEC 14496-12 8.2.2).
    static let movieTimescale: UInt32 = 1000

    /// `value` ticks at `timescale` in movie ticks, rounded; nil when it does not fit 64 bits.
    static func movieTicks(_ value: UInt64, timescale: UInt32) -> UInt64? {
        let scale = UInt64(timescale)
        let movie = UInt64(movieTimescale)
        let (whole, overflow) = (value / scale).multipliedReportingOverflow(by: movie)
        let fraction = (value % scale * movie + scale / 2) / scale
        guard !overflow, whole <= UInt64.max - fraction else { return nil }
        return whole + fraction
    }

    /// A run of samples stored contiguously, one chunk in `stsc`/`stco` (ISO/IEC 14496-12 8.7.4).
    struct Chunk {
        var sampleCount: Int
        /// 1-based index into the output `stsd`.
        var descriptionIndex: UInt32
        var fragment: Int
        var data: Range<Int>
        /// Decode time of its first sample on the output media timeline (first sample at 0).
        var decodeTime: UInt64
    }

    /// The sample tables of one output track, grown fragment by fragment.
    struct TrackTables {
        var handler: FourCC = "    "
        var timescale: UInt32 = 0
        var language: UInt16 = 0x55C4
        var sampleEntries: [[UInt8]] = []
        /// Init version → index of its first entry in `sampleEntries`.
        var entryBase: [Int: Int] = [:]
        var durations: [UInt32] = []
        var sizes: [UInt32] = []
        /// Nil while every offset is zero.
        var compositionOffsets: [Int64]?
        /// 1-based numbers of the sync samples.
        var syncSamples: [UInt32] = []
        var chunks: [Chunk] = []
        /// `tfdt` of the first sample: where the track starts on the recording's timeline.
        var firstDecodeTime: UInt64 = 0
        /// Where the next fragment is expected on the recording's timeline.
        var nextDecodeTime: UInt64 = 0
        /// Sum of `durations`.
        var mediaDuration: UInt64 = 0

        var isVideo: Bool { handler == "vide" }
    }

    /// Parses fragments one at a time into sample tables, then lays out the file.
    struct Planner {
        let inits: [[Int: [UInt8]]]
        var parsed: [[Int: FragmentReader.InitTrack]]
        var tracks: [TrackTables]

        init(inits: [[Int: [UInt8]]]) {
            self.inits = inits
            parsed = Array(repeating: [:], count: inits.count)
            tracks = Array(repeating: TrackTables(), count: inits.count)
        }

        mutating func add(
            track: Int, fragment: Int, initVersion: Int, bytes: [UInt8], label: String
        ) throws(ProgressiveMP4Error) {
            let initTrack = try useInit(track: track, version: initVersion, label: label)
            let runs: [FragmentReader.Run]
            do {
                runs = try FragmentReader.parseSegment(bytes, track: initTrack)
            } catch {
                throw ProgressiveMP4Error(error, path: label)
            }
            do throws(FragmentReader.Failure) {
                for run in runs {
                    guard run.descriptionIndex >= 1, run.descriptionIndex <= initTrack.sampleEntries.count else {
                        throw .unsupported("sample_description_index \(run.descriptionIndex) not in stsd")
                    }
                    let base = tracks[track].entryBase[initVersion] ?? 0
                    try tracks[track].append(
                        run, descriptionIndex: UInt32(base) + run.descriptionIndex, fragment: fragment)
                }
            } catch {
                throw ProgressiveMP4Error(error, path: label)
            }
        }

        /// The parsed init of `version`; its sample entries join the track's `stsd` on first use.
        private mutating func useInit(
            track: Int, version: Int, label: String
        ) throws(ProgressiveMP4Error) -> FragmentReader.InitTrack {
            if let known = parsed[track][version] { return known }
            guard let bytes = inits[track][version] else { throw .missingInitVersion(path: label, version: version) }
            let initLabel = "track \(track + 1) init segment \(version)"
            let initTrack: FragmentReader.InitTrack
            do {
                initTrack = try FragmentReader.parseInit(bytes)
            } catch {
                throw ProgressiveMP4Error(error, path: initLabel)
            }
            guard initTrack.handler == "vide" || initTrack.handler == "soun" else {
                throw .unsupported(path: initLabel, reason: "handler \(initTrack.handler)")
            }
            var tables = tracks[track]
            if tables.sampleEntries.isEmpty {
                (tables.handler, tables.timescale, tables.language) =
                    (initTrack.handler, initTrack.timescale, initTrack.language)
            } else if tables.handler != initTrack.handler || tables.timescale != initTrack.timescale {
                throw .unsupported(path: initLabel, reason: "handler or timescale differs from the track's first init")
            }
            tables.entryBase[version] = tables.sampleEntries.count
            tables.sampleEntries += initTrack.sampleEntries
            tracks[track] = tables
            parsed[track][version] = initTrack
            return initTrack
        }
    }
}

extension ProgressiveMP4.TrackTables {
    /// Appends a run as one chunk. A `tfdt` past the expected time folds the gap into the previous
    /// sample's duration; one before it (an overlap) is clamped: the run starts where the previous
    /// ended, so no duration is ever negative.
    mutating func append(
        _ run: FragmentReader.Run, descriptionIndex: UInt32, fragment: Int
    ) throws(FragmentReader.Failure) {
        if let tfdt = run.baseDecodeTime {
            if durations.isEmpty {
                (firstDecodeTime, nextDecodeTime) = (tfdt, tfdt)
            } else if tfdt > nextDecodeTime {
                let gap = tfdt - nextDecodeTime
                let last = durations.count - 1
                guard gap <= UInt64(UInt32.max - durations[last]), mediaDuration <= UInt64(Int64.max) - gap else {
                    throw .unsupported("gap of \(gap) ticks before tfdt \(tfdt)")
                }
                durations[last] += UInt32(gap)
                (mediaDuration, nextDecodeTime) = (mediaDuration + gap, tfdt)
            }
        }
        let (total, overflow) = durations.count.addingReportingOverflow(run.samples.count)
        guard !overflow, total <= Int(UInt32.max) else { throw .unsupported("more than 2^32 samples") }
        let chunkStart = mediaDuration
        for sample in run.samples {
            let duration = UInt64(sample.duration)
            guard mediaDuration <= UInt64(Int64.max) - duration, nextDecodeTime <= UInt64.max - duration else {
                throw .unsupported("track duration overflows 64 bits")
            }
            if sample.compositionOffset != 0, compositionOffsets == nil {
                compositionOffsets = Array(repeating: 0, count: durations.count)
            }
            compositionOffsets?.append(sample.compositionOffset)
            durations.append(sample.duration)
            sizes.append(sample.size)
            if sample.isSync { syncSamples.append(UInt32(durations.count)) }
            mediaDuration += duration
            nextDecodeTime += duration
        }
        chunks.append(
            ProgressiveMP4.Chunk(
                sampleCount: run.samples.count, descriptionIndex: descriptionIndex, fragment: fragment,
                data: run.data, decodeTime: chunkStart))
    }

    /// First and last presented instants on the media timeline: the edit (ISO/IEC 14496-12 8.6.6)
    /// starts at the first presented sample, e.g. after the B-frame delay of video, and lasts
    /// until the last one ends. Without composition offsets that is the whole media duration.
    var presentation: (start: UInt64, end: UInt64) {
        guard let compositionOffsets else { return (0, mediaDuration) }
        var decodeTime: Int64 = 0
        var (earliest, latest) = (Int64.max, Int64.min)
        for (duration, offset) in zip(durations, compositionOffsets) {
            let (start, overflow) = decodeTime.addingReportingOverflow(offset)
            if !overflow {
                earliest = min(earliest, start)
                latest = max(latest, start.addingReportingOverflow(Int64(duration)).partialValue)
            }
            decodeTime += Int64(duration)
        }
        let start = UInt64(max(0, min(earliest, Int64(mediaDuration))))
        return (start, max(start, UInt64(max(0, latest))))
    }
}

extension ProgressiveMP4.Planner {
    /// ftyp brands: ISO base media, `iso2` for the sample tables, `avc1`, MP4 version 1.
    static let brands: [FourCC] = ["isom", "iso2", "avc1", "mp41"]

    /// Lays out the file: edit lists that line tracks up on the recording's timeline, chunks
    /// interleaved by decode time, and chunk offsets (`co64` once any exceeds 32 bits).
    func finish() throws(ProgressiveMP4Error) -> ProgressiveMP4.Plan {
        guard !tracks.isEmpty else { throw .unsupported(path: "input", reason: "no tracks") }
        var layouts: [ProgressiveMP4.TrackLayout] = []
        for (index, tables) in tracks.enumerated() {
            let label = "track \(index + 1)"
            guard !tables.durations.isEmpty else { throw .unsupported(path: label, reason: "no samples") }
            let (mediaTime, end) = tables.presentation
            let (first, overflow) = tables.firstDecodeTime.addingReportingOverflow(mediaTime)
            guard !overflow, let start = ProgressiveMP4.movieTicks(first, timescale: tables.timescale),
                let edit = ProgressiveMP4.movieTicks(end - mediaTime, timescale: tables.timescale)
            else { throw .unsupported(path: label, reason: "times do not fit 64 bits") }
            layouts.append(
                ProgressiveMP4.TrackLayout(
                    tables: tables, trackID: UInt32(index + 1), mediaTime: mediaTime, presentationStart: start,
                    editDuration: edit))
        }
        let earliest = layouts.map(\.presentationStart).min() ?? 0
        for index in layouts.indices {
            layouts[index].emptyEdit = layouts[index].presentationStart - earliest
            guard layouts[index].emptyEdit <= UInt64.max - layouts[index].editDuration else {
                throw .unsupported(path: "track \(index + 1)", reason: "duration does not fit 64 bits")
            }
        }

        // Chunks in decode-time order across tracks (ties: track, then chunk order).
        var order: [(time: Double, track: Int, chunk: Int)] = []
        for (track, tables) in tracks.enumerated() {
            for (index, chunk) in tables.chunks.enumerated() {
                let seconds = (Double(tables.firstDecodeTime) + Double(chunk.decodeTime)) / Double(tables.timescale)
                order.append((seconds, track, index))
            }
        }
        order.sort { ($0.time, $0.track, $0.chunk) < ($1.time, $1.track, $1.chunk) }
        var payloads: [ProgressiveMP4.Payload] = []
        payloads.reserveCapacity(order.count)
        var position: UInt64 = 0
        var lastStart: UInt64 = 0
        for entry in order {
            let chunk = tracks[entry.track].chunks[entry.chunk]
            layouts[entry.track].chunkOffsets[entry.chunk] = position
            lastStart = position
            position += UInt64(chunk.data.count)
            payloads.append(.init(track: entry.track, fragment: chunk.fragment, range: chunk.data))
        }

        var ftyp = BoxWriter(capacity: 32)
        FileTypeBoxes.writeFileType(&ftyp, majorBrand: "isom", minorVersion: 512, compatibleBrands: Self.brands)
        let mediaHeaderSize: UInt64 = position > UInt64(UInt32.max) - 8 ? 16 : 8
        // Offsets change values, not sizes: measure once, then write with the real base.
        var co64 = false
        var base = UInt64(ftyp.count + ProgressiveMP4.movie(layouts, base: 0, co64: false).count) + mediaHeaderSize
        if base + lastStart > UInt64(UInt32.max) {
            co64 = true
            base = UInt64(ftyp.count + ProgressiveMP4.movie(layouts, base: 0, co64: true).count) + mediaHeaderSize
        }
        var header = ftyp.bytes + ProgressiveMP4.movie(layouts, base: base, co64: co64)
        var mediaData = BoxWriter(capacity: 16)
        if mediaHeaderSize == 16 {
            mediaData.writeUInt32(1)
            mediaData.writeFourCC("mdat")
            mediaData.writeUInt64(position + 16)
        } else {
            mediaData.writeUInt32(UInt32(position + 8))
            mediaData.writeFourCC("mdat")
        }
        header += mediaData.bytes
        return ProgressiveMP4.Plan(header: header, payloads: payloads, fileSize: base + position)
    }
}
