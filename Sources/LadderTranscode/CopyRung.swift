import LadderFFmpeg
import LadderMedia
import LadderProfile

/// Facts about the source's decoder configuration record, for copy rungs and stats.
struct SourceVideoRecord: Sendable, Hashable {
    var codec: VideoCodec
    var codecString: String
    /// NAL length prefix size the source's samples use (0: VP9 and AV1, not NAL units).
    var lengthSize: Int
    /// The record as copy rungs publish it (rewritten to 4-byte NAL lengths if needed).
    var publishedRecord: [UInt8]

    init(_ config: VideoDecoderConfig) throws(BitstreamError) {
        codec = config.codec
        switch config.codec {
        case .h264:
            var record = try AVCDecoderConfigurationRecord(bytes: config.record)
            codecString = record.codecString
            lengthSize = record.lengthSize
            record.lengthSize = 4
            publishedRecord = lengthSize == 4 ? config.record : record.bytes
        case .hevc:
            var record = try HEVCDecoderConfigurationRecord(bytes: config.record)
            codecString = record.codecString
            lengthSize = record.lengthSize
            record.lengthSize = 4
            publishedRecord = lengthSize == 4 ? config.record : record.bytes
        case .vp9:
            codecString = try VPCodecConfigurationRecord(bytes: config.record).codecString
            lengthSize = 0
            publishedRecord = config.record
        case .av1:
            let record = try AV1CodecConfigurationRecord(config.record)
            codecString = record.codecString
            lengthSize = 0
            publishedRecord = record.bytes
        }
    }
}

/// A passthrough rung: source access units re-timed to 90 kHz, on the decode thread. Its
/// segments start at the first source keyframe of each grid interval (it cannot force IDRs).
struct CopyRung {
    let name: String
    let track: Int
    let record: SourceVideoRecord
    private var held: EncodedSample?
    private var lastDuration: Int64
    private var boundaries: SegmentBoundaryTracker

    init(name: String, track: Int, record: SourceVideoRecord, frameRate: Double?, grid: SegmentGrid) {
        self.name = name
        self.track = track
        self.record = record
        lastDuration = Int64((90000 / max(1, frameRate ?? 30)).rounded())
        boundaries = SegmentBoundaryTracker(grid: grid)
    }

    mutating func append(_ unit: VideoAccessUnit, sink: any EncodedMediaSink, stats: StatsCollector) {
        var data = unit.data
        switch record.codec {
        case .av1:
            // AV1-ISOBMFF 2.4: no temporal delimiters in samples; skip a malformed unit.
            guard let sample = try? AV1OBUs.sample(fromTemporalUnit: unit.data) else { return }
            data = sample
        case .vp9:
            break  // a VP9 frame is its own sample (VP-ISOBMFF 3)
        case .h264, .hevc:
            guard record.lengthSize != 4 else { break }
            // EncodedSample carries 4-byte lengths (ISO/IEC 14496-15 5.3.2); skip a malformed unit.
            guard let units = try? NALUnits.splitLengthPrefixed(unit.data, lengthSize: record.lengthSize) else {
                return
            }
            data = NALUnits.lengthPrefixed(units)
        }
        let sample = EncodedSample(
            decodeTime: MediaTiming.ticks90k(fromMilliseconds: unit.dts),
            presentationTime: MediaTiming.ticks90k(fromMilliseconds: unit.pts), duration: 0,
            isSync: unit.isKeyframe, data: data,
            segmentStart: unit.isKeyframe ? boundaries.startsSegment(pts: unit.pts) : nil)
        if var previous = held {
            let duration = sample.decodeTime - previous.decodeTime
            if duration > 0 { lastDuration = duration }
            previous.duration = duration > 0 ? duration : lastDuration
            deliver(previous, sink: sink, stats: stats)
        }
        held = sample
    }

    mutating func flush(sink: any EncodedMediaSink, stats: StatsCollector) {
        guard var last = held else { return }
        last.duration = lastDuration
        deliver(last, sink: sink, stats: stats)
        held = nil
    }

    private func deliver(_ sample: EncodedSample, sink: any EncodedMediaSink, stats: StatsCollector) {
        sink.append(sample, track: track)
        stats.rungOutput(name: name, bytes: sample.data.count, pts: sample.presentationTime)
    }
}
