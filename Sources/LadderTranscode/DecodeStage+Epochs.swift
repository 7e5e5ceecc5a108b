import LadderFFmpeg
import LadderMedia
import LadderProfile
import Logging

/// Epochs: the tracks a source geometry gets (rung workers, copy rung, audio), built and torn down.
extension DecodeStage {
    // MARK: Epochs

    func startEpoch(source: SourceVideo?) {
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
                timescale: Int(MediaTiming.videoTimescale), codec: rendition.coding.codec.rawValue,
                codecString: rendition.isCopy ? videoRecord?.codecString : nil)
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
                    codec: TrackCodec(record.codec), codecString: record.codecString,
                    timescale: Int(MediaTiming.videoTimescale), decoderConfig: record.publishedRecord,
                    targetBitrate: nil)
                slots.append(TrackSlot(copy: description, record: record, worker: nil))
            } else {
                // The first transcoded rung is the top one (the plan lists them largest first).
                let worker = VideoRungWorker(
                    rendition: rendition, settings: encoderSettings(rendition, source: source), sink: sink,
                    stats: stats, logger: logger, queueCapacity: options.stageQueueCapacity,
                    thumbnailWidth: rungs.isEmpty ? options.thumbnailWidth : 0)
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
                    name: description.name, track: tracks.count, record: record, frameRate: source?.frameRate,
                    grid: boundaries?.grid ?? SegmentGrid(segmentSeconds: profile.segmentSeconds))
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
    struct TrackSlot {
        var copy: TrackDescription?
        var record: SourceVideoRecord?
        var worker: VideoRungWorker?
    }

    func encoderSettings(_ rendition: PlannedRendition, source: SourceVideo?) -> VideoEncoderSettings {
        RungEncoding.settings(rendition, profile: profile, source: source)
    }

    /// Closes (flush) or cancels the workers' queues, waits for the threads, forgets the epoch.
    func endEpoch(flush: Bool) {
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
