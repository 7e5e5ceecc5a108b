import LadderFFmpeg
import LadderMedia
import LadderProfile
import Logging

/// The decode thread: takes ingest samples, decodes video once, plans the ladder from the
/// first picture, marks segment-start pictures and fans pictures out to the rung threads.
final class DecodeStage {
    private let profile: Profile
    private let sink: any EncodedMediaSink
    private let logger: Logger
    private let options: StreamTranscoder.Options
    private let planner: StreamTranscoder.Planner
    private let ingest: IngestQueue
    private let stats: StatsCollector
    private let control: PipelineControl

    private var videoConfig: VideoDecoderConfig?
    private var videoRecord: SourceVideoRecord?
    private var decoder: VideoDecoder?
    private var decoderNeedsKeyframe = true
    private var copyNeedsKeyframe = true
    private var audioConfig: AudioDecoderConfig?
    private var epoch: Epoch?
    /// The video configuration changed: at the next picture, keep the epoch only if the output is unchanged.
    private var epochStale = false
    private var boundaries: SegmentBoundaryTracker?
    private var lastPictureMilliseconds: Int64?
    /// Publisher clock restarts (times going backward) re-based per track before anything else.
    private var videoTimes = BackwardJumpCorrector(nominalStep: 33)
    private var audioTimes = BackwardJumpCorrector(nominalStep: 21)
    /// Pictures held while the frame rate is estimated (bounded by `maxHeldPictures`).
    private var heldPictures: [(frame: Frame, pts: Int64)] = []
    /// Media that arrived before the tracks were declared (bounded).
    private var pendingAudio: [AudioAccessUnit] = []
    private var pendingCopy: [VideoAccessUnit] = []
    private let hasCopyRendition: Bool

    static let maxHeldPictures = 8
    static let maxPendingUnits = 256
    /// With no video configuration, audio alone starts the tracks after this many frames (~1 s).
    static let audioOnlyThreshold = 48

    /// One declared set of tracks and the workers producing them.
    private struct Epoch {
        var source: SourceVideo?
        var videoConfig: VideoDecoderConfig?
        var audioConfig: AudioDecoderConfig?
        var rungs: [(worker: VideoRungWorker, alive: Bool)]
        var copy: CopyRung?
        var audio: AudioWorker?
        var audioAlive: Bool
        var cancelHandle: Int
        var needsPictures: Bool { !rungs.isEmpty }
    }

    init(
        profile: Profile, sink: any EncodedMediaSink, logger: Logger, options: StreamTranscoder.Options,
        planner: @escaping StreamTranscoder.Planner, ingest: IngestQueue, stats: StatsCollector,
        control: PipelineControl
    ) {
        self.profile = profile
        self.sink = sink
        self.logger = logger
        self.options = options
        self.planner = planner
        self.ingest = ingest
        self.stats = stats
        self.control = control
        hasCopyRendition = profile.video.renditions.contains { $0.copy }
    }

    func run() {
        // Whatever happens, close the workers' queues and end the sink exactly once.
        defer { finishStage() }
        while let sample = ingest.take() {
            switch sample {
            case .videoConfig(let config): handleVideoConfig(config)
            case .video(let unit): handleVideo(unit)
            case .audioConfig(let config): handleAudioConfig(config)
            case .audio(let unit): handleAudio(unit)
            }
        }
    }

    private func finishStage() {
        let cancelled = control.isCancelled
        if !cancelled {
            drainDecoder()
            if !heldPictures.isEmpty { openEpochForHeldPictures() }
            if epoch == nil && !pendingAudio.isEmpty { startEpoch(source: nil) }
        }
        endEpoch(flush: !cancelled)
        heldPictures = []
        decoder = nil
        sink.end()
    }

    // MARK: Video

    private func handleVideoConfig(_ config: VideoDecoderConfig) {
        guard config != videoConfig else { return }  // a repeated sequence header changes nothing
        drainDecoder()  // pictures of the old configuration belong to the current tracks
        videoConfig = config
        decoder = nil
        decoderNeedsKeyframe = true
        copyNeedsKeyframe = true
        pendingCopy = []
        if epoch != nil { epochStale = true }
        videoRecord = try? SourceVideoRecord(config)
        if videoRecord == nil { logger.warning("unparseable \(config.codec) decoder configuration record") }
        do {
            decoder = try VideoDecoder(codec: config.codec, record: config.record)
        } catch {
            logger.error("cannot open the \(config.codec) decoder: \(error)")
            stats.update { $0.decodeErrors += 1 }
        }
        stats.update { $0.input.videoCodec = config.codec }
    }

