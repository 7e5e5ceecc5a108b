import Foundation
import LadderFFmpeg
import LadderMedia
import LadderProfile
import Logging

/// The decode thread: takes ingest samples, decodes video once, plans the ladder from the
/// first picture, marks segment-start pictures and fans pictures out to the rung threads.
final class DecodeStage {
    let profile: Profile
    let sink: any EncodedMediaSink
    let logger: Logger
    let options: StreamTranscoder.Options
    let planner: StreamTranscoder.Planner
    let ingest: IngestQueue
    let stats: StatsCollector
    let control: PipelineControl

    var videoConfig: VideoDecoderConfig?
    var videoRecord: SourceVideoRecord?
    var decoder: VideoDecoder?
    var decoderNeedsKeyframe = true
    var copyNeedsKeyframe = true
    var audioConfig: AudioDecoderConfig?
    var epoch: Epoch?
    /// The video configuration changed: at the next picture, keep the epoch only if the output is unchanged.
    var epochStale = false
    /// The ladder's one decision of where segments start (every rung forces its IDRs there), on
    /// the publish's grid from its first video keyframe (the copy rung shares that grid).
    var boundaries: SegmentBoundaryTracker?
    var lastPictureMilliseconds: Int64?
    /// Publisher clock restarts (times going backward) re-based per track before anything else.
    var videoTimes = BackwardJumpCorrector(nominalStep: 33)
    var audioTimes = BackwardJumpCorrector(nominalStep: 21)
    /// Pictures held while the frame rate is estimated (bounded by `maxHeldPictures`).
    var heldPictures: [(frame: Frame, pts: Int64)] = []
    /// Media that arrived before the tracks were declared (bounded).
    var pendingAudio: [AudioAccessUnit] = []
    var pendingCopy: [VideoAccessUnit] = []
    let hasCopyRendition: Bool
    /// The last picture sent to the rungs, which a slate repeats.
    var lastForwarded: (frame: Frame, pts: Int64)?

    static let maxHeldPictures = 8
    static let maxPendingUnits = 256
    /// With no video configuration, audio alone starts the tracks after this many frames (~1 s).
    static let audioOnlyThreshold = 48

    /// One declared set of tracks and the workers producing them.
    struct Epoch {
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
        if control.slateDeadline != nil {
            drainDecoder()
            runSlate()
        }
    }

    func finishStage() {
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

    func handleVideoConfig(_ config: VideoDecoderConfig) {
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
    func rebase(_ time: Int64, with corrector: inout BackwardJumpCorrector, track: String) -> Int64 {
        let jumpsBefore = corrector.jumps
        let corrected = corrector.correct(time)
        if corrector.jumps > jumpsBefore {
            stats.update { $0.timestampJumps += 1 }
            logger.warning("\(track) timestamps went back to \(time) ms: continuing at \(corrected) ms")
        }
        return corrected
    }

    func handleVideo(_ input: VideoAccessUnit) {
        var unit = input
        unit.dts = rebase(input.dts, with: &videoTimes, track: "video")
        stats.countVideoInput(
            bytes: unit.data.count, dts: unit.dts, pts: unit.pts, isKeyframe: unit.isKeyframe,
            wallMilliseconds: Int64(Date().timeIntervalSince1970 * 1000))
        guard videoConfig != nil else {
            stats.update { $0.skippedAccessUnits += 1 }
            return
        }
        if boundaries == nil, unit.isKeyframe {
            boundaries = SegmentBoundaryTracker(
                grid: SegmentGrid(originMilliseconds: unit.pts, segmentSeconds: profile.segmentSeconds))
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

    func routeCopy(_ unit: VideoAccessUnit) {
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

    func drainDecoder() {
        guard let decoder else { return }
        do {
            try decoder.decode(nil) { handlePicture($0) }
        } catch {
            stats.update { $0.decodeErrors += 1 }
        }
        decoder.reset()
        if !heldPictures.isEmpty { openEpochForHeldPictures() }
    }

    func handlePicture(_ frame: Frame) {
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
    func openEpochForHeldPictures() {
        guard let first = heldPictures.first?.frame else { return }
        let frameRate =
            decoder?.signalledFrameRate ?? MediaTiming.estimateFrameRate(presentationTimes: heldPictures.map(\.pts))
        let aspect = first.sampleAspect
        let source = SourceVideo(
            width: first.width, height: first.height, frameRate: frameRate, sampleAspectNum: aspect.num,
            sampleAspectDen: aspect.den, codec: decoder?.codec ?? .h264)
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

    func sameGeometry(_ lhs: SourceVideo, _ rhs: SourceVideo) -> Bool {
        lhs.width == rhs.width && lhs.height == rhs.height && lhs.sampleAspect == rhs.sampleAspect
    }

    /// Returns the segment-start mark it gave the picture (nil: none).
    @discardableResult
    func forward(_ frame: Frame, pts: Int64) -> Int64? {
        guard var epoch else { return nil }
        lastForwarded = (frame, pts)  // the decoder hands out a new Frame per picture: kept as is
        let segmentStart = boundaries?.startsSegment(pts: pts)
        for index in epoch.rungs.indices where epoch.rungs[index].alive {
            let worker = epoch.rungs[index].worker
            let result: BlockingQueue<StageInput<RungPicture>>.PushResult
            do {
                let reference = try frame.reference()
                result = worker.queue.push(
                    .payload(
                        RungPicture(frame: FrameHandoff(reference), ptsMilliseconds: pts, segmentStart: segmentStart))
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
        return segmentStart
    }

    // MARK: Audio

    func handleAudioConfig(_ config: AudioDecoderConfig) {
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

    func handleAudio(_ input: AudioAccessUnit) {
        var unit = input
        unit.pts = rebase(input.pts, with: &audioTimes, track: "audio")
        stats.countInput(bytes: unit.data.count, milliseconds: unit.pts)
        guard audioConfig != nil, profile.audio != nil else { return }
        if let audio = epoch?.audio {
            guard epoch?.audioAlive == true else { return }
            if audio.push(.payload(.unit(unit))) == .closed {
                epoch?.audioAlive = false
            }
            return
        }
        if epoch != nil { return }  // tracks declared without audio
        if pendingAudio.count >= Self.maxPendingUnits { pendingAudio.removeFirst() }
        pendingAudio.append(unit)
        if videoConfig == nil && pendingAudio.count >= Self.audioOnlyThreshold { startEpoch(source: nil) }
    }
}
