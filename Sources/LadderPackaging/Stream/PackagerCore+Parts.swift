import LadderMedia

/// LL parts (RFC 8216bis 4.4.4.9): each track's segments are written as CMAF chunks as their
/// samples arrive, each chunk its own file (`part-<segment index>.<n>.m4s`). Part 0 carries the
/// segment's `styp`, so the segment is exactly its parts, concatenated.
extension PackagerCore {
    /// Parts stay listed for the newest segments this many (RFC 8216bis 4.4.4.9: about three
    /// target durations) and stay downloadable a little longer.
    static let listedPartSegments = 3
    static let keptPartSegments = 5

    func partName(segmentIndex: Int, part: Int) -> String {
        "part-\(segmentIndex).\(part).m4s"
    }

    /// Writes every part that became complete on any track of `current`; true when one did.
    mutating func writeReadyParts(in current: inout Epoch) -> Bool {
        guard config.hasParts else { return false }
        var wrote = false
        for index in current.tracks.indices where current.tracks[index].status == .active {
            let name = current.tracks[index].name
            guard var rendition = renditions[name] else { continue }
            current.tracks[index].segmenter.writeParts { segmentIndex, samples, part in
                wrote = true
                return writePart(samples, segmentIndex: segmentIndex, part: part, rendition: &rendition)
            }
            renditions[name] = rendition
        }
        return wrote
    }

    /// Writes the parts of a segment about to be published that are not written yet.
    mutating func writeRemainingParts(of segment: inout TrackSegment, rendition: inout RenditionState) {
        segment.writeParts(closed: true) { segmentIndex, samples, part in
            writePart(samples, segmentIndex: segmentIndex, part: part, rendition: &rendition)
        }
    }

    private mutating func writePart(
        _ samples: ArraySlice<TimedSample>, segmentIndex: Int, part: Int, rendition: inout RenditionState
    ) -> TrackSegment.WrittenPart {
        if rendition.isVideo, let last = samples.last { noteListed(last, timescale: rendition.timescale) }
        let chunk = rendition.fragmenter.chunk(Self.cmafSamples(samples))
        let bytes = part == 0 ? rendition.fragmenter.segmentHeader() + chunk : chunk
        let name = partName(segmentIndex: segmentIndex, part: part)
        actions.append(
            .put(
                path: "\(rendition.name)/\(name)", bytes: bytes,
                kind: .mediaSegment(rendition.isVideo ? .video : .audio), mirrored: false))
        return TrackSegment.WrittenPart(
            uri: name, bytes: bytes, durationTicks: samples.reduce(Int64(0)) { $0 &+ max(0, $1.duration) },
            isIndependent: samples.first?.isSync ?? false)
    }

    /// A video sample's end is listed (a part or a segment went out).
    mutating func noteListed(_ sample: TimedSample, timescale: Int64) {
        let endMs = (sample.inputPts &+ max(0, sample.duration)) &* 1000 / max(1, timescale)
        newestListedInputMs = max(newestListedInputMs ?? endMs, endMs)
    }

    /// Stamps a newer listing with the time of the event that made it.
    mutating func stampListing(nowMs: Int64) {
        guard let newest = newestListedInputMs, newest != newestListing?.inputMilliseconds else { return }
        newestListing = PackagerStatistics.Listing(inputMilliseconds: newest, listedAtMilliseconds: nowMs)
    }

    static func cmafSamples(_ samples: some Sequence<TimedSample>) -> [CMAFSample] {
        samples.map { sample in
            CMAFSample(
                decodeTime: max(0, sample.dts), duration: UInt32(clamping: max(0, sample.duration)),
                compositionOffset: Int32(clamping: sample.pts &- sample.dts), isSync: sample.isSync, data: sample.data)
        }
    }

    /// Deletes the part files of the segment that just left the parts' window.
    mutating func retireParts() {
        guard config.hasParts, published.count > Self.keptPartSegments else { return }
        let position = published.count - Self.keptPartSegments - 1
        for name in published[position].renditions.keys.sorted() {
            for part in published[position].renditions[name]?.parts ?? [] {
                actions.append(.delete(path: "\(name)/\(part.uri)"))
            }
            published[position].renditions[name]?.parts = []
        }
    }

    /// Per active rendition: the parts written so far of its next segment (numbered
    /// `nextNumber`), and the URI its next part will have (the preload hint) when that segment
    /// is open. Computed once per publication; every playlist, report and progress reads it.
    func pendingParts() -> PendingParts {
        guard config.hasParts, let epoch else { return [:] }
        var pending: PendingParts = [:]
        for track in epoch.tracks where track.status == .active {
            guard let segment = track.segmenter.firstUnpublished else { continue }
            let parts = segment.writtenParts.map {
                PublishedPart(uri: $0.uri, durationTicks: $0.durationTicks, isIndependent: $0.isIndependent)
            }
            // A hint after these parts names a part of this same segment (RFC 8216bis 4.4.5.3):
            // once it is complete but not yet published, there is none (a blocking reload finds the next).
            let isOpen = track.segmenter.completed.isEmpty
            pending[track.name] = PendingRendition(
                parts: parts, nextURI: isOpen ? partName(segmentIndex: segment.index, part: parts.count) : nil)
        }
        return pending
    }
}

/// The parts of a rendition's next, not yet published segment (see `pendingParts()`).
struct PendingRendition: Sendable, Hashable {
    var parts: [PublishedPart] = []
    var nextURI: String?
}

typealias PendingParts = [String: PendingRendition]

/// One LL part as the playlists list it.
struct PublishedPart: Sendable, Hashable {
    var uri: String
    var durationTicks: Int64
    var isIndependent: Bool
}
