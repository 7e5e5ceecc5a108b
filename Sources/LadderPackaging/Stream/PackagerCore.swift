import LadderMedia

/// The packager's state machine: no locks, no clock, no I/O. Each call returns store actions.
struct PackagerCore: Sendable {
    let streamName: String
    let config: PackagerConfig
    var renditions: [String: RenditionState] = [:]
    private(set) var renditionOrder: [String] = []
    private(set) var epoch: Epoch?
    private var nextIndex = 0
    private(set) var nextNumber = 1
    var published: [PublishedSegment] = []
    var removedDiscontinuities = 0
    /// Segments numbered below this have left memory (they may still be listed, for DVR).
    var memoryFloor = 0
    /// Discontinuities of the earlier packagers this one continues.
    private var continuedDiscontinuities = 0
    var periods: [PeriodAnchor] = []
    var nextPeriodID = 0
    var availabilityStartMs: Int64?
    private var programDateAnchor: (wallMs: Int64, mediaSeconds: Double)?
    private(set) var maxTargetDuration: Int
    private(set) var state: StreamState = .live
    var actions: [PackagerAction] = []
    private(set) var notices: [String] = []
    var counters = Counters()
    /// The end of the newest listed video (segment or part) on the input timeline, ms, and
    /// when it was listed: the ingest-to-listed latency's listing side.
    var newestListedInputMs: Int64?
    var newestListing: PackagerStatistics.Listing?
    private var closedEpochDrops = 0
    /// Publishes (see `attachPublish()`) that have not ended yet; the stream ends with the last.
    private var attachedPublishes: Set<Int> = []
    private var nextPublishID = 1
    /// Calls from publishes older than this one are stale: a newer publish has declared tracks.
    private var newestBegunPublish = 0
    private var epochPublish: Int?
    /// The publish of the direct `begin/append/end` calls on `StreamPackager`, while one is open.
    var directPublish: Int?
    /// The last publish vanished (no unpublish) and the stream waits live for a reconnect; it
    /// ends at `expire(publish:)` unless a new publish attached first.
    private(set) var awaitingReconnect: Int?

    struct Counters: Sendable, Hashable {
        var discontinuities = 0
        var timestampJumps = 0
        var periodResyncs = 0
        var droppedTracks = 0
        var invalidTracks = 0
        var samplesWithoutPublish = 0
        /// Track declarations from a publish that a newer one had already superseded.
        var staleDeclarations = 0
    }

    /// `continuing`: a previous packager's numbering; the first segment is then a discontinuity.
    init(streamName: String, config: PackagerConfig, continuing: StreamContinuation? = nil) {
        self.streamName = streamName
        self.config = config
        maxTargetDuration = HLSMediaPlaylist.targetDuration(
            maxDurationTicks: config.segmentMilliseconds, timescale: 1000)
        if let continuing {
            nextNumber = max(1, continuing.nextSequence)
            removedDiscontinuities = max(0, continuing.discontinuitySequence)
            continuedDiscontinuities = removedDiscontinuities
            nextPeriodID = max(0, continuing.nextPeriod)
        }
    }

    /// The numbering a later packager of this stream continues from (checked after every event,
    /// so O(1): this packager's published discontinuities are `counters.discontinuities`).
    var continuation: StreamContinuation {
        StreamContinuation(
            nextSequence: nextNumber, discontinuitySequence: continuedDiscontinuities + counters.discontinuities,
            nextPeriod: nextPeriodID)
    }

    var segmentsPublished: Int { nextNumber - 1 }

    /// Ended, with no publish attached: nothing will write to this stream again until a new publish.
    var isIdle: Bool { state == .ended && attachedPublishes.isEmpty }

    var droppedSamples: Int {
        closedEpochDrops + (epoch.map(Self.drops) ?? 0) + counters.samplesWithoutPublish
    }

    var timestampJumps: Int {
        counters.timestampJumps + (epoch.map { $0.tracks.reduce(0) { $0 + $1.segmenter.jumps } } ?? 0)
    }

    mutating func takeActions() -> [PackagerAction] {
        defer { actions = [] }
        return actions
    }

    mutating func takeNotices() -> [String] {
        defer { notices = [] }
        return notices
    }

    // MARK: - Sink events

    /// A new publish that will call `begin/append/end` with the returned id.
    mutating func attachPublish() -> Int {
        let id = nextPublishID
        nextPublishID += 1
        attachedPublishes.insert(id)
        awaitingReconnect = nil
        return id
    }

