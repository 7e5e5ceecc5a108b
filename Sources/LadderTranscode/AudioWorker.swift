import LadderFFmpeg
import LadderMedia
import LadderProfile
import Logging

/// One AAC rendition shared by all rungs. Passed through when the input already matches the
/// profile: that only re-stamps timestamps, so it runs inline on the caller's (decode) thread
/// and costs no thread hop per frame. Otherwise decoded, resampled and re-encoded on an audio
/// thread behind a bounded queue.
final class AudioWorker: @unchecked Sendable {
    typealias Input = StageInput<AudioInput>

    let setup = OneShot<Result<TrackDescription, TranscodeError>>()
    /// Transcoding: the audio thread and its queue. Nil when passing through.
    private let threaded: (queue: BlockingQueue<Input>, thread: WorkerThread)?
    /// Passing through: touched only by the thread that calls `push`/`close` (the decode thread).
    private let inline: AudioPath?
    private var inlineClosed = false

    init(
        config: AudioDecoderConfig, spec: AudioSpec, sink: any EncodedMediaSink, stats: StatsCollector,
        logger: Logger, queueCapacity: Int
    ) {
        let setup = self.setup
        let passThrough = Self.canPassThrough(config, spec: spec)
        // Opens the path and reports the outcome through `setup`; nil when it failed.
        let open = { @Sendable () -> AudioPath? in
            do {
                let path = try AudioPath(
                    config: config, spec: spec, passThrough: passThrough, sink: sink, stats: stats, logger: logger)
                setup.fulfil(.success(path.trackDescription))
                return path
            } catch {
                setup.fulfil(.failure(TranscodeError(error)))
                return nil
            }
        }
        if passThrough {
            threaded = nil
            inline = open()
            return
        }
        inline = nil
        let queue = BlockingQueue<Input>(capacity: queueCapacity)
        let thread = WorkerThread(name: "ladder-audio") {
            defer { queue.cancel() }
            guard let path = open() else { return }
            while let input = queue.pop() { path.handle(input) }
            if !queue.isCancelled { path.finish() }
        }
        threaded = (queue, thread)
    }

    /// Hands one input to the audio path (inline, or queued for the audio thread).
    func push(_ input: Input) -> BlockingQueue<Input>.PushResult {
        if let threaded { return threaded.queue.push(input) }
        guard let inline, !inlineClosed else { return .closed }
        inline.handle(input)
        return .pushed
    }

    /// No more input; a transcoding path flushes its encoder.
    func close() {
        if let threaded { threaded.queue.close() } else { inlineClosed = true }
    }

    /// No more input, nothing flushed. Safe from any thread (the inline path is then idle).
    func cancel() {
        threaded?.queue.cancel()
    }

    func join() { threaded?.thread.join() }

    /// Passthrough needs AAC-LC at the profile's rate and channel count (ISO/IEC 14496-3 1.6.2.1).
    static func canPassThrough(_ config: AudioDecoderConfig, spec: AudioSpec) -> Bool {
        guard config.codec == .aac, let asc = try? AudioSpecificConfig(bytes: config.audioSpecificConfig) else {
            return false
        }
        return asc.objectType == 2 && asc.sampleRate == spec.sampleRate && asc.channelCount == spec.channels
    }
}

/// What the audio path is given: the publisher's audio, or (a slate) silence up to a time.
enum AudioInput: Sendable {
    case unit(AudioAccessUnit)
    /// Silence from where the audio stands up to this time (ms, the publish's timeline).
    case silence(untilMilliseconds: Int64)
}

/// Audio state owned by one thread (the audio thread, or the decode thread when passing through).
private final class AudioPath {
    private enum Mode {
        case passthrough(AudioSampleClock)
        case transcode(AudioTranscoder)
    }

    let trackDescription: TrackDescription
    private var mode: Mode
    private let sink: any EncodedMediaSink
    private let stats: StatsCollector
    private let logger: Logger
    private let spec: AudioSpec
    private var track: Int?
    /// Passthrough: where the delivered audio ends (ms), and the encoder of slate silence.
    private var passthroughEndMs: Int64?
    private var silence: SilenceEncoder?
    /// Where the current run of silence frames started (ms) and how many were sent: frame k
    /// starts at an exact sample count from there (no drift from rounding 1024 samples to ms).
    private var silenceRun: (startMs: Int64, frames: Int64)?