    /// The input time after `corrector`; a jump back is counted and logged.
    private func rebase(_ time: Int64, with corrector: inout BackwardJumpCorrector, track: String) -> Int64 {
        let jumpsBefore = corrector.jumps
        let corrected = corrector.correct(time)
        if corrector.jumps > jumpsBefore {
            stats.update { $0.timestampJumps += 1 }
            logger.warning("\(track) timestamps went back to \(time) ms: continuing at \(corrected) ms")
        }
        return corrected
    }

    private func handleVideo(_ input: VideoAccessUnit) {
        var unit = input
        unit.dts = rebase(input.dts, with: &videoTimes, track: "video")
        stats.countInput(bytes: unit.data.count, milliseconds: unit.dts)
        guard videoConfig != nil else {
            stats.update { $0.skippedAccessUnits += 1 }
            return
        }
        if hasCopyRendition { routeCopy(unit) }
        guard let decoder else { return }
        if let epoch, !epochStale, !epoch.needsPictures { return }  // copy rungs only: nothing to decode
        if decoderNeedsKeyframe {
            guard unit.isKeyframe else {
                stats.update { $0.skippedAccessUnits += 1 }
                return
            }
            decoderNeedsKeyframe = false
        }
        do {
            let packet = try Packet(bytes: unit.data, pts: unit.pts, dts: unit.dts, isKeyframe: unit.isKeyframe)
            try decoder.decode(packet) { handlePicture($0) }
        } catch {
            // Corrupt input: count it and resume at the next keyframe; the stream continues.
            logger.debug("decode error at \(unit.dts) ms: \(error)")
            stats.update { $0.decodeErrors += 1 }
            decoderNeedsKeyframe = true
        }
    }

    private func routeCopy(_ unit: VideoAccessUnit) {
        if copyNeedsKeyframe {
            guard unit.isKeyframe else { return }
            copyNeedsKeyframe = false
        }
        if !epochStale, epoch?.copy != nil {
            // In place: a copy of the epoch would retain every field and copy the rung's held sample.
            epoch!.copy!.append(unit, sink: sink, stats: stats)
        } else {
            if pendingCopy.count >= Self.maxPendingUnits { pendingCopy.removeFirst() }
            pendingCopy.append(unit)
        }
    }

    private func drainDecoder() {
        guard let decoder else { return }
        do {
            try decoder.decode(nil) { handlePicture($0) }
        } catch {
            stats.update { $0.decodeErrors += 1 }
        }
        decoder.reset()
        if !heldPictures.isEmpty { openEpochForHeldPictures() }
    }

    private func handlePicture(_ frame: Frame) {
        guard let pts = frame.pts else { return }
        if let last = lastPictureMilliseconds, pts <= last {
            stats.update { $0.skippedAccessUnits += 1 }  // non-increasing time: x264 cannot take it
            return
        }
        if frame.isCorrupt {
            stats.update { $0.decodeErrors += 1 }
            decoderNeedsKeyframe = true
            return
        }
        lastPictureMilliseconds = pts
        stats.update { $0.framesDecoded += 1 }
        if epoch == nil || epochStale {
            heldPictures.append((frame, pts))
            let span = pts - heldPictures[0].pts
            if decoder?.signalledFrameRate != nil || heldPictures.count >= Self.maxHeldPictures || span >= 500 {
                openEpochForHeldPictures()
            }
            return
        }
        forward(frame, pts: pts)
    }

    /// Plans (or keeps) the tracks from the held pictures, then forwards them.
    private func openEpochForHeldPictures() {
        guard let first = heldPictures.first?.frame else { return }
        let frameRate =
            decoder?.signalledFrameRate ?? MediaTiming.estimateFrameRate(presentationTimes: heldPictures.map(\.pts))
        let aspect = first.sampleAspect
        let source = SourceVideo(
            width: first.width, height: first.height, frameRate: frameRate, sampleAspectNum: aspect.num,
            sampleAspectDen: aspect.den)
        if let current = epoch, epochStale {
            let sameOutput =
                current.copy == nil && current.source.map { sameGeometry($0, source) } ?? false
                && current.audioConfig == audioConfig
            if sameOutput {
                epoch?.videoConfig = videoConfig
            } else {
                endEpoch(flush: true)
            }
            epochStale = false
        }
        if epoch == nil { startEpoch(source: source) }
        let pictures = heldPictures
        heldPictures = []
        for picture in pictures { forward(picture.frame, pts: picture.pts) }
    }