    mutating func begin(tracks descriptions: [TrackDescription], publish: Int, nowMs: Int64) {
        // A takeover or quick reconnect: the old publish's pipeline may still be flushing when
        // the new one starts. Only the newest publish declares tracks.
        guard publish >= newestBegunPublish else {
            counters.staleDeclarations += 1
            notices.append("tracks of a superseded publish ignored")
            return
        }
        newestBegunPublish = publish
        // A publisher back after the stream ended continues it (after a discontinuity).
        state = .live
        closeEpoch(nowMs: nowMs)
        var tracks: [Epoch.Track] = []
        var names = Set<String>()
        let reserved: Set<String> = [config.naming.masterPlaylist, config.naming.manifest]
        for description in descriptions {
            let name = description.name
            var valid = StorePath.isValidComponent(name) && !reserved.contains(name) && !names.contains(name)
            if let existing = renditions[name], existing.isVideo != description.isVideo {
                valid = false
            }
            var initBytes: [UInt8] = []
            if valid {
                do {
                    initBytes = try CMAFInitSegment.make(for: description)
                } catch {
                    notices.append("track \(name): cannot package (\(error))")
                    valid = false
                }
            } else {
                notices.append("track \(name): invalid or duplicate rendition name")
            }
            names.insert(name)
            guard valid else {
                counters.invalidTracks += 1
                // Keep the position so track indexes still match; the track is never active.
                var placeholder = Epoch.Track(
                    name: name, isVideo: description.isVideo, status: .absent,
                    segmenter: TrackSegmenter(
                        description: description, segmentSeconds: config.segmentSeconds, floorTicks: 0))
                placeholder.segmenter.abandon()
                tracks.append(placeholder)
                continue
            }
            var rendition = prepareRendition(description)
            if initBytes != rendition.initBytes {
                rendition.initVersion += 1
                rendition.initBytes = initBytes
                rendition.storedInitVersions.insert(rendition.initVersion)
                rendition.descriptionsByInitVersion[rendition.initVersion] = description
                actions.append(
                    .put(
                        path: initPath(name, version: rendition.initVersion), bytes: initBytes,
                        kind: .initSegment(description.isVideo ? .video : .audio)))
            }
            renditions[name] = rendition
            tracks.append(
                Epoch.Track(
                    name: name, isVideo: description.isVideo, status: .active,
                    segmenter: TrackSegmenter(
                        description: description, segmentSeconds: config.segmentSeconds,
                        floorTicks: rendition.floorTicks, partSeconds: config.partSeconds,
                        partTargetSeconds: config.partTargetSeconds)))
        }
        epoch = Epoch(tracks: tracks, startIndex: nextIndex, segmentSeconds: config.segmentSeconds)
        epochPublish = publish
    }

    mutating func append(_ sample: EncodedSample, track: Int, publish: Int, nowMs: Int64) {
        guard var current = epoch, epochPublish == publish else {
            counters.samplesWithoutPublish += 1
            return
        }
        epoch = nil
        let before = current.publicationState
        current.append(sample, track: track, previousEndSeconds: previousEndSeconds)
        let wroteParts = writeReadyParts(in: &current)
        if current.publicationState != before {
            publishReady(&current, nowMs: nowMs)
        }
        epoch = current
        if wroteParts {
            // A part changes the media playlists only (the master and the MPD follow segments).
            let pending = pendingParts()
            let files = renderMediaPlaylists(pending: pending)
            if !files.isEmpty {
                actions.append(
                    .publishManifests(files: files, state: state, progress: playlistProgress(pending: pending)))
            }
        }
    }

    /// `publish`'s samples from grid index `grid` on are a slate (published, not recorded).
    mutating func slateBegins(publish: Int, grid: Int64) {
        guard epochPublish == publish else { return }
        epoch?.slateFromGrid = grid
    }

    /// The publisher left but may come back: everything buffered is published, the stream stays live.
    mutating func interrupt(nowMs: Int64) {
        closeEpoch(nowMs: nowMs)
    }

    /// `publish` is over. Its open segments are closed and published; the stream ends
    /// (EXT-X-ENDLIST, static MPD) unless another publish is attached (a takeover in progress),
    /// or, when its publisher `vanished`, until `expire(publish:)` (a reconnect continues it).
    mutating func end(publish: Int, nowMs: Int64, vanished: Bool = false) {
        attachedPublishes.remove(publish)
        if epochPublish == publish || attachedPublishes.isEmpty {
            closeEpoch(nowMs: nowMs)
        }
        guard attachedPublishes.isEmpty else { return }
        if vanished, state == .live, publish >= newestBegunPublish {
            awaitingReconnect = publish
            return
        }
        finishStream(nowMs: nowMs)
    }

