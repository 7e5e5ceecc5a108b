import LadderFFmpeg
import LadderMedia
import LadderProfile
import Logging

/// Messages to a rung or audio thread.
enum StageInput<Payload: Sendable>: Sendable {
    /// The sink declared the tracks; this stage's samples go to `track`.
    case start(track: Int)
    case payload(Payload)
}

/// One decoded picture for a rung: a frame reference of its own plus the source timing.
struct RungPicture: Sendable {
    var frame: FrameHandoff
    var ptsMilliseconds: Int64
    /// Grid index of the segment this picture starts (an IDR on every rung), or nil.
    var segmentStart: Int64?
}

/// The thread of one transcoded video rung: scale (libswscale) then encode (libx264, libx265,
/// libvpx-vp9, libaom-av1 or a hardware encoder).
final class VideoRungWorker: Sendable {
    let rendition: PlannedRendition
    let queue: BlockingQueue<StageInput<RungPicture>>
    /// The rung's track description once its encoder is open (or why it could not open).
    let setup = OneShot<Result<TrackDescription, TranscodeError>>()
    private let thread: WorkerThread

    init(
        rendition: PlannedRendition, settings: VideoEncoderSettings, sink: any EncodedMediaSink,
        stats: StatsCollector, logger: Logger, queueCapacity: Int, thumbnailWidth: Int = 0
    ) {
        self.rendition = rendition
        let queue = BlockingQueue<StageInput<RungPicture>>(capacity: queueCapacity)
        self.queue = queue
        let setup = self.setup
        thread = WorkerThread(name: "rung-\(rendition.name)") {
            // A failing rung cancels its queue (defer) so the decode thread never blocks on it.
            defer { queue.cancel() }
            let encoder: VideoRungEncoder
            do {
                encoder = try VideoRungEncoder(
                    rendition: rendition, settings: settings, sink: sink, stats: stats, logger: logger,
                    thumbnailWidth: thumbnailWidth)
                setup.fulfil(.success(encoder.trackDescription))
            } catch {
                setup.fulfil(.failure(TranscodeError(error)))
                return
            }
            encoder.run(queue)
        }
    }

    func join() { thread.join() }
}

/// The non-Sendable state of a rung, created and used on the rung's own thread only.
private final class VideoRungEncoder {
    let rendition: PlannedRendition
    let settings: VideoEncoderSettings
    let trackDescription: TrackDescription
    private let encoder: VideoEncoder
    private let sink: any EncodedMediaSink
    private let stats: StatsCollector
    private let logger: Logger
    private var scaler: Scaler?
    private var scaled: Frame?
    private var limiter: FrameRateLimiter
    private var track: Int?
    /// Held back one packet so its duration can come from the next decode time.
    private var held: EncodedSample?
    private var lastDuration: Int64
    /// The codec record and how a packet becomes a sample.
    private let format: VideoSampleFormat
    /// Segment starts by input pts (90 kHz) until the encoder outputs their forced IDRs.
    private var pendingSegmentStarts: [Int64: Int64] = [:]
    /// When each picture (by pts) went into the encoder, until its packet comes out.
    private var submitted: [Int64: ContinuousClock.Instant] = [:]
    /// 0: this rung makes no thumbnails; else their largest width (`StreamTranscoder.Options`).
    private let thumbnailWidth: Int
    private var thumbnails: JPEGEncoder?
    private var thumbnailsFailed = false

    init(
        rendition: PlannedRendition, settings: VideoEncoderSettings, sink: any EncodedMediaSink,
        stats: StatsCollector, logger: Logger, thumbnailWidth: Int
    ) throws {
        self.thumbnailWidth = thumbnailWidth
        self.rendition = rendition
        self.sink = sink
        self.stats = stats
        self.logger = logger
        encoder = try Self.openEncoder(settings, rendition: rendition, logger: logger)
        self.settings = encoder.settings
        format = try encoder.sampleFormat()
        trackDescription = TrackDescription(
            name: rendition.name,
            media: .video(
                width: settings.width, height: settings.height, frameRate: rendition.frameRate,
                sampleAspectNum: settings.sampleAspectNum, sampleAspectDen: settings.sampleAspectDen),
            codec: TrackCodec(format.codec), codecString: format.codecString,
            timescale: Int(MediaTiming.videoTimescale), decoderConfig: format.decoderConfig,
            targetBitrate: settings.bitrate, peakBitrate: settings.maxrate)
        limiter = FrameRateLimiter(maxFrameRate: rendition.maxFrameRate, sourceFrameRate: nil)
        lastDuration = Int64((Double(MediaTiming.videoTimescale) / max(1, settings.frameRate)).rounded())
        stats.registerRung(
            name: rendition.name, isCopy: false, width: settings.width, height: settings.height,
            timescale: Int(MediaTiming.videoTimescale), codecString: format.codecString)
    }

    func run(_ queue: BlockingQueue<StageInput<RungPicture>>) {
        while let input = queue.pop() {
            switch input {
            case .start(let track):
                self.track = track
            case .payload(let picture):
                guard track != nil else { continue }
                guard limiter.admits(pts: picture.ptsMilliseconds, startsSegment: picture.segmentStart != nil) else {
                    stats.rungEvent(name: rendition.name) { $0.rendition.decimatedFrames += 1 }
                    continue
                }
                do {
                    try encode(picture)
                } catch {
                    logger.error("rung \(rendition.name) failed: \(TranscodeError(error))")
                    stats.rungEvent(name: rendition.name) { $0.rendition.droppedFrames += 1 }
                    return
                }
            }
        }
        guard !queue.isCancelled, track != nil else { return }
        do {
            try encoder.encode(nil) { try emit($0) }
        } catch {
            logger.error("rung \(rendition.name) flush failed: \(TranscodeError(error))")
        }
        if var last = held {
            last.duration = lastDuration
            deliver(last)
            held = nil
        }
    }