    private func sameGeometry(_ lhs: SourceVideo, _ rhs: SourceVideo) -> Bool {
        lhs.width == rhs.width && lhs.height == rhs.height && lhs.sampleAspect == rhs.sampleAspect
    }

    private func forward(_ frame: Frame, pts: Int64) {
        guard var epoch else { return }
        if boundaries == nil {
            boundaries = SegmentBoundaryTracker(originMilliseconds: pts, segmentSeconds: profile.segmentSeconds)
        }
        let startsSegment = boundaries?.startsSegment(pts: pts) ?? false
        for index in epoch.rungs.indices where epoch.rungs[index].alive {
            let worker = epoch.rungs[index].worker
            let result: BlockingQueue<StageInput<RungPicture>>.PushResult
            do {
                let reference = try frame.reference()
                result = worker.queue.push(
                    .payload(
                        RungPicture(frame: FrameHandoff(reference), ptsMilliseconds: pts, startsSegment: startsSegment))
                )
            } catch {
                result = .closed
            }
            switch result {
            case .pushed: break
            case .pushedAfterWaiting:
                stats.rungEvent(name: worker.rendition.name) { $0.rendition.lateFrames += 1 }
            case .closed:
                epoch.rungs[index].alive = false
                stats.rungEvent(name: worker.rendition.name) { $0.rendition.droppedFrames += 1 }
            }
        }
        self.epoch = epoch
    }

    // MARK: Audio

    private func handleAudioConfig(_ config: AudioDecoderConfig) {
        guard config != audioConfig else { return }
        audioConfig = config
        stats.update { $0.input.audioCodec = config.codec }
        guard profile.audio != nil, let current = epoch else { return }
        if current.audioConfig != config {
            // The audio track appears or changes: declare the tracks again at the next picture.
            endEpoch(flush: true)
            if videoConfig == nil { pendingAudio = [] }
        }
    }

    private func handleAudio(_ input: AudioAccessUnit) {
        var unit = input
        unit.pts = rebase(input.pts, with: &audioTimes, track: "audio")
        stats.countInput(bytes: unit.data.count, milliseconds: unit.pts)
        guard audioConfig != nil, profile.audio != nil else { return }
        if let audio = epoch?.audio {
            guard epoch?.audioAlive == true else { return }
            if audio.push(.payload(unit)) == .closed {
                epoch?.audioAlive = false
            }
            return
        }
        if epoch != nil { return }  // tracks declared without audio
        if pendingAudio.count >= Self.maxPendingUnits { pendingAudio.removeFirst() }
        pendingAudio.append(unit)
        if videoConfig == nil && pendingAudio.count >= Self.audioOnlyThreshold { startEpoch(source: nil) }
    }

    // MARK: Epochs

