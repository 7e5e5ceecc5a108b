/// File names and the listed window of the packager (one `PackagerConfig.Naming`).
extension PackagerCore {
    func initPath(_ rendition: String, version: Int) -> String {
        "\(rendition)/\(initName(version: version))"
    }

    func initName(version: Int) -> String {
        config.naming.initName(version: version)
    }

    func segmentPath(_ rendition: String, number: Int) -> String {
        "\(rendition)/\(segmentName(number: number))"
    }

    func segmentName(number: Int) -> String {
        config.naming.segmentName(number: number)
    }

    /// Segments listed in playlists and the MPD.
    var window: ArraySlice<PublishedSegment> {
        config.mode == .live ? published.suffix(config.listedSegments) : published[...]
    }

    /// EXT-X-DISCONTINUITY-SEQUENCE: discontinuities before the first listed segment (RFC 8216 4.3.3.3).
    var discontinuitySequence: Int {
        let hidden = published.count - window.count
        return removedDiscontinuities + published.prefix(hidden).filter(\.isDiscontinuity).count
    }

    mutating func measure(_ infos: [String: PublishedRendition], order: [String]) {
        let qualifyingSeconds = config.segmentSeconds / 2
        let audioName = order.first { renditions[$0]?.isVideo == false }
        let audio = audioName.flatMap { infos[$0] }
        for name in order {
            guard let info = infos[name] else { continue }
            let seconds = info.durationSeconds
            renditions[name]?.meter.add(
                bits: Double(info.byteCount) * 8, seconds: seconds, qualifies: seconds >= qualifyingSeconds)
            if renditions[name]?.isVideo == true {
                renditions[name]?.variantMeter.add(
                    bits: Double(info.byteCount + (audio?.byteCount ?? 0)) * 8, seconds: seconds,
                    qualifies: seconds >= qualifyingSeconds)
            }
        }
    }

    /// Live: segments leave memory after the window plus the grace segments, and the listing
    /// after the DVR depth (when longer) plus the grace; unused init segments go with them.
    mutating func slideWindow() {
        guard config.mode == .live else { return }
        let memoryKeep = config.windowSegments + config.deletionGraceSegments
        if published.count > memoryKeep {
            let firstKept = published[published.count - memoryKeep].number
            for segment in published where segment.number >= memoryFloor && segment.number < firstKept {
                for name in segment.renditions.keys.sorted() {
                    actions.append(.delete(path: segmentPath(name, number: segment.number)))
                }
            }
            memoryFloor = max(memoryFloor, firstKept)
        }
        let keep = config.listedSegments + config.deletionGraceSegments
        guard published.count > keep else { return }
        let removed = published.prefix(published.count - keep)
        published.removeFirst(removed.count)
        removedDiscontinuities += removed.filter(\.isDiscontinuity).count
        for name in renditionOrder {
            guard var rendition = renditions[name] else { continue }
            var used: Set<Int> = [rendition.initVersion]
            for segment in published {
                if let version = segment.renditions[name]?.initVersion { used.insert(version) }
            }
            for version in rendition.storedInitVersions.subtracting(used).sorted() {
                actions.append(.delete(path: initPath(name, version: version)))
            }
            rendition.storedInitVersions.formIntersection(used)
            rendition.descriptionsByInitVersion = rendition.descriptionsByInitVersion.filter { used.contains($0.key) }
            renditions[name] = rendition
        }
        if let firstPeriod = published.first?.periodID {
            periods.removeAll { $0.id < firstPeriod }
        }
    }
}