    /// - Parameter passThrough: `AudioWorker.canPassThrough(config, spec:)`, decided by the caller.
    init(
        config: AudioDecoderConfig, spec: AudioSpec, passThrough: Bool, sink: any EncodedMediaSink,
        stats: StatsCollector, logger: Logger
    ) throws {
        self.sink = sink
        self.stats = stats
        self.logger = logger
        self.spec = spec
        if passThrough {
            let asc = try AudioSpecificConfig(bytes: config.audioSpecificConfig)
            mode = .passthrough(AudioSampleClock(sampleRate: asc.sampleRate))
            trackDescription = TrackDescription(
                name: StreamTranscoder.audioTrackName,
                media: .audio(sampleRate: asc.sampleRate, channels: spec.channels),
                codec: .aac, codecString: asc.codecString, timescale: asc.sampleRate,
                decoderConfig: config.audioSpecificConfig, targetBitrate: nil)
        } else {
            let transcoder = try AudioTranscoder(config: config, spec: spec)
            let ascBytes = transcoder.audioSpecificConfig
            let asc = try AudioSpecificConfig(bytes: ascBytes)
            mode = .transcode(transcoder)
            trackDescription = TrackDescription(
                name: StreamTranscoder.audioTrackName,
                media: .audio(sampleRate: spec.sampleRate, channels: spec.channels), codec: .aac,
                codecString: asc.codecString, timescale: spec.sampleRate, decoderConfig: ascBytes,
                targetBitrate: spec.bitrate)
        }
        stats.registerRung(
            name: StreamTranscoder.audioTrackName, isCopy: { if case .passthrough = mode { true } else { false } }(),
            width: 0, height: 0, timescale: trackDescription.timescale)
    }

    func handle(_ input: AudioWorker.Input) {
        switch input {
        case .start(let track):
            self.track = track
        case .payload(.silence(let until)):
            guard track != nil else { return }
            do {
                try fillSilence(until: until)
            } catch {
                logger.warning("slate silence failed: \(TranscodeError(error))")
            }
        case .payload(.unit(let unit)):
            guard track != nil else { return }
            switch mode {
            case .passthrough:
                silenceRun = nil
                passThrough(unit.data, atMilliseconds: unit.pts)
            case .transcode(let transcoder):
                do {
                    try transcoder.process(unit) { deliver($0) }
                } catch {
                    // One bad AAC frame must not end the stream's audio.
                    logger.warning("audio frame at \(unit.pts) ms skipped: \(TranscodeError(error))")
                    stats.update { $0.decodeErrors += 1 }
                }
            }
        }
    }

    private func passThrough(_ data: [UInt8], atMilliseconds milliseconds: Int64) {
        guard case .passthrough(var clock) = mode else { return }
        let pts = clock.timestamp(milliseconds: milliseconds)
        mode = .passthrough(clock)
        passthroughEndMs = milliseconds + 1024 * 1000 / Int64(max(1, clock.sampleRate))
        deliver(EncodedSample(decodeTime: pts, presentationTime: pts, duration: 1024, isSync: true, data: data))
    }

    /// Silence up to `until` ms: encoded into the FIFO's stream when transcoding; when passing
    /// through, AAC-LC frames of silence from an encoder of the same rate and channels.
    private func fillSilence(until: Int64) throws {
        switch mode {
        case .transcode(let transcoder):
            try transcoder.silence(untilMilliseconds: until) { deliver($0) }
        case .passthrough(let clock):
            guard let end = passthroughEndMs else { return }
            if silence == nil {
                silence = try SilenceEncoder(
                    sampleRate: clock.sampleRate, channels: spec.channels, bitrate: spec.bitrate)
            }
            var run = silenceRun ?? (end, 0)
            let rate = Int64(max(1, clock.sampleRate))
            func start(_ frame: Int64) -> Int64 { run.startMs + frame * 1024 * 1000 / rate }
            var rounds = 0
            while start(run.frames + 1) <= until, rounds < 64, let silence {
                rounds += 1
                for frame in try silence.frame() {
                    passThrough(frame, atMilliseconds: start(run.frames))
                    run.frames += 1
                }
            }
            silenceRun = run
        }
    }

    /// End of input: the encoder's delayed frames (nothing to do when passing through).
    func finish() {
        guard track != nil, case .transcode(let transcoder) = mode else { return }
        do {
            try transcoder.finish { deliver($0) }
        } catch {
            logger.error("audio flush failed: \(TranscodeError(error))")
        }
    }

    private func deliver(_ sample: EncodedSample) {
        guard let track else { return }
        sink.append(sample, track: track)
        stats.rungOutput(name: StreamTranscoder.audioTrackName, bytes: sample.data.count, pts: sample.presentationTime)
    }
}

/// AAC -> PCM -> (resample) -> 1024-sample frames -> AAC, on the millisecond timeline.
private final class AudioTranscoder {
    private let decoder: AudioDecoder
    private let encoder: AudioEncoder
    private let fifo: AudioFifo
    private var resampler: Resampler?
    private var resamplerInput: (rate: Int, channels: Int)?
    /// Timestamp (1/sampleRate) of the first sample in the FIFO.
    private var fifoStart: Int64?
    private let sampleRate: Int
    private let frameSize: Int
    /// Opus pre-skip (RFC 7845 4.2) at the output rate: the decoder's first samples are the
    /// encoder's priming, so the first frame starts that much before its packet's time.
    private let primingSamples: Int64

    init(config: AudioDecoderConfig, spec: AudioSpec) throws {
        if config.codec == .opus, let head = try? OpusIdentificationHeader(bytes: config.audioSpecificConfig) {
            primingSamples = Int64(head.preSkip) * Int64(spec.sampleRate) / 48000
        } else {
            primingSamples = 0
        }
        decoder = try AudioDecoder(config: config)
        encoder = try AudioEncoder(sampleRate: spec.sampleRate, channels: spec.channels, bitrate: spec.bitrate)
        fifo = try AudioFifo(for: encoder)
        sampleRate = spec.sampleRate
        frameSize = max(1, encoder.frameSize)
    }