    /// A hardware encoder that does not open (no device, no driver) is said once, with FFmpeg's
    /// reason, and the rung is encoded in software instead.
    private static func openEncoder(
        _ settings: VideoEncoderSettings, rendition: PlannedRendition, logger: Logger
    ) throws -> VideoEncoder {
        guard settings.coding.isHardware else { return try VideoEncoder(settings: settings) }
        do {
            return try VideoEncoder(settings: settings)
        } catch {
            var software = settings
            software.coding = VideoCoding(codec: settings.coding.codec).resolved
            logger.error(
                "rung \(rendition.name): \(settings.coding.encoder) did not open (\(error)); encoding with \(software.coding.encoder) instead"
            )
            return try VideoEncoder(settings: software)
        }
    }

    private func encode(_ picture: RungPicture) throws {
        let started = ContinuousClock.now
        let source = picture.frame.take()
        let input: Frame
        if source.width == settings.width && source.height == settings.height && source.isYUV420P {
            input = source
        } else {
            input = try scale(source)
        }
        input.pts = MediaTiming.ticks90k(fromMilliseconds: picture.ptsMilliseconds)
        input.setForcedKeyframe(picture.segmentStart != nil)
        if let segment = picture.segmentStart { pendingSegmentStarts[input.pts ?? 0] = segment }
        submitted[input.pts ?? 0] = started
        try encoder.encode(input) { try emit($0) }
        // After the encoder has the picture (it only reads it): the IDR is not delayed.
        if picture.segmentStart != nil, thumbnailWidth > 0, !thumbnailsFailed { makeThumbnail(of: input) }
        let seconds = (ContinuousClock.now - started).seconds
        stats.rungEvent(name: rendition.name) { $0.busySeconds += seconds }
    }

    /// A JPEG of a segment's first picture for the stream's thumbnail (a few ms per segment,
    /// on this rung's thread). A failure is logged once and stops the thumbnails, never the rung.
    private func makeThumbnail(of picture: Frame) {
        do {
            if thumbnails == nil {
                let size = JPEGEncoder.size(
                    sourceWidth: settings.width, sourceHeight: settings.height, maxWidth: thumbnailWidth)
                thumbnails = try JPEGEncoder(width: size.width, height: size.height)
            }
            guard let jpeg = try thumbnails?.encode(picture), !jpeg.isEmpty else { return }
            sink.thumbnail(jpeg: jpeg)  // its time counts in the rung's busy time (`encode`)
        } catch {
            logger.warning("thumbnails off for this publish: \(TranscodeError(error))")
            thumbnailsFailed = true
        }
    }

    private func scale(_ source: Frame) throws -> Frame {
        if scaler.map({ !$0.accepts(source) }) ?? true {
            scaler = try Scaler(scaling: source, width: settings.width, height: settings.height)
        }
        let destination: Frame
        if let scaled {
            // The encoder released its reference after the previous frame: no copy happens here.
            try scaled.makeWritable()
            destination = scaled
        } else {
            destination = try Frame()
            try destination.allocateYUV420Picture(width: settings.width, height: settings.height)
            scaled = destination
        }
        try scaler?.scale(source, into: destination)
        return destination
    }

    /// An encoder packet -> a CMAF sample (`VideoSampleFormat.sample`), with its segment start.
    private func emit(_ packet: Packet) throws {
        guard let pts = packet.pts else { return }
        if let entered = submitted.removeValue(forKey: pts) {
            let milliseconds = (ContinuousClock.now - entered).seconds * 1000
            stats.rungEvent(name: rendition.name) { counters in
                let previous = counters.rendition.encoderDelayMilliseconds ?? milliseconds
                counters.rendition.encoderDelayMilliseconds = previous + (milliseconds - previous) / 30
            }
            // B-frames come out after the picture they reference; anything a second older is gone.
            if submitted.count > 64 { submitted = submitted.filter { $0.key > pts - 90000 } }
        }
        // The IDR forced for a segment start carries that start's grid index to the packager.
        var segmentStart: Int64?
        if packet.isKeyframe {
            segmentStart = pendingSegmentStarts.removeValue(forKey: pts)
            pendingSegmentStarts = pendingSegmentStarts.filter { $0.key > pts }
        }
        let sample = EncodedSample(
            decodeTime: packet.dts ?? pts, presentationTime: pts, duration: 0, isSync: packet.isKeyframe,
            data: try format.sample(fromPacket: packet.bytes, isKeyframe: packet.isKeyframe),
            segmentStart: segmentStart)
        if var previous = held {
            let duration = sample.decodeTime - previous.decodeTime
            if duration > 0 { lastDuration = duration }
            previous.duration = duration > 0 ? duration : lastDuration
            deliver(previous)
        }
        held = sample
    }

    private func deliver(_ sample: EncodedSample) {
        guard let track else { return }
        sink.append(sample, track: track)
        stats.rungOutput(name: rendition.name, bytes: sample.data.count, pts: sample.presentationTime)
    }
}
