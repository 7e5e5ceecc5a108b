import LadderMedia

/// A recording's playlists and MPD, rendered from its index with the same value models as the
/// live stream's: an EVENT playlist while it is written (RFC 8216 4.3.3.5), then VOD with
/// EXT-X-ENDLIST; a static MPD with one Period per epoch (between discontinuities).
public enum RecordingManifests {
    public static let naming = PackagerConfig.Naming.standard
    static let audioGroupID = "audio"

    /// Every rendition's media playlist, by path (`720p/index.m3u8`).
    public static func mediaPlaylistPath(_ rendition: String) -> String {
        "\(rendition)/\(naming.mediaPlaylist)"
    }

    public static func mediaPlaylist(_ index: RecordingIndex, rendition: String) -> HLSMediaPlaylist? {
        guard let track = index.track(rendition) else { return nil }
        var segments: [HLSMediaPlaylist.Segment] = []
        var previousNumber: Int?
        var maxTarget = 1
        for segment in index.segments {
            guard let entry = segment.renditions[rendition] else { continue }
            let timescale = index.tracks[rendition]?[entry.initVersion]?.timescale ?? track.timescale
            // A gap in this rendition (it left the publish for a while) is a discontinuity too.
            let gap = previousNumber.map { segment.number != $0 + 1 } ?? false
            segments.append(
                HLSMediaPlaylist.Segment(
                    uri: naming.segmentName(number: segment.number), durationTicks: entry.durationTicks,
                    timescale: timescale, isDiscontinuity: previousNumber != nil && (segment.isDiscontinuity || gap),
                    mapURI: naming.initName(version: entry.initVersion),
                    programDateTimeMs: segment.programDateTimeMs))
            maxTarget = max(
                maxTarget, HLSMediaPlaylist.targetDuration(maxDurationTicks: entry.durationTicks, timescale: timescale))
            previousNumber = segment.number
        }
        let recording = index.state == .recording
        return HLSMediaPlaylist(
            targetDuration: maxTarget, mediaSequence: index.segments.first?.number ?? 0, discontinuitySequence: 0,
            playlistType: recording ? .event : .vod, segments: segments, hasEndList: !recording)
    }

    /// One variant per video rendition (with the audio rendition group), highest BANDWIDTH first.
    public static func masterPlaylist(_ index: RecordingIndex) -> HLSMasterPlaylist {
        let audioName = index.audioRenditions.first
        let audio = audioName.flatMap { index.track($0) }
        let audioRate = audioName.map { bitRates(index, rendition: $0) }
        let audioEntries = index.audioRenditions.enumerated().compactMap { position, name in
            index.track(name).map {
                HLSMasterPlaylist.AudioRendition(
                    groupID: audioGroupID, name: name, uri: mediaPlaylistPath(name), isDefault: position == 0,
                    autoselect: true, channels: $0.channels)
            }
        }
        let videos = index.videoRenditions.compactMap { name in index.track(name).map { (name, $0) } }
        guard !videos.isEmpty else {
            let variants = index.audioRenditions.compactMap { name -> HLSMasterPlaylist.Variant? in
                guard let track = index.track(name) else { return nil }
                let rate = bitRates(index, rendition: name)
                return HLSMasterPlaylist.Variant(
                    uri: mediaPlaylistPath(name), bandwidth: rate.peak, averageBandwidth: rate.average,
                    codecs: [track.codecs], width: nil, height: nil, frameRate: nil, audioGroupID: nil)
            }
            return HLSMasterPlaylist(audio: [], variants: variants)
        }
        var variants = videos.map { name, track in
            let rate = bitRates(index, rendition: name)
            let display = track.displaySize
            return HLSMasterPlaylist.Variant(
                uri: mediaPlaylistPath(name), bandwidth: rate.peak + (audioRate?.peak ?? 0),
                averageBandwidth: rate.average + (audioRate?.average ?? 0),
                codecs: [track.codecs] + (audio.map { [$0.codecs] } ?? []), width: display?.width,
                height: display?.height, frameRate: track.frameRate, audioGroupID: audio == nil ? nil : audioGroupID)
        }
        variants.sort { ($0.bandwidth, $1.uri) > ($1.bandwidth, $0.uri) }
        return HLSMasterPlaylist(audio: audioEntries, variants: variants)
    }