    var audioSpecificConfig: [UInt8] { encoder.audioSpecificConfig }

    func process(_ unit: AudioAccessUnit, _ deliver: (EncodedSample) -> Void) throws {
        let packet = try Packet(bytes: unit.data, pts: unit.pts, dts: unit.pts, isKeyframe: true)
        try decoder.decode(packet) { frame in try self.append(frame, deliver) }
    }

    private func append(_ frame: Frame, _ deliver: (EncodedSample) -> Void) throws {
        let input = (rate: frame.sampleRate, channels: frame.channelCount)
        if resampler == nil || resamplerInput.map({ $0 != input }) ?? true {
            if let old = resampler, let tail = try old.convert(nil) { try fifo.write(tail) }
            resampler = try Resampler(from: frame, to: fifo)
            resamplerInput = input
        }
        if let milliseconds = frame.pts {
            let position = MediaTiming.ticks(fromMilliseconds: milliseconds, rate: sampleRate)
            if let start = fifoStart {
                let gap = position - (start + Int64(fifo.count))
                let tolerance = Int64(sampleRate / 10)
                if gap < -tolerance { return }  // overlaps audio already queued: drop it
                if gap > tolerance {
                    if gap <= Int64(sampleRate) * 10 {
                        try fifo.writeSilence(Int(gap))  // fill the hole: the sample count stays continuous
                    } else {
                        try padAndEncode(deliver)
                        fifoStart = position
                    }
                }
            } else {
                fifoStart = position - primingSamples
            }
        }
        if let converted = try resampler?.convert(frame) { try fifo.write(converted) }
        try encodeWholeFrames(deliver)
    }

    private func encodeWholeFrames(_ deliver: (EncodedSample) -> Void) throws {
        while fifo.count >= frameSize, let frame = try fifo.read(frameSize) {
            try encode(frame, deliver)
        }
    }

    private func padAndEncode(_ deliver: (EncodedSample) -> Void) throws {
        if fifo.count % frameSize != 0 { try fifo.writeSilence(frameSize - fifo.count % frameSize) }
        try encodeWholeFrames(deliver)
    }

    private func encode(_ frame: Frame, _ deliver: (EncodedSample) -> Void) throws {
        let start = fifoStart ?? 0
        frame.pts = start
        fifoStart = start + Int64(frame.sampleCount)
        try encoder.encode(frame) { packet in deliver(Self.sample(packet)) }
    }

    private static func sample(_ packet: Packet) -> EncodedSample {
        let pts = packet.pts ?? 0
        return EncodedSample(
            decodeTime: pts, presentationTime: pts, duration: packet.duration, isSync: true, data: packet.bytes)
    }

    /// Silence from the end of what is queued up to `milliseconds` (a slate), encoded.
    func silence(untilMilliseconds milliseconds: Int64, _ deliver: (EncodedSample) -> Void) throws {
        let target = MediaTiming.ticks(fromMilliseconds: milliseconds, rate: sampleRate)
        guard let start = fifoStart else { return }
        let gap = target - (start + Int64(fifo.count))
        guard gap > 0 else { return }
        try fifo.writeSilence(Int(min(gap, Int64(sampleRate) * 10)))
        try encodeWholeFrames(deliver)
    }

    /// Drains decoder, resampler and FIFO (the last frame may be short) and the encoder.
    func finish(_ deliver: (EncodedSample) -> Void) throws {
        try decoder.decode(nil) { frame in try self.append(frame, deliver) }
        if let tail = try resampler?.convert(nil) { try fifo.write(tail) }
        try encodeWholeFrames(deliver)
        if fifo.count > 0, let last = try fifo.read(fifo.count) { try encode(last, deliver) }
        try encoder.encode(nil) { packet in deliver(Self.sample(packet)) }
    }
}

/// AAC-LC frames of silence, for a slate over passed-through audio (same rate and channels,
/// so its frames follow the publisher's in one track: ISO/IEC 14496-3 raw frames).
private final class SilenceEncoder {
    private let encoder: AudioEncoder
    private let fifo: AudioFifo
    private var nextPts: Int64 = 0

    init(sampleRate: Int, channels: Int, bitrate: Int) throws {
        encoder = try AudioEncoder(sampleRate: sampleRate, channels: channels, bitrate: bitrate)
        fifo = try AudioFifo(for: encoder)
    }

    /// The frames one more frame of silence yields (none while the encoder primes).
    func frame() throws -> [[UInt8]] {
        try fifo.writeSilence(max(1, encoder.frameSize))
        guard let input = try fifo.read(max(1, encoder.frameSize)) else { return [] }
        input.pts = nextPts
        nextPts += Int64(input.sampleCount)
        var frames: [[UInt8]] = []
        try encoder.encode(input) { frames.append($0.bytes) }
        return frames
    }
}
