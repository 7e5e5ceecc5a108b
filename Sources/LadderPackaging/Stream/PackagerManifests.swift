import LadderMedia

/// Playlists and the MPD rendered from the published segments (the same files back both).
extension PackagerCore {
    static let audioGroupID = "audio"

    /// Every manifest of the stream: media playlists, master, and the MPD (live: always;
    /// VOD: only once ended, as a static MPD). Empty until a segment was published.
    func renderManifests(nowMs: Int64, pending: PendingParts) -> [String: [UInt8]] {
        var files = renderMediaPlaylists(pending: pending)
        guard !files.isEmpty else { return files }
        files[config.naming.masterPlaylist] = Array(masterPlaylist().render().utf8)
        if config.mode == .live || state == .ended {
            files[config.naming.manifest] = Array(dashManifest(nowMs: nowMs).render().utf8)
        }
        return files
    }

    /// The media playlists (and their delta updates): all that a new part changes.
    func renderMediaPlaylists(pending: PendingParts) -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        let listed = window
        for name in renditionOrder where listed.contains(where: { $0.renditions[name] != nil }) {
            let path = "\(name)/\(config.naming.mediaPlaylist)"
            let playlist = mediaPlaylist(for: name, pending: pending)
            files[path] = Array(playlist.render().utf8)
            if let delta = Self.deltaUpdate(of: playlist), let deltaPath = HLSMediaPlaylist.deltaPath(for: path) {
                files[deltaPath] = Array(delta.render().utf8)
            }
        }
        return files
    }

    func mediaPlaylist(for name: String, pending: PendingParts) -> HLSMediaPlaylist {
        let listed = window.filter { $0.renditions[name] != nil }
        let lowLatency = lowLatency(for: name, pending: pending)
        // EXT-X-PART needs EXT-X-PART-INF: an ended playlist lists whole segments only.
        let partsFrom = lowLatency == nil ? Int.max : listed.count - Self.listedPartSegments
        let segments = listed.enumerated().compactMap { position, segment -> HLSMediaPlaylist.Segment? in
            guard let info = segment.renditions[name] else { return nil }
            return HLSMediaPlaylist.Segment(
                uri: segmentName(number: segment.number), durationTicks: info.durationTicks, timescale: info.timescale,
                isDiscontinuity: segment.isDiscontinuity, mapURI: initName(version: info.initVersion),
                programDateTimeMs: config.programDateTime ? info.programDateTimeMs : nil,
                parts: position >= partsFrom ? info.parts.map { Self.part($0, timescale: info.timescale) } : [])
        }
        let playlistType: HLSMediaPlaylist.PlaylistType? =
            config.mode == .vod ? (state == .ended ? .vod : .event) : nil
        return HLSMediaPlaylist(
            targetDuration: maxTargetDuration, mediaSequence: listed.first?.number ?? nextNumber,
            discontinuitySequence: discontinuitySequence, playlistType: playlistType, segments: segments,
            hasEndList: state == .ended, lowLatency: lowLatency)
    }

    /// The delta update of an LL playlist that offers them (RFC 8216bis 6.2.5.1): the segments
    /// that end CAN-SKIP-UNTIL or more before the playlist's end become one EXT-X-SKIP.
    static func deltaUpdate(of playlist: HLSMediaPlaylist) -> HLSMediaPlaylist? {
        guard var lowLatency = playlist.lowLatency, let skipUntil = lowLatency.canSkipUntilSeconds else { return nil }
        let durations = playlist.segments.map { Double($0.durationTicks) / Double(max(1, $0.timescale)) }
        var remaining = durations.reduce(0, +)
        var skipped = 0
        while skipped < durations.count, remaining - durations[skipped] >= skipUntil {
            remaining -= durations[skipped]
            skipped += 1
        }
        var delta = playlist
        lowLatency.skippedSegments = skipped
        delta.lowLatency = lowLatency
        delta.segments.removeFirst(skipped)
        delta.version = max(delta.version, HLSMediaPlaylist.deltaUpdateVersion)
        return delta
    }

    /// The LL tags of a live rendition's playlist (parts on, stream not ended).
    private func lowLatency(for name: String, pending all: PendingParts) -> HLSMediaPlaylist.LowLatency? {
        guard config.hasParts, state == .live, let timescale = renditions[name]?.timescale else { return nil }
        let pending = all[name] ?? PendingRendition()
        let reports = renditionOrder.filter { $0 != name && renditions[$0] != nil }.compactMap { other in
            liveEdge(of: other, pending: all).map {
                HLSMediaPlaylist.RenditionReport(
                    uri: "../\(other)/\(config.naming.mediaPlaylist)", lastMediaSequence: $0.msn, lastPart: $0.part)
            }
        }
        // Delta updates only where some segment could be skipped: the window must be longer
        // than CAN-SKIP-UNTIL, which must be at least 6 target durations (4.4.3.8).
        let skipUntil = Double(6 * maxTargetDuration)
        let windowSeconds = config.segmentSeconds * Double(config.listedSegments)
        return HLSMediaPlaylist.LowLatency(
            partTargetSeconds: config.partTargetSeconds, partHoldBackSeconds: 3 * config.partTargetSeconds,
            pendingParts: pending.parts.map { Self.part($0, timescale: timescale) }, preloadHintURI: pending.nextURI,
            renditionReports: reports, canSkipUntilSeconds: windowSeconds > skipUntil ? skipUntil : nil)
    }

    private static func part(_ part: PublishedPart, timescale: Int64) -> HLSMediaPlaylist.Part {
        HLSMediaPlaylist.Part(
            uri: part.uri, durationTicks: part.durationTicks, timescale: timescale, isIndependent: part.isIndependent)
    }

    /// The last segment and part a rendition's playlist lists (EXT-X-RENDITION-REPORT).
    func liveEdge(of name: String, pending all: PendingParts) -> (msn: Int, part: Int?)? {
        let pending = all[name]?.parts ?? []
        if !pending.isEmpty { return (nextNumber, pending.count - 1) }
        guard let last = window.last(where: { $0.renditions[name] != nil }) else { return nil }
        let parts = last.renditions[name]?.parts.count ?? 0
        return (last.number, parts > 0 ? parts - 1 : nil)
    }

    /// Where each live media playlist stands, for blocking reloads (RFC 8216bis 6.2.5.2).
    func playlistProgress(pending all: PendingParts) -> [String: PlaylistProgress] {
        guard config.hasParts, state == .live else { return [:] }
        var progress: [String: PlaylistProgress] = [:]
        for name in renditionOrder where renditions[name] != nil {
            let last = window.last { $0.renditions[name] != nil }
            let path = "\(name)/\(config.naming.mediaPlaylist)"
            let pending = all[name]?.parts ?? []
            progress[path] = PlaylistProgress(
                lastCompleteSequence: last?.number ?? nextNumber - 1,
                lastCompleteParts: last?.renditions[name]?.parts.count ?? 0, pendingParts: pending.count,
                pendingSegmentURI: segmentName(number: nextNumber), pendingPartURIs: pending.map(\.uri),
                advancePartLimit: PlaylistProgress.advancePartLimitFor(partTargetSeconds: config.partTargetSeconds))
            if let deltaPath = HLSMediaPlaylist.deltaPath(for: path) { progress[deltaPath] = progress[path] }
        }
        return progress
    }

    /// Variants are the video renditions of the latest segment, highest BANDWIDTH first (players
    /// pick by measured throughput either way; the first entry is the one native players and
    /// hls.js start with when they have no estimate, so quality starts high on fast links).
    func masterPlaylist() -> HLSMasterPlaylist {
        let current = renditionOrder.filter { published.last?.renditions[$0] != nil }
        let videos = current.compactMap { renditions[$0] }.filter(\.isVideo)
        let audios = current.compactMap { renditions[$0] }.filter { !$0.isVideo }
        let audioEntries = audios.enumerated().map { position, audio in
            HLSMasterPlaylist.AudioRendition(
                groupID: Self.audioGroupID, name: audio.name, uri: "\(audio.name)/\(config.naming.mediaPlaylist)",
                isDefault: position == 0, autoselect: true, channels: Self.channels(audio.description))
        }
        let mainAudio = audios.first
        var variants: [HLSMasterPlaylist.Variant] = []
        if videos.isEmpty {
            variants = audios.map { audio in
                HLSMasterPlaylist.Variant(
                    uri: "\(audio.name)/\(config.naming.mediaPlaylist)",
                    bandwidth: audio.meter.peak(target: audio.description.announcedPeakBitrate),
                    averageBandwidth: audio.meter.average(target: audio.description.targetBitrate),
                    codecs: [audio.description.codecString], width: nil, height: nil, frameRate: nil, audioGroupID: nil)
            }
            return HLSMasterPlaylist(audio: [], variants: variants)
        }
        for video in videos {
            let target = video.description.targetBitrate.map { $0 + (mainAudio?.description.targetBitrate ?? 0) }
            let peak = video.description.announcedPeakBitrate.map {
                $0 + (mainAudio?.description.announcedPeakBitrate ?? 0)
            }
            let display = Self.displaySize(video.description)
            variants.append(
                HLSMasterPlaylist.Variant(
                    uri: "\(video.name)/\(config.naming.mediaPlaylist)",
                    bandwidth: video.variantMeter.peak(target: peak),
                    averageBandwidth: video.variantMeter.average(target: target),
                    codecs: [video.description.codecString] + (mainAudio.map { [$0.description.codecString] } ?? []),
                    width: display?.width, height: display?.height, frameRate: Self.frameRate(video.description),
                    audioGroupID: mainAudio == nil ? nil : Self.audioGroupID))
        }
        variants.sort { ($0.bandwidth, $1.uri) > ($1.bandwidth, $0.uri) }
        return HLSMasterPlaylist(audio: audioEntries, variants: variants)
    }

    /// Live: dynamic, periods anchored on the wall clock, numbered slots or a SegmentTimeline.
    /// Ended or VOD: static with SegmentTimelines, periods placed on the (continuous) output
    /// timeline from the first listed segment.
    func dashManifest(nowMs: Int64) -> DASHManifest {
        let isStatic = state == .ended || config.mode == .vod
        let numbered = !isStatic && config.dashAddressing == .numbered
        let listed = Array(window)
        let base = listed.first?.reference?.startSeconds ?? 0
        var outputPeriods: [DASHManifest.Period] = []
        for period in periods {
            let segments = listed.filter { $0.periodID == period.id }
            guard !segments.isEmpty else { continue }
            let mediaStart = isStatic ? max(period.mediaStartSeconds, base) : period.mediaStartSeconds
            let startMs =
                isStatic
                ? Int64(((mediaStart - base) * 1000).rounded())
                : period.wallStartMs - (availabilityStartMs ?? period.wallStartMs)
            let names = renditionOrder.filter { name in segments.contains { $0.renditions[name] != nil } }
            var sets: [DASHManifest.AdaptationSet] = []
            let videos = names.compactMap { renditions[$0] }.filter(\.isVideo)
            let audios = names.compactMap { renditions[$0] }.filter { !$0.isVideo }
            sets += DASHManifest.videoAdaptationSets(
                videos.map { video in
                    let numberedFrom = numbered ? period.firstNumber : nil
                    return (
                        representation(video, segments: segments, mediaStart: mediaStart, numberedFrom: numberedFrom),
                        Self.frameRate(video.description)
                    )
                })
            if !audios.isEmpty {
                sets.append(
                    DASHManifest.AdaptationSet(
                        id: 1, contentType: "audio", mimeType: StoredFileKind.Media.audio.mimeType,
                        segmentAlignment: true, startWithSAP: 1,
                        representations: audios.map {
                            representation(
                                $0, segments: segments, mediaStart: mediaStart,
                                numberedFrom: numbered ? period.firstNumber : nil)
                        }))
            }
            outputPeriods.append(
                DASHManifest.Period(id: "p\(period.id)", startMs: max(0, startMs), adaptationSets: sets))
        }
        let segmentMs = config.segmentMilliseconds
        if isStatic {
            let end = listed.last?.reference.map { $0.startSeconds + $0.durationSeconds } ?? base
            return DASHManifest(
                type: .static, minBufferTimeMs: max(1000, segmentMs),
                mediaPresentationDurationMs: Int64(max(0, (end - base) * 1000).rounded()), periods: outputPeriods,
                utcTimings: [])
        }
        let window = Int64(config.windowSegments)
        return DASHManifest(
            type: .dynamic, availabilityStartTimeMs: availabilityStartMs ?? nowMs, publishTimeMs: nowMs,
            minimumUpdatePeriodMs: segmentMs, timeShiftBufferDepthMs: Int64(config.listedSegments) * segmentMs,
            suggestedPresentationDelayMs: min(3, max(1, window - 2)) * segmentMs, minBufferTimeMs: max(1000, segmentMs),
            periods: outputPeriods,
            utcTimings: config.utcTimingURL.map {
                [DASHManifest.UTCTiming(schemeIdUri: DASHManifest.UTCTiming.httpISOScheme, value: $0)]
            } ?? [],
            serviceDescription: lowLatencyDASH ? serviceDescription : nil)
    }

    /// LL-DASH from the same chunks: a live stream with parts (segments requested early arrive
    /// with chunked transfer, one chunk per part).
    var lowLatencyDASH: Bool { config.hasParts && state == .live && config.mode == .live }

    /// The latency an LL-DASH player aims for: one segment behind, within half to twice that,
    /// catching up by at most 4 % of playback speed (DASH-IF IOP 9.X.4.2).
    var serviceDescription: DASHManifest.ServiceDescription {
        let segmentMs = config.segmentMilliseconds
        return DASHManifest.ServiceDescription(
            targetLatencyMs: segmentMs, minLatencyMs: segmentMs / 2, maxLatencyMs: 2 * segmentMs,
            minPlaybackRate: 0.96, maxPlaybackRate: 1.04)
    }

    /// `numberedFrom`: the period's first number, for a @duration template (no timeline).
    private func representation(
        _ rendition: RenditionState, segments: [PublishedSegment], mediaStart: Double, numberedFrom: Int?
    ) -> DASHManifest.Representation {
        let entries = segments.compactMap { segment in segment.renditions[rendition.name].map { (segment.number, $0) } }
        let timescale = entries.first?.1.timescale ?? rendition.timescale
        let template = DASHManifest.SegmentTemplate(
            timescale: timescale, presentationTimeOffset: Int64((mediaStart * Double(timescale)).rounded()),
            initialization:
                "$RepresentationID$/\(initName(version: entries.first?.1.initVersion ?? rendition.initVersion))",
            media: "$RepresentationID$/\(config.naming.segmentPrefix)$Number$.m4s",
            startNumber: numberedFrom ?? entries.first?.0 ?? 1,
            duration: numberedFrom == nil ? nil : Int64((config.segmentSeconds * Double(timescale)).rounded()),
            timeline: numberedFrom == nil
                ? DASHManifest.timeline(entries.map { ($0.1.startTicks, $0.1.durationTicks) }) : [],
            availabilityTimeOffset: lowLatencyDASH ? config.segmentSeconds - config.partSeconds : nil)
        let initVersion = entries.first?.1.initVersion ?? rendition.initVersion
        let description = rendition.descriptionsByInitVersion[initVersion] ?? rendition.description
        let bandwidth = rendition.meter.peak(target: description.announcedPeakBitrate)
        switch description.media {
        case .video(let width, let height, _, let aspectNum, let aspectDen):
            let (aspectH, aspectV) = CMAFInitSegment.normalizedAspect(aspectNum, aspectDen)
            return DASHManifest.Representation(
                id: rendition.name, bandwidth: bandwidth, codecs: description.codecString, width: width, height: height,
                frameRate: Self.frameRate(description).flatMap(DASHManifest.frameRateString),
                sar: "\(aspectH):\(aspectV)",
                segmentTemplate: template)
        case .audio(let sampleRate, let channels):
            return DASHManifest.Representation(
                id: rendition.name, bandwidth: bandwidth, codecs: description.codecString,
                audioSamplingRate: sampleRate,
                audioChannels: channels, segmentTemplate: template)
        }
    }

    // One reading of a track's description for the live and the recorded manifests alike.

    static func channels(_ description: TrackDescription) -> Int? {
        RecordedTrack(description).channels
    }

    static func frameRate(_ description: TrackDescription) -> Double? {
        RecordedTrack(description).frameRate
    }

    /// Display size (RESOLUTION): the coded size with the width scaled by the pixel aspect ratio.
    static func displaySize(_ description: TrackDescription) -> (width: Int, height: Int)? {
        RecordedTrack(description).displaySize
    }
}