    /// Static MPD (ISO/IEC 23009-1 5.3.1.2, type "static"): a Period per epoch, each placed at
    /// the sum of the durations before it, with a SegmentTimeline per Representation.
    public static func dashManifest(_ index: RecordingIndex) -> DASHManifest {
        var periods: [DASHManifest.Period] = []
        var startMs: Int64 = 0
        for (position, epoch) in epochs(index).enumerated() {
            var sets: [DASHManifest.AdaptationSet] = []
            let names = index.renditionOrder.filter { name in epoch.contains { $0.renditions[name] != nil } }
            let videos = names.filter { index.track($0)?.isVideo == true }
            let audios = names.filter { index.track($0)?.isVideo == false }
            sets += DASHManifest.videoAdaptationSets(
                videos.compactMap { representation(index, rendition: $0, epoch: epoch).map { ($0, nil) } })
            if !audios.isEmpty {
                sets.append(
                    DASHManifest.AdaptationSet(
                        id: 1, contentType: "audio", mimeType: StoredFileKind.Media.audio.mimeType,
                        segmentAlignment: true, startWithSAP: 1,
                        representations: audios.compactMap { representation(index, rendition: $0, epoch: epoch) }))
            }
            periods.append(DASHManifest.Period(id: "p\(position)", startMs: startMs, adaptationSets: sets))
            startMs += epochDurationMs(index, epoch: epoch)
        }
        return DASHManifest(
            type: .static, minBufferTimeMs: 2000, mediaPresentationDurationMs: startMs, periods: periods,
            utcTimings: [])
    }

    /// Runs of segments between discontinuities.
    static func epochs(_ index: RecordingIndex) -> [ArraySlice<RecordingIndex.Segment>] {
        var result: [ArraySlice<RecordingIndex.Segment>] = []
        var start = index.segments.startIndex
        for position in index.segments.indices where position > start && index.segments[position].isDiscontinuity {
            result.append(index.segments[start..<position])
            start = position
        }
        if start < index.segments.endIndex { result.append(index.segments[start...]) }
        return result
    }

    private static func epochDurationMs(_ index: RecordingIndex, epoch: ArraySlice<RecordingIndex.Segment>) -> Int64 {
        guard let reference = index.referenceRendition else { return 0 }
        var milliseconds = 0.0
        for segment in epoch {
            guard let entry = segment.renditions[reference] else { continue }
            let timescale = index.tracks[reference]?[entry.initVersion]?.timescale ?? 1
            milliseconds += Double(entry.durationTicks) * 1000 / Double(max(1, timescale))
        }
        return Int64(milliseconds.rounded())
    }

    private static func representation(
        _ index: RecordingIndex, rendition: String, epoch: ArraySlice<RecordingIndex.Segment>
    ) -> DASHManifest.Representation? {
        let entries = epoch.compactMap { segment in segment.renditions[rendition].map { (segment.number, $0) } }
        guard let first = entries.first, let track = index.tracks[rendition]?[first.1.initVersion] else { return nil }
        let template = DASHManifest.SegmentTemplate(
            timescale: track.timescale, presentationTimeOffset: first.1.startTicks,
            initialization: "$RepresentationID$/\(naming.initName(version: first.1.initVersion))",
            media: "$RepresentationID$/\(naming.segmentPrefix)$Number$.m4s", startNumber: first.0,
            timeline: DASHManifest.timeline(entries.map { ($0.1.startTicks, $0.1.durationTicks) }))
        let bandwidth = bitRates(index, rendition: rendition).peak
        if track.isVideo {
            return DASHManifest.Representation(
                id: rendition, bandwidth: bandwidth, codecs: track.codecs, width: track.width, height: track.height,
                frameRate: track.frameRate.flatMap(DASHManifest.frameRateString),
                sar: track.sarWidth.map { "\($0):\(track.sarHeight ?? 1)" }, segmentTemplate: template)
        }
        return DASHManifest.Representation(
            id: rendition, bandwidth: bandwidth, codecs: track.codecs, audioSamplingRate: track.sampleRate,
            audioChannels: track.channels, segmentTemplate: template)
    }

    /// Peak and mean bits per second, measured like the live stream's (`BitrateMeter`); the
    /// peak counts segments at least half as long as the longest (a recording knows no nominal
    /// segment length).
    static func bitRates(_ index: RecordingIndex, rendition: String) -> (peak: Int, average: Int) {
        let measured = index.segments.compactMap { segment -> (bits: Double, seconds: Double)? in
            guard let entry = segment.renditions[rendition] else { return nil }
            let timescale = index.tracks[rendition]?[entry.initVersion]?.timescale ?? 1
            return (Double(entry.byteCount) * 8, Double(entry.durationTicks) / Double(max(1, timescale)))
        }
        let longest = measured.map(\.seconds).max() ?? 0
        var meter = BitrateMeter()
        for segment in measured {
            meter.add(bits: segment.bits, seconds: segment.seconds, qualifies: segment.seconds >= longest / 2)
        }
        guard meter.totalSeconds > 0 else { return (1, 1) }
        return (meter.peak(target: nil), Int((meter.totalBits / meter.totalSeconds).rounded(.up)))
    }
}
