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
}