    /// The reconnect grace of `publish` is over: the stream ends unless a publish came back.
    mutating func expire(publish: Int, nowMs: Int64) {
        guard awaitingReconnect == publish, attachedPublishes.isEmpty else { return }
        finishStream(nowMs: nowMs)
    }

    private mutating func finishStream(nowMs: Int64) {
        awaitingReconnect = nil
        state = .ended
        publishManifests(nowMs: nowMs)
        actions.append(.recordEnd)
    }

    // MARK: - Epochs and publication

    private var previousEndSeconds: Double {
        renditions.values.map(\.floorSeconds).max() ?? 0
    }

    private static func drops(_ epoch: Epoch) -> Int {
        epoch.droppedSamples + epoch.tracks.reduce(0) { $0 + $1.segmenter.droppedSamples }
    }

    private mutating func prepareRendition(_ description: TrackDescription) -> RenditionState {
        let timescale = UInt32(clamping: max(1, description.timescale))
        guard var rendition = renditions[description.name] else {
            renditionOrder.append(description.name)
            return RenditionState(
                name: description.name, description: description,
                fragmenter: CMAFFragmenter(timescale: timescale, isVideo: description.isVideo))
        }
        if rendition.fragmenter.timescale != timescale {
            // Same rendition, new timescale: keep the end position (rounded up) and the fragment numbers.
            let seconds = rendition.floorSeconds
            rendition.floorTicks = Int64((seconds * Double(timescale)).rounded(.up))
            rendition.fragmenter = CMAFFragmenter(
                timescale: timescale, isVideo: description.isVideo,
                firstSequenceNumber: rendition.fragmenter.nextSequenceNumber)
        }
        rendition.description = description
        return rendition
    }

    /// Closes the open epoch (if any) and publishes what it completed.
    private mutating func closeEpoch(nowMs: Int64) {
        guard var current = epoch else { return }
        epoch = nil
        epochPublish = nil
        close(&current, nowMs: nowMs)
    }

    private mutating func close(_ current: inout Epoch, nowMs: Int64) {
        current.close(previousEndSeconds: previousEndSeconds)
        publishReady(&current, nowMs: nowMs)
        // Whatever could not be matched across tracks is dropped (cannot happen once all are closed).
        for index in current.tracks.indices where !current.tracks[index].segmenter.completed.isEmpty {
            current.tracks[index].segmenter.abandon()
        }
        counters.timestampJumps += current.tracks.reduce(0) { $0 + $1.segmenter.jumps }
        closedEpochDrops += Self.drops(current)
        if let highest = current.highestIndex {
            nextIndex = max(nextIndex, highest + 1)
        }
    }

    private mutating func publishReady(_ current: inout Epoch, nowMs: Int64) {
        var didPublish = false
        while true {
            if let group = current.nextPublishable() {
                publish(group, epoch: &current, nowMs: nowMs)
                didPublish = true
                continue
            }
            // Live tracks run in real time, so a track segments behind is broken; offline (VOD)
            // encoders may legitimately run far apart, so only memory bounds the wait there.
            let live = config.mode == .live
            let dropped = current.dropLaggingTracks(
                lagLimit: live ? max(5, config.windowSegments) : 1000, startLimit: live ? 3 : 1000)
            guard !dropped.isEmpty else { break }
            counters.droppedTracks += dropped.count
            notices.append("tracks \(dropped.joined(separator: ", ")) fell behind and left this publish")
        }
        if didPublish {
            publishManifests(nowMs: nowMs)
        }
    }

