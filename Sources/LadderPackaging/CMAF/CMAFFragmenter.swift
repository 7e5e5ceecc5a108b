import LadderMedia

/// One sample ready for a CMAF fragment, on the output timeline.
public struct CMAFSample: Sendable {
    /// Decode time in the track timescale; never negative on the output timeline.
    public var decodeTime: Int64
    public var duration: UInt32
    /// Presentation time minus decode time.
    public var compositionOffset: Int32
    public var isSync: Bool
    public var data: [UInt8]

    public init(decodeTime: Int64, duration: UInt32, compositionOffset: Int32, isSync: Bool, data: [UInt8]) {
        self.decodeTime = decodeTime
        self.duration = duration
        self.compositionOffset = compositionOffset
        self.isSync = isSync
        self.data = data
    }
}

/// Writes CMAF fragments (`moof`+`mdat`, ISO/IEC 23000-19 7.3.2.3) and segments for one track.
///
/// A segment is `styp`, an optional `sidx`, then one or more chunks. Today the packager emits one
/// chunk per segment; LL-HLS parts / chunked CMAF call `chunk` as samples arrive and publish each
/// chunk on its own, with `segment(chunks:)` being the concatenation.
public struct CMAFFragmenter: Sendable {
    public static let segmentMajorBrand: FourCC = "cmfs"

    public let trackID: UInt32
    public let timescale: UInt32
    public let isVideo: Bool
    /// The `trex` default, so runs only carry flags that differ from it.
    public let defaultFlags: SampleFlags
    /// `mfhd` sequence number of the next fragment; increases by one per fragment (ISO/IEC 14496-12 8.8.5).
    public private(set) var nextSequenceNumber: UInt32

    public init(trackID: UInt32 = 1, timescale: UInt32, isVideo: Bool, firstSequenceNumber: UInt32 = 1) {
        self.trackID = trackID
        self.timescale = timescale
        self.isVideo = isVideo
        defaultFlags = isVideo ? .nonSync : .sync
        nextSequenceNumber = firstSequenceNumber
    }

    /// Sample flags: audio samples are all sync; video follows `isSync`.
    public func flags(for sample: CMAFSample) -> SampleFlags {
        (!isVideo || sample.isSync) ? .sync : .nonSync
    }

    /// One `moof`+`mdat`. `tfdt` is the first sample's decode time; samples must be contiguous
    /// (each starts where the previous one's duration ends).
    public mutating func chunk(_ samples: [CMAFSample]) -> [UInt8] {
        let fragment = movieFragment(samples)
        var writer = BoxWriter(capacity: fragment.chunkSize)
        Self.write(fragment, samples: samples, into: &writer)
        return writer.bytes
    }

    /// A `moof` with its data_offset already patched, and the size of the chunk it heads.
    private struct MovieFragment {
        var moof: [UInt8]
        var payloadSize: Int
        var chunkSize: Int { moof.count + FragmentBoxes.mediaDataHeaderSize(payloadSize: payloadSize) + payloadSize }
    }

    /// Writes the small `moof` on its own, so the chunk's size is known before the payload is copied.
    private mutating func movieFragment(_ samples: [CMAFSample]) -> MovieFragment {
        let fragmentSamples = samples.map {
            FragmentSample(
                size: UInt32(clamping: $0.data.count), duration: $0.duration, flags: flags(for: $0),
                compositionOffset: $0.compositionOffset)
        }
        let payloadSize = samples.reduce(0) { $0 + $1.data.count }
        var writer = BoxWriter(capacity: 64 + samples.count * 16)
        let dataOffsetPosition = FragmentBoxes.writeMovieFragment(
            &writer, sequenceNumber: nextSequenceNumber, trackID: trackID,
            baseMediaDecodeTime: UInt64(max(0, samples.first?.decodeTime ?? 0)), samples: fragmentSamples,
            defaultFlags: defaultFlags)
        nextSequenceNumber &+= 1
        // default-base-is-moof: data_offset counts from the first byte of this moof.
        let dataOffset = writer.count + FragmentBoxes.mediaDataHeaderSize(payloadSize: payloadSize)
        writer.patchUInt32(at: dataOffsetPosition, UInt32(truncatingIfNeeded: dataOffset))
        return MovieFragment(moof: writer.bytes, payloadSize: payloadSize)
    }

    private static func write(_ fragment: MovieFragment, samples: [CMAFSample], into writer: inout BoxWriter) {
        writer.writeBytes(fragment.moof)
        FragmentBoxes.writeMediaData(&writer, payloads: samples.map(\.data))
    }

    /// The `styp` that starts a segment without `sidx`: with LL parts, part 0 is this plus its
    /// chunk, so a segment is exactly its parts concatenated (what `segment(chunks:)` writes).
    public func segmentHeader() -> [UInt8] {
        var writer = BoxWriter(capacity: 32)
        FileTypeBoxes.writeSegmentType(
            &writer, majorBrand: Self.segmentMajorBrand, minorVersion: 0,
            compatibleBrands: [Self.segmentMajorBrand, "msdh"])
        return writer.bytes
    }

    /// A complete media segment: `styp`, optional `sidx` covering all chunks, the chunks.
    public mutating func segment(chunks: [[CMAFSample]], segmentIndex: Bool = false) -> [UInt8] {
        let chunks = chunks.filter { !$0.isEmpty }
        // Each sample's payload is copied once, straight into a buffer of the segment's final size.
        let fragments = chunks.map { movieFragment($0) }
        let chunksSize = fragments.reduce(0) { $0 + $1.chunkSize }
        var brands: [FourCC] = [Self.segmentMajorBrand, "msdh"]
        if segmentIndex { brands.append("msix") }
        var writer = BoxWriter(capacity: chunksSize + 128)
        FileTypeBoxes.writeSegmentType(
            &writer, majorBrand: Self.segmentMajorBrand, minorVersion: 0, compatibleBrands: brands)
        if segmentIndex {
            let all = chunks.joined()
            let earliest = all.map { $0.decodeTime + Int64($0.compositionOffset) }.min() ?? 0
            let duration = all.reduce(UInt64(0)) { $0 + UInt64($1.duration) }
            let reference = SegmentIndexBox.Reference(
                referencedSize: UInt32(clamping: chunksSize), subsegmentDuration: UInt32(clamping: duration),
                startsWithSAP: all.first?.isSync ?? false)
            SegmentIndexBox.write(
                &writer, referenceID: trackID, timescale: timescale, earliestPresentationTime: UInt64(max(0, earliest)),
                references: [reference])
        }
        for (fragment, samples) in zip(fragments, chunks) {
            Self.write(fragment, samples: samples, into: &writer)
        }
        return writer.bytes
    }
}