    private func startEpoch(source: SourceVideo?) {
        let plan = source.map(planner) ?? LadderPlan(renditions: [], skipped: [])
        if let source {
            stats.update {
                $0.input.width = source.width
                $0.input.height = source.height
                $0.input.frameRate = source.frameRate
            }
        }
        for skipped in plan.skipped { logger.info("rendition \(skipped.name) skipped: \(skipped.reason)") }

        var rungs: [VideoRungWorker] = []
        var slots: [TrackSlot] = []
        for rendition in plan.renditions {
            // Registered here, in plan order, so stats list rungs like the tracks.
            stats.registerRung(
                name: rendition.name, isCopy: rendition.isCopy, width: rendition.width, height: rendition.height,
                timescale: Int(MediaTiming.videoTimescale))
            if rendition.isCopy {
                guard let record = videoRecord, let source else {
                    logger.error("copy rendition \(rendition.name) needs a parseable decoder configuration record")
                    continue
                }
                let description = TrackDescription(
                    name: rendition.name,
                    media: .video(
                        width: source.width, height: source.height, frameRate: source.frameRate,
                        sampleAspectNum: source.sampleAspectNum, sampleAspectDen: source.sampleAspectDen),
                    codec: record.codec == .h264 ? .h264 : .hevc, codecString: record.codecString,
                    timescale: Int(MediaTiming.videoTimescale), decoderConfig: record.publishedRecord,
                    targetBitrate: nil)
                slots.append(TrackSlot(copy: description, record: record, worker: nil))
            } else {
                let worker = VideoRungWorker(
                    rendition: rendition, settings: encoderSettings(rendition, source: source), sink: sink,
                    stats: stats, logger: logger, queueCapacity: options.stageQueueCapacity)
                rungs.append(worker)
                slots.append(TrackSlot(copy: nil, record: nil, worker: worker))
            }
        }
        var audio: AudioWorker?
        if let spec = profile.audio, let config = audioConfig {
            audio = AudioWorker(
                config: config, spec: spec, sink: sink, stats: stats, logger: logger,
                queueCapacity: max(options.stageQueueCapacity * 4, 32))
        }

        // Collect descriptions in plan order; a rung whose encoder failed to open is left out.
        var tracks: [TrackDescription] = []
        var liveRungs: [(worker: VideoRungWorker, alive: Bool)] = []
        var copy: CopyRung?
        var starts: [(VideoRungWorker, Int)] = []
        for slot in slots {
            if let description = slot.copy, let record = slot.record {
                copy = CopyRung(
                    name: description.name, track: tracks.count, record: record, frameRate: source?.frameRate)
                tracks.append(description)
            }
            if let worker = slot.worker {
                switch worker.setup.wait() {
                case .success(let description):
                    starts.append((worker, tracks.count))
                    tracks.append(description)
                    liveRungs.append((worker, true))
                case .failure(let error):
                    logger.error("rendition \(worker.rendition.name) disabled: \(error)")
                    liveRungs.append((worker, false))
                }
            }
        }
        var audioAlive = false
        var audioTrack: Int?
        if let audio {
            switch audio.setup.wait() {
            case .success(let description):
                audioTrack = tracks.count
                tracks.append(description)
                audioAlive = true
            case .failure(let error):
                logger.error("audio disabled: \(error)")
            }
        }

        sink.begin(tracks: tracks)
        stats.update { $0.trackDeclarations += 1 }
        logger.info(
            "tracks: \(tracks.map { "\($0.name) \($0.codecString)" }.joined(separator: ", "))")
        for (worker, track) in starts { worker.queue.push(.start(track: track)) }
        if let audio, let audioTrack { _ = audio.push(.start(track: audioTrack)) }

        let queues = rungs.map(\.queue)
        let audioWorker = audio
        let handle = control.onCancel {
            for queue in queues { queue.cancel() }
            audioWorker?.cancel()
        }
        epoch = Epoch(
            source: source, videoConfig: videoConfig, audioConfig: audio == nil ? nil : audioConfig,
            rungs: liveRungs, copy: copy, audio: audio, audioAlive: audioAlive, cancelHandle: handle)
        epochStale = false

        let audioBacklog = pendingAudio
        pendingAudio = []
        for unit in audioBacklog { handleAudio(unit) }
        let copyBacklog = pendingCopy
        pendingCopy = []
        if copy != nil {
            copyNeedsKeyframe = true
            for unit in copyBacklog { routeCopy(unit) }
        }
    }

    /// A planned track: a copy rung (description known at once) or a rung worker opening its encoder.
    private struct TrackSlot {
        var copy: TrackDescription?
        var record: SourceVideoRecord?
        var worker: VideoRungWorker?
    }

    private func encoderSettings(_ rendition: PlannedRendition, source: SourceVideo?) -> VideoEncoderSettings {
        let frameRate = rendition.frameRate ?? source?.frameRate ?? 30
        // Twice the segment: x264 never places an IDR of its own before the forced ones.
        let interval = max(
            Int((2 * profile.segmentSeconds * frameRate).rounded(.up)), rendition.keyframeIntervalFrames ?? 0, 2)
        return VideoEncoderSettings(
            width: rendition.width, height: rendition.height, frameRate: frameRate,
            sampleAspectNum: rendition.sampleAspectNum, sampleAspectDen: rendition.sampleAspectDen,
            bitrate: rendition.bitrate ?? 1_000_000, maxrate: rendition.maxrate, bufsize: rendition.bufsize,
            preset: rendition.preset.isEmpty ? profile.video.preset : rendition.preset, profile: rendition.profile,
            level: rendition.level, keyframeInterval: interval)
    }

    /// Closes (flush) or cancels the workers' queues, waits for the threads, forgets the epoch.
    private func endEpoch(flush: Bool) {
        guard var current = epoch else { return }
        epoch = nil
        for rung in current.rungs {
            if flush { rung.worker.queue.close() } else { rung.worker.queue.cancel() }
        }
        if flush { current.audio?.close() } else { current.audio?.cancel() }
        if flush { current.copy?.flush(sink: sink, stats: stats) }
        for rung in current.rungs { rung.worker.join() }
        current.audio?.join()
        control.removeHandler(current.cancelHandle)
        copyNeedsKeyframe = true
    }
}