    private mutating func publish(
        _ group: [(track: Int, segment: TrackSegment)], epoch current: inout Epoch, nowMs: Int64
    ) {
        let number = nextNumber
        nextNumber += 1
        nextIndex = max(nextIndex, (group.map(\.segment.index).max() ?? 0) + 1)
        var isDiscontinuity = !current.hasPublished && number > 1
        var infos: [String: PublishedRendition] = [:]
        var order: [String] = []
        var recorded: [String: RecordedSegment.Rendition] = [:]
        for (trackIndex, segment) in group {
            isDiscontinuity = isDiscontinuity || segment.isDiscontinuity
            let name = current.tracks[trackIndex].name
            guard var rendition = renditions[name], let last = segment.samples.last else { continue }
            if rendition.isVideo { noteListed(last, timescale: rendition.timescale) }
            var segment = segment
            let bytes: [UInt8]
            if config.hasParts {
                writeRemainingParts(of: &segment, rendition: &rendition)
                bytes = Array(segment.writtenParts.map(\.bytes).joined())
            } else {
                bytes = rendition.fragmenter.segment(
                    chunks: [Self.cmafSamples(segment.samples)], segmentIndex: config.segmentIndex)
            }
            actions.append(
                .put(
                    path: segmentPath(name, number: number), bytes: bytes,
                    kind: .mediaSegment(rendition.isVideo ? .video : .audio)))
            let start = max(0, segment.samples.map(\.pts).min() ?? 0)
            let duration = segment.samples.reduce(Int64(0)) { $0 &+ max(0, $1.duration) }
            infos[name] = PublishedRendition(
                startTicks: start, durationTicks: duration, timescale: rendition.timescale, byteCount: bytes.count,
                initVersion: rendition.initVersion, programDateTimeMs: nil,
                parts: segment.writtenParts.map {
                    PublishedPart(uri: $0.uri, durationTicks: $0.durationTicks, isIndependent: $0.isIndependent)
                })
            recorded[name] = RecordedSegment.Rendition(
                track: RecordedTrack(rendition.description), initVersion: rendition.initVersion,
                initBytes: rendition.initBytes, bytes: bytes, startTicks: start, durationTicks: duration)
            rendition.floorTicks = max(rendition.floorTicks, last.end)
            rendition.segmentsPublished += 1
            renditions[name] = rendition
            order.append(name)
        }
        current.hasPublished = true
        current.cuts.prune(below: nextIndex - 1)
        let referenceName =
            current.referenceTrack.map { current.tracks[$0].name }.flatMap { infos[$0] == nil ? nil : $0 }
            ?? order.first { renditions[$0]?.isVideo == true } ?? order.first
        guard let referenceName, let reference = infos[referenceName] else { return }
        if isDiscontinuity {
            counters.discontinuities += 1
        }
        let earliestEnd = infos.values.map { $0.startSeconds + $0.durationSeconds }.min() ?? 0
        let periodID = assignPeriod(
            number: number, reference: reference, earliestEndSeconds: earliestEnd, isDiscontinuity: isDiscontinuity,
            nowMs: nowMs)
        let durationMs = Int64((reference.durationSeconds * 1000).rounded())
        if isDiscontinuity || programDateAnchor == nil {
            programDateAnchor = (nowMs - durationMs, reference.startSeconds)
        }
        if config.programDateTime, let anchor = programDateAnchor {
            for name in order {
                guard let info = infos[name] else { continue }
                let offsetMs = ((info.startSeconds - anchor.mediaSeconds) * 1000).rounded()
                infos[name]?.programDateTimeMs = anchor.wallMs + Int64(max(min(offsetMs, 1e15), -1e15))
            }
        }
        let referenceOffsetMs = ((reference.startSeconds - (programDateAnchor?.mediaSeconds ?? 0)) * 1000).rounded()
        let grid = group.lazy.compactMap { $0.segment.samples.first?.segmentStart }.first
        let isSlate = current.slateFromGrid.map { slate in grid.map { $0 >= slate } ?? true } ?? false
        if !isSlate {
            actions.append(
                .record(
                    RecordedSegment(
                        number: number, isDiscontinuity: isDiscontinuity,
                        programDateTimeMs: (programDateAnchor?.wallMs ?? nowMs)
                            + Int64(max(min(referenceOffsetMs, 1e15), -1e15)),
                        renditions: order.compactMap { recorded[$0] })))
        }
        measure(infos, order: order)
        for info in infos.values {
            maxTargetDuration = max(
                maxTargetDuration,
                HLSMediaPlaylist.targetDuration(maxDurationTicks: info.durationTicks, timescale: info.timescale))
        }
        published.append(
            PublishedSegment(
                number: number, isDiscontinuity: isDiscontinuity, periodID: periodID, renditions: infos,
                referenceName: referenceName))
        retireParts()
        slideWindow()
    }

    private mutating func publishManifests(nowMs: Int64) {
        let pending = pendingParts()
        actions.append(
            .publishManifests(
                files: renderManifests(nowMs: nowMs, pending: pending), state: state,
                progress: playlistProgress(pending: pending)))
    }
}
